// Confidence intervals for learned mechanics parameters (train --learn … --bootstrap K): the run's
// training is repeated on K resamples of its n training samples (drawn with replacement), each
// replicate with a seed of its own (its own initial populations, noise and network), so that the
// spread of the K estimates counts the data's sampling error and the training's own randomness.
// The interval of a parameter at inverse.level is
//   θ̂ ± t_{n−1, (1+level)/2} · √(n/(n − 1)) · sd*
// with θ̂ the run's own estimate and sd* the standard deviation of the K estimates: the bootstrap
// standard error, corrected for its (n − 1)/n bias and widened by Student's t for the n samples it
// is estimated from. The percentile interval of the estimates is reported beside it; it makes
// neither correction. (Over the 30 recoveries of scripts/recovery.ts --datasets 10, 10 samples each,
// both covered the truth 26 times: 9, 8, 9 and 7, 9, 10 for meeting, El Farol, LQ.)
import { subset, type Dataset } from '../data/dataset.ts';
import { bootstrapSeed, streamOf } from './streams.ts';
import type { RandomStream } from '../random.ts';

export interface BootstrapResult {
  /** replicates that finished (fewer than asked when the run was stopped) */
  replicates: number;
  level: number;
  /** training samples resampled (n; a time series: its independent blocks of days) */
  samples: number;
  /** each learned field's estimate in every replicate */
  estimates: Record<string, number[]>;
  /** each learned field's standard deviation over the replicates (sd*) */
  standardErrors: Record<string, number>;
  /** each learned field's interval [low, high] at `level` (above) */
  intervals: Record<string, [number, number]>;
  /** each learned field's percentile interval of the replicates at `level` */
  percentile: Record<string, [number, number]>;
}

/** The p-quantile of values with linear interpolation between order statistics (NumPy's default). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const r = p * (sorted.length - 1);
  const lo = Math.floor(r);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (r - lo);
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7). */
function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The regularized incomplete beta function I_x(a, b) (continued fraction, modified Lentz). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const front = Math.exp(a * Math.log(x) + b * Math.log(1 - x) - (logGamma(a) + logGamma(b) - logGamma(a + b))) / a;
  const tiny = 1e-300;
  let f = 1;
  let c = 1;
  let d = 0;
  for (let i = 0; i <= 300; i++) {
    const m = i >> 1;
    const numerator = i === 0 ? 1 : i % 2 === 0 ? (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)) : -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + numerator * d;
    d = Math.abs(d) < tiny ? tiny : d;
    d = 1 / d;
    c = 1 + numerator / c;
    c = Math.abs(c) < tiny ? tiny : c;
    const step = c * d;
    f *= step;
    if (Math.abs(1 - step) < 1e-14) break;
  }
  return front * (f - 1);
}

/** Student's t quantile: the t with P[T ≤ t] = p for `df` degrees of freedom (bisection on the CDF). */
export function studentQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) throw new RangeError(`studentQuantile: needs 0 < p < 1 and df > 0, got p = ${p}, df = ${df}`);
  const cdf = (t: number) => {
    const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
    return t >= 0 ? 1 - tail : tail;
  };
  let lo = -1e3;
  let hi = 1e3;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (cdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The indices of one resample of n samples, with replacement. */
export function resample(n: number, rng: { uniform(): number }): number[] {
  return Array.from({ length: n }, () => Math.min(n - 1, Math.floor(rng.uniform() * n)));
}

/**
 * Retrains `total` times, replicate r on a resample of `train` with the seed bootstrapSeed(seed, r)
 * (`fit` trains and returns the learned values: src/run/training.ts), and returns each learned
 * parameter's estimates and intervals at `level` around the run's own `estimate`.
 */
export async function bootstrapLearned(
  train: Dataset,
  seed: number,
  estimate: Record<string, number>,
  opts: { total: number; level: number },
  fit: (resampled: Dataset, seed: number) => Promise<Record<string, number>>,
  hooks: {
    shouldStop?: () => boolean;
    onReplicate?: (r: number, total: number, learned: Record<string, number>) => void;
    /** the game's own resampling (Game.observations.bootstrap: a time series' blocks of days); default: the samples */
    resample?: { units(data: Dataset): number; resample(data: Dataset, rng: RandomStream): Dataset };
  } = {},
): Promise<BootstrapResult> {
  const { total, level } = opts;
  const n = hooks.resample ? hooks.resample.units(train) : train.shape[0];
  const rng = streamOf(seed, 'bootstrap');
  const estimates: Record<string, number[]> = {};
  let replicates = 0;
  for (let r = 1; r <= total; r++) {
    if (hooks.shouldStop?.()) break;
    const resampled = hooks.resample ? hooks.resample.resample(train, rng) : subset(train, resample(n, rng));
    const learned = await fit(resampled, bootstrapSeed(seed, r));
    for (const [field, value] of Object.entries(learned)) (estimates[field] ??= []).push(value);
    replicates = r;
    hooks.onReplicate?.(r, total, learned);
  }
  const fields = Object.keys(estimates);
  const standardErrors: Record<string, number> = {};
  const intervals: Record<string, [number, number]> = {};
  const percentiles: Record<string, [number, number]> = {};
  const t = n > 1 ? studentQuantile((1 + level) / 2, n - 1) * Math.sqrt(n / (n - 1)) : Infinity;
  for (const field of fields) {
    const values = estimates[field];
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = values.length > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)) : 0;
    standardErrors[field] = sd;
    intervals[field] = [estimate[field] - t * sd, estimate[field] + t * sd];
    percentiles[field] = [percentile(values, (1 - level) / 2), percentile(values, (1 + level) / 2)];
  }
  return { replicates, level, samples: n, estimates, standardErrors, intervals, percentile: percentiles };
}
