// Liar's dice's own configuration (config.ts) mapped onto the engine's experiment configuration
// (one Euler step per turn, no noise, trajectories paired with rolls), and what both engines'
// mechanics are built from.
import { ConfigError, type ExperimentConfig } from '../../src/config.ts';
import { ACTIVATIONS, type Activation } from '../../src/nn/spec.ts';
import type { RandomStream } from '../../src/random.ts';
import type { CarryLayout } from './carry.ts';
import { turnOptions, type LiarsDiceConfig, type Variant } from './config.ts';
import type { CostWeights, TurnOptions } from './rules.ts';

export interface LiarsDiceExperiment extends ExperimentConfig {
  /** the game's own configuration (presets/*.json), from which the rest is derived */
  scenario: LiarsDiceConfig;
}

function activation(name: string, field: string): Activation {
  if (!ACTIVATIONS.includes(name as Activation)) {
    throw new ConfigError(`configuration field "${field}": expected one of ${ACTIVATIONS.join(', ')}, got ${JSON.stringify(name)}`);
  }
  return name as Activation;
}

/** One Euler step per turn from t = 0; saves 0..saves−1 and the end of the round (t1 = the cap). */
export function toExperiment(s: LiarsDiceConfig): LiarsDiceExperiment {
  if (s.training && s.training.lossWeights.turns > 0) {
    throw new ConfigError('configuration field "training.lossWeights.turns": the turn-length loss has zero gradient (docs/reference-defects.md Q5) and is not supported; use 0');
  }
  const saves = Math.min(s.turns.saves, s.turns.max);
  const saveAt = Array.from({ length: saves }, (_, k) => k);
  if (saveAt[saveAt.length - 1] !== s.turns.max) saveAt.push(s.turns.max);
  const network = s.network ?? { width: 8, depth: 3, activation: 'softplus', outputActivation: 'identity' };
  return {
    game: 'liars-dice',
    agents: s.layout.players,
    time: { t0: 0, t1: s.turns.max, dt: 1, saveAt },
    solver: 'euler',
    noise: { sigma: 0, layout: 'none', path: 'frozen' },
    network: {
      width: network.width,
      depth: network.depth,
      activation: activation(network.activation, 'network.activation'),
      outputActivation: activation(network.outputActivation, 'network.outputActivation'),
    },
    training: {
      steps: s.training?.steps ?? 0,
      batchSize: s.training?.batchSize ?? 1,
      optimizer: s.training?.optimizer ?? 'adabelief',
      learningRate: s.training?.learningRate ?? 5e-4,
      trainSamples: Math.max(1, s.data.trainGames),
      validationSamples: s.data.validationGames,
      initialState: 'fixed',
      trajectories: 1,
      lastBatch: s.variant.loader === 'reference' ? 'reference' : 'drop',
      evaluationPopulations: s.evaluation.games,
      checkpointEvery: 50,
      validationEvery: 1,
    },
    mechanics: {},
    initial: {},
    data: {},
    scenario: s,
  };
}

export interface DiceMechanicsOptions {
  layout: CarryLayout;
  turn: TurnOptions;
  costWeights: CostWeights;
  variant: Variant;
  /** the experiment's key (faithful Q4: every game uses it) */
  experimentKey: number;
  /** the training loss's weights (docs/liars-dice.md §11) */
  lossWeights: { kl: number; bluff: number };
}

/** The training loss's weights (docs/liars-dice.md §11; the turn-length term is refused in toExperiment). */
export function lossWeights(s: LiarsDiceConfig): { kl: number; bluff: number } {
  const w = s.training?.lossWeights ?? { kl: 1, bluff: 0.8, turns: 0 };
  return { kl: w.kl, bluff: w.bluff };
}

/**
 * What both engines' mechanics are built from. The experiment's key is drawn from the dynamics
 * stream here, once, as the first draw of a model (faithful Q4: every game uses it).
 */
export function mechanicsOptions(config: LiarsDiceExperiment, dynamics: RandomStream): DiceMechanicsOptions {
  return {
    layout: config.scenario.layout,
    turn: turnOptions(config.scenario),
    costWeights: config.scenario.mechanics.costWeights,
    variant: config.scenario.variant,
    experimentKey: Math.floor(dynamics.uniform() * 2 ** 32) >>> 0,
    lossWeights: lossWeights(config.scenario),
  };
}

