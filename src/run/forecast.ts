// `neural-mfg forecast`'s run layer (README "Forecasts on real data"): a trained time-series run
// (the epidemic) projected past its window over many noise paths (projection.ts), its bands and
// scores against the data's later days, and the baselines fitted on the same window: a SIR by
// least squares, the naive growth, and the game without the network (trained here, in
// OUT/no-network/). Writes forecast.csv, baselines.csv, forecast.svg/.png and summary.json. A
// forecast request (requests.ts) runs through runForecast; a time-series analysis fits and
// forecasts its windows through fitAndForecast (AnalysisInput.fitAndForecast, analysis.ts).
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExperimentConfig } from '../config.ts';
import type { FittedForecast, ForecastAsk, Game, SeriesHistory } from '../game.ts';
import { writeCsv } from '../data/csv.ts';
import { writeJsonAtomic } from '../io/atomic.ts';
import { withOverrides } from '../config-fields.ts';
import { DEFAULT_BACKEND } from '../backend.ts';
import { writeFigure } from '../plot/files.ts';
import { forecastFigure } from '../plot/forecast.ts';
import { bandsOf } from '../forecast/bands.ts';
import { dateRange, dayOffset, type DailySeries } from '../forecast/series.ts';
import type { EnsembleCombine } from '../forecast/ensemble-names.ts';
import { BASELINE_NAMES, BASELINE_TITLES, baselineTable, buildForecast, FORECAST_HEADER, forecastRows, type Forecast } from '../forecast/forecast.ts';
import type { ForecastScores, PointScores } from '../forecast/scores.ts';
import { DivergenceError } from '../train/loop.ts';
import { FORECAST_DEFAULTS, RequestError, type ForecastRequest } from './requests.ts';
import { inspectModel, modelFolder } from './models.ts';
import { projectRun, type Projection } from './projection.ts';
import { chooseEngine, type EngineChoice } from './engine.ts';
import type { Experiment } from './experiment.ts';
import { saveTrainedRun, trainSteadily } from './training.ts';
import { inverseOf } from '../mfg/learned.ts';
import { claimOutput } from './folder.ts';
import type { RunIO } from './io.ts';
import { streamOf } from '../streams.ts';

/** Where the game without the network is trained, inside the forecast's folder. */
export const NO_NETWORK_DIR = 'no-network';
/** Its paths: its median is its forecast (its noise is the model's, on the contact levels alone). */
const NO_NETWORK_PATHS = 32;

/** summary.json of a forecast (its error fields are the public contract of issue #20). */
export interface ForecastSummary {
  command: 'forecast';
  game: string;
  run: string;
  /** the other runs of an ensemble, fitted on the run's window (empty: the run alone) */
  members: string[];
  /** how the members' forecasts were combined (with members): the median of their bands, or their paths pooled */
  combine: EnsembleCombine;
  data: string;
  window: { from: string; to: string; days: number };
  horizon: { from: string; to: string; days: number };
  paths: number;
  seed: number;
  /** the run's bootstrap replicates behind the paths (0: none) */
  bootstrapReplicates: number;
  /** horizon days with an observation (the scores are over these) */
  coveredDays: number;
  /** the model's scores; null where no horizon day has data */
  male: number | null;
  peakDateError: number | null;
  peakHeightError: number | null;
  coverage50: number | null;
  coverage90: number | null;
  /** every forecast's scores: the model's and each baseline's */
  scores: { model: ForecastScores | null } & Partial<Record<(typeof BASELINE_NAMES)[number], PointScores | null>>;
  /** what the forecast added to the model's paths: the anchor factor, the level and growth dispersion (natural log) */
  calibration: Forecast['calibration'];
  /** the baselines' own facts */
  baselines: {
    sir: { beta: number; gamma: number; infectedShare: number; rmsLogError: number; population: number; removedShare: number };
    naive: { weeklyGrowth: number | null };
    /** where the game without the network comes from: its own fit (no-network/), or the run (its mechanics alone) */
    no_network?: { run: string; learned: Record<string, number> | null };
  };
  files: string[];
  wallSeconds: number;
}

export interface ForecastResult {
  forecast: Forecast;
  summary: ForecastSummary;
  dir: string;
}

export interface ForecastHooks {
  /** one line per stage, for people watching */
  progress?(line: string): void;
}

/** The median over paths of each day. */
function medianPath(paths: ArrayLike<number>[]): Float64Array {
  return bandsOf(paths).median;
}

/** The run's time series interface, or the one-line error of a run that has none. */
function timeSeriesOf(game: Game, run: string) {
  const series = game.observations.timeSeries;
  if (game.observations.observes !== 'trajectory' || !series?.history) {
    throw new RequestError(`${run}: a ${game.name} run; forecast projects runs of a game fitted to a time series (neural-mfg train epidemic --out DIR)`);
  }
  return { ...series, history: series.history };
}

/**
 * The learned mechanics' starting values of the run's preset (`field=value` overrides): the saved
 * model's configuration holds the values the model learned, and a baseline started from them would
 * follow the model's fit rather than stand on its own. None where the preset is unknown.
 */
function presetStart(game: Game, config: ExperimentConfig, preset: string): string[] {
  const raw = game.presets[preset];
  if (raw === undefined) return [];
  const start = game.parseConfig(raw) as unknown as Record<string, Record<string, unknown>>;
  return inverseOf(config).learn.flatMap((field) => {
    const [section, name] = field.split('.');
    const value = start[section]?.[name];
    return typeof value === 'number' ? [`${field}=${value}`] : [];
  });
}

/**
 * The game without the network, fitted on the run's window and data from the run's configuration
 * (network.kind none; the learned mechanics learned again from the preset's starting values; no
 * bootstrap), saved as a run in `dir`.
 */
async function fitNoNetwork(game: Game, config: ExperimentConfig, preset: string, seed: number, data: string, dir: string, say: (line: string) => void) {
  const own = withOverrides(game, config, ['network.kind=none', 'inverse.bootstrap=0', ...presetStart(game, config, preset)]);
  const engine = await chooseEngine(game, own, { backend: DEFAULT_BACKEND });
  const { run } = await trainSteadily({ exp: { game, preset, config: own }, seed, engine, data, validation: null, dir }, { onRetry: (why, f) => say(`the game without the network: ${why}; again with the learning rates × ${f}`) });
  await saveTrainedRun(run);
  return run.model.learnedValues() ?? null;
}

/** The data's daily main series as consecutive days. */
function dailyOf(history: SeriesHistory, name: string): DailySeries {
  const values = history.daily[name];
  return { dates: dateRange(history.first, values.length), values };
}

/** A forecast request with its defaults: FORECAST_DEFAULTS, calibrated, the run's own seed and data where absent. */
function resolved(req: ForecastRequest) {
  if (!req.out) throw new RequestError('a forecast request needs an output folder (out)');
  return {
    ...req,
    out: req.out,
    members: req.members ?? [],
    combine: req.combine ?? FORECAST_DEFAULTS.combine,
    days: req.days ?? FORECAST_DEFAULTS.days,
    paths: req.paths ?? FORECAST_DEFAULTS.paths,
    calibrate: req.calibrate ?? true,
    force: req.force === true,
  };
}

/** Runs a checked forecast request into its `out` (claimed: another run's results need `force`). */
export async function forecastRun(request: ForecastRequest, hooks: ForecastHooks = {}): Promise<ForecastResult> {
  const started = performance.now();
  const say = hooks.progress ?? (() => {});
  const req = resolved(request);
  const runs = [req.run, ...req.members];
  for (const run of runs) {
    if (!existsSync(join(modelFolder(run), 'model.json'))) {
      throw new RequestError(`${run}: not a training run's folder (no model.json in it or in its model/): train one with neural-mfg train epidemic --out DIR`);
    }
  }
  if (req.paths < runs.length) throw new RequestError(`--paths ${req.paths}: an ensemble of ${runs.length} runs needs at least one path each`);
  const inspected = await inspectModel(req.run);
  const game = inspected.game;
  const series = timeSeriesOf(game, req.run);
  if (req.data !== undefined && !existsSync(req.data)) throw new RequestError(`--data ${req.data}: no such file`);
  const claim = await claimOutput(req.out, { command: 'forecast', game: game.name, force: req.force });
  try {
    say(`projecting ${runs.length === 1 ? req.run : `an ensemble of ${runs.length} runs (${runs.join(', ')})`} ${req.days} days past its window over ${req.paths} noise paths`);
    const projections = await projectEnsemble(req, runs);
    const projection = projections[0];
    if (!projection.dataFile) throw new RequestError(`${req.run}: the run names no observations file (its summary.json has no "data"): give one with --data FILE`);
    const dataFile = projection.dataFile;
    const history = await series.history(dataFile, inspected.config);
    const main = series.names[0];

    // the game without the network: the run itself where it has none; its mechanics alone where
    // it learns no mechanics (nothing to fit); else fitted afresh on the same window
    const networkKind = (inspected.config.network as { kind?: string }).kind;
    const learns = inverseOf(inspected.config).learn.length > 0;
    let noNetwork: Projection = projection;
    let noNetworkFacts: ForecastSummary['baselines']['no_network'];
    if (networkKind === 'none') {
      noNetworkFacts = { run: req.run, learned: null };
    } else if (!learns) {
      noNetwork = await projectRun({ run: req.run, days: req.days, paths: NO_NETWORK_PATHS, seed: projection.seed, data: dataFile, network: false });
      noNetworkFacts = { run: req.run, learned: null };
    } else {
      const dir = join(req.out, NO_NETWORK_DIR);
      say(`fitting the game without the network on the same window (${inspected.config.training.steps} steps) into ${dir}`);
      const learned = await fitNoNetwork(game, inspected.config, inspected.manifest.preset ?? '', projection.seed, dataFile, dir, say);
      noNetwork = await projectRun({ run: dir, days: req.days, paths: NO_NETWORK_PATHS, seed: projection.seed, data: dataFile });
      noNetworkFacts = { run: NO_NETWORK_DIR, learned };
    }

    const daily = dailyOf(history, main);
    const eve = dayOffset(history.first, projection.window.from) - 1;
    const removed = eve >= 0 && Number.isFinite(history.cumulative[eve]) ? history.cumulative[eve] : 0;
    const sir = { population: history.population, removedShare: removed / history.population };
    say('fitting the SIR baseline by least squares on the same window');
    const forecast = buildForecast({
      daily,
      window: { from: projection.window.from, to: projection.window.to },
      days: req.days,
      // an ensemble's paths pooled: its median and bands are over every member's paths
      paths: projections.flatMap((p) => p.simulated[main]),
      ensemble: { sizes: projections.map((p) => p.simulated[main].length), combine: req.combine },
      noNetwork: medianPath(noNetwork.simulated[main]),
      sir,
      ...(req.calibrate ? { calibration: { anchor: 'trend' as const, noise: streamOf(projection.seed, 'forecastNoise') } } : {}),
    });
    const files = await writeForecast(req.out, forecast, game, projection);
    const model = forecast.scores.model;
    const n = forecast.window.observed.length;
    const [last, weekBefore] = [forecast.window.observed[n - 1], forecast.window.observed[n - 8]];
    const summary: ForecastSummary = {
      command: 'forecast',
      game: game.name,
      run: req.run,
      members: req.members,
      combine: req.combine,
      data: dataFile,
      window: projection.window,
      horizon: { from: forecast.dates[0], to: forecast.dates[forecast.dates.length - 1], days: req.days },
      paths: req.paths,
      seed: projection.seed,
      bootstrapReplicates: await bootstrapReplicates(req.run),
      coveredDays: model?.days ?? 0,
      male: model?.male ?? null,
      peakDateError: model?.peakDateError ?? null,
      peakHeightError: model?.peakHeightError ?? null,
      coverage50: model?.coverage50 ?? null,
      coverage90: model?.coverage90 ?? null,
      scores: { model, ...forecast.scores.baselines },
      calibration: forecast.calibration,
      baselines: {
        sir: { beta: forecast.sirFit.beta, gamma: forecast.sirFit.gamma, infectedShare: forecast.sirFit.infectedShare, rmsLogError: forecast.sirFit.rmsLogError, ...sir },
        naive: { weeklyGrowth: last > 0 && weekBefore > 0 ? last / weekBefore : null },
        no_network: noNetworkFacts,
      },
      files: [...files, ...(noNetworkFacts.run === NO_NETWORK_DIR ? [`${NO_NETWORK_DIR}/`] : [])],
      wallSeconds: (performance.now() - started) / 1000,
    };
    await writeJsonAtomic(join(req.out, 'summary.json'), summary);
    return { forecast, summary, dir: req.out };
  } finally {
    await claim.release();
  }
}

/**
 * Each run of the ensemble projected (the run first): the paths shared out evenly, each member
 * from its own seed (req.seed + k where a seed is given); every member must be fitted on the same
 * window of the same game.
 */
async function projectEnsemble(req: ReturnType<typeof resolved>, runs: string[]): Promise<Projection[]> {
  const projections: Projection[] = [];
  for (const [k, run] of runs.entries()) {
    const paths = Math.floor(req.paths / runs.length) + (k < req.paths % runs.length ? 1 : 0);
    const p = await projectRun({ run, days: req.days, paths, ...(req.seed !== undefined ? { seed: req.seed + k } : {}), ...(req.data ? { data: req.data } : {}) });
    const first = projections[0];
    if (first && (p.game !== first.game || p.window.from !== first.window.from || p.window.to !== first.window.to)) {
      throw new RequestError(`${run}: fitted from ${p.window.from} to ${p.window.to} (game ${p.game}), the ensemble's first run ${runs[0]} from ${first.window.from} to ${first.window.to} (game ${first.game}): every member must be fitted on the same window of the same game`);
    }
    projections.push(p);
  }
  return projections;
}

/** The bootstrap replicates a run's summary.json records (0: none, or no summary). */
async function bootstrapReplicates(run: string): Promise<number> {
  const file = join(run, 'summary.json');
  if (modelFolder(run) === run || !existsSync(file)) return 0;
  const summary = JSON.parse(await readFile(file, 'utf8')) as { bootstrap?: { replicates?: number } };
  return summary.bootstrap?.replicates ?? 0;
}

/** forecast.csv, baselines.csv and the figure; returns the files written. */
async function writeForecast(dir: string, f: Forecast, game: Game, projection: Projection): Promise<string[]> {
  await writeCsv(join(dir, 'forecast.csv'), [...FORECAST_HEADER], forecastRows(f), { digits: 6 });
  const table = baselineTable(f);
  await writeCsv(join(dir, 'baselines.csv'), table.header, table.rows, { digits: 6 });
  const dated = (dates: string[], values: ArrayLike<number>) => dates.map((date, k) => ({ date, value: values[k] })).filter((v) => Number.isFinite(v.value));
  const svg = await forecastFigure({
    title: `Forecast ${f.dates.length} days ahead of a fit from ${projection.window.from} to ${projection.window.to}`,
    yTitle: 'New confirmed cases a day (7-day mean)',
    observed: [...dated(f.window.dates, f.window.observed), ...dated(f.dates, f.observed)],
    fitted: dated(f.window.dates, f.window.fitted),
    forecast: f.dates.map((date, k) => ({ date, median: f.bands.median[k], low50: f.bands.low50[k], high50: f.bands.high50[k], low90: f.bands.low90[k], high90: f.bands.high90[k] })),
    baselines: BASELINE_NAMES.filter((name) => f.baselines[name]).map((name) => ({ name: BASELINE_TITLES[name], values: dated(f.dates, f.baselines[name]!) })),
    origin: projection.window.to,
    ...(f.calibration?.anchor === 'trend' ? { note: "the forecast starts from the last observed week's level and growth (calibration: README)" } : {}),
  });
  const figures = (await writeFigure(join(dir, 'forecast'), svg)).map((file) => file.slice(dir.length + 1));
  return ['forecast.csv', 'baselines.csv', ...figures];
}

/** `forecast RUN_DIR`: the forecast, its progress as lines, then its scores in words. */
export async function runForecast(req: ForecastRequest, io: RunIO): Promise<number> {
  const { summary, dir } = await forecastRun(req, { progress: (line) => io.info?.(line) });
  io.out(forecastText(summary, dir));
  return 0;
}

const fmt = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? '—' : v.toFixed(digits));

/** What a forecast says to people: its setting, each method's errors on the held-out days, the bands' coverage, its files. */
export function forecastText(summary: ForecastSummary, dir: string): string {
  const s = summary.scores;
  const who = summary.members.length === 0 ? summary.run : `${summary.run} and ${summary.members.length} more run${summary.members.length === 1 ? '' : 's'} (an ensemble, combined by the ${summary.combine === 'median' ? 'median of their bands' : 'pool of their paths'})`;
  const lines = [`forecast of ${who}: fitted ${summary.window.from} to ${summary.window.to}, ${summary.horizon.days} days ahead (${summary.horizon.from} to ${summary.horizon.to}), ${summary.paths} paths`];
  if (summary.coveredDays === 0) {
    lines.push(`  the data end before the horizon: nothing to score (${summary.data})`);
  } else {
    lines.push(`  ${summary.coveredDays} held-out days with data; MALE (mean |log10 error| of the 7-day mean), peak date error (days), peak height error:`);
    const row = (name: string, p: { male: number; peakDateError: number; peakHeightError: number } | null | undefined) =>
      `  ${name.padEnd(26)}${fmt(p?.male).padStart(8)}${(p ? String(p.peakDateError) : '—').padStart(8)}${(p ? `${(100 * p.peakHeightError).toFixed(0)}%` : '—').padStart(9)}`;
    lines.push(row('model (median)', s.model), row('SIR (least squares)', s.sir), row('naive (last week\'s growth)', s.naive), row('game without the network', s.no_network));
    lines.push(`  band coverage of the held-out days: 50% band ${fmt(summary.coverage50, 2)}, 90% band ${fmt(summary.coverage90, 2)}`);
  }
  lines.push(`wrote ${dir}/: ${summary.files.join(', ')}, summary.json (${summary.wallSeconds.toFixed(1)} s)`);
  return lines.join('\n');
}

/**
 * What a time-series analysis is handed (AnalysisInput.fitAndForecast): the experiment's game at
 * `config`, trained on the observations file as a train run of `seed` would train it (trainSteadily:
 * a diverged fit again at lower learning rates), on `engine`, then forecast as `forecast` would
 * forecast it (seed `seed`, calibrated), both in a temporary folder removed after. With
 * `ask.ensemble` = n > 1, n fits from seeds seed, seed + 1, …, seed + n − 1 forecast together as
 * `forecast RUN MORE_RUNS… --combine` would; a fit that diverged at every learning rate tried is
 * left out of the ensemble. Throws DivergenceError only where every fit diverged so.
 */
export async function fitAndForecast<C extends ExperimentConfig>(exp: Experiment<C>, engine: EngineChoice, config: C, seed: number, ask: ForecastAsk): Promise<FittedForecast> {
  const started = performance.now();
  const tmp = await mkdtemp(join(tmpdir(), 'neural-mfg-forecast-'));
  try {
    const fits = ask.ensemble ?? 1;
    const members: { run: string; seed: number; learned: Record<string, number> | null; learningRateFactor: number }[] = [];
    let diverged: DivergenceError | null = null;
    for (let k = 0; k < fits; k++) {
      const run = join(tmp, `run-${k}`);
      const onRetry = ask.onRetry && ((why: string, factor: number) => ask.onRetry!(why, factor, seed + k));
      try {
        const trained = await trainSteadily({ exp: { ...exp, config }, seed: seed + k, engine, data: ask.data, validation: null, dir: run }, { onRetry });
        await saveTrainedRun(trained.run);
        members.push({ run, seed: seed + k, learned: trained.run.model.learnedValues() ?? null, learningRateFactor: trained.learningRateFactor });
      } catch (err) {
        if (!(err instanceof DivergenceError)) throw err;
        diverged ??= err;
      }
    }
    if (members.length === 0) throw diverged!;
    const fitSeconds = (performance.now() - started) / 1000;
    let forecast: Forecast;
    try {
      ({ forecast } = await forecastRun({
        kind: 'forecast',
        run: members[0].run,
        members: members.slice(1).map((m) => m.run),
        ...(ask.combine ? { combine: ask.combine } : {}),
        days: ask.days,
        data: ask.data,
        out: join(tmp, 'forecast'),
        paths: ask.paths,
        seed,
        force: true,
      }));
    } catch (err) {
      // the baseline's fit diverging is no failure of the fit the caller asked for
      if (err instanceof DivergenceError) throw new Error(`the game without the network: ${err.message}`);
      throw err;
    }
    return {
      forecast,
      learned: members[0].learned,
      members: members.map((m) => ({ seed: m.seed, learned: m.learned })),
      learningRateFactor: Math.min(...members.map((m) => m.learningRateFactor)),
      fitSeconds,
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
