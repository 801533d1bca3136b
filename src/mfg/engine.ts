// The two ways a model is solved and differentiated, behind one interface: `graph`, TF.js ops with
// autodiff through the unrolled solve (the reference implementation, and the route of any game
// without kernels), and `fused`, the game's typed-array kernels with a hand-written reverse pass
// (src/fused/), which the tests hold against `graph`. Both speak host arrays, so the training loop,
// the evaluation and the front ends do not care which one runs.
import type { ExperimentConfig } from '../config.ts';
import type { Game } from '../game.ts';
import type { ObservationBatch, SolveContext } from '../data/dataset.ts';

export type { ObservationBatch } from '../data/dataset.ts';
import type { BrownianIncrements } from '../ode/brownian.ts';
import type { MlpSpec } from '../nn/spec.ts';
import type { RandomStream } from '../random.ts';
import { gpuUnsupported } from '../gpu/support.ts';
import { gpuStarted } from '../gpu/device.ts';

import { ENGINE_NAMES, type EngineName } from './engine-name.ts';

export { ENGINE_NAMES, type EngineName } from './engine-name.ts';

/** The solvers the fused engine integrates (the others run on `graph`). */
const FUSED_SOLVERS = ['euler', 'euler-maruyama'];

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
  /** default: the configuration's save times */
  saveAt?: number[];
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
   * mechanics parameters learned with the network (train --learn, src/mfg/learned.ts): their names
   * in the kernels' `parameters` hook and their current values, read before every solve; the fused
   * engine alone learns them. Absent or null: none.
   */
  learned?: { names: string[]; values(): number[] } | null;
  shape: number[];
}

/** Why the fused engine cannot run this game and configuration, or null when it can. */
export function fusedUnsupported<C extends ExperimentConfig>(game: Game<C>, config: C): string | null {
  if (!game.kernels) return `the ${game.name} game has no fused kernels yet`;
  if (!FUSED_SOLVERS.includes(config.solver)) {
    return `the fused engine integrates with ${FUSED_SOLVERS.join(' or ')}, not ${config.solver}`;
  }
  return null;
}

export class EngineError extends Error {}

/**
 * The engine a run uses: the one asked for, or by default `fused` wherever the game provides
 * kernels for its configuration and `graph` elsewhere (with the reason, for the summary). A TF.js
 * backend chosen explicitly (`backend`, e.g. a GPU) means the graph engine unless `fused` is asked
 * for: the fused engine runs on the CPU without TF.js. `webgpu` is the exception: it means `gpu`,
 * the fused engine on the GPU, where the game has GPU kernels (and `opts.gpu`: the caller starts
 * the GPU; default: whether startGpu() has run), with `--engine graph` for TF.js's webgpu backend.
 */
export function resolveEngine<C extends ExperimentConfig>(
  game: Game<C>,
  config: C,
  requested?: EngineName,
  opts: { backend?: string; gpu?: boolean } = {},
): { engine: EngineName; note: string | null } {
  if (requested !== undefined && requested !== 'gpu' && !ENGINE_NAMES.includes(requested)) {
    throw new EngineError(`unknown engine "${requested}": choose one of ${ENGINE_NAMES.join(', ')}`);
  }
  const why = fusedUnsupported(game, config);
  // --backend webgpu: the fused engine on the GPU wherever the game has GPU kernels and the GPU is
  // (or, opts.gpu, will be) started; --engine fused without them: the fused engine on the CPU
  if (requested === 'gpu') {
    const gpuWhy = why ?? gpuUnsupported(game, config);
    if (gpuWhy) throw new EngineError(`the fused GPU engine: ${gpuWhy}`);
    return { engine: 'gpu', note: null };
  }
  if (opts.backend === 'webgpu' && requested !== 'graph' && !why) {
    const gpuWhy = gpuUnsupported(game, config);
    if (!gpuWhy && (opts.gpu ?? gpuStarted())) return { engine: 'gpu', note: null };
    if (requested === 'fused') {
      return { engine: 'fused', note: `${gpuWhy ?? 'the GPU was not started'}: the fused engine runs on the CPU; --backend webgpu is not used` };
    }
  }
  if (requested === 'fused' && why) throw new EngineError(`--engine fused: ${why}; use --engine graph`);
  if (requested === 'fused' && opts.backend) {
    return { engine: 'fused', note: `the fused engine runs on the CPU without TF.js: --backend ${opts.backend} is not used` };
  }
  if (requested === 'graph') return { engine: 'graph', note: null };
  if (why) return { engine: 'graph', note: `${why}: the graph engine runs it` };
  if (opts.backend) return { engine: 'graph', note: `--backend ${opts.backend} runs the graph engine (the fused engine runs no TF.js backend; add --engine fused for it)` };
  return { engine: 'fused', note: null };
}
