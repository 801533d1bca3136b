// Projects a trained run of a time-series game (the epidemic) past its fitted window: the same
// model from the same start, the time grid extended by the horizon, many noise paths.
//
//   projectRun(request: ProjectionRequest): Promise<Projection>
//
//   request  { run: string        a training run's folder (or its model/ folder)
//              days: number       the horizon: whole days after the window's last one, ≥ 1
//              paths: number      noise paths, ≥ 1 (a model without noise gives identical paths)
//              seed?: number      the paths' seed (default: the run's own)
//              data?: string      the observations file the window's observed series is read from
//                                 (default: the run's own, summary.json "data"; null: none read)
//              network?: boolean  false: the MFG dynamics alone (default true) }
//   result   { game, seed, network, window: { from, to, days }, horizon,
//              dates: string[]                     window days then horizon days (window.days + horizon)
//              simulated: { [series]: Float64Array[] }  per path, per date: daily values (the epidemic:
//                                                  confirmed = new confirmed cases, fatal, severe)
//              fitted: { [series]: number[] }      the median over paths of each series on the window's days
//              observed: { [series]: (number | null)[] } | null   the window's observed values (null: unknown)
//              parameters: { [field]: number }[]   the learned mechanics each path used (by path)
//              dataFile: string | null }
//
// The noise paths are fresh (one per path) whatever the run's noise.path, drawn from the seed's
// dynamics stream. A run trained with --bootstrap K projects path p with bootstrap replicate
// (p mod K)'s learned mechanics (summary.json bootstrap.estimates) and the run's own network, so
// that the spread of the paths carries the parameters' uncertainty too (docs/epidemic.md §9).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, INVERSE_DEFAULTS, type ExperimentConfig } from '../config.ts';
import type { Game } from '../game.ts';
import { resolveEngine, type EngineName } from '../mfg/engine.ts';
import { DEFAULT_BACKEND, startEngineBackend } from '../backend.ts';
import { inspectModel, modelFolder } from './models.ts';
import { buildModel } from './experiment.ts';
import { median } from '../data/stats.ts';

export interface ProjectionRequest {
  run: string;
  days: number;
  paths: number;
  seed?: number;
  data?: string | null;
  network?: boolean;
}

export interface Projection {
  game: string;
  seed: number;
  network: boolean;
  window: { from: string; to: string; days: number };
  horizon: number;
  dates: string[];
  simulated: Record<string, Float64Array[]>;
  fitted: Record<string, number[]>;
  observed: Record<string, (number | null)[]> | null;
  parameters: Record<string, number>[];
  dataFile: string | null;
}

/** Checks a projection request, naming the field that is wrong. */
export function checkProjectionRequest(req: ProjectionRequest): void {
  if (typeof req.run !== 'string' || req.run.length === 0) throw new ConfigError('projection: "run" must name a run folder');
  if (!Number.isInteger(req.days) || req.days < 1) throw new ConfigError(`projection: "days" must be a whole number ≥ 1, got ${req.days}`);
  if (!Number.isInteger(req.paths) || req.paths < 1) throw new ConfigError(`projection: "paths" must be a whole number ≥ 1, got ${req.paths}`);
  if (req.seed !== undefined && !(Number.isInteger(req.seed) && req.seed >= 0)) throw new ConfigError(`projection: "seed" must be a whole number ≥ 0, got ${req.seed}`);
}

/** What the run's summary.json says about its data file and bootstrap (both optional). */
async function runFacts(run: string): Promise<{ data: string | null; estimates: Record<string, number[]> | null }> {
  const file = join(run, 'summary.json');
  if (modelFolder(run) !== run && existsSync(file)) {
    const summary = JSON.parse(await readFile(file, 'utf8')) as { data?: unknown; bootstrap?: { estimates?: Record<string, number[]> } };
    return { data: typeof summary.data === 'string' ? summary.data : null, estimates: summary.bootstrap?.estimates ?? null };
  }
  return { data: null, estimates: null };
}

/** The learned mechanics of path p: bootstrap replicate p mod K, or the run's own (none: {}). */
function parametersOf(estimates: Record<string, number[]> | null, p: number): Record<string, number> {
  if (!estimates) return {};
  const fields = Object.keys(estimates);
  const replicates = Math.min(...fields.map((f) => estimates[f].length));
  if (!(replicates > 0)) return {};
  return Object.fromEntries(fields.map((f) => [f, estimates[f][p % replicates]]));
}

/** The configuration with learned mechanics fields ("mechanics.transmission" → value) replaced. */
function withMechanics(config: ExperimentConfig, set: Record<string, number>): ExperimentConfig {
  const mechanics = { ...(config.mechanics as Record<string, unknown>) };
  for (const [field, value] of Object.entries(set)) {
    const name = field.startsWith('mechanics.') ? field.slice('mechanics.'.length) : field;
    if (!(name in mechanics) || !Number.isFinite(value)) throw new ConfigError(`projection: the run's bootstrap estimate of ${field} (${value}) is not a mechanics field of its configuration`);
    mechanics[name] = value;
  }
  return { ...config, mechanics };
}

export async function projectRun(req: ProjectionRequest): Promise<Projection> {
  checkProjectionRequest(req);
  const inspected = await inspectModel(req.run);
  const game = inspected.game as Game<ExperimentConfig>;
  const series = game.observations.timeSeries;
  if (game.observations.observes !== 'trajectory' || !series) throw new ConfigError(`projection: the ${game.name} game observes no time series`);
  const facts = await runFacts(req.run);
  const seed = req.seed ?? inspected.manifest.seed;
  const network = req.network ?? true;
  const base = inspected.config;
  const windowSaves = base.time.saveAt.length;
  const windowDays = windowSaves - 1;
  const saves = windowSaves + req.days;
  // the grid past the window; fresh noise paths; the learned values already are the configuration's
  const extended: ExperimentConfig = {
    ...base,
    time: { ...base.time, t1: base.time.t1 + req.days },
    noise: { ...base.noise, path: 'fresh' },
    inverse: structuredClone(INVERSE_DEFAULTS),
  };
  const { engine } = resolveEngine(game, extended);
  await startEngineBackend(engine as EngineName, DEFAULT_BACKEND, { explicit: false });
  const saveAt = Array.from({ length: saves }, (_, k) => base.time.t0 + k);
  // paths grouped by the mechanics they use (bootstrap replicates), each group one solve
  const parameters = Array.from({ length: req.paths }, (_, p) => parametersOf(facts.estimates, p));
  const groups = new Map<string, number[]>();
  parameters.forEach((set, p) => {
    const key = JSON.stringify(set);
    groups.set(key, [...(groups.get(key) ?? []), p]);
  });
  const simulated: Record<string, Float64Array[]> = Object.fromEntries(series.names.map((n) => [n, new Array<Float64Array>(req.paths)]));
  let group = 0;
  for (const [key, members] of groups) {
    const set = JSON.parse(key) as Record<string, number>;
    // the replicate's mechanics set on the extended configuration itself (parsing it again would
    // give the window's own time grid back)
    const config = withMechanics(extended, set);
    // Each group its own seed's streams (the first the run's own): the groups' noise paths differ
    const { model, streams } = buildModel({ game, preset: inspected.manifest.preset ?? '', config }, seed + group++, engine, inspected.params);
    const n = members.length;
    const y0 = model.startStates(game.initialState(config, streams.initialState), n);
    const run = model.simulate({ y0, trajectories: n, path: model.nextPath(n), network, saveAt });
    const size = model.size;
    members.forEach((p, r) => {
      const path = new Float32Array(saves * size);
      for (let k = 0; k < saves; k++) path.set(run.states.subarray((k * n + r) * size, (k * n + r + 1) * size), k * size);
      const values = series.simulated(path, saves, config);
      for (const name of series.names) simulated[name][p] = values[name].slice(1);
    });
  }
  const fitted = Object.fromEntries(series.names.map((name) => [name, Array.from({ length: windowDays }, (_, d) => median(simulated[name].map((s) => s[d])))]));
  // the window's observations, from the file given or the run's own
  const dataFile = req.data === null ? null : (req.data ?? facts.data);
  let observed: Projection['observed'] = null;
  if (dataFile) {
    if (!existsSync(dataFile)) throw new ConfigError(`projection: the observations file ${dataFile} is not found (give another with "data")`);
    const sample = await game.observations.read(dataFile, base);
    const values = series.observed(sample, 0, base);
    observed = Object.fromEntries(series.names.map((name) => [name, values[name].slice(1)]));
  }
  const data = base.data as { from?: unknown; to?: unknown };
  return {
    game: game.name,
    seed,
    network,
    window: { from: String(data.from ?? series.date(base, 1)), to: String(data.to ?? series.date(base, windowDays)), days: windowDays },
    horizon: req.days,
    dates: Array.from({ length: windowDays + req.days }, (_, k) => series.date(base, k + 1)),
    simulated,
    fitted,
    observed,
    parameters,
    dataFile,
  };
}
