// The rolling-origin evaluation's plan (README "Forecasts on real data"): a fit window of
// `fitDays` days every `every` days from `first`, each followed by `horizon` forecast days, as long
// as the horizon ends by `last`. Japan: 56 days fitted, 28 forecast, every 4 weeks from
// 2020-04-01 to 2022-12-31 (33 windows).
import { addDays, dayOffset } from './series.ts';

export interface RollingPlan {
  /** the first window's first day */
  first: string;
  /** no forecast day after this one */
  last: string;
  fitDays: number;
  horizon: number;
  /** days from one window's start to the next one's */
  every: number;
}

export interface RollingWindow {
  index: number;
  /** the fitted days, inclusive */
  from: string;
  to: string;
  /** the forecast days, inclusive */
  forecastFrom: string;
  forecastTo: string;
}

/** Every window of the plan, in order; an error naming the field for a plan that holds none. */
export function rollingWindows(p: RollingPlan): RollingWindow[] {
  for (const k of ['fitDays', 'horizon', 'every'] as const) {
    if (!Number.isInteger(p[k]) || p[k] < 1) throw new Error(`rolling plan field "${k}": expected a whole number ≥ 1, got ${p[k]}`);
  }
  const span = dayOffset(p.first, p.last) + 1;
  const length = p.fitDays + p.horizon;
  if (span < length) throw new Error(`rolling plan: ${p.first} to ${p.last} is ${span} days, shorter than one window and its horizon (${length})`);
  const count = Math.floor((span - length) / p.every) + 1;
  return Array.from({ length: count }, (_, index) => {
    const from = addDays(p.first, index * p.every);
    return { index, from, to: addDays(from, p.fitDays - 1), forecastFrom: addDays(from, p.fitDays), forecastTo: addDays(from, length - 1) };
  });
}

/** What one window's forecast scored (the model's and each baseline's point scores, the model's coverage). */
export interface WindowOutcome {
  window: RollingWindow;
  /** by method: "model" and each baseline; null where no horizon day has data */
  male: Record<string, number | null>;
  /** horizon days with data */
  coveredDays: number;
  coverage50: number | null;
  coverage90: number | null;
}

export interface RollingSummary {
  /** windows with at least one scored day */
  windowsScored: number;
  /** the median over windows of each method's MALE */
  medianMale: Record<string, number | null>;
  /** the baseline with the lowest median MALE */
  bestBaseline: { name: string; medianMale: number } | null;
  /** 1 − model / best baseline (median MALE): the goal is ≥ 0.2 */
  improvement: number | null;
  /** the share of all held-out days inside the model's bands (each window weighted by its days) */
  coverage50: number | null;
  coverage90: number | null;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The medians, the best baseline and the pooled coverage of the windows' outcomes. `methods[0]` is the model. */
export function summariseRolling(outcomes: WindowOutcome[], methods: string[]): RollingSummary {
  const scored = outcomes.filter((o) => o.coveredDays > 0);
  const medianMale = Object.fromEntries(methods.map((m) => [m, median(scored.map((o) => o.male[m]).filter((v): v is number => v !== null && v !== undefined))]));
  const baselines = methods.slice(1).filter((m) => medianMale[m] !== null);
  const best = baselines.sort((a, b) => medianMale[a]! - medianMale[b]!)[0];
  const bestBaseline = best ? { name: best, medianMale: medianMale[best]! } : null;
  const model = medianMale[methods[0]];
  const days = scored.reduce((a, o) => a + o.coveredDays, 0);
  const pooled = (k: 'coverage50' | 'coverage90') => (days > 0 ? scored.reduce((a, o) => a + (o[k] ?? 0) * o.coveredDays, 0) / days : null);
  return {
    windowsScored: scored.length,
    medianMale,
    bestBaseline,
    improvement: model !== null && bestBaseline && bestBaseline.medianMale > 0 ? 1 - model / bestBaseline.medianMale : null,
    coverage50: pooled('coverage50'),
    coverage90: pooled('coverage90'),
  };
}
