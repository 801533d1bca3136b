// The library: load a model folder written by `neural-mfg train` and use it from Node.js.
//
//   import { loadModel } from 'neural-mfg';
//   const model = await loadModel('models/meeting-fig2b');
//   const { times, states } = model.simulate({ times: [1, 5, 15] });
//   model.dispose();
import { tf } from './tf.ts';
import { useBackend } from './backend.ts';
import type { Dataset } from './game.ts';
import type { ExperimentConfig } from './config.ts';
import { resolveEngine, type EngineName } from './mfg/engine.ts';
import type { ModelManifest } from './io/model.ts';
import { inspectModel } from './run/models.ts';
import { simulate } from './run/simulate.ts';

export { inspectModel } from './run/models.ts';

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
  const exp = { game, preset: manifest.preset ?? '', config };
  return {
    game: game.name,
    preset: manifest.preset,
    config,
    manifest,
    simulate(o: SimulateOptions = {}): Simulation {
      if (disposed) throw new Error('simulate: this model was disposed');
      // the same seed gives the same noise path and initial population as training drew
      const run = simulate({
        exp,
        seed: o.seed ?? manifest.seed,
        engine,
        network: o.network ?? true,
        params,
        saveAt: o.times,
        initialState: o.initialState,
        observation: o.observation,
      });
      const paired = game.observations.pairing === 'paired';
      return { times: run.times, states: run.states, ...(paired ? { endStep: run.endStep } : {}) };
    },
    engine,
    dispose() {
      disposed = true;
    },
  };
}
