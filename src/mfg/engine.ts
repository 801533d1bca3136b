// The Engine interface: what solves a model and differentiates it, behind one set of calls. Three
// implement it: `graph` (src/mfg/graph.ts: TF.js ops with autodiff through the unrolled solve, the
// reference implementation, and the route of any game without kernels), `fused` (src/fused/: the
// game's typed-array kernels with a hand-written reverse pass) and `gpu` (src/gpu/: the fused solve as
// WebGPU compute shaders). All speak host arrays, so the training loop and the evaluation do not care
// which one runs; which one runs is decided once, by the run layer (src/run/engine.ts).
import type { ExperimentConfig } from '../config.ts';
import type { Game } from '../game.ts';
import type { ObservationBatch, SolveContext } from '../data/dataset.ts';

export type { ObservationBatch } from '../data/dataset.ts';
import type { BrownianIncrements } from '../ode/brownian.ts';
import type { SaveAt } from '../ode/solve.ts';
import type { MlpSpec } from '../nn/spec.ts';
import type { RandomStream } from '../random.ts';

import type { EngineName } from './engine-name.ts';

export { ENGINE_NAMES, type EngineName } from './engine-name.ts';

export interface SolveRequest {
  /** initial states [trajectories, ...state], row-major */
  y0: Float32Array;
  trajectories: number;
  /** the Brownian path (null without noise) */
  path: BrownianIncrements | null;
  /** false: the MFG dynamics alone */
  network: boolean;
  /** paired observations and per-trajectory keys (default: none, zero keys) */
  ctx?: SolveContext;
  /** what to save (src/ode/solve.ts: times, every step, the final save time); default: the configuration's save times */
  saveAt?: SaveAt;
}

export interface SolveResult {
  /** the observed states at the save times [saves, trajectories, ...state] */
  states: Float32Array;
  saveAt: number[];
  /** for games that end: the step after which each trajectory ended (null: still running) */
  endSteps?: (number | null)[];
}

export interface Engine {
  readonly name: EngineName;
  simulate(req: SolveRequest): SolveResult;
  /** the training loss of the final observed state against a batch of observations */
  loss(req: SolveRequest, observations: ObservationBatch): number;
  /** the same loss of observed final states [trajectories, ...state] that a solve returned */
  lossOfStates(final: Float32Array, trajectories: number, observations: ObservationBatch): number;
  /**
   * the loss and its gradient with respect to the network's flat parameters (and, with learned
   * mechanics, ∂L/∂θ of each learned parameter, in EngineInput.learned's order)
   */
  lossAndGradient(req: SolveRequest, observations: ObservationBatch): { loss: number; gradient: Float32Array; mechanicsGradient?: Float64Array };
}

/** What an engine is built from. `params` is the model's own vector: engines read it, never copy it. */
export interface EngineInput<C extends ExperimentConfig = ExperimentConfig> {
  game: Game<C>;
  config: C;
  dynamics: RandomStream;
  params: Float32Array;
  spec: MlpSpec;
  /** the neural diffusion's network (its parameters follow the drift network's); absent or null: the constant σ */
  diffusion?: MlpSpec | null;
  /**
   * mechanics parameters learned with the network (inverse.learn, src/mfg/learned.ts): their names
   * in the kernels' `parameters` hook and their current values, read before every solve; the fused
   * engine alone learns them. Absent or null: none.
   */
  learned?: { names: string[]; values(): number[] } | null;
  shape: number[];
  /**
   * The URL of a module whose `GAMES` export holds the game (games/index.ts: REGISTRY_MODULE): the
   * fused engine's worker threads import it to build the same engine. Absent: the fused engine
   * stays on the calling thread (the numbers do not depend on it).
   */
  registry?: string;
}

/** An engine asked for something it cannot do (its message says what instead). */
export class EngineError extends Error {}

/**
 * Why the fused engine cannot run this game and configuration, or null when it can: it integrates
 * every solver (src/fused/schemes.ts) of every game that provides kernels.
 */
export function fusedUnsupported<C extends ExperimentConfig>(game: Game<C>, _config: C): string | null {
  return game.kernels ? null : `the ${game.name} game has no fused kernels yet`;
}
