// What the epidemic's observations compare (docs/epidemic.md §5): the daily series a simulated path
// gives (new confirmed cases, new deaths, severe cases), and the loss of those series against an
// observed sample, on the scale of log(1 + 7-day trailing mean) at every day of the window. One
// plan per observed sample (which days each day's trailing mean reads, its target, its weight)
// serves the fused loss here and the autodiff loss (observations.ts), so both compute one rule.
import { CHANNEL, CHANNELS, ROW, ROWS, SERIES, TRAILING_DAYS, UNKNOWN } from './layout.ts';

const fround = Math.fround;

/** The observation constants of a configuration: P, ρ, η and the weight of each series. */
export interface SeriesScale {
  population: number;
  ascertainment: number;
  severeShare: number;
  /** by series (SERIES order: confirmed, fatal, severe) */
  weights: [number, number, number];
}

/**
 * The daily series of one path [saves, ROWS, N] (saves = D + 1): out[d·3 + k] for days d = 1..D and
 * series k (confirmed, fatal, severe); day 0 is left 0. Float32 steps, as the autodiff loss takes them:
 *   confirmed_d = P·ρ·(C̄_d − C̄_{d−1}),  fatal_d = P·(F̄_d − F̄_{d−1}),  severe_d = P·η·Ī_d
 * with C̄, F̄, Ī the cohort means of the infections, fatal and infected rows.
 */
export function pathSeries(path: ArrayLike<number>, saves: number, cohorts: number, scale: SeriesScale, out = new Float64Array(saves * 3)): Float64Array {
  const size = ROWS * cohorts;
  const mean = (s: number, row: number) => {
    let sum = 0;
    for (let j = 0; j < cohorts; j++) sum = fround(sum + path[s * size + row * cohorts + j]);
    return fround(sum / cohorts);
  };
  const confirmedScale = fround(scale.population * scale.ascertainment);
  const fatalScale = fround(scale.population);
  const severeScale = fround(scale.population * scale.severeShare);
  let infections = mean(0, ROW.infections);
  let fatal = mean(0, ROW.fatal);
  out.fill(0, 0, 3);
  for (let d = 1; d < saves; d++) {
    const c = mean(d, ROW.infections);
    const f = mean(d, ROW.fatal);
    out[d * 3] = fround(confirmedScale * fround(c - infections));
    out[d * 3 + 1] = fround(fatalScale * fround(f - fatal));
    out[d * 3 + 2] = fround(severeScale * mean(d, ROW.infected));
    infections = c;
    fatal = f;
  }
  return out;
}

/** The gradient of a loss in the series [saves·3] back onto the path [saves, ROWS, N] (added into `grad`). */
export function pathSeriesVjp(gSeries: Float64Array, saves: number, cohorts: number, scale: SeriesScale, grad: Float64Array, offset: number): void {
  const size = ROWS * cohorts;
  const confirmedScale = fround(scale.population * scale.ascertainment);
  const fatalScale = fround(scale.population);
  const severeScale = fround(scale.population * scale.severeShare);
  for (let d = 1; d < saves; d++) {
    const gc = (gSeries[d * 3] * confirmedScale) / cohorts;
    const gf = (gSeries[d * 3 + 1] * fatalScale) / cohorts;
    const gi = (gSeries[d * 3 + 2] * severeScale) / cohorts;
    for (let j = 0; j < cohorts; j++) {
      grad[offset + d * size + ROW.infections * cohorts + j] += gc;
      grad[offset + (d - 1) * size + ROW.infections * cohorts + j] -= gc;
      grad[offset + d * size + ROW.fatal * cohorts + j] += gf;
      grad[offset + (d - 1) * size + ROW.fatal * cohorts + j] -= gf;
      grad[offset + d * size + ROW.infected * cohorts + j] += gi;
    }
  }
}

/** One day's term of the loss: series k's trailing mean on day `day` over the known `days`, against `target`. */
export interface LossTerm {
  /** index into SERIES (0 confirmed, 1 fatal, 2 severe) */
  series: number;
  day: number;
  /** the days (≤ day, within the window) whose counts are known: the trailing mean reads these */
  days: number[];
  /** log(1 + the observed trailing mean) */
  target: number;
  /** the day's weight × the series' weight, over the sample's total (the terms' weights sum to 1) */
  weight: number;
}

/**
 * The loss terms of one observed sample [saves, CHANNELS]: for every day d = 1..D and fitted series,
 * the trailing mean over the known days among d−6..d (none known: no term), weighted by the day's
 * weight and the series' weight, normalised to sum to 1.
 */
export function lossPlan(sample: ArrayLike<number>, saves: number, weights: readonly number[]): LossTerm[] {
  const terms: LossTerm[] = [];
  let total = 0;
  SERIES.forEach((channel, k) => {
    if (!(weights[k] > 0)) return;
    for (let d = 1; d < saves; d++) {
      const dayWeight = sample[d * CHANNELS + CHANNEL.weight];
      if (!(dayWeight > 0)) continue;
      const days: number[] = [];
      let sum = 0;
      for (let e = Math.max(1, d - TRAILING_DAYS + 1); e <= d; e++) {
        const v = sample[e * CHANNELS + channel];
        if (v === UNKNOWN || !(v >= 0)) continue;
        days.push(e);
        sum += v;
      }
      if (days.length === 0) continue;
      const w = weights[k] * dayWeight;
      terms.push({ series: k, day: d, days, target: Math.log1p(sum / days.length), weight: w });
      total += w;
    }
  });
  for (const t of terms) t.weight /= total;
  return terms;
}

/**
 * The loss of n paths [n, saves, ROWS, N] against a batch of samples [batch, saves, CHANNELS]: the
 * mean over every (path, sample) pair of Σ_terms weight·(log(1 + m_sim) − target)², m_sim the
 * simulated trailing mean over the term's days (clipped at 0). With `grad`: ∂L/∂paths into it.
 */
export function seriesLoss(
  pred: Float32Array,
  n: number,
  observations: Float32Array,
  batch: number,
  saves: number,
  cohorts: number,
  scale: SeriesScale,
  grad: Float64Array | null,
): number {
  const per = saves * CHANNELS;
  const plans = Array.from({ length: batch }, (_, b) => lossPlan(observations.subarray(b * per, (b + 1) * per), saves, scale.weights));
  const size = saves * ROWS * cohorts;
  const series = new Float64Array(saves * 3);
  const gSeries = grad ? new Float64Array(saves * 3) : null;
  const pairs = n * batch;
  let loss = 0;
  for (let r = 0; r < n; r++) {
    pathSeries(pred.subarray(r * size, (r + 1) * size), saves, cohorts, scale, series);
    gSeries?.fill(0);
    for (const plan of plans) {
      for (const t of plan) {
        let sum = 0;
        for (const d of t.days) sum += series[d * 3 + t.series];
        const m = sum / t.days.length;
        const e = Math.log1p(Math.max(m, 0)) - t.target;
        loss += t.weight * e * e;
        if (gSeries && m > 0) {
          const g = (2 * t.weight * e) / (1 + m) / t.days.length / pairs;
          for (const d of t.days) gSeries[d * 3 + t.series] += g;
        }
      }
    }
    if (grad && gSeries) pathSeriesVjp(gSeries, saves, cohorts, scale, grad, r * size);
  }
  return loss / pairs;
}
