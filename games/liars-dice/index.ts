// Liar's dice (docs/liars-dice.md) as the engine sees it: the game's own preset schema (config.ts) is
// validated, then mapped onto the engine's experiment configuration (one Euler step per turn,
// no noise, trajectories paired with rolls).
import { tf, type Tensor, type Scalar } from '../../src/tf.ts';
import type { Dataset, Game } from '../../src/game.ts';
import { mean, std } from '../../src/data/stats.ts';
import { initialCarry, carryColumns, carryRows, STATE_ROW } from './carry.ts';
import { parseLiarsDiceConfig, presets, turnOptions } from './config.ts';
import { randomStreams } from '../../src/streams.ts';
import { readRolls, rollDice, writeRolls, CSV_HEADER } from './data.ts';
import { diceMechanics, diceNetwork, frequenciesOf, klSum } from './mechanics.ts';
import { diceKernels } from './kernels.ts';
import { lossWeights, mechanicsOptions, toExperiment, type LiarsDiceExperiment } from './engine-config.ts';
import { klDivergence, meanBeliefs } from './metrics.ts';
import { formatTranscript, recordFromStates } from './transcript.ts';
import { analyses } from './analyses.ts';

export type { LiarsDiceExperiment } from './engine-config.ts';
import { liarsDiceFields } from './fields.ts';
import { liarsDiceChecks } from './checks.ts';

function parseConfig(raw: unknown): LiarsDiceExperiment {
  // a configuration saved with a model or checkpoint carries the game's own one as `scenario`
  const own = typeof raw === 'object' && raw !== null && 'scenario' in raw ? (raw as { scenario: unknown }).scenario : raw;
  return toExperiment(parseLiarsDiceConfig(own));
}

export const liarsDice: Game<LiarsDiceExperiment> = {
  name: 'liars-dice',
  title: "Liar's dice (one bidding round)",
  presets,
  defaultPresets: { simulate: 'demo', train: 'train', generate: 'train' },
  options: [],
  // docs/reference-defects.md Q4, Q6, Q7, Q9, Q13: every variant field set to the reference's behaviour
  faithful: {
    'variant.tail': 'faithful',
    'variant.keys': 'constant',
    'variant.gradient': 'probabilities',
    'variant.initialLogits': 'odds-as-logits',
    'variant.networkPlayer': 'clamped-turn',
    'variant.loader': 'reference',
  },
  parseConfig,
  fields: liarsDiceFields,
  rawConfig: (config) => config.scenario,
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
  // Figs. 4/5 and 6 (docs/liars-dice.md §14, §15): `neural-mfg analyze liars-dice --preset NAME`
  analyses,
  describeRun(config, states, endStep, run) {
    // each turn's bluff and challenge reason, replayed by the rules from the saved carries; with
    // constant keys (faithful Q4) every game uses the experiment's key, the first draw of the seed's dynamics stream
    const s = config.scenario;
    const key = s.variant.keys === 'constant' ? mechanicsOptions(config, randomStreams(run.seed).dynamics).experimentKey : run.key;
    const replay = run.observation ? { roll: run.observation.values, key, rules: turnOptions(s) } : undefined;
    const record = recordFromStates(s.layout, states, endStep, replay);
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
    // docs/liars-dice.md §11: L = kl·mean_b mean_p Σ_k kl(θ̂_{b,k} + ε, softmax(z_{b,p})_k + ε) + bluff·mean_b |−1 − g_b|
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
      const games = meanBeliefs(finals, config);
      const learnedOdds = Array.from({ length: s.layout.faces }, (_, k) => mean(games.map((g) => g[k])));
      const cols = carryColumns(s.layout);
      const states = finals.map((c) => c[STATE_ROW * cols]);
      // the face frequencies of the observed rolls, pooled: what the beliefs are compared with
      const observedOdds = learnedOdds.map((_, k) => mean(Array.from(data.values, (f) => (f === k + 1 ? 1 : 0))));
      const out: Record<string, number | number[]> = {
        games: finals.length,
        observedOdds,
        // mean beliefs over players and games, against the observed frequencies
        learnedOdds,
        klToObserved: klDivergence(observedOdds, learnedOdds),
        successfulChallengeShare: mean(states.map((g) => (g === 1 ? 1 : 0))),
        meanLearnedBluffRate: mean(finals.map((c) => mean(Array.from({ length: s.layout.players }, (_, p) => Math.max(c[(2 + p) * cols + s.layout.faces], 0))))),
      };
      if (extras?.endSteps) out.meanRoundLength = mean(extras.endSteps.map((e) => e ?? s.turns.max));
      if (extras?.mfgOnlyFinals) {
        const mfg = meanBeliefs(extras.mfgOnlyFinals, config);
        out.klMfgOnlyToObserved = klDivergence(observedOdds, learnedOdds.map((_, k) => mean(mfg.map((g) => g[k]))));
      }
      // data drawn from the generator: its odds are the truth, and KL(y_true ‖ p̄) per game is reported
      if (extras?.generated) {
        const truth = s.data.odds;
        const perGame = games.map((g) => klDivergence(truth, g));
        out.trueOdds = truth;
        out.klToTrue = mean(perGame);
        out.klToTrueStd = std(perGame);
        if (extras.mfgOnlyFinals) out.klMfgOnly = mean(meanBeliefs(extras.mfgOnlyFinals, config).map((g) => klDivergence(truth, g)));
      }
      return out;
    },
  },
  // the registry-driven checks' small settings (test/games.test.ts)
  checks: liarsDiceChecks,
};
