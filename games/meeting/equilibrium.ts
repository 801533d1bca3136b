// The meeting game's equilibrium gap (README §Equilibrium gap) on host arrays: with the start T
// of the meeting held fixed, each agent's cost C(y; T) = α[y − s]₊ + β[y − T]₊ + γ[T − y]₊ is convex
// and piecewise linear in its own arrival time y, so its minimum lies at a kink, s or T.
import type { MeetingMechanics } from './mechanics.ts';

/** The q-quantile with linear interpolation between order statistics (NumPy's default; docs/meeting.md §2). */
export function quantileOf(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).sort();
  const r = q * (sorted.length - 1);
  const lo = Math.floor(r);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (r - lo);
}

/** C(y; T) of docs/meeting.md §3. */
export function meetingCost(m: MeetingMechanics, y: number, T: number): number {
  return m.alpha * Math.max(y - m.scheduledTime, 0) + m.beta * Math.max(y - T, 0) + m.gamma * Math.max(T - y, 0);
}

/** gap_i = C(x_i; T) − min(C(s; T), C(T; T)), T the q-quantile of the population. */
export function meetingEquilibriumGap(m: MeetingMechanics, population: ArrayLike<number>): Float64Array {
  const T = quantileOf(population, m.quantile);
  const best = Math.min(meetingCost(m, m.scheduledTime, T), meetingCost(m, T, T));
  return Float64Array.from(population, (x) => Math.max(0, meetingCost(m, x, T) - best));
}
