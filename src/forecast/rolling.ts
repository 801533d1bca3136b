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
