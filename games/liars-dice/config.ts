// Liar's dice presets (JSON under presets/), validated once here with errors that name the field.
// The schema is the game's own (a carry matrix per game, turns instead of a time grid, a variant per
// reference quirk); experiment.ts maps it onto the engine's ExperimentConfig. It is documented field
// by field in README.md.
import { ConfigError, FieldReader } from '../../src/config.ts';
import type { TailConvention } from './binomial.ts';
import type { CarryLayout, InitialLogits } from './carry.ts';
import type { CostWeights, GradientTarget, TurnKeys, TurnOptions } from './rules.ts';
import demo from './presets/demo.json' with { type: 'json' };
import train from './presets/train.json' with { type: 'json' };
import bluffSweepFair from './presets/bluff-sweep-fair.json' with { type: 'json' };
import bluffSweepUnfair from './presets/bluff-sweep-unfair.json' with { type: 'json' };
import dataEfficiency from './presets/data-efficiency.json' with { type: 'json' };

export const presets: Record<string, unknown> = {
  demo,
  train,
  'bluff-sweep-fair': bluffSweepFair,
  'bluff-sweep-unfair': bluffSweepUnfair,
  'data-efficiency': dataEfficiency,
};

/** The reference's behaviour (faithful) or the corrected one (default), quirk by quirk. */
export interface Variant {
  /** Q13 */
  tail: TailConvention;
  /** Q4 */
  keys: TurnKeys;
  /** Q6: where the cost gradient goes */
  gradient: GradientTarget;
  /** Q6: how initial odds enter the logit slots */
  initialLogits: InitialLogits;
  /** Q7: the network reads the active player (t mod P) or the clamped row 2 + min(t, P − 1) */
  networkPlayer: 'active' | 'clamped-turn';
  /** Q9: 'default' uses every full batch; 'reference' drops the last batch of an epoch even when full */
  loader: 'default' | 'reference';
}

export interface LiarsDiceConfig {
  game: 'liars-dice';
  name: string;
  description: string;
  layout: CarryLayout;
  variant: Variant;
  /** the opening carry: every player's odds ('uniform' or a list) and raw bluff rate λ₀ */
  initial: { odds: number[] | 'uniform'; bluffRate: number };
  mechanics: { plausibilityThreshold: number; costWeights: CostWeights };
  /** turn cap (t1 with h = 1) and how many states 0..saves−1 to record */
  turns: { max: number; saves: number };
  /** seed of the experiment's streams (data, keys, parameters, shuffling) */
  seed: number;
  /** where the observed rolls come from */
  data: { odds: number[]; trainGames: number; validationGames: number };
  /** absent: MFG only */
  network?: { width: number; depth: number; activation: string; outputActivation: string };
  training?: {
    steps: number;
    batchSize: number;
    optimizer: 'adabelief' | 'adam';
    learningRate: number;
    /** L = kl·L_KL + bluff·L_bluff + turns·L_turn (docs/liars-dice.md §11); turns = 0 is reduce_turns off */
    lossWeights: { kl: number; bluff: number; turns: number };
  };
  /** the evaluation games: count, and the initial odds of their carry ('data' writes y_true, docs/liars-dice.md §14) */
  evaluation: { games: number; initialOdds: 'uniform' | 'data' };
  /** one run per value of a configuration field (Figs. 4/5: initial.bluffRate; Fig. 6: data.trainGames) */
  sweep?: {
    field: 'initial.bluffRate' | 'data.trainGames';
    values: number[];
    /**
     * independent draws of the training set (with their own network initialisation and shuffling)
     * per sweep value; the first is the experiment's own seed. Default 1 (the reference).
     */
    draws: number;
  };
}

function odds(reader: FieldReader, key: string, faces: number): number[] {
  const v = reader.numbers(key, { length: faces });
  if (v.some((p) => p < 0) || Math.abs(v.reduce((a, b) => a + b, 0) - 1) > 1e-9) reader.fail(key, `${faces} non-negative numbers summing to 1`, v);
  return v;
}

export function parseLiarsDiceConfig(raw: unknown): LiarsDiceConfig {
  const root = new FieldReader(raw, '');
  if (root.string('game') !== 'liars-dice') root.fail('game', '"liars-dice"', (raw as { game?: unknown }).game);
  const name = root.string('name');
  const description = root.string('description');

  const lr = root.section('layout');
  const layout: CarryLayout = {
    players: lr.number('players', { integer: true, min: 1 }),
    dice: lr.number('dice', { integer: true, min: 1 }),
    faces: lr.number('faces', { integer: true, min: 2 }),
  };
  lr.done();

  const vr = root.section('variant');
  const variant: Variant = {
    tail: vr.choice('tail', ['default', 'faithful'] as const),
    keys: vr.choice('keys', ['per-turn', 'constant'] as const),
    gradient: vr.choice('gradient', ['logits', 'probabilities'] as const),
    initialLogits: vr.choice('initialLogits', ['log-odds', 'odds-as-logits'] as const),
    networkPlayer: vr.choice('networkPlayer', ['active', 'clamped-turn'] as const),
    // absent in models saved before it existed
    loader: vr.has('loader') ? vr.choice('loader', ['default', 'reference'] as const) : 'default',
  };
  vr.done();

  const ir = root.section('initial');
  const initial = {
    odds: (ir.has('odds') && (raw as { initial: { odds: unknown } }).initial.odds === 'uniform'
      ? (ir.choice('odds', ['uniform'] as const) as 'uniform')
      : odds(ir, 'odds', layout.faces)) as number[] | 'uniform',
    bluffRate: ir.number('bluffRate'),
  };
  ir.done();

  const mr = root.section('mechanics');
  const wr = mr.section('costWeights');
  const costWeights: CostWeights = {
    safety: wr.number('safety', { min: 0 }),
    risk: wr.number('risk', { min: 0 }),
    niceness: wr.number('niceness', { min: 0 }),
    kl: wr.number('kl', { min: 0 }),
    epsilon: wr.number('epsilon', { positive: true }),
  };
  wr.done();
  const mechanics = { plausibilityThreshold: mr.number('plausibilityThreshold', { min: 0, max: 1 }), costWeights };
  mr.done();

  const tr = root.section('turns');
  const turns = { max: tr.number('max', { integer: true, min: 1 }), saves: tr.number('saves', { integer: true, min: 1 }) };
  tr.done();

  const seed = root.number('seed', { integer: true, min: 0 });

  const dr = root.section('data');
  const data = {
    odds: odds(dr, 'odds', layout.faces),
    trainGames: dr.number('trainGames', { integer: true, min: 0 }),
    validationGames: dr.number('validationGames', { integer: true, min: 0 }),
  };
  dr.done();

  let network: LiarsDiceConfig['network'];
  if (root.has('network')) {
    const nr = root.section('network');
    network = {
      width: nr.number('width', { integer: true, min: 1 }),
      depth: nr.number('depth', { integer: true, min: 0 }),
      activation: nr.string('activation'),
      outputActivation: nr.string('outputActivation'),
    };
    nr.done();
  }

  let training: LiarsDiceConfig['training'];
  if (root.has('training')) {
    const gr = root.section('training');
    const lw = gr.section('lossWeights');
    const lossWeights = { kl: lw.number('kl', { min: 0 }), bluff: lw.number('bluff', { min: 0 }), turns: lw.number('turns', { min: 0 }) };
    lw.done();
    training = {
      steps: gr.number('steps', { integer: true, min: 0 }),
      batchSize: gr.number('batchSize', { integer: true, min: 1 }),
      optimizer: gr.choice('optimizer', ['adabelief', 'adam'] as const),
      learningRate: gr.number('learningRate', { positive: true }),
      lossWeights,
    };
    gr.done();
  }
  if ((network === undefined) !== (training === undefined)) {
    throw new ConfigError('configuration fields "network" and "training" go together: give both or neither');
  }

  const er = root.section('evaluation');
  const evaluation = {
    games: er.number('games', { integer: true, min: 1 }),
    initialOdds: er.choice('initialOdds', ['uniform', 'data'] as const),
  };
  er.done();

  let sweep: LiarsDiceConfig['sweep'];
  if (root.has('sweep')) {
    const sr = root.section('sweep');
    sweep = {
      field: sr.choice('field', ['initial.bluffRate', 'data.trainGames'] as const),
      values: sr.numbers('values', { minLength: 1 }),
      draws: sr.has('draws') ? sr.number('draws', { integer: true, min: 1 }) : 1,
    };
    sr.done();
  }
  root.done();
  return { game: 'liars-dice', name, description, layout, variant, initial, mechanics, turns, seed, data, network, training, evaluation, sweep };
}

/** The rule and drift options of one configuration. */
export function turnOptions(config: LiarsDiceConfig): TurnOptions {
  return {
    plausibilityThreshold: config.mechanics.plausibilityThreshold,
    tail: config.variant.tail,
    keys: config.variant.keys,
    costWeights: config.mechanics.costWeights,
    gradient: config.variant.gradient,
  };
}
