// Whether the fused GPU engine can run a game and configuration (and why not). Light: no Dawn, no
// TF.js, so that engine selection (src/mfg/engine.ts) can ask it before anything starts.
import type { ExperimentConfig } from '../config.ts';
import type { Game } from '../game.ts';
import { RandomStream } from '../random.ts';
import { fusedScheme } from '../fused/schemes.ts';

/** hidden layers wider than this do not fit the engine's one-workgroup reductions */
export const GPU_MAX_WIDTH = 128;
/** every solver of src/fused/schemes.ts; with several stages, no per-step draws (stepData: El Farol's fresh attendance) */
const GPU_SOLVERS = ['euler', 'euler-maruyama', 'heun', 'rk4'];

/** Why the fused GPU engine cannot run this game and configuration, or null when it can. */
export function gpuUnsupported<C extends ExperimentConfig>(game: Game<C>, config: C): string | null {
  if (!game.gpuKernels) {
    return `the ${game.name} game has no GPU kernels`;
  }
  if (!GPU_SOLVERS.includes(config.solver)) return `the GPU engine integrates with ${GPU_SOLVERS.join(', ')}, not ${config.solver}`;
  const stages = fusedScheme(config.solver).b.length;
  // the CPU engines draw per stage, the GPU engine's stepData per step
  if (stages > 1 && game.gpuKernels(config, new RandomStream(0)).stepData) {
    return `the GPU engine integrates ${config.solver} only where the game draws nothing per step (${game.name} does here)`;
  }
  if (game.network) return `the ${game.name} game's network reads part of the state; the GPU engine feeds it the whole state`;
  // issue #15's options run on the CPU engines (src/mfg/networks.ts)
  if ((config.network.kind ?? 'population') !== 'population') return `the GPU engine runs the population network, not network.kind "${config.network.kind}"`;
  if ((config.noise.diffusion ?? 'fixed') !== 'fixed') return 'the GPU engine runs a constant σ, not noise.diffusion "neural"';
  if ((config.training.loss ?? 'mse') !== 'mse') return `the GPU engine trains with the mse loss, not training.loss "${config.training.loss}"`;
  const shape = game.stateShape?.(config) ?? [config.agents];
  if (shape.length !== 1) return `the GPU engine runs states of one number per agent, not ${shape.join(' × ')}`;
  if (shape[0] >= 2 ** 24) return `the GPU engine counts agents in float32's exact integers (below 16,777,216), not ${shape[0]}`;
  const { width, depth } = config.network;
  if (depth < 1) return 'the GPU engine needs at least one hidden layer (network.depth ≥ 1)';
  if (width > GPU_MAX_WIDTH) return `the GPU engine runs hidden layers up to ${GPU_MAX_WIDTH} wide, not ${width}`;
  return null;
}
