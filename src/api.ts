// The library: load a model folder written by `neural-mfg train` and use it from Node.js.
//
//   import { loadModel } from 'neural-mfg';
//   const model = await loadModel('models/meeting-fig2b');
//   const { times, states } = model.simulate({ times: [1, 5, 15] });
//   model.dispose();
import { tf } from './tf.ts';
import { useBackend } from './backend.ts';
import { GAMES } from '../games/index.ts';
import type { Dataset, Game } from './game.ts';
import { ConfigError, type ExperimentConfig } from './config.ts';
import { MeanFieldModel, networkSpec, populationsAt } from './mfg/model.ts';
import { resolveEngine, type EngineName } from './mfg/engine.ts';
import { parameterCount } from './nn/mlp.ts';
import { randomStreams } from './random.ts';
import { readModel, ModelFileError, type ModelManifest } from './io/model.ts';
import { join } from 'node:path';

export interface SimulateOptions {
  /** one initial population [agents]; default: drawn from the configuration's initial distribution */
  initialState?: ArrayLike<number>;
  /** times at which to return the population, within [t0, t1]; default: the configuration's save times */
  times?: number[];
  /** seed of the initial population and of the dynamics' randomness; default: the training seed */
  seed?: number;
  /** false: the MFG dynamics alone, without the trained network; default true */
  network?: boolean;
  /**
   * For games that simulate a trajectory per observation (Liar's dice: the roll of the game):
   * one observation in the game's format; default: drawn from the game's data generator
   */
  observation?: Dataset;
}

export interface Simulation {
  times: number[];
  /** states[k][i]: agent i at times[k] (what is observed, e.g. clipped probabilities); for games
   *  whose state is a matrix (Liar's dice's carry) the flattened state */
  states: number[][];
  /** for games that end (Liar's dice): the step after which the run ended, or null */
  endStep?: number | null;
}

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
  /** the engine its simulations run on */
  readonly engine: EngineName;
  /** marks the model as no longer usable (it holds no tensors between calls) */
  dispose(): void;
}

/** Checks a model folder against the games this version knows and returns the parts to build it. */
export async function inspectModel(dir: string): Promise<{ manifest: ModelManifest; params: Float32Array; game: Game; config: ExperimentConfig }> {
  const { manifest, params } = await readModel(dir);
  const where = join(dir, 'model.json');
  const game = GAMES[manifest.game];
  if (!game) {
    throw new ModelFileError(`${where}: unknown game "${manifest.game}" (this neural-mfg knows ${Object.keys(GAMES).join(', ')})`);
  }
  let config: ExperimentConfig;
  try {
    config = game.parseConfig(manifest.config);
  } catch (err) {
    if (err instanceof ConfigError) throw new ModelFileError(`${where}: ${err.message}`);
    throw err;
  }
  const spec = networkSpec(game, config);
  const expected = parameterCount(spec);
  const declared = manifest.network;
  const same = (Object.keys(spec) as (keyof typeof spec)[]).every((k) => declared?.[k] === spec[k]);
  if (!same || params.length !== expected) {
    throw new ModelFileError(
      `${where}: the network (${JSON.stringify(declared)}) does not match its configuration (${JSON.stringify(spec)}, ${expected} weights)`,
    );
  }
  return { manifest, params, game, config };
}

/**
 * Loads a model folder written by `neural-mfg train` (or shipped under models/). Errors name the
 * file and what is wrong with it. The model simulates on the fused engine where its game has
 * kernels (no TF.js is loaded then); `engine: 'graph'`, or a `backend`, runs it on TF.js (default
 * backend: keep the current one, or wasm if none is set).
 */
export async function loadModel(dir: string, opts: LoadOptions = {}): Promise<LoadedModel> {
  const { manifest, params, game, config } = await inspectModel(dir);
  const engine = resolveEngine(game, config, opts.engine, { backend: opts.backend }).engine;
  if (engine === 'graph') {
    if (opts.backend) await useBackend(opts.backend, { explicit: true });
    else if (!tf.engine().backendName) await useBackend();
  }
  let disposed = false;
  const build = (seed: number, times: number[]) => {
    const c = { ...config, time: { ...config.time, saveAt: times } };
    const streams = randomStreams(seed);
    const model = new MeanFieldModel(game, c, streams.dynamics, params, { engine });
    return { model, streams };
  };
  return {
    game: game.name,
    preset: manifest.preset,
    config,
    manifest,
    simulate(o: SimulateOptions = {}): Simulation {
      if (disposed) throw new Error('simulate: this model was disposed');
      const times = o.times ?? config.time.saveAt;
      const { t0, t1 } = config.time;
      times.forEach((t, k) => {
        if (!Number.isFinite(t) || t < t0 || t > t1) throw new RangeError(`simulate: times[${k}] = ${t} lies outside [${t0}, ${t1}]`);
        if (k > 0 && !(t > times[k - 1])) throw new RangeError('simulate: times must increase');
      });
      // The same seed gives the same noise path and initial population as training drew.
      const { model, streams } = build(o.seed ?? manifest.seed, times);
      {
        const start = o.initialState ?? game.initialState(config, streams.initialState);
        const size = model.shape.reduce((a, b) => a * b, 1);
        if (start.length !== size) {
          throw new RangeError(
            `simulate: initialState has ${start.length} values, the game has ${model.shape.length === 1 ? `${size} agents` : `a state of ${model.shape.join(' × ')} values`}`,
          );
        }
        if (!Array.from(start).every(Number.isFinite)) throw new RangeError('simulate: initialState holds a NaN or infinite value');
        const paired = game.observations.pairing === 'paired';
        const observation = paired ? (o.observation ?? game.observations.generate(config, streams.data, 1)) : null;
        if (observation && observation.shape[0] !== 1) throw new RangeError('simulate: give one observation (its first axis must be 1)');
        const ctx = { observations: observation, keys: streams.dynamics.keys(1) };
        const run = model.simulate({ y0: Float32Array.from(start), trajectories: 1, path: model.nextPath(1), network: o.network ?? true, ctx });
        const states = populationsAt(run, 1);
        return { times: times.slice(), states, ...(run.endSteps ? { endStep: run.endSteps[0] } : {}) };
      }
    },
    engine,
    dispose() {
      disposed = true;
    },
  };
}
