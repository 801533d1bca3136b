// The linear-quadratic game (README.md): each agent pays a quadratic cost for its distance to a
// target ξ and to the population mean m̄ (held fixed in the gradient), so the drift is linear and
// the mean and spread of the population follow Ornstein–Uhlenbeck equations in closed form.
import { tf, type Tensor } from '../../src/tf.ts';
import type { Mechanics } from '../../src/game.ts';

export interface LqMechanics {
  /** target ξ every agent is drawn to */
  target: number;
  /** weight a of the squared distance to the target */
  targetWeight: number;
  /** weight b of the squared distance to the population mean */
  meanWeight: number;
}

export function lqMechanics(m: LqMechanics): Mechanics {
  return {
    // README §Model: m̄ = (1/N) Σ_j x_j [trajectories, 1]
    population: (x: Tensor) => tf.mean(x, -1, true),
    // README §Model: C(x_i; m̄) = (a/2)(x_i − ξ)² + (b/2)(x_i − m̄)²
    cost: (x: Tensor, mean: Tensor) =>
      tf.add(
        tf.mul(m.targetWeight / 2, tf.square(tf.sub(x, m.target))),
        tf.mul(m.meanWeight / 2, tf.square(tf.sub(x, mean))),
      ),
  };
}

/** The best response to a population mean: argmin_y C(y; m̄) = (aξ + b·m̄)/(a + b) (README §Equilibrium). */
export function bestResponse(m: LqMechanics, mean: number): number {
  const w = m.targetWeight + m.meanWeight;
  return w > 0 ? (m.targetWeight * m.target + m.meanWeight * mean) / w : mean;
}

/**
 * Each agent's equilibrium gap C(x_i; m̄) − min_y C(y; m̄) = ((a + b)/2)(x_i − y*)² with y* the best
 * response to the population's own mean (README §Equilibrium gap).
 */
export function lqEquilibriumGap(m: LqMechanics, population: ArrayLike<number>): Float64Array {
  const n = population.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += population[i];
  const best = bestResponse(m, sum / n);
  const half = (m.targetWeight + m.meanWeight) / 2;
  return Float64Array.from(population, (x) => half * (x - best) ** 2);
}
