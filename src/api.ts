// The library: load a model folder written by `neural-mfg train` and use it from Node.js.
//
//   import { loadModel } from 'neural-mfg';
//   const model = await loadModel('models/meeting-fig2b');
//   const { times, array } = model.simulate({ times: [1, 5, 15] }); // array.get(k, i): agent i at times[k]
//   model.dispose();
//
// It speaks like the CLI: the same overrides (`agents`, any configuration field as `set`, the
// engine) through the run layer's functions (src/run/), and results as typed arrays with their
// shape (ndarray views), the nested arrays of old still there for small populations. Every
// argument is checked where it comes in: a TypeError or RangeError names the argument and what it
// should be, never an error from deep inside an engine.
import ndarray, { type NdArray } from 'ndarray';
import { BACKEND_NAMES } from './backend.ts';
import type { ExperimentConfig } from './config.ts';
import { chooseEngine } from './run/engine.ts';
import { overriddenConfig } from './run/models.ts';
import { nestedStates } from './run/simulate.ts';
import { ENGINE_NAMES, type EngineName } from './mfg/engine-name.ts';
import type { ModelManifest } from './io/model.ts';
import { inspectModel } from './public.ts';
import { simulate } from './run/simulate.ts';
import { randomStreams } from './streams.ts';
import { gameByName } from '../games/index.ts';
import type { Game } from './game.ts';

export interface SimulateOptions {
  /**
   * the number of agents (a model with the agent network runs at any size, as `eval --set agents=N`);
   * default: the model's own
   */
  agents?: number;
  /** overrides of the model's configuration for this simulation, as `--set` takes them ("field=value"; never its network) */
  set?: string[];
  /** one initial population [agents]; default: drawn from the configuration's initial distribution */
  initialState?: ArrayLike<number>;
  /**
   * times at which to return the population, within [t0, t1], or 'steps' (every step of the grid) or
   * 'final' (the last save time); default: the configuration's save times
   */
  times?: number[] | 'steps' | 'final';
  /** seed of the initial population and of the dynamics' randomness; default: the training seed */
  seed?: number;
  /** false: the MFG dynamics alone, without the trained network; default true */
  network?: boolean;
  /**
   * For games that simulate a trajectory per observation (Liar's dice: the roll of the game):
   * one observation in the game's format (values: plain numbers or a typed array; shape [1, ...]);
   * default: drawn from the game's data generator
   */
  observation?: { values: ArrayLike<number>; shape: number[]; labels?: string[] };
}

export interface Simulation {
  times: number[];
  /**
   * The observed states (e.g. clipped probabilities), [times, ...state] over one Float32Array:
   * array.get(k, i) is agent i at times[k]; array.data the values, array.shape their shape.
   */
  array: NdArray<Float32Array>;
  /**
   * states[k][i]: agent i at times[k] as plain arrays, made on first use (up to NESTED_LIMIT values;
   * use `array` beyond); for games whose state is a matrix (Liar's dice's carry) the flattened state
   */
  readonly states: number[][];
  /** for games that end (Liar's dice): the step after which the run ended, or null */
  endStep?: number | null;
}

/** A file of observations: one sample per row of `array` [samples, ...sample], each with its label. */
export interface Observations {
  array: NdArray<Float64Array>;
  labels: string[];
}

/** The most values `states` spells out as nested arrays (a million agents at 15 times: use `array`). */
export const NESTED_LIMIT = 2 ** 22;

export interface LoadOptions {
  /** TF.js backend of the graph engine (giving one means the graph engine, unless engine says fused) */
  backend?: string;
  /** fused (default wherever the game has kernels) or graph (TF.js autodiff, on the backend) */
  engine?: EngineName;
}

export interface LoadedModel {
  /** the game's name, e.g. "meeting" */
  readonly game: string;
  readonly preset: string | null;
  readonly config: ExperimentConfig;
  readonly manifest: ModelManifest;
  simulate(opts?: SimulateOptions): Simulation;
  /** observations of the model's game read from a CSV file (its schema; errors name the line and column) */
  readObservations(file: string): Promise<Observations>;
  /** the engine its simulations run on */
  readonly engine: EngineName;
  /** marks the model as no longer usable (it holds no tensors between calls) */
  dispose(): void;
}

/**
 * Loads a model folder written by `neural-mfg train` (or shipped under models/). Errors name the
 * file and what is wrong with it. The model simulates on the fused engine where its game has
 * kernels (no TF.js is loaded then); `engine: 'graph'`, or a `backend`, runs it on TF.js (default
 * backend: keep the current one, or wasm if none is set).
 */
export async function loadModel(dir: string, opts: LoadOptions = {}): Promise<LoadedModel> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError(`loadModel: dir must be the path of a model folder, got ${describe(dir)}`);
  checkObject('loadModel', 'options', opts, ['backend', 'engine']);
  if (opts.engine !== undefined && !ENGINE_NAMES.includes(opts.engine)) {
    throw new RangeError(`loadModel: options.engine must be one of ${ENGINE_NAMES.join(', ')}, got ${describe(opts.engine)}`);
  }
  if (opts.backend !== undefined && !BACKEND_NAMES.includes(opts.backend)) {
    throw new RangeError(`loadModel: options.backend must be one of ${BACKEND_NAMES.join(', ')}, got ${describe(opts.backend)}`);
  }
  const inspected = await inspectModel(dir);
  const { manifest, params, config } = inspected;
  const game = gameByName(manifest.game);
  // the same decision as every run's (src/run/engine.ts), and what it runs on started
  const engine = (await chooseEngine(game, config, { engine: opts.engine, backend: opts.backend })).name;
  let disposed = false;
  const exp = { game, preset: manifest.preset ?? '', config };
  return {
    game: game.name,
    preset: manifest.preset,
    config,
    manifest,
    simulate(o: SimulateOptions = {}): Simulation {
      if (disposed) throw new Error('simulate: this model was disposed');
      checkSimulateOptions(o, exp.game, config);
      const sets = [...(o.set ?? []), ...(o.agents !== undefined ? [`agents=${o.agents}`] : [])];
      const what = o.agents !== undefined && !o.set?.length ? `simulate: agents ${o.agents}` : `simulate: set ${sets.join(' ')}`;
      const own = sets.length > 0 ? { ...exp, config: overriddenConfig({ game, config, dir: inspected.dir }, sets, what, 'simulate') } : exp;
      // the same seed gives the same noise path and initial population as training drew
      const run = simulate({
        exp: own,
        seed: o.seed ?? manifest.seed,
        engine,
        network: o.network ?? true,
        params,
        saveAt: o.times,
        initialState: o.initialState,
        observation: o.observation && { values: Float64Array.from(o.observation.values), shape: o.observation.shape.slice(), labels: o.observation.labels ?? ['1'] },
      });
      const paired = game.observations.pairing === 'paired';
      const array = ndarray(run.values, [run.times.length, ...run.shape]);
      let nested: number[][] | null = null;
      return {
        times: run.times,
        array,
        get states() {
          if (run.values.length > NESTED_LIMIT) throw new RangeError(`simulate: ${run.values.length} values are too many for nested arrays (at most ${NESTED_LIMIT}); read them from .array`);
          return (nested ??= nestedStates(run));
        },
        ...(paired ? { endStep: run.endStep } : {}),
      };
    },
    async readObservations(file: string): Promise<Observations> {
      if (disposed) throw new Error('readObservations: this model was disposed');
      if (typeof file !== 'string' || file === '') throw new TypeError(`readObservations: file must be the path of a CSV file, got ${describe(file)}`);
      const data = await game.observations.read(file, config);
      return { array: ndarray(data.values, data.shape), labels: data.labels };
    },
    engine,
    dispose() {
      disposed = true;
    },
  };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object') return `an object (${Object.prototype.toString.call(v).slice(8, -1)})`;
  return `${typeof v} ${String(v)}`;
}

function checkObject(fn: string, name: string, value: unknown, keys: string[]): void {
  if (value === undefined) return;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`${fn}: ${name} must be an object, got ${describe(value)}`);
  for (const k of Object.keys(value)) {
    if (!keys.includes(k)) throw new TypeError(`${fn}: unknown option ${name}.${k} (known: ${keys.join(', ')})`);
  }
}

const isArrayLike = (v: unknown): v is ArrayLike<unknown> =>
  Array.isArray(v) || ArrayBuffer.isView(v) && !(v instanceof DataView);

function checkNumbers(fn: string, name: string, v: unknown): asserts v is ArrayLike<number> {
  if (!isArrayLike(v)) throw new TypeError(`${fn}: ${name} must be an array of numbers, got ${describe(v)}`);
  for (let i = 0; i < v.length; i++) {
    if (typeof v[i] !== 'number') throw new TypeError(`${fn}: ${name}[${i}] must be a number, got ${describe(v[i])}`);
  }
}

/** The simulate options, checked against the model's game before anything runs. */
function checkSimulateOptions(o: SimulateOptions, game: Game, config: ExperimentConfig): void {
  checkObject('simulate', 'options', o, ['initialState', 'times', 'seed', 'network', 'observation', 'agents', 'set']);
  if (o === undefined) return;
  if (o.agents !== undefined && (!Number.isInteger(o.agents) || o.agents < 1)) throw new RangeError(`simulate: agents must be a positive whole number, got ${describe(o.agents)}`);
  if (o.set !== undefined && (!Array.isArray(o.set) || o.set.some((s) => typeof s !== 'string'))) throw new TypeError(`simulate: set must be an array of "field=value" strings, got ${describe(o.set)}`);
  if (o.times !== undefined && o.times !== 'steps' && o.times !== 'final') {
    if (!Array.isArray(o.times)) throw new TypeError(`simulate: times must be an array of numbers, got ${describe(o.times)}`);
    checkNumbers('simulate', 'times', o.times);
  }
  if (o.initialState !== undefined) checkNumbers('simulate', 'initialState', o.initialState);
  if (o.seed !== undefined && (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff)) {
    throw new RangeError(`simulate: seed must be a whole number from 0 to 4294967295, got ${describe(o.seed)}`);
  }
  if (o.network !== undefined && typeof o.network !== 'boolean') throw new TypeError(`simulate: network must be true or false, got ${describe(o.network)}`);
  if (o.observation !== undefined) {
    if (game.observations.pairing !== 'paired') {
      throw new TypeError(`simulate: ${game.name} does not pair a trajectory with an observation; drop options.observation`);
    }
    const ob = o.observation;
    checkObject('simulate', 'observation', ob, ['values', 'shape', 'labels']);
    checkNumbers('simulate', 'observation.values', ob.values);
    checkNumbers('simulate', 'observation.shape', ob.shape);
    const sample = game.observations.generate(config, randomStreams(0).data, 1).shape;
    const want = `[${sample.join(', ')}]`;
    if (ob.shape.length !== sample.length || ob.shape.some((n, i) => n !== sample[i])) {
      throw new RangeError(`simulate: observation.shape must be ${want} (one ${game.name} observation: ${game.observations.csvHeader.join(', ')}), got [${Array.from(ob.shape).join(', ')}]`);
    }
    const size = sample.reduce((a, b) => a * b, 1);
    if (ob.values.length !== size) throw new RangeError(`simulate: observation.values must hold ${size} numbers for shape ${want}, got ${ob.values.length}`);
    for (let i = 0; i < size; i++) {
      if (!Number.isFinite(ob.values[i])) throw new RangeError(`simulate: observation.values[${i}] is ${ob.values[i]}`);
    }
  }
}
