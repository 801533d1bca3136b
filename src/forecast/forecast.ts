// A forecast put together from its parts, game-independent (README "Forecasts on real data"):
// the observed daily counts, the window, the model's simulated daily counts per path over the
// window and the horizon, and the baselines. Everything is reported as the 7-day trailing mean of
// daily new cases; the paths' means over the horizon include their own last window days.
import { BAND_NAMES, bandsOf, quantileSorted, type Bands } from './bands.ts';
import { fitSir, naiveForecast, sirForecast, type SirFit, type SirSetting } from './baselines.ts';
import { scoreForecast, scorePoint, type ForecastScores, type PointScores } from './scores.ts';
import { dateRange, dayOffset, addDays, trailingMean, type DailySeries } from './series.ts';
import { anchorFactor, anchorTrend, calibratePaths, windowDispersion, type ForecastDispersion } from './calibration.ts';
import type { RandomStream } from '../random.ts';
import type { EnsembleCombine } from './ensemble-names.ts';

/** Draws of 0: the anchor alone, without the dispersion. */
const NO_DRAWS = { normal: () => 0 } as unknown as RandomStream;

/** forecast.csv's header: a public contract (issue #20), read by the dashboard. */
export const FORECAST_HEADER = ['date', 'observed', 'median', 'low50', 'high50', 'low90', 'high90'] as const;

/** The baselines every forecast is scored against, by their column in baselines.csv. */
export const BASELINE_NAMES = ['sir', 'naive', 'no_network'] as const;
export type BaselineName = (typeof BASELINE_NAMES)[number];
export const BASELINE_TITLES: Record<BaselineName, string> = { sir: 'SIR (least squares)', naive: 'naive (last week\'s growth)', no_network: 'game without the network' };

/**
 * Where a forecast starts (calibration.ts): 'trend' the last observed week's level and growth
 * rate (the game gives the change of the growth), 'level' its level alone, 'none' the model's own.
 */
export type Anchor = 'trend' | 'level' | 'none';


/** The bands of each member's paths (consecutive groups of `sizes`), then each band's median over the members. */
function medianOfBands(paths: ArrayLike<number>[], sizes: number[]): Bands {
  if (sizes.reduce((a, b) => a + b, 0) !== paths.length || sizes.some((n) => n < 1)) throw new Error(`ensemble sizes ${sizes.join('+')} do not share out ${paths.length} paths`);
  const members: Bands[] = [];
  let start = 0;
  for (const n of sizes) {
    members.push(bandsOf(paths.slice(start, start + n)));
    start += n;
  }
  const days = paths[0].length;
  const out = Object.fromEntries(BAND_NAMES.map((name) => [name, new Float64Array(days)])) as unknown as Bands;
  const column = new Float64Array(members.length);
  for (const name of BAND_NAMES) {
    for (let k = 0; k < days; k++) {
      members.forEach((b, m) => (column[m] = b[name][k]));
      column.sort();
      out[name][k] = quantileSorted(column, 0.5);
    }
  }
  return out;
}

export interface ForecastInput {
  /** daily new cases, as reported (not smoothed), over at least the window; days after it are held out */
  daily: DailySeries;
  /** the fitted days, inclusive */
  window: { from: string; to: string };
  /** days forecast after the window */
  days: number;
  /** the model's daily new cases per path, over the window and the horizon (window days + days each) */
  paths: ArrayLike<number>[];
  /**
   * an ensemble's paths, member by member: how many of `paths` each member gave, in order (absent:
   * one model), and how the members' forecasts are combined: 'pool' the bands of all their paths
   * together (a mixture), 'median' each band the median over the members of that member's band
   * (the quantile-median ensemble of the COVID-19 Forecast Hubs: one member far off moves it least)
   */
  ensemble?: { sizes: number[]; combine: EnsembleCombine };
  /** the game without the network, one path (its daily new cases over window + horizon), where fitted */
  noNetwork?: ArrayLike<number>;
  /** the SIR baseline's setting (population, removed share when the window starts) */
  sir: SirSetting;
  /**
   * What the forecast adds to the paths (calibration.ts): the anchor on the last observed week's
   * level, and the dispersion fitted on the window drawn from `noise`. Absent: the paths as they are.
   */
  calibration?: { anchor: Anchor; noise: RandomStream | null };
}

export interface Forecast {
  /** the horizon's dates */
  dates: string[];
  /** 7-day mean of the data on each horizon day; NaN after the data ends */
  observed: Float64Array;
  bands: Bands;
  /** the window: its dates, the data's 7-day mean and the model's (median over paths) */
  window: { dates: string[]; observed: Float64Array; fitted: Float64Array };
  /** each baseline's 7-day mean over the horizon */
  baselines: Partial<Record<BaselineName, Float64Array>>;
  /** the baselines' fits over the window */
  baselineFits: Partial<Record<BaselineName, Float64Array>>;
  sirFit: SirFit;
  /** the anchor and the dispersion applied to the paths (and the anchor to the game without the network); null: none */
  calibration: { anchor: Anchor; dispersion: ForecastDispersion | null } | null;
  /** null where no horizon day has data */
  scores: { model: ForecastScores | null; baselines: Partial<Record<BaselineName, PointScores | null>> };
}

/** The 7-day mean of a series of daily counts, by index from the window's first day (earlier data counted where there). */
function smoothedFrom(daily: DailySeries, from: string, count: number): Float64Array {
  const start = dayOffset(daily.dates[0], from);
  const lead = Math.min(6, Math.max(0, start));
  const out = new Float64Array(count).fill(NaN);
  const available = Math.max(0, Math.min(count, daily.values.length - start));
  const means = trailingMean(daily.values.subarray(start - lead, start + available));
  out.set(means.subarray(lead), 0);
  return out;
}

export function buildForecast(input: ForecastInput): Forecast {
  const { daily, window, days } = input;
  const n = dayOffset(window.from, window.to) + 1;
  if (n < 14) throw new Error(`the window ${window.from} to ${window.to} holds ${n} days; a forecast needs at least 14`);
  if (!Number.isInteger(days) || days < 1) throw new Error(`days: expected a whole number ≥ 1, got ${days}`);
  if (dayOffset(daily.dates[0], window.from) < 0 || dayOffset(window.to, daily.dates[daily.dates.length - 1]) < 0) {
    throw new Error(`the window ${window.from} to ${window.to} is not all in the data (${daily.dates[0]} to ${daily.dates[daily.dates.length - 1]})`);
  }
  const all = smoothedFrom(daily, window.from, n + days);
  const observedWindow = all.slice(0, n);
  const observed = all.slice(n);
  const smoothedPaths = input.paths.map((p, i) => {
    if (p.length !== n + days) throw new Error(`path ${i} holds ${p.length} days, expected ${n + days} (window and horizon)`);
    return trailingMean(p);
  });
  const fitted = bandsOf(smoothedPaths.map((p) => p.subarray(0, n))).median;
  let horizon: ArrayLike<number>[] = smoothedPaths.map((p) => p.subarray(n));
  let calibration: Forecast['calibration'] = null;
  const anchored = (full: ArrayLike<number>[], horizonOnly: ArrayLike<number>[], windowFit: ArrayLike<number>): ArrayLike<number>[] => {
    const anchor = input.calibration?.anchor ?? 'none';
    if (anchor === 'trend') return anchorTrend(full, n, observedWindow);
    if (anchor === 'level') return calibratePaths(horizonOnly, anchorFactor(observedWindow, windowFit), { level: 0, growth: 0 }, NO_DRAWS);
    return horizonOnly;
  };
  if (input.calibration) {
    horizon = anchored(smoothedPaths, horizon, fitted);
    const dispersion = input.calibration.noise ? windowDispersion(observedWindow, fitted) : null;
    if (dispersion) horizon = calibratePaths(horizon, 1, dispersion, input.calibration.noise!);
    calibration = { anchor: input.calibration.anchor, dispersion };
  }
  const ensemble = input.ensemble && input.ensemble.sizes.length > 1 ? input.ensemble : null;
  const bands = ensemble?.combine === 'median' ? medianOfBands(horizon, ensemble.sizes) : bandsOf(horizon);

  const sirFit = fitSir(observedWindow, input.sir);
  const baselines: Forecast['baselines'] = { sir: sirForecast(sirFit, input.sir, days), naive: naiveForecast(observedWindow, days) };
  const baselineFits: Forecast['baselineFits'] = { sir: sirFit.fitted };
  if (input.noNetwork) {
    if (input.noNetwork.length !== n + days) throw new Error(`the game without the network holds ${input.noNetwork.length} days, expected ${n + days}`);
    const smooth = trailingMean(input.noNetwork);
    // the same start as the model's (its anchor), without the dispersion: a point forecast
    baselines.no_network = Float64Array.from(anchored([smooth], [smooth.subarray(n)], smooth.subarray(0, n))[0]);
    baselineFits.no_network = smooth.slice(0, n);
  }
  const scores: Forecast['scores'] = { model: scoreForecast(observed, bands), baselines: {} };
  for (const [name, values] of Object.entries(baselines)) scores.baselines[name as BaselineName] = scorePoint(observed, values);
  return {
    dates: dateRange(addDays(window.to, 1), days),
    observed,
    bands,
    window: { dates: dateRange(window.from, n), observed: observedWindow, fitted },
    baselines,
    baselineFits,
    sirFit,
    calibration,
    scores,
  };
}

/** forecast.csv's rows (FORECAST_HEADER): `observed` empty where the data ends. */
export function forecastRows(f: Forecast): (number | string)[][] {
  const b = f.bands;
  return f.dates.map((date, k) => [date, Number.isFinite(f.observed[k]) ? f.observed[k] : '', b.median[k], b.low50[k], b.high50[k], b.low90[k], b.high90[k]]);
}

/** baselines.csv: date, observed, then one column per baseline that ran. */
export function baselineTable(f: Forecast): { header: string[]; rows: (number | string)[][] } {
  const names = BASELINE_NAMES.filter((name) => f.baselines[name]);
  return {
    header: ['date', 'observed', ...names],
    rows: f.dates.map((date, k) => [date, Number.isFinite(f.observed[k]) ? f.observed[k] : '', ...names.map((name) => f.baselines[name]![k])]),
  };
}
