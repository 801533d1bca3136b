// The LQ game's closed forms (README.md §Mean and spread, §Solvers): the mean and the spread of a
// population under the engine's dynamics, exact and as each solver's recursion gives them. Used by
// the tests and scripts/recovery.ts as the known answer.
import type { LqMechanics } from './mechanics.ts';

export type NoiseLayout = 'none' | 'common' | 'independent';

/** E[m̄(t)] = ξ + (m̄₀ − ξ)·e^{−a(t − t₀)} (every noise layout). */
export function analyticMean(m: LqMechanics, mean0: number, elapsed: number): number {
  return m.target + (mean0 - m.target) * Math.exp(-m.targetWeight * elapsed);
}

/**
 * E[S²(t)], S² = (1/N) Σ (x_i − m̄)²: S₀²·e^{−2(a+b)τ} without noise or with common noise (exact,
 * path by path), plus V∞(1 − e^{−2(a+b)τ}), V∞ = σ²(1 − 1/N)/(2(a + b)), with independent noise.
 */
export function analyticVariance(m: LqMechanics, variance0: number, elapsed: number, noise: { layout: NoiseLayout; sigma: number; agents: number }): number {
  const k = m.targetWeight + m.meanWeight;
  const decay = Math.exp(-2 * k * elapsed);
  if (noise.layout !== 'independent') return variance0 * decay;
  const stationary = (noise.sigma ** 2 * (1 - 1 / noise.agents)) / (2 * k);
  return stationary + (variance0 - stationary) * decay;
}

/** Var[m̄(t)] = c·σ²(1 − e^{−2aτ})/(2a), c = 1 (common noise), 1/N (independent), 0 (none). */
export function analyticMeanVariance(m: LqMechanics, elapsed: number, noise: { layout: NoiseLayout; sigma: number; agents: number }): number {
  if (noise.layout === 'none') return 0;
  const c = noise.layout === 'common' ? 1 : 1 / noise.agents;
  const a = m.targetWeight;
  return a > 0 ? (c * noise.sigma ** 2 * (1 - Math.exp(-2 * a * elapsed))) / (2 * a) : c * noise.sigma ** 2 * elapsed;
}

/**
 * The amplification factor R(z) of one step of y' = −λy with z = λh: what each solver multiplies
 * a deviation by per step (README §Solvers). Euler 1 − z, Heun 1 − z + z²/2, RK4 Σ_{j≤4} (−z)^j/j!.
 */
export function stepFactor(solver: string, z: number): number {
  switch (solver) {
    case 'euler':
    case 'euler-maruyama':
      return 1 - z;
    case 'heun':
      return 1 - z + (z * z) / 2;
    case 'rk4':
      return 1 - z + (z * z) / 2 - (z * z * z) / 6 + (z * z * z * z) / 24;
    default:
      throw new Error(`no step factor for solver "${solver}"`);
  }
}

/**
 * The mean gap along the noiseless solution: ((a + b)/2)·S² + (a²/(2(a + b)))·(m̄ − ξ)²
 * (README §Equilibrium gap), from the mean and the variance at that time.
 */
export function meanEquilibriumGap(m: LqMechanics, mean: number, variance: number): number {
  const k = m.targetWeight + m.meanWeight;
  if (k === 0) return 0;
  return (k / 2) * variance + (m.targetWeight ** 2 / (2 * k)) * (mean - m.target) ** 2;
}
