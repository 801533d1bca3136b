// The epidemic game's configuration (docs/epidemic.md §2-§6), validated once here. The time grid
// follows the fitted window: t runs in days from the window's eve (t = 0) to its last day (t = D),
// with one save a day, so that save k is the end of day k of the window.
import { FieldReader, readCommonConfig, type ExperimentConfig } from '../../src/config.ts';
import { dayOf, daysBetween } from './dates.ts';
import { readRolling, type RollingSettings } from './rolling.ts';
import { PERCEPTIONS, type PerceptionKind } from './perception.ts';

export interface EpidemicMechanics {
  /** β: infections per day per infectious contact at contact level 1 */
  transmission: number;
  /** γ: recoveries per infected per day (1/γ: the infectious period, days) */
  recovery: number;
  /** δ: deaths per infected per day */
  fatality: number;
  /** w: the cost of the risk of infection, per unit of β·x·Λ with Λ per thousand */
  infectionCost: number;
  /** κ: the cost of cutting contact (per day): (κ/2)(x̄ − x)² */
  contactCost: number;
  /** x̄: the contact level before the pandemic */
  normalContact: number;
  /** how the cost reads the force of infection (perception.ts): per thousand ('linear') or its log relative to the window's start ('log') */
  perception: PerceptionKind;
}

export interface EpidemicInitial {
  /** 'data': infected, recovered and fatal shares estimated from the days before the window (docs/epidemic.md §4); 'given': as below */
  source: 'data' | 'given';
  /** the cohorts' contact levels spread evenly over [mean − spread, mean + spread] */
  contactMean: number;
  contactSpread: number;
  /** shares of each cohort at t = 0 (the susceptible share is the rest) */
  infected: number;
  recovered: number;
  fatal: number;
}

/** The generator of synthetic observations (`generate` without --from-dynamics): one smooth wave. */
export interface WaveSpec {
  /** daily confirmed cases far from the peak */
  baseline: number;
  /** daily confirmed cases added at the peak */
  peak: number;
  /** the peak's day of the window (1..D) */
  peakDay: number;
  /** its width (standard deviation, days) */
  width: number;
  /** the standard deviation of the log-normal noise on each day's count */
  noise: number;
}

export interface EpidemicData {
  /** the location class of the upstream Japanese file (Domestic, Airport, Returnee), or of a generic file's location column */
  location: string;
  /** the fitted window, inclusive: ISO dates YYYY-MM-DD */
  from: string;
  to: string;
  /** people in the population (a generic file's population column replaces it) */
  population: number;
  /** ρ: the share of infections that are confirmed */
  ascertainment: number;
  /** η: the share of the infected counted as severe on a day */
  severeShare: number;
  /** the weight of each series in the loss (0: not fitted) */
  weights: { confirmed: number; fatal: number; severe: number };
  /** the file under the package's folder that `train` reads when given no --data ('' : generate the wave) */
  bundled: string;
  wave: WaveSpec;
}

export interface EpidemicConfig extends ExperimentConfig {
  mechanics: EpidemicMechanics;
  initial: EpidemicInitial;
  data: EpidemicData;
  /** the rolling-origin evaluation (analyze epidemic --preset japan-rolling; rolling.ts), where set */
  rolling?: RollingSettings;
}

/** The days of the configuration's window. */
export function windowDays(config: EpidemicConfig): number {
  return daysBetween(config.data.from, config.data.to);
}

/** A date field: an ISO date YYYY-MM-DD. */
function readDate(r: FieldReader, key: string): string {
  const text = r.string(key);
  if (dayOf(text) === null) r.fail(key, 'a date YYYY-MM-DD', text);
  return text;
}

/**
 * The raw configuration with its time grid following the window (t0 = 0, t1 = D, saveAt 0..D),
 * whatever the time section held: a window of another length (--from/--to) moves the grid with it.
 */
function windowTime(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null) return raw;
  const { data, time } = raw as { data?: { from?: unknown; to?: unknown }; time?: unknown };
  const from = typeof data?.from === 'string' ? dayOf(data.from) : null;
  const to = typeof data?.to === 'string' ? dayOf(data.to) : null;
  if (from === null || to === null || to < from || typeof time !== 'object' || time === null) return raw;
  const days = to - from + 1;
  return { ...raw, time: { ...time, t0: 0, t1: days, saveAt: Array.from({ length: days + 1 }, (_, k) => k) } };
}

export function parseEpidemicConfig(raw: unknown): EpidemicConfig {
  const root = new FieldReader(windowTime(raw), '');
  const common = readCommonConfig(root);
  if (common.game !== 'epidemic') root.fail('game', '"epidemic"', common.game);

  const mr = root.section('mechanics');
  const mechanics: EpidemicMechanics = {
    transmission: mr.number('transmission', { min: 0 }),
    recovery: mr.number('recovery', { min: 0 }),
    fatality: mr.number('fatality', { min: 0 }),
    infectionCost: mr.number('infectionCost', { min: 0 }),
    contactCost: mr.number('contactCost', { min: 0 }),
    normalContact: mr.number('normalContact', { min: 0 }),
    // presets written before the log reading have none: the cost as it was
    perception: mr.has('perception') ? mr.choice('perception', PERCEPTIONS) : 'linear',
  };
  mr.done();

  const ir = root.section('initial');
  const initial: EpidemicInitial = {
    source: ir.choice('source', ['data', 'given'] as const),
    contactMean: ir.number('contactMean', { min: 0 }),
    contactSpread: ir.number('contactSpread', { min: 0 }),
    infected: ir.number('infected', { min: 0, max: 1 }),
    recovered: ir.number('recovered', { min: 0, max: 1 }),
    fatal: ir.number('fatal', { min: 0, max: 1 }),
  };
  if (initial.infected + initial.recovered + initial.fatal > 1) ir.fail('infected', 'shares infected + recovered + fatal ≤ 1', initial.infected);
  ir.done();

  const dr = root.section('data');
  const location = dr.string('location');
  const from = readDate(dr, 'from');
  const to = readDate(dr, 'to');
  if (dayOf(to)! < dayOf(from)!) dr.fail('to', `a date on or after data.from = ${from}`, to);
  const population = dr.number('population', { positive: true });
  const ascertainment = dr.number('ascertainment', { positive: true, max: 1 });
  const severeShare = dr.number('severeShare', { min: 0, max: 1 });
  const wr = dr.section('weights');
  const weights = { confirmed: wr.number('confirmed', { min: 0 }), fatal: wr.number('fatal', { min: 0 }), severe: wr.number('severe', { min: 0 }) };
  if (weights.confirmed + weights.fatal + weights.severe <= 0) wr.fail('confirmed', 'weights that are not all 0 (something must be fitted)', weights.confirmed);
  wr.done();
  const bundled = dr.string('bundled');
  const vr = dr.section('wave');
  const wave: WaveSpec = {
    baseline: vr.number('baseline', { min: 0 }),
    peak: vr.number('peak', { min: 0 }),
    peakDay: vr.number('peakDay'),
    width: vr.number('width', { positive: true }),
    noise: vr.number('noise', { min: 0 }),
  };
  vr.done();
  dr.done();
  const rolling = root.has('rolling') ? readRolling(root.section('rolling')) : undefined;
  root.done();
  if (common.agents < 1) root.fail('agents', 'at least one cohort', common.agents);
  return {
    ...common,
    mechanics,
    initial,
    data: { location, from, to, population, ascertainment, severeShare, weights, bundled, wave },
    ...(rolling ? { rolling } : {}),
  };
}
