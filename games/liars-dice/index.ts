// Liar's dice (GAMES.md §4) as the engine sees it: the game's own preset schema (config.ts) is
// validated, then mapped onto the engine's experiment configuration (one Euler step per turn,
// no noise, trajectories paired with rolls).
import { tf, type Tensor, type Scalar } from '../../src/tf.ts';
import type { Dataset, Game } from '../../src/game.ts';
import { ConfigError, type ExperimentConfig } from '../../src/config.ts';
import { ACTIVATIONS, type Activation } from '../../src/nn/mlp.ts';
import { mean, std } from '../../src/data/stats.ts';
import { initialCarry, carryColumns, carryRows, softmax, STATE_ROW } from './carry.ts';
import { parseLiarsDiceConfig, presets, turnOptions, type LiarsDiceConfig } from './config.ts';
import { readRolls, rollDice, writeRolls, CSV_HEADER } from './data.ts';
import { diceMechanics, diceNetwork, frequenciesOf, klSum, type DiceMechanicsOptions } from './engine.ts';
import { diceKernels } from './kernels.ts';
import type { RandomStream } from '../../src/random.ts';
import { formatTranscript, recordFromStates } from './simulate.ts';
import { analyses } from './analyses.ts';

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
    throw new ConfigError('configuration field "training.lossWeights.turns": the turn-length loss has zero gradient (GAMES.md Q5) and is not supported; use 0');
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
    },
    mechanics: {},
    initial: {},
    data: {},
    scenario: s,
  };
}

function parseConfig(raw: unknown): LiarsDiceExperiment {
  // a configuration saved with a model or checkpoint carries the game's own one as `scenario`
  const own = typeof raw === 'object' && raw !== null && 'scenario' in raw ? (raw as { scenario: unknown }).scenario : raw;
  return toExperiment(parseLiarsDiceConfig(own));
}

/** Mean beliefs softmax(z_p) over the players of each final carry: [games][F]. */
export function meanBeliefs(finals: number[][], config: LiarsDiceExperiment): number[][] {
  const { layout } = config.scenario;
  const cols = carryColumns(layout);
  return finals.map((carry) => {
    const avg = new Array<number>(layout.faces).fill(0);
    for (let p = 0; p < layout.players; p++) {
      const pi = softmax(carry.slice((2 + p) * cols, (2 + p) * cols + layout.faces));
      pi.forEach((v, k) => (avg[k] += v / layout.players));
    }
    return avg;
  });
}

/** KL(y ‖ p) with the scipy convention kl(0, q) = q (GAMES.md §5.2). */
export function klDivergence(y: number[], p: number[]): number {
  return y.reduce((s, yk, k) => s + (yk > 0 ? yk * Math.log(yk / p[k]) - yk + p[k] : p[k]), 0);
}

/** The training loss's weights (§4.11; the turn-length term is refused in toExperiment). */
function lossWeights(s: LiarsDiceConfig): { kl: number; bluff: number } {
  const w = s.training?.lossWeights ?? { kl: 1, bluff: 0.8, turns: 0 };
  return { kl: w.kl, bluff: w.bluff };
}

/**
 * What both engines' mechanics are built from. The experiment's key is drawn from the dynamics
 * stream here, once, as the first draw of a model (faithful Q4: every game uses it).
 */
function mechanicsOptions(config: LiarsDiceExperiment, dynamics: RandomStream): DiceMechanicsOptions {
  return {
    layout: config.scenario.layout,
    turn: turnOptions(config.scenario),
    costWeights: config.scenario.mechanics.costWeights,
    variant: config.scenario.variant,
    experimentKey: Math.floor(dynamics.uniform() * 2 ** 32) >>> 0,
    lossWeights: lossWeights(config.scenario),
  };
}

export const liarsDice: Game<LiarsDiceExperiment> = {
  name: 'liars-dice',
  title: "Liar's dice (one bidding round)",
  presets,
  defaultPresets: { simulate: 'demo', train: 'train', generate: 'train' },
  options: [],
  // GAMES.md Q4, Q6, Q7, Q9, Q13: every variant field set to the reference's behaviour
  faithful: {
    'variant.tail': 'faithful',
    'variant.keys': 'constant',
    'variant.gradient': 'probabilities',
    'variant.initialLogits': 'odds-as-logits',
    'variant.networkPlayer': 'clamped-turn',
    'variant.loader': 'reference',
  },
  parseConfig,
  stateShape: (config) => [carryRows(config.scenario.layout), carryColumns(config.scenario.layout)],
  initialState(config) {
    const s = config.scenario;
    return initialCarry(s.layout, {
      odds: s.initial.odds === 'uniform' ? undefined : s.initial.odds,
      bluffRate: s.initial.bluffRate,
      logits: s.variant.initialLogits,
    });
  },
  mechanics: (config, dynamics) => diceMechanics(mechanicsOptions(config, dynamics)),
  kernels: (config, dynamics) => diceKernels(mechanicsOptions(config, dynamics)),
  network: (config) => diceNetwork(config.scenario.layout, config.scenario.variant),
  // Figs. 4/5 and 6 (GAMES.md §5.1, §5.2): `neural-mfg analyze liars-dice --preset NAME`
  analyses,
  describeRun(config, states, endStep) {
    const record = recordFromStates(config.scenario.layout, states, endStep);
    return {
      text: formatTranscript(record),
      summary: { roundLength: record.turns, ended: record.ended, gameState: record.gameState, transcript: record.transcript },
    };
  },
  observations: {
    csvHeader: CSV_HEADER,
    pairing: 'paired',
    read: (file, config) => readRolls(file, config.scenario.layout),
    write: (file, data) => writeRolls(file, data),
    generate: (config, rng, samples) => rollDice(rng, config.scenario.data.odds, config.scenario.layout, samples),
    // GAMES.md §4.11: L = kl·mean_b mean_p Σ_k kl(θ̂_{b,k} + ε, softmax(z_{b,p})_k + ε) + bluff·mean_b |−1 − g_b|
    loss(prediction: Tensor, observations: Tensor, config): Scalar {
      return tf.tidy(() => {
        const s = config.scenario;
        const { players: P, faces: F } = s.layout;
        const B = prediction.shape[0];
        const eps = s.mechanics.costWeights.epsilon;
        const theta = tf.reshape(frequenciesOf(observations, s.layout), [B, 1, F]);
        const beliefs = tf.softmax(tf.slice(prediction, [0, 2, 0], [B, P, F]));
        const klLoss = tf.mean(klSum(tf.add(theta, eps), tf.add(beliefs, eps)));
        const g = tf.slice(prediction, [0, STATE_ROW, 0], [B, 1, 1]);
        const bluffLoss = tf.mean(tf.abs(tf.sub(-1, g)));
        const w = lossWeights(s);
        return tf.add(tf.mul(w.kl, klLoss), tf.mul(w.bluff, bluffLoss)) as Scalar;
      });
    },
    metrics(finals: number[][], data: Dataset, config, extras) {
      const s = config.scenario;
      const truth = s.data.odds;
      const games = meanBeliefs(finals, config);
      const learnedOdds = truth.map((_, k) => mean(games.map((g) => g[k])));
      const perGame = games.map((g) => klDivergence(truth, g));
      const cols = carryColumns(s.layout);
      const states = finals.map((c) => c[STATE_ROW * cols]);
      // the face frequencies of the observed rolls, pooled: what `eval` compares the beliefs with
      const observedOdds = truth.map((_, k) => mean(Array.from(data.values, (f) => (f === k + 1 ? 1 : 0))));
      const out: Record<string, number | number[]> = {
        games: finals.length,
        observedOdds,
        klToObserved: klDivergence(observedOdds, truth.map((_, k) => mean(games.map((g) => g[k])))),
        // mean beliefs over players and games, and KL(y_true ‖ p̄) per game (mean, std)
        learnedOdds,
        klToTrue: mean(perGame),
        klToTrueStd: std(perGame),
        successfulChallengeShare: mean(states.map((g) => (g === 1 ? 1 : 0))),
        meanLearnedBluffRate: mean(finals.map((c) => mean(Array.from({ length: s.layout.players }, (_, p) => Math.max(c[(2 + p) * cols + s.layout.faces], 0))))),
      };
      if (extras?.endSteps) out.meanRoundLength = mean(extras.endSteps.map((e) => e ?? s.turns.max));
      if (extras?.mfgOnlyFinals) out.klMfgOnly = mean(meanBeliefs(extras.mfgOnlyFinals, config).map((g) => klDivergence(truth, g)));
      return out;
    },
  },
};
