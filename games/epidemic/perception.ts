// How the agents perceive the risk of infection in their cost (docs/epidemic.md §3): the force of
// infection Λ read per thousand (`linear`, the cost of the first version), or on a log scale
// (`log`, ln(1 + 1000 Λ)): about the same at the low prevalence of 2020, but compressed at the
// high prevalence of the later waves (a Weber-Fechner reading: people react to orders of
// magnitude), so that one cost weight keeps contacts alive from 100 to 200,000 cases a day.
import { PER_MILLE } from './layout.ts';

export type PerceptionKind = 'linear' | 'log';
export const PERCEPTIONS: readonly PerceptionKind[] = ['linear', 'log'];

/** ψ(Λ), the perceived risk the cost prices: linear 1000 Λ, log ln(1 + 1000 Λ) (float64). */
export function perceivedRisk(kind: PerceptionKind, lambda: number): number {
  return kind === 'linear' ? PER_MILLE * lambda : Math.log1p(PER_MILLE * lambda);
}
