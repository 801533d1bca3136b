// Liar's dice (docs/liars-dice.md) on typed arrays, for the fused engine. A turn's discrete part (bid,
// bluff, challenge: `decideTurn` in rules.ts) is the very code the autodiff path runs; what this
// file adds is the continuous part in closed form, with its derivatives:
// - the belief drift of the active player p = t mod P (docs/liars-dice.md §8), d_k = −∂L/∂π_k = w·((θ̂_k + ε)/(π_k + ε) − 1)
//   with π = softmax(z): added to the logits as −∂L/∂z_j = π_j (d_j − Σ_k π_k d_k) ('logits', the
//   default), or as d itself ('probabilities', the reference, Q6); 0 for the bluff rate (Q5);
// - the network's input [softmax(z_read), max(λ_read, 0), previous bid, own hand] (docs/liars-dice.md §9) and its
//   output written into the active player's row;
// - the loss of docs/liars-dice.md §11 (smoothed KL of every player's final beliefs to the game's face frequencies,
//   plus the bluff term, whose gradient reaches no parameter).
// Rows 0 and 1 (bid and game state) are held-fixed transitions: they pass the adjoint unchanged.
import type { SolveContext } from '../../src/game.ts';
import type { GameKernels, NetworkKernels, RunningMask } from '../../src/fused/kernels.ts';
import { BID_ROW, STATE_ROW, carryColumns, carryRows, softmaxInto, totalDice } from './carry.ts';
import { countFaces, decideTurn } from './rules.ts';
import type { DiceMechanicsOptions } from './engine-config.ts';
import { klTerm } from './metrics.ts';

/** What every turn of one solve reads about its games: rolls, true counts, θ̂ and keys. */
interface Prepared {
  rolls: Int32Array;
  trueCounts: Float64Array;
  /** θ̂ per game [B, F] in float32, as the autodiff path's statistic holds it */
  frequencies: Float32Array;
  keys: Uint32Array;
}

/** The turn index of solver time t (t0 = 0, h = 1). */
const turnOf = (t: number) => Math.round(t);

/** adj[offset + m] += scale · π_m (u_m − Σ_k π_k u_k): the vector-Jacobian product of the softmax. */
function softmaxVjp(pi: Float64Array, u: ArrayLike<number>, F: number, scale: number, adj: Float64Array, offset: number): void {
  let dot = 0;
  for (let k = 0; k < F; k++) dot += pi[k] * u[k];
  for (let m = 0; m < F; m++) adj[offset + m] += scale * pi[m] * (u[m] - dot);
}

export function diceKernels(o: DiceMechanicsOptions): GameKernels {
  const { layout } = o;
  const { players: P, faces: F, dice: D } = layout;
  const cols = carryColumns(layout);
  const size = carryRows(layout) * cols;
  const Q = totalDice(layout);
  const { kl: w, epsilon: eps } = o.costWeights;
  const logits = o.variant.gradient === 'logits';
  const prepared = new WeakMap<SolveContext, Prepared>();
  const pi = new Float64Array(F);
  const drift = new Float64Array(F);
  const slope = new Float64Array(F);
  const u = new Float64Array(F);

  function prepare(ctx: SolveContext, n: number): Prepared {
    let p = prepared.get(ctx);
    if (p) return p;
    if (!ctx.observations) throw new Error("Liar's dice needs each game's roll: simulate it paired with observations");
    if (ctx.observations.shape[0] !== n) throw new Error(`Liar's dice: ${n} games but ${ctx.observations.shape[0]} rolls`);
    const rolls = Int32Array.from(ctx.observations.values);
    const trueCounts = new Float64Array(n * F);
    const frequencies = new Float32Array(n * F);
    for (let b = 0; b < n; b++) {
      const counts = countFaces(rolls.subarray(b * P * D, (b + 1) * P * D), F);
      trueCounts.set(counts, b * F);
      for (let k = 0; k < F; k++) frequencies[b * F + k] = counts[k] / Q;
    }
    const keys = o.variant.keys === 'constant' ? new Uint32Array(n).fill(o.experimentKey) : Uint32Array.from(ctx.keys);
    p = { rolls, trueCounts, frequencies, keys };
    prepared.set(ctx, p);
    return p;
  }

  /** d = −∂L/∂π and d' = ∂d/∂π (diagonal) at the beliefs `pi` of game b. */
  function probabilityDrift(frequencies: Float32Array, b: number): void {
    for (let k = 0; k < F; k++) {
      const a = (frequencies[b * F + k] + eps) / (pi[k] + eps);
      drift[k] = w * (a - 1);
      slope[k] = (-w * a) / (pi[k] + eps);
    }
  }

  const isRunning = (running: RunningMask, b: number) => !running || running[b] === 1;

  const network: NetworkKernels = {
    inputSize: 2 * F + 1 + D,
    outputSize: F + 1,
    // the active player's own dice (the last D inputs) stay the same through a round: row b·P + p
    // of the rolls [n·P, D]
    constantInputs: {
      variable: 2 * F + 1,
      values: (n, ctx) => prepare(ctx, n).rolls,
      rowAt: (t, b) => b * P + (turnOf(t) % P),
    },
    input(t, y, n, ctx, out, running) {
      const { rolls } = prepare(ctx, n);
      const turn = turnOf(t);
      const p = turn % P;
      const read = o.variant.networkPlayer === 'clamped-turn' ? Math.min(turn, P - 1) : p;
      const width = 2 * F + 1 + D;
      for (let b = 0; b < n; b++) {
        if (!isRunning(running, b)) continue;
        const row = b * size + (2 + read) * cols;
        softmaxInto(y, row, F, pi);
        const o2 = b * width;
        for (let k = 0; k < F; k++) out[o2 + k] = pi[k];
        const lambda = y[row + F];
        out[o2 + F] = lambda > 0 ? lambda : 0;
        for (let k = 0; k < F; k++) out[o2 + F + 1 + k] = y[b * size + BID_ROW * cols + k];
        for (let d = 0; d < D; d++) out[o2 + 2 * F + 1 + d] = rolls[(b * P + p) * D + d];
      }
    },
    inputVjp(t, y, v, n, _ctx, adj, running) {
      const turn = turnOf(t);
      const read = o.variant.networkPlayer === 'clamped-turn' ? Math.min(turn, P - 1) : turn % P;
      const width = 2 * F + 1 + D;
      for (let b = 0; b < n; b++) {
        if (!isRunning(running, b)) continue;
        const row = b * size + (2 + read) * cols;
        softmaxInto(y, row, F, pi);
        const o2 = b * width;
        softmaxVjp(pi, v.subarray(o2, o2 + F), F, 1, adj, row);
        if (y[row + F] > 0) adj[row + F] += v[o2 + F];
        for (let k = 0; k < F; k++) adj[b * size + BID_ROW * cols + k] += v[o2 + F + 1 + k];
      }
    },
    output(t, netOut, n, out, running) {
      out.fill(0);
      const p = turnOf(t) % P;
      for (let b = 0; b < n; b++) {
        if (!isRunning(running, b)) continue;
        const row = b * size + (2 + p) * cols;
        for (let j = 0; j <= F; j++) out[row + j] = netOut[b * (F + 1) + j];
      }
    },
    outputVjp(t, v, n, vOut, running) {
      const p = turnOf(t) % P;
      for (let b = 0; b < n; b++) {
        if (!isRunning(running, b)) continue;
        const row = b * size + (2 + p) * cols;
        for (let j = 0; j <= F; j++) vOut[b * (F + 1) + j] = v[row + j];
      }
    },
  };

  return {
    independentTrajectories: true,
    drift(t, y, n, ctx, out, running) {
      const { rolls, trueCounts, frequencies, keys } = prepare(ctx, n);
      const turn = turnOf(t);
      const d = decideTurn({ layout, carries: y, rolls, trueCounts, keys, playing: running ?? undefined }, turn, o.turn);
      out.fill(0);
      for (const b of d.playing) {
        const base = b * size;
        // rows 0–1: the new bid replaces the previous one, the game state is written (docs/liars-dice.md §8)
        for (let j = 0; j < 2 * cols; j++) out[base + j] = d.transition[b * 2 * cols + j];
        const row = base + (2 + d.player) * cols;
        softmaxInto(y, row, F, pi);
        probabilityDrift(frequencies, b);
        if (logits) {
          let dot = 0;
          for (let k = 0; k < F; k++) dot += pi[k] * drift[k];
          for (let j = 0; j < F; j++) out[row + j] = pi[j] * (drift[j] - dot);
        } else {
          for (let j = 0; j < F; j++) out[row + j] = drift[j];
        }
      }
    },
    driftVjp(t, y, v, scale, n, ctx, adj, running) {
      const { frequencies } = prepare(ctx, n);
      const p = turnOf(t) % P;
      for (let b = 0; b < n; b++) {
        if (!isRunning(running, b)) continue;
        const row = b * size + (2 + p) * cols;
        softmaxInto(y, row, F, pi);
        probabilityDrift(frequencies, b);
        if (logits) {
          // drift_j = π_j (d_j − s), s = Σ_k π_k d_k: u_m = Σ_j v_j ∂drift_j/∂π_m
          let s = 0;
          let vpi = 0;
          for (let k = 0; k < F; k++) {
            s += pi[k] * drift[k];
            vpi += v[row + k] * pi[k];
          }
          for (let m = 0; m < F; m++) {
            const vm = v[row + m];
            u[m] = vm * (drift[m] + pi[m] * slope[m] - s) - vpi * (drift[m] + pi[m] * slope[m]);
          }
        } else {
          for (let m = 0; m < F; m++) u[m] = v[row + m] * slope[m];
        }
        softmaxVjp(pi, u, F, scale, adj, row);
      }
    },
    network,
    ended(y, n, out) {
      for (let b = 0; b < n; b++) out[b] = y[b * size + STATE_ROW * cols] !== 0 ? 1 : 0;
    },
    // docs/liars-dice.md §11: kl·mean_b mean_p Σ_k kl(θ̂_{b,k} + ε, softmax(z_{b,p})_k + ε) + bluff·mean_b |−1 − g_b|
    loss(pred, n, obs, batch, grad) {
      if (batch !== n) throw new Error(`Liar's dice: ${n} games but ${batch} rolls`);
      const weights = o.lossWeights;
      const theta = new Float64Array(F);
      let kl = 0;
      let bluff = 0;
      if (grad) grad.fill(0);
      const klScale = weights.kl / (n * P);
      for (let b = 0; b < n; b++) {
        theta.fill(0);
        for (let q = 0; q < Q; q++) theta[obs[b * Q + q] - 1] += 1 / Q;
        for (let p = 0; p < P; p++) {
          const row = b * size + (2 + p) * cols;
          softmaxInto(pred, row, F, pi);
          for (let k = 0; k < F; k++) {
            const x = theta[k] + eps;
            const yk = pi[k] + eps;
            kl += klTerm(x, yk);
            u[k] = 1 - x / yk; // ∂kl/∂y
          }
          if (grad) softmaxVjp(pi, u, F, klScale, grad, row);
        }
        const g = pred[b * size + STATE_ROW * cols];
        bluff += Math.abs(-1 - g);
        if (grad) grad[b * size + STATE_ROW * cols] += (weights.bluff / n) * -Math.sign(-1 - g);
      }
      return klScale * kl + (weights.bluff / n) * bluff;
    },
  };
}
