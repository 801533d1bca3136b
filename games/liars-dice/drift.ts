// The per-turn cost of the active player (GAMES.md §4.8) as a TF.js function of its decoded
// parameters (π, λ̃), and the mean-field drift derived from it by autodiff. The bid terms reach
// (π, λ̃) only through sampling and integer casts, so they enter as values held fixed (zero
// gradient, Q5); only the smoothed KL to the table's face frequencies moves the beliefs.
import { tf, type Tensor } from '../../src/tf.ts';
import { heldFixed } from '../../src/mfg/functions.ts';
import type { Bid, CarryLayout } from './carry.ts';

export interface CostWeights {
  /** weight of [Q − (q_new − q₀)]₊, the safety term (1) */
  safety: number;
  /** weight of [q_new − c*(f_new)]₊, the bluffing-risk term (1) */
  risk: number;
  /** weight of [F − f_new]₊, the niceness term (1) */
  niceness: number;
  /** weight of Σ_k kl(θ̂_k + ε, π_k + ε) (0.1) */
  kl: number;
  /** smoothing ε of the KL term (1e-5) */
  epsilon: number;
}

export const REFERENCE_COST_WEIGHTS: CostWeights = { safety: 1, risk: 1, niceness: 1, kl: 0.1, epsilon: 1e-5 };

/**
 * Where the gradient goes (Q6):
 * - 'logits' (default): −∂L/∂z by the chain rule through the softmax, −∂L/∂λ for the raw rate;
 * - 'probabilities' (faithful): −∂L/∂π and −∂L/∂λ̃, added to the logits and raw rate as they are.
 */
export type GradientTarget = 'logits' | 'probabilities';

const relu = (z: number): number => Math.max(z, 0);

/**
 * The three bid terms of §4.8 for one played bid, as a plain number: they are constants for the
 * gradient (Q5). A challenge decodes as (f, −1) or, when written out of range, (1, 0) (§4.2).
 */
export function bidTerms(layout: CarryLayout, bid: Bid, previous: Bid, trueCounts: ArrayLike<number>, w: CostWeights): number {
  const Q = layout.players * layout.dice;
  return (
    w.safety * relu(Q - (bid.quantity - previous.quantity)) +
    w.risk * relu(bid.quantity - trueCounts[bid.face - 1]) +
    w.niceness * relu(layout.faces - bid.face)
  );
}

/** kl(x, y) = x·ln(x/y) − x + y summed over the last axis, with x = θ̂ + ε, y = π + ε: [games]. */
export function smoothedKl(frequencies: Tensor, beliefs: Tensor, epsilon: number): Tensor {
  return tf.tidy(() => {
    const x = tf.add(frequencies, epsilon);
    const y = tf.add(beliefs, epsilon);
    return tf.sum(tf.add(tf.sub(tf.mul(x, tf.log(tf.div(x, y))), x), y), -1);
  });
}

/**
 * L(π, λ̃) per game [games] (GAMES.md §4.8): the bid terms `bidCost` [games] (already evaluated
 * on the played bid, held fixed: they depend on (π, λ̃) only through sampling) plus
 * kl-weight · Σ_k kl(θ̂_k + ε, π_k + ε). beliefs, frequencies [games, F]; bluffRate [games].
 */
export function turnCost(beliefs: Tensor, bluffRate: Tensor, bidCost: Float32Array | number[], frequencies: Tensor, w: CostWeights): Tensor {
  const games = beliefs.shape[0];
  const strategy = tf.concat([beliefs, tf.reshape(bluffRate, [games, 1])], 1); // [games, F+1]
  const sampled = heldFixed(() => tf.tensor1d(Float32Array.from(bidCost)), strategy);
  return tf.add(sampled, tf.mul(w.kl, smoothedKl(frequencies, beliefs, w.epsilon)));
}

export interface ActivePlayerDrift {
  /** −∂L/∂z (or −∂L/∂π, faithful) for every game: [games, F] */
  beliefs: Tensor;
  /** −∂L/∂λ (or −∂L/∂λ̃): exactly 0 (Q5) [games] */
  bluffRate: Tensor;
}

/**
 * The drift of the active player's row derived by autodiff of `turnCost`: logits [games, F], raw
 * bluff rates [games], frequencies θ̂ [games, F] (held fixed: the mean-field statistic).
 */
export function activePlayerDrift(
  logits: Tensor,
  rawBluffRate: Tensor,
  bidCost: Float32Array | number[],
  frequencies: Tensor,
  w: CostWeights,
  target: GradientTarget,
): ActivePlayerDrift {
  return tf.tidy(() => {
    let grads: Tensor[];
    if (target === 'logits') {
      const cost = (z: Tensor, lambda: Tensor) => tf.sum(turnCost(tf.softmax(z), tf.relu(lambda), bidCost, frequencies, w));
      grads = tf.grads(cost)([logits, rawBluffRate]);
    } else {
      // Q6: the gradient with respect to the decoded parameters (π, λ̃).
      const cost = (pi: Tensor, lambdaTilde: Tensor) => tf.sum(turnCost(pi, lambdaTilde, bidCost, frequencies, w));
      grads = tf.grads(cost)([tf.softmax(logits), tf.relu(rawBluffRate)]);
    }
    return { beliefs: tf.neg(grads[0]), bluffRate: tf.neg(grads[1]) };
  });
}

/** Host closed form −∂L/∂π_k = −w·(1 − (θ̂_k + ε)/(π_k + ε)) (GAMES.md §4.8): the test oracle. */
export function probabilityDriftClosedForm(beliefs: ArrayLike<number>, frequencies: ArrayLike<number>, w: CostWeights): number[] {
  return Array.from(beliefs, (pi, k) => -w.kl * (1 - (frequencies[k] + w.epsilon) / (pi + w.epsilon)));
}

/** Host closed form of −∂L/∂z_j = π_j·(d_j − Σ_k π_k d_k) with d = −∂L/∂π (softmax chain rule). */
export function logitDriftClosedForm(beliefs: ArrayLike<number>, frequencies: ArrayLike<number>, w: CostWeights): number[] {
  const d = probabilityDriftClosedForm(beliefs, frequencies, w);
  let mean = 0;
  for (let k = 0; k < d.length; k++) mean += beliefs[k] * d[k];
  return d.map((dk, j) => beliefs[j] * (dk - mean));
}
