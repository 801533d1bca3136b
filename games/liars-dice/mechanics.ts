// Liar's dice on the shared engine (docs/liars-dice.md): the carry [P+2, F+1] is the state of one game,
// a batch of games is a batch of trajectories each paired with its roll, one Euler step (h = 1) is
// one turn. The host plays the discrete part of a turn (bid, bluff, challenge: `decideTurn`),
// which the engine holds fixed; the belief drift is −∂L/∂z of the per-turn cost by autodiff on the
// live tensor; the round's end freezes a game and the solve stops when all have ended.
import { tf, type Tensor } from '../../src/tf.ts';
import type { Mechanics, NetworkAdapter, SolveContext } from '../../src/game.ts';
import { carryColumns, carryRows, STATE_ROW, totalDice, type CarryLayout } from './carry.ts';
import { countFaces, decideTurn } from './rules.ts';
import { softmax } from '../../src/mfg/functions.ts';
import type { Variant } from './config.ts';
import type { DiceMechanicsOptions } from './engine-config.ts';

/** The statistic one turn hands to the cost and the transition, per game: [B, STAT_SIZE]. */
function statSize(l: CarryLayout): number {
  // rows 0–1 of the transition (2·(F+1)), the held-fixed bid cost, θ̂ (F), the active-player mask (P)
  return 2 * (l.faces + 1) + 1 + l.faces + l.players;
}

/** kl(x, y) = x ln(x/y) − x + y summed over the last axis (x > 0 here: θ̂ + ε). */
export function klSum(x: Tensor, y: Tensor): Tensor {
  return tf.sum(tf.add(tf.sub(tf.mul(x, tf.log(tf.div(x, y))), x), y), -1);
}

/** The turn index of solver time t (t0 = 0, h = 1). */
const turnOf = (t: number) => Math.round(t);

function requireObservations(ctx: SolveContext | undefined, trajectories: number): { rolls: Int32Array; keys: Uint32Array } {
  if (!ctx?.observations) throw new Error("Liar's dice needs each game's roll: simulate it paired with observations");
  if (ctx.observations.shape[0] !== trajectories) {
    throw new Error(`Liar's dice: ${trajectories} games but ${ctx.observations.shape[0]} rolls`);
  }
  return { rolls: Int32Array.from(ctx.observations.values), keys: ctx.keys };
}

export function diceMechanics(o: DiceMechanicsOptions): Mechanics {
  const { layout } = o;
  const { players: P, faces: F } = layout;
  const cols = carryColumns(layout);
  const rows = carryRows(layout);
  const M = statSize(layout);
  const ended = (carries: ArrayLike<number>, b: number) => carries[b * rows * cols + STATE_ROW * cols] !== 0;
  return {
    population(y: Tensor, t: number, ctx?: SolveContext): Tensor {
      const B = y.shape[0];
      const { rolls, keys } = requireObservations(ctx, B);
      const carries = Float64Array.from(y.dataSync());
      const trueCounts = new Float64Array(B * F);
      for (let b = 0; b < B; b++) {
        trueCounts.set(countFaces(rolls.subarray(b * P * layout.dice, (b + 1) * P * layout.dice), F), b * F);
      }
      const playing = Array.from({ length: B }, (_, b) => !ended(carries, b));
      const gameKeys = o.variant.keys === 'constant' ? new Uint32Array(B).fill(o.experimentKey) : keys;
      const turn = turnOf(t);
      const d = decideTurn({ layout, carries, rolls, trueCounts, keys: gameKeys, playing }, turn, o.turn);
      const stat = new Float32Array(B * M);
      d.playing.forEach((b, i) => {
        const row = stat.subarray(b * M, (b + 1) * M);
        row.set(d.transition.subarray(b * 2 * cols, (b + 1) * 2 * cols), 0); // transition rows 0–1
        row[2 * cols] = d.bidCosts[i];
        row.set(d.frequencies.subarray(i * F, (i + 1) * F), 2 * cols + 1);
        row[2 * cols + 1 + F + d.player] = 1;
      });
      return tf.tensor2d(stat, [B, M]);
    },
    // Beliefs π = softmax(z) and bluff rate λ̃ = max(λ, 0) are what the cost is written in. The
    // drift is a gradient through this softmax, which the solve's backward pass differentiates
    // again: hence the twice-differentiable softmax.
    decode(y: Tensor): Tensor {
      const B = y.shape[0];
      const head = tf.slice(y, [0, 0, 0], [B, 2, cols]);
      const z = tf.slice(y, [0, 2, 0], [B, P, F]);
      const lambda = tf.slice(y, [0, 2, F], [B, P, 1]);
      return tf.concat([head, tf.concat([softmax(z), tf.relu(lambda)], 2)], 1);
    },
    gradientIn: o.variant.gradient === 'probabilities' ? 'decoded' : 'state',
    // docs/liars-dice.md §8: L = bid terms (held fixed, zero gradient: Q5) + 0.1·Σ_k kl(θ̂_k + ε, π_k + ε)
    // for the active player; the mask selects its row, so only that row gets a drift.
    cost(u: Tensor, m: Tensor): Tensor {
      const B = u.shape[0];
      const eps = o.costWeights.epsilon;
      const bidCost = tf.slice(m, [0, 2 * cols], [B, 1]);
      const theta = tf.slice(m, [0, 2 * cols + 1], [B, F]);
      const mask = tf.reshape(tf.slice(m, [0, 2 * cols + 1 + F], [B, P]), [B, P, 1]);
      const beliefs = tf.sum(tf.mul(tf.slice(u, [0, 2, 0], [B, P, F]), mask), 1); // [B, F]
      const kl = klSum(tf.add(theta, eps), tf.add(beliefs, eps));
      return tf.add(tf.squeeze(bidCost, [1]), tf.mul(o.costWeights.kl, kl));
    },
    // rows 0–1: the new bid replaces the previous one and the game state g is written (docs/liars-dice.md §8)
    transition(m: Tensor): Tensor {
      const B = m.shape[0];
      const head = tf.reshape(tf.slice(m, [0, 0], [B, 2 * cols]), [B, 2, cols]);
      return tf.pad(head, [
        [0, 0],
        [0, P],
        [0, 0],
      ]);
    },
    ended(y: Tensor): boolean[] {
      const carries = y.dataSync();
      return Array.from({ length: y.shape[0] }, (_, b) => ended(carries, b));
    },
  };
}

/**
 * The network reads the active player's [π_p, λ̃_p, previous bid, own hand] (2F + 1 + D values,
 * docs/liars-dice.md §9) and writes F + 1 values into that player's row. Faithful Q7: the (π, λ̃) part is
 * read from row 2 + min(t, P − 1).
 */
export function diceNetwork(layout: CarryLayout, variant: Variant): NetworkAdapter {
  const { players: P, faces: F, dice: D } = layout;
  return {
    inputSize: 2 * F + 1 + D,
    outputSize: F + 1,
    input(t: number, y: Tensor, ctx: SolveContext): Tensor {
      const B = y.shape[0];
      const { rolls } = requireObservations(ctx, B);
      const p = turnOf(t) % P;
      const read = variant.networkPlayer === 'clamped-turn' ? Math.min(turnOf(t), P - 1) : p;
      const z = tf.reshape(tf.slice(y, [0, 2 + read, 0], [B, 1, F]), [B, F]);
      const lambda = tf.reshape(tf.slice(y, [0, 2 + read, F], [B, 1, 1]), [B, 1]);
      const bid = tf.reshape(tf.slice(y, [0, 0, 0], [B, 1, F]), [B, F]);
      const hand = new Float32Array(B * D);
      for (let b = 0; b < B; b++) {
        for (let d = 0; d < D; d++) hand[b * D + d] = rolls[(b * P + p) * D + d];
      }
      return tf.concat([tf.softmax(z), tf.relu(lambda), bid, tf.tensor2d(hand, [B, D])], 1);
    },
    output(t: number, out: Tensor, y: Tensor): Tensor {
      const B = y.shape[0];
      const p = turnOf(t) % P;
      return tf.pad(tf.reshape(out, [B, 1, F + 1]), [
        [0, 0],
        [2 + p, P - 1 - p],
        [0, 0],
      ]);
    },
  };
}

/** θ̂ of each game of a batch of rolls [B, P, D] (faces 1..F): [B, F]. */
export function frequenciesOf(rolls: Tensor, layout: CarryLayout): Tensor {
  const B = rolls.shape[0];
  const Q = totalDice(layout);
  // 1[x = k] = relu(1 − |x − k|) for integer faces: float ops only (int32 casts and oneHot
  // gave zeros on the webgpu backend)
  const faces = tf.reshape(tf.range(1, layout.faces + 1), [1, 1, layout.faces]);
  const indicator = tf.relu(tf.sub(1, tf.abs(tf.sub(tf.reshape(rolls, [B, Q, 1]), faces))));
  return tf.mean(indicator, 1);
}
