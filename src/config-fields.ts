// What every configuration field means, its type and its value: `neural-mfg config GAME` prints
// this table. The fields every game shares are described here; each game describes its own
// (Game.fields). The types come from the parser itself (traceFields), so they cannot drift.
import { applyOverrides, ConfigError, traceFields, type ExperimentConfig } from './config.ts';
import type { Game } from './game.ts';
import { generatorFollowsAgents } from './data/generators.ts';

/** The fields of src/config.ts's shared sections. */
export const COMMON_FIELDS: Record<string, string> = {
  game: 'the game this configuration is for',
  agents: 'number of agents in the population',
  'time.t0': 'start time of the solve',
  'time.t1': 'end time of the solve',
  'time.dt': 'solver step size',
  'time.saveAt': 'times at which the population is recorded and compared with the data (the last one is what the data observe)',
  solver: 'ODE/SDE solver: euler, euler-maruyama (with noise), heun, rk4',
  'noise.sigma': 'diffusion coefficient σ of the SDE (0: an ODE); with noise.diffusion neural, where the learned amplitude starts',
  'noise.layout': 'Brownian noise: one path shared by all agents (common), one per agent (independent), or none',
  'noise.path': 'one noise path for the whole run (frozen, as the reference) or a new one for every solve (fresh)',
  'noise.diffusion': 'noise amplitude: the constant σ (fixed, the paper\'s) or a network σ_θ(x_i, t, population summary) = softplus(g_θ + softplus⁻¹(σ)) learned with the drift (neural; --diffusion)',
  'network.width': 'hidden layer width of the neural term',
  'network.depth': 'number of hidden layers of the neural term',
  'network.activation': 'activation of the hidden layers',
  'network.outputActivation': 'activation of the output layer',
  'network.kind': 'the neural term: one MLP over the whole state (population, the paper\'s), one small MLP shared by all agents reading its own state, the time and the population summary (agent: any population size), or none (no neural drift: only a neural diffusion or learned mechanics) (--neural)',
  'network.quantiles': 'quantile levels of the population summary that the agent network and the neural diffusion read, besides the mean and standard deviation',
  'training.steps': 'optimiser steps (train --resume DIR --set training.steps=N extends a finished run)',
  'training.batchSize': 'observations per training batch',
  'training.optimizer': 'optimiser: adabelief (the reference) or adam',
  'training.learningRate': 'optimiser learning rate',
  'training.trainSamples': 'training observations generated when no --data is given',
  'training.validationSamples': 'validation observations generated; with a larger --validation file, the size of the seeded subsample validated every step',
  'training.validationEvery': 'compute the validation loss every this many steps (and at the last one)',
  'training.initialState': 'a new initial population before every step (fresh) or one for the whole run (fixed)',
  'training.trajectories': 'simulated populations per step, each compared with every observation of the batch',
  'training.lastBatch': 'a last batch smaller than batchSize: drop it, keep it, or reference (the reference also drops a full last batch)',
  'training.evaluationPopulations': 'initial populations over which the final model is evaluated',
  'inverse.learn': 'mechanics fields learned from the data beside (or, with network.kind none, instead of) the network, e.g. ["mechanics.scheduledTime"] (--learn); the configured values are where they start',
  'inverse.learningRate': 'how far one optimiser step moves a learned mechanics parameter at the start, in its own units',
  'inverse.bootstrap': 'retrain on this many resamples of the training data for a confidence interval per learned parameter (--bootstrap; 0: none)',
  'inverse.level': 'confidence level of the bootstrap intervals (the estimate ± Student t × the bootstrap standard error; src/run/inverse.ts)',
  'training.checkpointEvery': 'write DIR/checkpoint.json every this many steps (0: only when interrupted), and at the end',
  'training.loss': 'training loss: mse (the game\'s own, the paper\'s), energy (energy distance) or sliced-wasserstein (squared 2-Wasserstein on the line) between the simulated and the observed final populations',
};

export interface ConfigRow {
  field: string;
  value: unknown;
  /** what the parser accepts, e.g. "an integer ≥ 1" */
  type: string;
  meaning: string;
}

/** The configuration `--set` and presets speak behind a parsed one (see Game.rawConfig). */
export function overridable<C extends ExperimentConfig>(game: Game<C>, config: C): unknown {
  return game.rawConfig ? game.rawConfig(config) : config;
}

/** A parsed configuration with `key=value` overrides applied, parsed again (errors name the field). */
export function withOverrides<C extends ExperimentConfig>(game: Game<C>, config: C, set: string[]): C {
  if (set.length === 0) return config;
  return game.parseConfig(generatorFollowsAgents(applyOverrides(overridable(game, config), set), set));
}

function leaves(value: unknown, prefix: string, out: [string, unknown][]): void {
  if (value === undefined) return;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.push([prefix, value]);
  }
}

/** Every field of a configuration, in the order of the file, with its value, type and meaning. */
export function describeConfig<C extends ExperimentConfig>(game: Game<C>, config: C): ConfigRow[] {
  const raw = overridable(game, config);
  const types = traceFields(() => game.parseConfig(raw));
  const meanings: Record<string, string> = { ...COMMON_FIELDS, ...game.fields };
  const out: [string, unknown][] = [];
  leaves(raw, '', out);
  return out.map(([field, value]) => {
    const meaning = meanings[field];
    if (meaning === undefined) throw new ConfigError(`configuration field "${field}" of ${game.name} has no description (add it to the game's fields)`);
    return { field, value, type: types.get(field) ?? '(derived)', meaning };
  });
}
