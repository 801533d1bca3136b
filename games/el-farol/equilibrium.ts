// The El Farol game's equilibrium gap (README §Equilibrium gap) on host arrays. The statistic the
// cost holds fixed is the attendance A (and its fraction P), drawn as the dynamics draw it,
// A_i = 1[u_i < p_i]; with it fixed, each agent's cost is convex in its own probability y,
//   f_i(y) = α·A_i·1[P > ϑ]·[y − ϑ]₊ + β·(1 − A_i)·1[P ≤ ϑ]·[ϑ − y]₊ + γ·(y − P)²,
// and its minimum lies at the kink ϑ or at a stationary point of a piece: P, P − α/(2γ), P + β/(2γ).
// The gap is averaged over `draws` attendance draws (the expectation over the statistic).
import type { RandomStream } from '../../src/random.ts';
import type { ElFarolMechanics } from './mechanics.ts';

/** Attendance draws a gap averages over. */
export const GAP_DRAWS = 32;

/** f_i(y) above, for an agent that went (A = 1) or stayed (A = 0), with the fraction P. */
export function elFarolCost(m: ElFarolMechanics, y: number, went: boolean, P: number): number {
  const crowded = P > m.threshold;
  const regret = went ? (crowded ? m.alpha * Math.max(y - m.threshold, 0) : 0) : crowded ? 0 : m.beta * Math.max(m.threshold - y, 0);
  return regret + m.gamma * (y - P) ** 2;
}

/** min_y f_i(y): f at the kink and at every piece's stationary point (f is convex, so one of them is the minimum). */
export function elFarolMinimumCost(m: ElFarolMechanics, went: boolean, P: number): number {
  const candidates = [m.threshold, P];
  if (m.gamma > 0) candidates.push(P - m.alpha / (2 * m.gamma), P + m.beta / (2 * m.gamma));
  return Math.min(...candidates.map((y) => elFarolCost(m, y, went, P)));
}

/** Each agent's gap f_i(p_i) − min_y f_i(y), averaged over `draws` draws of the attendance. */
export function elFarolEquilibriumGap(m: ElFarolMechanics, population: ArrayLike<number>, rng: RandomStream, draws = GAP_DRAWS): Float64Array {
  const n = population.length;
  const gaps = new Float64Array(n);
  const went = new Uint8Array(n);
  for (let d = 0; d < draws; d++) {
    const u = rng.uniforms(n);
    let count = 0;
    for (let i = 0; i < n; i++) {
      went[i] = population[i] - u[i] > 0 ? 1 : 0; // docs/el-farol.md §2: A_i = 1[u_i < p_i]
      count += went[i];
    }
    const P = count / n;
    const best = [elFarolMinimumCost(m, false, P), elFarolMinimumCost(m, true, P)];
    for (let i = 0; i < n; i++) gaps[i] += Math.max(0, elFarolCost(m, population[i], went[i] === 1, P) - best[went[i]]) / draws;
  }
  return gaps;
}
