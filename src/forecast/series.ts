// Daily series on ISO calendar dates, for forecasts (src/forecast/): day arithmetic in UTC (no
// time zone or daylight-saving step can shift a day) and the 7-day trailing mean that every
// forecast value, observed or simulated, is reported as (README "Forecasts on real data").

/** A count per calendar day: dates[k] (YYYY-MM-DD) is the day of values[k], consecutive days. */
export interface DailySeries {
  dates: string[];
  values: Float64Array;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of an ISO date (YYYY-MM-DD); an error naming the text for anything else, 2021-02-30 included. */
export function dayNumber(iso: string): number {
  const m = ISO_DATE.exec(iso);
  if (!m) throw new Error(`expected a date YYYY-MM-DD, got ${JSON.stringify(iso)}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new Error(`expected a date YYYY-MM-DD, got ${JSON.stringify(iso)} (no such day)`);
  }
  return ms / DAY_MS;
}

/** The ISO date of a day number (days since 1970-01-01). */
export function isoDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The date `days` after `iso` (before, for a negative count). */
export function addDays(iso: string, days: number): string {
  return isoDate(dayNumber(iso) + days);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function dayOffset(from: string, to: string): number {
  return dayNumber(to) - dayNumber(from);
}

/** `count` consecutive dates from `first`. */
export function dateRange(first: string, count: number): string[] {
  const d0 = dayNumber(first);
  return Array.from({ length: count }, (_, k) => isoDate(d0 + k));
}

/**
 * The trailing mean over `window` days (default 7: the weekly reporting cycle): entry k is the
 * mean of the known values among values[k − window + 1 … k] (NaN marks a day not known, e.g. a
 * day whose cumulative count fell; NaN where none is known). The first window − 1 entries average
 * the days there are (a series that starts mid-week has no earlier days to borrow).
 */
export function trailingMean(values: ArrayLike<number>, window = 7): Float64Array {
  if (!Number.isInteger(window) || window < 1) throw new Error(`trailingMean: window must be a whole number ≥ 1, got ${window}`);
  const out = new Float64Array(values.length);
  let sum = 0;
  let known = 0;
  for (let k = 0; k < values.length; k++) {
    if (!Number.isNaN(values[k])) {
      sum += values[k];
      known++;
    }
    if (k >= window && !Number.isNaN(values[k - window])) {
      sum -= values[k - window];
      known--;
    }
    out[k] = known > 0 ? sum / known : NaN;
  }
  return out;
}

/**
 * The part of a series from `from` to `to` (inclusive); an error when the series does not hold
 * every day of it.
 */
export function sliceDates(series: DailySeries, from: string, to: string): DailySeries {
  const start = dayOffset(series.dates[0], from);
  const end = dayOffset(series.dates[0], to);
  if (start < 0 || end >= series.dates.length || end < start) {
    throw new Error(`the days ${from} to ${to} are not all in the series (${series.dates[0]} to ${series.dates[series.dates.length - 1]})`);
  }
  return { dates: series.dates.slice(start, end + 1), values: series.values.slice(start, end + 1) };
}
