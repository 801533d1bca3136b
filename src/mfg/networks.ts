// The networks of a model and where their parameters sit in its one flat vector: the neural drift
// first (the paper's population network, the mean-field agent network, or none), then the neural
// diffusion when the noise amplitude is learned. The paper's model (a population network, a fixed
// σ) is the drift network alone, so its parameters are laid out and drawn exactly as before.
import {
  DEFAULT_SUMMARY_QUANTILES,
  type DiffusionKind,
  type ExperimentConfig,
  type LossKind,
  type NetworkKind,
} from '../config.ts';
import type { Game, GameOption } from '../game.ts';
import { initialParameters, parameterCount, type MlpSpec } from '../nn/spec.ts';
import type { RandomStream } from '../random.ts';

export function networkKind(config: ExperimentConfig): NetworkKind {
  return config.network.kind ?? 'population';
}

export function diffusionKind(config: ExperimentConfig): DiffusionKind {
  return config.noise.diffusion ?? 'fixed';
}

export function lossKind(config: ExperimentConfig): LossKind {
  return config.training.loss ?? 'mse';
}

/** The quantile levels of the population summary (besides mean and std). */
export function summaryQuantiles(config: ExperimentConfig): number[] {
  return config.network.quantiles ?? DEFAULT_SUMMARY_QUANTILES;
}

/**
 * What one agent's network reads: its own state x_i, the time t, and the summary of its
 * population [mean, std, quantiles…] (src/mfg/agent-network.ts, src/fused/agent-network.ts).
 */
export function agentInputSize(config: ExperimentConfig): number {
  return 4 + summaryQuantiles(config).length;
}

/** The MLP fields of the configuration (the `network` section also holds the kind and the summary). */
function layers(config: ExperimentConfig): Pick<MlpSpec, 'width' | 'depth' | 'activation' | 'outputActivation'> {
  const { width, depth, activation, outputActivation } = config.network;
  return { width, depth, activation, outputActivation };
}

/** The spec of a network with the configuration's layers and the given input and output sizes. */
export function mlpSpec(config: ExperimentConfig, inputSize: number, outputSize: number): MlpSpec {
  return { inputSize, outputSize, ...layers(config) };
}

/** network.kind "none": no drift network, no parameters (a network of no inputs and no outputs). */
export function emptySpec(config: ExperimentConfig): MlpSpec {
  return { inputSize: 0, outputSize: 0, ...layers(config), depth: 0 };
}

/**
 * The neural diffusion's network (noise.diffusion "neural"), or null: the agent network's input,
 * one output g, identity output activation; the amplitude is σ_θ = softplus(g + softplus⁻¹(σ)).
 */
export function diffusionSpec(config: ExperimentConfig): MlpSpec | null {
  if (diffusionKind(config) !== 'neural') return null;
  return { ...mlpSpec(config, agentInputSize(config), 1), outputActivation: 'identity' };
}

/** softplus⁻¹(σ): the offset that makes the neural diffusion start at σ where its network gives 0. */
export function diffusionOffset(config: ExperimentConfig): number {
  const s = config.noise.sigma;
  // log(e^σ − 1), written to stay accurate for small and large σ
  return s > 30 ? s : Math.log(Math.expm1(s));
}

/** Parameters of the drift network and of the diffusion network (0 without one). */
export function parameterCounts(drift: MlpSpec, diffusion: MlpSpec | null): { drift: number; diffusion: number; total: number } {
  const d = parameterCount(drift);
  const s = diffusion ? parameterCount(diffusion) : 0;
  return { drift: d, diffusion: s, total: d + s };
}

/** The initial flat vector: the drift network's parameters, then the diffusion's, from one stream. */
export function initialModelParameters(drift: MlpSpec, diffusion: MlpSpec | null, rng: RandomStream): Float64Array {
  const first = initialParameters(drift, rng);
  if (!diffusion) return first;
  const second = initialParameters(diffusion, rng);
  const out = new Float64Array(first.length + second.length);
  out.set(first);
  out.set(second, first.length);
  return out;
}

/**
 * Why the network and loss options of the configuration do not apply to this game, or null. The
 * agent network, the neural diffusion and the distributional losses are for games whose state is
 * one number per agent and whose network reads the whole state.
 */
export function networkOptionsUnsupported<C extends ExperimentConfig>(game: Game<C>, config: C): string | null {
  const shape = game.stateShape?.(config) ?? [config.agents];
  // a state that holds the agents' own values first (Game.agentStates) counts as one number per agent for these
  const perAgent = (shape.length === 1 && !game.network) || game.agentStates !== undefined;
  const kind = networkKind(config);
  if (kind !== 'population' && !perAgent) {
    return `configuration field "network.kind": "${kind}" is for games whose state is one number per agent; the ${game.name} game's network reads part of its state`;
  }
  if (diffusionKind(config) === 'neural' && !perAgent) {
    return `configuration field "noise.diffusion": "neural" is for games whose state is one number per agent, not the ${game.name} game`;
  }
  const loss = lossKind(config);
  if (loss !== 'mse' && (!perAgent || !game.observations.comparableValues || game.observations.observes === 'trajectory')) {
    return `configuration field "training.loss": "${loss}" compares populations of one number per agent; the ${game.name} game has no such observations`;
  }
  return null;
}

/**
 * The command-line flags of these options, for games whose state is one number per agent (each
 * game lists them among its own options): --neural, --diffusion, --loss.
 */
export const NETWORK_OPTIONS: GameOption[] = [
  {
    flag: '--neural <kind>',
    field: 'network.kind',
    description:
      'meeting, el-farol, lq, epidemic: the neural term: population (one MLP over the whole state, the paper\'s), agent (one small MLP shared by all agents: own state, time, population summary; any population size) or none (with --diffusion neural, or --learn: the mechanics parameters alone)',
    choices: ['population', 'agent', 'none'],
  },
  {
    flag: '--diffusion <kind>',
    field: 'noise.diffusion',
    description: 'meeting, el-farol, lq, epidemic: the noise amplitude: fixed (the constant noise.sigma) or neural (a network of the agent\'s state, time and population summary, starting at noise.sigma)',
    choices: ['fixed', 'neural'],
  },
  {
    flag: '--loss <kind>',
    field: 'training.loss',
    description: 'meeting, el-farol, lq: the training loss: mse (the game\'s own, the paper\'s), energy (energy distance) or sliced-wasserstein, between simulated and observed final populations',
    choices: ['mse', 'energy', 'sliced-wasserstein'],
  },
];
