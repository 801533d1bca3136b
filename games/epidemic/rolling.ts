// The rolling-origin evaluation's settings (the optional `rolling` section of an epidemic
// configuration; preset japan-rolling): the plan of windows (src/forecast/rolling.ts), the noise
// paths of each forecast, and which windows a run covers (all, or one per job of a sweep).
import type { FieldReader } from '../../src/config.ts';
import { dayNumber } from '../../src/forecast/series.ts';
import type { RollingPlan } from '../../src/forecast/rolling.ts';
import { ENSEMBLE_COMBINES, type EnsembleCombine } from '../../src/forecast/ensemble-names.ts';

export interface RollingSettings extends RollingPlan {
  /** noise paths behind each forecast's bands */
  paths: number;
  /** fits per window, each from its own seed (the experiment's seed + k), combined in one forecast: an ensemble (1: one fit) */
  ensemble: number;
  /** how the ensemble's forecasts are combined: the median of their bands, or their paths pooled (src/forecast/forecast.ts) */
  combine: EnsembleCombine;
  /** the windows to run, by index; empty: every window of the plan */
  windows: number[];
}

export const ROLLING_FIELDS: Record<string, string> = {
  'rolling.first': 'rolling evaluation (analyze epidemic --preset japan-rolling): the first window\'s first day, YYYY-MM-DD',
  'rolling.last': 'rolling evaluation: no forecast day after this date',
  'rolling.fitDays': 'rolling evaluation: days fitted in each window',
  'rolling.horizon': 'rolling evaluation: days forecast after each window',
  'rolling.every': 'rolling evaluation: days from one window\'s start to the next one\'s',
  'rolling.paths': 'rolling evaluation: noise paths behind each forecast\'s bands',
  'rolling.ensemble': 'rolling evaluation: fits per window from seeds seed, seed + 1, …, combined in one forecast (an ensemble; 1: one fit)',
  'rolling.combine': 'rolling evaluation: how the ensemble\'s fits are combined: median (each band the median over the fits of that fit\'s band) or pool (the bands of all their paths together)',
  'rolling.windows': 'rolling evaluation: the windows to run, by index from 0 (empty: all); a sweep runs one per job',
};

function date(r: FieldReader, key: string): string {
  const text = r.string(key);
  try {
    dayNumber(text);
  } catch {
    r.fail(key, 'a date YYYY-MM-DD', text);
  }
  return text;
}

/** Reads the `rolling` section (a FieldReader of it). */
export function readRolling(r: FieldReader): RollingSettings {
  const first = date(r, 'first');
  const last = date(r, 'last');
  if (dayNumber(last) <= dayNumber(first)) r.fail('last', `a date after rolling.first = ${first}`, last);
  const settings: RollingSettings = {
    first,
    last,
    fitDays: r.number('fitDays', { integer: true, min: 14 }),
    horizon: r.number('horizon', { integer: true, min: 1 }),
    every: r.number('every', { integer: true, min: 1 }),
    paths: r.number('paths', { integer: true, min: 1 }),
    ensemble: r.has('ensemble') ? r.number('ensemble', { integer: true, min: 1 }) : 1,
    combine: r.has('combine') ? r.choice('combine', ENSEMBLE_COMBINES) : 'median',
    windows: r.numbers('windows'),
  };
  if (!settings.windows.every((w) => Number.isInteger(w) && w >= 0)) r.fail('windows', 'window indices (whole numbers ≥ 0)', settings.windows);
  r.done();
  return settings;
}
