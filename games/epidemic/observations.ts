// The epidemic's observation model (docs/epidemic.md §5-§6): time series read from a file as it is
// (records.ts, window.ts), written in the generic long format, generated (a smooth wave, or the
// game's own dynamics), compared with simulated paths at every day by the trailing-mean log loss
// (series.ts), resampled in blocks of days for the bootstrap, and turned into the initial
// compartments of a fit.
import { join } from 'node:path';
import { tf, type Scalar, type Tensor } from '../../src/tf.ts';
import type { Dataset, ObservationModel } from '../../src/game.ts';
import type { RandomStream } from '../../src/random.ts';
import { writeCsv } from '../../src/data/csv.ts';
import { PACKAGE_ROOT } from '../../src/package.ts';
import type { EpidemicConfig } from './config.ts';
import { windowDays } from './config.ts';
import { dateOf, dayOf } from './dates.ts';
import { CHANNEL, CHANNELS, ROW, ROWS, TRAILING_DAYS, UNKNOWN } from './layout.ts';
import { row } from './mechanics.ts';
import { GENERIC_COLUMNS, readRecords } from './records.ts';
import { lossPlan, pathSeries } from './series.ts';
import { median } from '../../src/data/stats.ts';
import { seriesScale } from './kernels.ts';
import { windowSample, type WindowAbout, type WindowStart } from './window.ts';

/** The window's dates and population, for datasets this game makes itself (generated, simulated). */
function madeAbout(config: EpidemicConfig, how: string): Record<string, unknown> {
  return { from: config.data.from, to: config.data.to, days: windowDays(config), population: config.data.population, made: how };
}

/** docs/epidemic.md §6: the generator of `generate` (no --from-dynamics): one smooth wave with log-normal noise. */
function wave(config: EpidemicConfig, rng: RandomStream, samples: number): Dataset {
  const { baseline, peak, peakDay, width, noise } = config.data.wave;
  const days = windowDays(config);
  const per = (days + 1) * CHANNELS;
  const values = new Float64Array(samples * per);
  for (let s = 0; s < samples; s++) {
    const o = s * per;
    values.set([0, UNKNOWN, UNKNOWN, 0], o);
    for (let d = 1; d <= days; d++) {
      const expected = baseline + peak * Math.exp(-0.5 * ((d - peakDay) / width) ** 2);
      const at = o + d * CHANNELS;
      values[at + CHANNEL.confirmed] = Math.round(expected * Math.exp(noise * rng.normal()));
      values[at + CHANNEL.fatal] = UNKNOWN;
      values[at + CHANNEL.severe] = UNKNOWN;
      values[at + CHANNEL.weight] = 1;
    }
  }
  return { values, shape: [samples, days + 1, CHANNELS], labels: Array.from({ length: samples }, (_, s) => String(s)), about: madeAbout(config, 'wave') };
}

/** generate --from-dynamics: each simulated path [saves, ROWS, N] observed as the data would be (no noise). */
function fromPaths(paths: ArrayLike<number>[], config: EpidemicConfig): Dataset {
  const saves = config.time.saveAt.length;
  const N = config.agents;
  const scale = seriesScale(config);
  const per = saves * CHANNELS;
  const values = new Float64Array(paths.length * per);
  const series = new Float64Array(saves * 3);
  paths.forEach((path, p) => {
    pathSeries(path, saves, N, scale, series);
    const o = p * per;
    // the eve (save 0): no confirmed case counted yet, the deaths and severe cases there are
    let fatal = 0;
    let infected = 0;
    for (let j = 0; j < N; j++) {
      fatal += path[ROW.fatal * N + j];
      infected += path[ROW.infected * N + j];
    }
    values.set([0, (config.data.population * fatal) / N, (config.data.population * config.data.severeShare * infected) / N, 0], o);
    for (let d = 1; d < saves; d++) values.set([series[d * 3], series[d * 3 + 1], series[d * 3 + 2], 1], o + d * CHANNELS);
  });
  return { values, shape: [paths.length, saves, CHANNELS], labels: paths.map((_, p) => String(p)), about: madeAbout(config, 'dynamics') };
}

/**
 * The generic long format (docs/epidemic.md §6): date, cumulative confirmed and fatal, severe on
 * the day, population; the eve's row first. Several samples get a location column of their labels.
 */
async function writeSeries(file: string, data: Dataset): Promise<void> {
  const about = (data.about ?? {}) as Partial<WindowAbout> & { population?: number | null };
  const start = typeof about.from === 'string' ? dayOf(about.from) : null;
  if (start === null) throw new Error(`writing ${file}: the epidemic series has no dates (Dataset.about.from)`);
  const [samples, saves] = data.shape;
  const v = data.values;
  const column = (channel: number) => {
    for (let s = 0; s < samples; s++) for (let d = 0; d < saves; d++) if (v[(s * saves + d) * CHANNELS + channel] !== UNKNOWN) return true;
    return false;
  };
  const hasFatal = column(CHANNEL.fatal);
  const hasSevere = column(CHANNEL.severe);
  const population = typeof about.population === 'number' ? about.population : null;
  const C = GENERIC_COLUMNS;
  const header = [C.date, ...(samples > 1 ? [C.location] : []), C.confirmed, ...(hasFatal ? [C.fatal] : []), ...(hasSevere ? [C.severe] : []), ...(population ? [C.population] : [])];
  function* rows(): Generator<(number | string)[]> {
    for (let s = 0; s < samples; s++) {
      let confirmed = 0;
      let fatal = 0;
      for (let d = 0; d < saves; d++) {
        const o = (s * saves + d) * CHANNELS;
        const c = v[o + CHANNEL.confirmed];
        const f = v[o + CHANNEL.fatal];
        // row 0 holds the cumulative counts at the eve; the days add their new counts (an unknown day: an empty cell)
        confirmed = d === 0 ? Math.max(c, 0) : confirmed + Math.max(c, 0);
        fatal = d === 0 ? Math.max(f, 0) : fatal + Math.max(f, 0);
        const sev = v[o + CHANNEL.severe];
        yield [
          dateOf(start! - 1 + d),
          ...(samples > 1 ? [data.labels[s]] : []),
          c === UNKNOWN ? '' : confirmed,
          ...(hasFatal ? [f === UNKNOWN ? '' : fatal] : []),
          ...(hasSevere ? [sev === UNKNOWN ? '' : sev] : []),
          ...(population ? [population] : []),
        ];
      }
    }
  }
  await writeCsv(file, header, rows(), { digits: 12 });
}

/**
 * docs/epidemic.md §5, the reference (autodiff) loss: for paths [K, saves, ROWS, N] and samples
 * [B, saves, CHANNELS], the mean over the K·B pairs of Σ_terms weight·(log(1 + relu(m_sim)) − target)²,
 * each term's trailing mean a row of a constant averaging matrix (series.ts plans the terms).
 */
function lossTensor(paths: Tensor, observations: Tensor, config: EpidemicConfig): Scalar {
  return tf.tidy(() => {
    const [K, saves] = paths.shape;
    const N = config.agents;
    const D = saves - 1;
    const scale = seriesScale(config);
    const flat = tf.reshape(paths, [K * saves, ROWS, N]);
    const mean = (r: number) => tf.reshape(tf.mean(row(flat, r), [1, 2]), [K, saves]);
    const later = (m: Tensor) => tf.slice(m, [0, 1], [K, D]);
    const earlier = (m: Tensor) => tf.slice(m, [0, 0], [K, D]);
    const infections = mean(ROW.infections);
    const fatal = mean(ROW.fatal);
    const series = [
      tf.mul(scale.population * scale.ascertainment, tf.sub(later(infections), earlier(infections))),
      tf.mul(scale.population, tf.sub(later(fatal), earlier(fatal))),
      tf.mul(scale.population * scale.severeShare, later(mean(ROW.infected))),
    ]; // [K, D] each, day d at column d − 1
    const obs = observations.dataSync();
    const B = observations.shape[0];
    const per = saves * CHANNELS;
    const parts: Tensor[] = [];
    for (let b = 0; b < B; b++) {
      const plan = lossPlan(obs.subarray(b * per, (b + 1) * per), saves, scale.weights);
      for (let k = 0; k < 3; k++) {
        const terms = plan.filter((t) => t.series === k);
        if (terms.length === 0) continue;
        const average = new Float32Array(D * D);
        const target = new Float32Array(D);
        const weight = new Float32Array(D);
        for (const t of terms) {
          for (const d of t.days) average[(t.day - 1) * D + (d - 1)] = 1 / t.days.length;
          target[t.day - 1] = t.target;
          weight[t.day - 1] = t.weight;
        }
        const trailing = tf.matMul(series[k], tf.tensor2d(average, [D, D]), false, true); // [K, D]
        const error = tf.sub(tf.log1p(tf.relu(trailing)), tf.tensor1d(target));
        parts.push(tf.sum(tf.mul(tf.tensor1d(weight), tf.square(error))));
      }
    }
    return tf.div(tf.addN(parts), K * B) as Scalar;
  });
}

/** The trailing 7-day means of a daily series (days 1..D; the first days over the days there are), NaN-free days only. */
function trailingMeans(values: ArrayLike<number>, days: number, known: (d: number) => boolean): (number | null)[] {
  const out: (number | null)[] = [];
  for (let d = 1; d <= days; d++) {
    let sum = 0;
    let n = 0;
    for (let e = Math.max(1, d - TRAILING_DAYS + 1); e <= d; e++) {
      if (!known(e)) continue;
      sum += values[e];
      n++;
    }
    out.push(n > 0 ? sum / n : null);
  }
  return out;
}

/** docs/epidemic.md §4: the infected, recovered and fatal shares at the window's start from the days before it. */
export function startShares(start: WindowStart, config: EpidemicConfig): { infected: number; recovered: number; fatal: number } {
  const { population, ascertainment } = config.data;
  const { recovery, fatality } = config.mechanics;
  // the cases confirmed a days before the eve are still infected with probability e^{−(γ+δ)(a + ½)}
  let infected = 0;
  start.recent.forEach((count, k) => {
    const age = start.recent.length - 1 - k;
    if (count !== null) infected += count * Math.exp(-(recovery + fatality) * (age + 0.5));
  });
  infected /= ascertainment * population;
  const fatal = (start.fatal ?? 0) / population;
  const ever = start.confirmed !== null ? start.confirmed / (ascertainment * population) : infected;
  const recovered = Math.max(0, ever - infected - fatal);
  // keep a susceptible share: a file whose counts pass the population is not a reason to divide by 0
  const total = infected + recovered + fatal;
  const room = total > 0.999 ? 0.999 / total : 1;
  return { infected: infected * room, recovered: recovered * room, fatal: fatal * room };
}

/** The days' weights of one moving-block bootstrap resample of D days: blocks of 7 days, ⌈D/7⌉ of them. */
export function blockWeights(days: number, rng: RandomStream): Float64Array {
  const block = Math.min(TRAILING_DAYS, days);
  const weights = new Float64Array(days + 1);
  const blocks = Math.ceil(days / block);
  for (let b = 0; b < blocks; b++) {
    const first = 1 + Math.min(days - block, Math.floor(rng.uniform() * (days - block + 1)));
    for (let d = first; d < first + block; d++) weights[d] += 1;
  }
  return weights;
}

/** docs/epidemic.md §9: the series of a path and of a sample, by name, and the date of each save time. */
const SERIES_NAMES = ['confirmed', 'fatal', 'severe'] as const;

function timeSeriesOf(values: (d: number, k: number) => number | null, saves: number) {
  return Object.fromEntries(SERIES_NAMES.map((name, k) => [name, Array.from({ length: saves }, (_, d) => (d === 0 ? null : values(d, k)))]));
}

export const epidemicObservations: ObservationModel<EpidemicConfig> = {
  csvHeader: [GENERIC_COLUMNS.date, GENERIC_COLUMNS.confirmed, GENERIC_COLUMNS.fatal, GENERIC_COLUMNS.severe, GENERIC_COLUMNS.population],
  observes: 'trajectory',
  async read(file, config) {
    return windowSample(await readRecords(file, config.data.location), config);
  },
  write: writeSeries,
  generate: wave,
  fromStates: (paths, config) => fromPaths(paths, config),
  loss: lossTensor,
  // what `generate` summarises: the known daily new confirmed cases of every sample
  comparableValues(data) {
    const [samples, saves] = data.shape;
    const out: number[] = [];
    for (let s = 0; s < samples; s++) {
      for (let d = 1; d < saves; d++) {
        const v = data.values[(s * saves + d) * CHANNELS + CHANNEL.confirmed];
        if (v !== UNKNOWN) out.push(v);
      }
    }
    return out;
  },
  configureFrom(data, config) {
    const about = data.about as Partial<WindowAbout> | undefined;
    if (!about?.start) return config;
    const next = structuredClone(config);
    // a generic file's own population replaces the configuration's
    if (typeof about.population === 'number') next.data.population = about.population;
    if (next.initial.source === 'data') Object.assign(next.initial, startShares(about.start, next));
    return next;
  },
  defaultFile: (config) => (config.data.bundled ? join(PACKAGE_ROOT, config.data.bundled) : null),
  bootstrap: {
    units: (data) => Math.max(2, Math.ceil((data.shape[1] - 1) / TRAILING_DAYS)),
    resample(data, rng) {
      const [samples, saves] = data.shape;
      const values = Float64Array.from(data.values);
      for (let s = 0; s < samples; s++) {
        const weights = blockWeights(saves - 1, rng);
        for (let d = 1; d < saves; d++) values[(s * saves + d) * CHANNELS + CHANNEL.weight] *= weights[d];
      }
      return { ...data, values };
    },
  },
  timeSeries: {
    names: [...SERIES_NAMES],
    date: (config, k) => dateOf(dayOf(config.data.from)! - 1 + k),
    simulated(path, saves, config) {
      const series = pathSeries(path, saves, config.agents, seriesScale(config));
      return Object.fromEntries(SERIES_NAMES.map((name, k) => [name, Float64Array.from({ length: saves }, (_, d) => (d === 0 ? NaN : series[d * 3 + k]))]));
    },
    observed(data, index, config) {
      const saves = data.shape[1];
      if (saves !== config.time.saveAt.length) throw new Error(`an epidemic sample of ${saves - 1} days against a window of ${config.time.saveAt.length - 1}`);
      const o = index * saves * CHANNELS;
      const channels = [CHANNEL.confirmed, CHANNEL.fatal, CHANNEL.severe];
      return timeSeriesOf((d, k) => {
        const v = data.values[o + d * CHANNELS + channels[k]];
        return v === UNKNOWN ? null : v;
      }, saves);
    },
  },
  metrics(paths, data, config) {
    const saves = config.time.saveAt.length;
    const D = saves - 1;
    const scale = seriesScale(config);
    const obs = data.values; // the first sample: the fitted window
    const known = (d: number) => obs[d * CHANNELS + CHANNEL.confirmed] !== UNKNOWN;
    const observed = trailingMeans(Array.from({ length: saves }, (_, d) => obs[d * CHANNELS + CHANNEL.confirmed]), D, known);
    const series = new Float64Array(saves * 3);
    const simulated = paths.map((path) => {
      pathSeries(path, saves, config.agents, scale, series);
      return trailingMeans(Array.from({ length: saves }, (_, d) => series[d * 3]), D, () => true).map((m) => m ?? 0);
    });
    const fitted = Array.from({ length: D }, (_, d) => median(simulated.map((s) => s[d])));
    let absLog10 = 0;
    let squares = 0;
    let n = 0;
    fitted.forEach((f, d) => {
      const o = observed[d];
      if (o === null || !(o > 0) || !(f > 0)) return;
      absLog10 += Math.abs(Math.log10(f) - Math.log10(o));
      squares += (Math.log1p(f) - Math.log1p(o)) ** 2;
      n++;
    });
    return {
      // docs/epidemic.md §9: the fit over the window, on the 7-day trailing means of new confirmed cases
      fitMale: n > 0 ? absLog10 / n : NaN,
      fitLogRmse: n > 0 ? Math.sqrt(squares / n) : NaN,
      fittedMean7: fitted,
      observedMean7: observed.map((o) => o ?? NaN),
      days: D,
      paths: paths.length,
    };
  },
};
