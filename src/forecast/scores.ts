// How good a forecast was, on the days the data covers (README "Forecasts on real data"): the
// mean absolute log10 error (MALE) of the median, the error of the peak's date and height, and how
// often the observed value fell inside the 50% and 90% bands. Observed and forecast values are
// 7-day trailing means of daily new confirmed cases.
import type { Bands } from './bands.ts';

/** The scores of a point forecast (a median, or a baseline) over the covered days. */
export interface PointScores {
  /** held-out days with an observed value */
  days: number;
  /** mean over those days of |log10(1 + forecast) − log10(1 + observed)| (the 1 keeps a day of 0 finite) */
  male: number;
  /** (day of the forecast's highest value) − (day of the observed highest value), in days; > 0: peaks late */
  peakDateError: number;
  /** (forecast peak − observed peak) / observed peak; NaN-free: 0 where both peaks are 0 */
  peakHeightError: number;
  /** forecast peak and observed peak, in cases a day */
  forecastPeak: number;
  observedPeak: number;
}

/** The scores of a forecast with bands. */
export interface ForecastScores extends PointScores {
  /** share of the covered days whose observed value lies in [low50, high50] */
  coverage50: number;
  /** share in [low90, high90] */
  coverage90: number;
}

/** The first index of the largest value among `days`. */
function argmax(values: ArrayLike<number>, days: number[]): number {
  let best = days[0];
  for (const k of days) if (values[k] > values[best]) best = k;
  return best;
}

/** The days (indices) where the observation is a number; NaN marks a day the data does not cover. */
export function coveredDays(observed: ArrayLike<number>): number[] {
  const days: number[] = [];
  for (let k = 0; k < observed.length; k++) if (Number.isFinite(observed[k])) days.push(k);
  return days;
}

/**
 * Scores of a point forecast against the observations (NaN where not observed, the same length);
 * null when no day is covered.
 */
export function scorePoint(observed: ArrayLike<number>, forecast: ArrayLike<number>): PointScores | null {
  if (observed.length !== forecast.length) throw new Error(`scorePoint: ${observed.length} observed days, ${forecast.length} forecast days`);
  const days = coveredDays(observed);
  if (days.length === 0) return null;
  let sum = 0;
  for (const k of days) {
    if (!(forecast[k] >= 0)) throw new Error(`scorePoint: forecast day ${k} is ${forecast[k]} (cases a day are ≥ 0)`);
    sum += Math.abs(Math.log10(1 + forecast[k]) - Math.log10(1 + observed[k]));
  }
  const kf = argmax(forecast, days);
  const ko = argmax(observed, days);
  const forecastPeak = forecast[kf];
  const observedPeak = observed[ko];
  return {
    days: days.length,
    male: sum / days.length,
    peakDateError: kf - ko,
    peakHeightError: observedPeak === 0 ? (forecastPeak === 0 ? 0 : Infinity) : (forecastPeak - observedPeak) / observedPeak,
    forecastPeak,
    observedPeak,
  };
}

/** Share of the covered days whose observation lies in [low, high]. */
export function coverage(observed: ArrayLike<number>, low: ArrayLike<number>, high: ArrayLike<number>): number {
  const days = coveredDays(observed);
  if (days.length === 0) return NaN;
  let inside = 0;
  for (const k of days) if (observed[k] >= low[k] && observed[k] <= high[k]) inside++;
  return inside / days.length;
}

/** The scores of a forecast with its bands (its median is the point forecast); null when no day is covered. */
export function scoreForecast(observed: ArrayLike<number>, bands: Bands): ForecastScores | null {
  const point = scorePoint(observed, bands.median);
  if (!point) return null;
  return { ...point, coverage50: coverage(observed, bands.low50, bands.high50), coverage90: coverage(observed, bands.low90, bands.high90) };
}
