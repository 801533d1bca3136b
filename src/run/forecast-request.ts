// What `neural-mfg forecast` is asked to do, as a plain, serialisable request (a manifest or a
// queue can hold it), validated once here with errors that name the field: the run layer
// (src/run/forecast.ts) takes only requests that passed.
import { ENSEMBLE_COMBINES, type EnsembleCombine } from '../forecast/forecast.ts';

/** A forecast of a trained epidemic run (README "Forecasts on real data"). */
export interface ForecastRequest {
  /** the training run's folder (or its model/ folder) */
  run: string;
  /**
   * other runs fitted on the same window (another seed): an ensemble, whose noise paths are pooled
   * with the run's (the paths shared out evenly); empty: the run alone
   */
  members: string[];
  /** how the members' forecasts are combined (src/forecast/forecast.ts EnsembleCombine): 'median' of their bands (default) or 'pool' their paths */
  combine: EnsembleCombine;
  /** days forecast after the fitted window */
  days: number;
  /** observations to score against (the upstream file or the generic format); null: the run's own file */
  data: string | null;
  /** the output folder: forecast.csv, baselines.csv, forecast.svg/.png, summary.json */
  out: string;
  /** noise paths behind the bands */
  paths: number;
  /** seed of the paths; null: the run's own */
  seed: number | null;
  /**
   * the paths anchored on the last observed week and widened by the window's dispersion
   * (src/forecast/calibration.ts); false: the model's own noise paths as they are
   */
  calibrate: boolean;
  /** write into a folder that holds another run's results (removed first) */
  force: boolean;
}

export const FORECAST_DEFAULTS = { days: 28, paths: 200 } as const;
/** the longest horizon: a year (the model's noise, not the data, decides the bands beyond a few weeks) */
export const MAX_FORECAST_DAYS = 366;
export const MAX_FORECAST_PATHS = 10_000;

/** A request that cannot run, naming the field (the CLI's one line, status 2). */
export class ForecastRequestError extends Error {}

function wholeNumber(field: string, flag: string, v: unknown, min: number, max: number): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new ForecastRequestError(`${flag} ${typeof v === 'string' ? v : JSON.stringify(v)}: ${field} must be a whole number from ${min} to ${max}`);
  }
  return n;
}

function text(field: string, flag: string, v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') throw new ForecastRequestError(`${flag}: ${field} must be a path, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * The request behind raw fields (parsed JSON, or the CLI's options: numbers may come as text);
 * defaults filled in, every field checked.
 */
export function forecastRequest(raw: Record<string, unknown>): ForecastRequest {
  const known = new Set(['run', 'members', 'combine', 'days', 'data', 'out', 'paths', 'seed', 'calibrate', 'force']);
  for (const k of Object.keys(raw)) if (!known.has(k) && raw[k] !== undefined) throw new ForecastRequestError(`forecast request: unknown field "${k}"`);
  return {
    run: text('the run folder', 'RUN_DIR', raw.run),
    members: members(raw.members),
    combine: raw.combine === undefined ? 'median' : combine(raw.combine),
    days: raw.days === undefined ? FORECAST_DEFAULTS.days : wholeNumber('the horizon in days', '--days', raw.days, 1, MAX_FORECAST_DAYS),
    data: raw.data === undefined || raw.data === null ? null : text('the observations file', '--data', raw.data),
    out: text('the output folder', '--out', raw.out),
    paths: raw.paths === undefined ? FORECAST_DEFAULTS.paths : wholeNumber('the number of noise paths', '--paths', raw.paths, 1, MAX_FORECAST_PATHS),
    seed: raw.seed === undefined || raw.seed === null ? null : wholeNumber('the seed', '--seed', raw.seed, 0, 0xffffffff),
    calibrate: flag('--no-calibration', raw.calibrate, true),
    force: flag('--force', raw.force, false),
  };
}

function combine(v: unknown): EnsembleCombine {
  if (typeof v !== 'string' || !(ENSEMBLE_COMBINES as readonly string[]).includes(v)) throw new ForecastRequestError(`--combine ${String(v)}: expected one of ${ENSEMBLE_COMBINES.join(', ')}`);
  return v as EnsembleCombine;
}

function members(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ForecastRequestError(`MORE_RUNS: expected a list of run folders, got ${JSON.stringify(v)}`);
  return v.map((m) => text('each other run folder', 'MORE_RUNS', m));
}

function flag(name: string, v: unknown, otherwise: boolean): boolean {
  if (v === undefined) return otherwise;
  if (typeof v !== 'boolean') throw new ForecastRequestError(`${name}: expected true or false, got ${JSON.stringify(v)}`);
  return v;
}
