// The engine a run uses, decided once, here, from what the request asks (an engine, a TF.js backend)
// and what the machine has (a started GPU), and what it runs on started: a TF.js backend for the
// graph engine only (a fused run loads no TF.js), the GPU for the GPU engine. The CLI, the library
// (src/api.ts), the sweeps and the analyses all come through chooseEngine; the model below takes
// the concrete engine it is handed.
import type { ExperimentConfig } from '../config.ts';
import type { Game } from '../game.ts';
import { tf } from '../tf.ts';
import { DEFAULT_BACKEND, startEngineBackend } from '../backend.ts';
import { EngineError, fusedUnsupported } from '../mfg/engine.ts';
import { ENGINE_NAMES, type EngineName } from '../mfg/engine-name.ts';
import { gpuUnsupported } from '../gpu/support.ts';

export { EngineError } from '../mfg/engine.ts';

/** What a request asks of the engine: `--engine`, `--backend`, `--allow-software`. */
export interface EngineAsk {
  /** fused or graph; absent: fused wherever the game has kernels */
  engine?: EngineName;
  /** the TF.js backend (default wasm); webgpu means the GPU engine where the game has GPU kernels */
  backend?: string;
  /** with webgpu: run on software rendering */
  allowSoftware?: boolean;
}

/** The engine a run uses, the TF.js backend it started (null unless graph), and why, if not the default. */
export interface EngineChoice {
  name: EngineName;
  backend: string | null;
  note: string | null;
}

/**
 * The engine for a game and configuration: the one asked for, or by default `fused` wherever the
 * game provides kernels and `graph` elsewhere (with the reason). A TF.js backend chosen explicitly
 * (e.g. a GPU through TF.js) means the graph engine unless `fused` is asked for: the fused engine
 * runs on the CPU without TF.js. `webgpu` is the exception: it means `gpu`, the fused engine on the
 * GPU, where the game has GPU kernels and `machine.gpu` (the GPU is, or will be, started), with
 * `--engine graph` for TF.js's webgpu backend.
 */
export function decideEngine<C extends ExperimentConfig>(
  game: Game<C>,
  config: C,
  asked: { engine?: EngineName; backend?: string },
  machine: { gpu: boolean },
): { name: EngineName; note: string | null } {
  const requested = asked.engine;
  if (requested !== undefined && requested !== 'gpu' && !ENGINE_NAMES.includes(requested)) {
    throw new EngineError(`unknown engine "${requested}": choose one of ${ENGINE_NAMES.join(', ')}`);
  }
  const why = fusedUnsupported(game, config);
  if (requested === 'gpu') {
    const gpuWhy = why ?? gpuUnsupported(game, config);
    if (gpuWhy) throw new EngineError(`the fused GPU engine: ${gpuWhy}`);
    return { name: 'gpu', note: null };
  }
  const backend = asked.backend;
  // --backend webgpu: the fused engine on the GPU wherever the game has GPU kernels and the GPU is
  // (or will be) started; --engine fused without them: the fused engine on the CPU
  if (backend === 'webgpu' && requested !== 'graph' && !why) {
    const gpuWhy = gpuUnsupported(game, config);
    if (!gpuWhy && machine.gpu) return { name: 'gpu', note: null };
    if (requested === 'fused') {
      return { name: 'fused', note: `${gpuWhy ?? 'the GPU was not started'}: the fused engine runs on the CPU; --backend webgpu is not used` };
    }
  }
  if (requested === 'fused' && why) throw new EngineError(`--engine fused: ${why}; use --engine graph`);
  if (requested === 'fused' && backend) {
    return { name: 'fused', note: `the fused engine runs on the CPU without TF.js: --backend ${backend} is not used` };
  }
  if (requested === 'graph') return { name: 'graph', note: null };
  if (why) return { name: 'graph', note: `${why}: the graph engine runs it` };
  if (backend) return { name: 'graph', note: `--backend ${backend} runs the graph engine (the fused engine runs no TF.js backend; add --engine fused for it)` };
  return { name: 'fused', note: null };
}

/**
 * Decides the engine and starts what it runs on. `backend` left out (the library) keeps the TF.js
 * backend already set for the graph engine, or starts the default; the default backend given (the
 * CLI's) counts as not chosen.
 */
export async function chooseEngine<C extends ExperimentConfig>(game: Game<C>, config: C, asked: EngineAsk): Promise<EngineChoice> {
  const explicit = asked.backend !== undefined && asked.backend !== DEFAULT_BACKEND;
  const { name, note } = decideEngine(game, config, { engine: asked.engine, backend: explicit ? asked.backend : undefined }, { gpu: true });
  if (name === 'graph' && asked.backend === undefined && tf.engine().backendName) return { name, backend: tf.engine().backendName, note };
  const backend = await startEngineBackend(name, asked.backend ?? DEFAULT_BACKEND, { explicit, allowSoftware: asked.allowSoftware === true });
  return { name, backend, note };
}
