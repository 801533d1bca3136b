// Statistics over the seeds of a sweep point: mean, sample standard deviation and the 95%
// confidence interval of the mean from Student's t distribution (a handful of seeds is the usual
// case, where the normal quantile 1.96 would give intervals too narrow).

/** t quantiles q(0.975) for 1..30 degrees of freedom. */
const T_975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08,
  2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** Student's t quantile at 0.975 for `df` degrees of freedom (beyond 30: the Cornish-Fisher expansion). */
export function tQuantile975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new Error(`tQuantile975: degrees of freedom must be a whole number ≥ 1, got ${df}`);
  if (df <= T_975.length) return T_975[df - 1];
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2);
}

export interface SeedStats {
  /** how many values (seeds) */
  n: number;
  mean: number;
  /** sample standard deviation (n − 1); 0 for one value */
  std: number;
  /** half-width of the 95% confidence interval of the mean; null for one value */
  ci95: number | null;
}

/** Mean, spread and 95% confidence interval of the values of one point over its seeds. */
export function seedStats(values: number[]): SeedStats {
  const n = values.length;
  if (n === 0) throw new Error('seedStats: no values');
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { n, mean, std: 0, ci95: null };
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  return { n, mean, std, ci95: (tQuantile975(n - 1) * std) / Math.sqrt(n) };
}
