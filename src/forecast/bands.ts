// Forecast bands from many simulated paths: per day, the median and the central 50% and 90%
// intervals of the paths (quantiles 0.25/0.75 and 0.05/0.95, linearly interpolated between order
// statistics: Hyndman and Fan's type 7, the default of R and NumPy).

/** Per day of the horizon: the median and the 50% and 90% central bands. */
export interface Bands {
  median: Float64Array;
  low50: Float64Array;
  high50: Float64Array;
  low90: Float64Array;
  high90: Float64Array;
}

export const BAND_NAMES = ['median', 'low50', 'high50', 'low90', 'high90'] as const;
const LEVELS: Record<(typeof BAND_NAMES)[number], number> = { median: 0.5, low50: 0.25, high50: 0.75, low90: 0.05, high90: 0.95 };

/** The p-quantile (0 ≤ p ≤ 1) of values sorted ascending, interpolated between order statistics (type 7). */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) throw new Error('quantileSorted: no values');
  if (!(p >= 0 && p <= 1)) throw new Error(`quantileSorted: p must be in [0, 1], got ${p}`);
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * The bands of paths[p][k] (path p's value on day k; every path as long as the first). One path
 * gives bands of zero width; a non-finite value is an error (a diverged simulation is not a forecast).
 */
export function bandsOf(paths: ArrayLike<number>[]): Bands {
  if (paths.length === 0) throw new Error('bandsOf: no paths');
  const days = paths[0].length;
  const bands = Object.fromEntries(BAND_NAMES.map((name) => [name, new Float64Array(days)])) as unknown as Bands;
  const column = new Float64Array(paths.length);
  for (let k = 0; k < days; k++) {
    for (let p = 0; p < paths.length; p++) {
      if (paths[p].length !== days) throw new Error(`bandsOf: path ${p} has ${paths[p].length} days, path 0 has ${days}`);
      const v = paths[p][k];
      if (!Number.isFinite(v)) throw new Error(`bandsOf: path ${p} day ${k} is ${v}`);
      column[p] = v;
    }
    column.sort();
    for (const name of BAND_NAMES) bands[name][k] = quantileSorted(column, LEVELS[name]);
  }
  return bands;
}
