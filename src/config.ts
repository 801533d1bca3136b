// Experiment configuration: plain JSON data (presets under games/<name>/presets/), overridden by
// `--set key=value`, validated once here at the edge. Errors name the field.
import { SOLVER_NAMES, solverByName } from './ode/solvers/index.ts';
import { ACTIVATIONS, type Activation } from './nn/spec.ts';

export class ConfigError extends Error {}

export interface TimeGrid {
  t0: number;
  t1: number;
  dt: number;
  saveAt: number[];
}

export interface NoiseConfig {
  /** diffusion coefficient σ (constant) */
  sigma: number;
  /** one scalar path shared by all agents, one per agent, or none */
  layout: 'common' | 'independent' | 'none';
  /** one path for the whole experiment (the reference) or a fresh one for every solve */
  path: 'frozen' | 'fresh';
  /**
   * the noise amplitude: the constant σ (`fixed`, the paper's; absent means fixed) or a network
   * σ_θ(x_i, t, summary) that starts near σ (`neural`, src/mfg/agent-network.ts)
   */
  diffusion?: DiffusionKind;
}

/** How the noise amplitude is given: the constant σ, or a network of the agent's state, time and population summary. */
export type DiffusionKind = 'fixed' | 'neural';
export const DIFFUSION_KINDS: readonly DiffusionKind[] = ['fixed', 'neural'];

/**
 * The neural term: one MLP over the whole state (`population`, the paper's), one small MLP shared
 * by every agent reading its own state, the time and a summary of the population (`agent`), or no
 * neural drift at all (`none`: only a neural diffusion is learned).
 */
export type NetworkKind = 'population' | 'agent' | 'none';
export const NETWORK_KINDS: readonly NetworkKind[] = ['population', 'agent', 'none'];

/** The training loss: the game's own (mse, the paper's) or a distance between the simulated and the observed final populations. */
export type LossKind = 'mse' | 'energy' | 'sliced-wasserstein';
export const LOSS_KINDS: readonly LossKind[] = ['mse', 'energy', 'sliced-wasserstein'];

/** The population summary the agent network (and the neural diffusion) reads by default: these quantiles besides the mean and the standard deviation. */
export const DEFAULT_SUMMARY_QUANTILES = [0.2, 0.5, 0.8];

export interface NetworkConfig {
  width: number;
  depth: number;
  activation: Activation;
  outputActivation: Activation;
  /** absent: population (the paper's) */
  kind?: NetworkKind;
  /** the quantile levels of the population summary the agent network reads, besides mean and std */
  quantiles?: number[];
}

export interface TrainingConfig {
  steps: number;
  batchSize: number;
  optimizer: 'adabelief' | 'adam';
  learningRate: number;
  trainSamples: number;
  /**
   * the size of the generated validation set; with a validation file larger than this, the
   * per-step validation loss uses a seeded subsample of this many (the final report uses all)
   */
  validationSamples: number;
  /** compute the validation loss every this many steps (and at the last one) */
  validationEvery: number;
  /** a new initial population before every step (the reference's Fig. 2b) or one for the run */
  initialState: 'fresh' | 'fixed';
  /** simulated populations per step, each compared with every sample of the batch */
  trajectories: number;
  /** a last batch smaller than batchSize: 'drop' it (docs/reference-defects.md Q9 fixed: end ≤ N) or 'keep' it; 'reference' drops the last batch even when full (Q9) */
  lastBatch: 'drop' | 'keep' | 'reference';
  /** initial populations over which the final model is evaluated (losses, final-turn statistics) */
  evaluationPopulations: number;
  /** write DIR/checkpoint.json every this many steps (0: only when interrupted), and at the end */
  checkpointEvery: number;
  /** absent: mse, the game's own loss (the paper's) */
  loss?: LossKind;
}

/**
 * The inverse mean-field game (train --learn, src/mfg/learned.ts): mechanics parameters learned from
 * the data beside (or, with network.kind "none", instead of) the network, and the bootstrap of
 * their confidence intervals. Absent in a configuration: nothing learned.
 */
export interface InverseConfig {
  /** dotted mechanics fields made trainable, e.g. ["mechanics.scheduledTime"] (the game's Game.learnable) */
  learn: string[];
  /** how far one optimiser step moves a learned parameter at the start, in its own units */
  learningRate: number;
  /** retrain on this many resamples of the training data for a confidence interval per parameter (0: none) */
  bootstrap: number;
  /** the confidence level of the bootstrap intervals */
  level: number;
}

export const INVERSE_DEFAULTS: InverseConfig = { learn: [], learningRate: 0.01, bootstrap: 0, level: 0.9 };

export interface ExperimentConfig {
  game: string;
  agents: number;
  time: TimeGrid;
  solver: string;
  noise: NoiseConfig;
  network: NetworkConfig;
  training: TrainingConfig;
  /** absent: nothing learned (INVERSE_DEFAULTS) */
  inverse?: InverseConfig;
  mechanics: object;
  initial: object;
  data: object;
}

/** While `traceFields` runs: every field a reader reads, with the type it expects. */
let tracing: Map<string, string> | null = null;

/**
 * Runs `parse` (a game's parseConfig) and returns what each field it read must be, by dotted
 * path: "an integer ≥ 1", "one of fresh, fixed", … (what `neural-mfg config` prints).
 */
export function traceFields(parse: () => unknown): Map<string, string> {
  const outer = tracing;
  tracing = new Map();
  try {
    parse();
    return tracing;
  } finally {
    tracing = outer;
  }
}

/** Reads one object of a raw configuration, checking types and ranges, naming each field. */
export class FieldReader {
  private readonly seen = new Set<string>();
  constructor(
    private readonly raw: unknown,
    readonly path: string,
  ) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new ConfigError(`configuration field "${path || '(root)'}": expected an object, got ${JSON.stringify(raw)}`);
    }
  }
  private name(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }
  private get(key: string): unknown {
    this.seen.add(key);
    const v = (this.raw as Record<string, unknown>)[key];
    if (v === undefined) throw new ConfigError(`configuration field "${this.name(key)}" is missing`);
    return v;
  }
  has(key: string): boolean {
    return (this.raw as Record<string, unknown>)[key] !== undefined;
  }
  fail(key: string, expected: string, got: unknown): never {
    throw new ConfigError(`configuration field "${this.name(key)}": expected ${expected}, got ${describeValue(got)}`);
  }
  private expects(key: string, what: string): void {
    tracing?.set(this.name(key), what);
  }
  number(key: string, opts: { min?: number; max?: number; integer?: boolean; positive?: boolean } = {}): number {
    const what =
      (opts.integer ? 'an integer' : 'a number') +
      (opts.positive ? ' > 0' : '') +
      (opts.min !== undefined ? ` ≥ ${opts.min}` : '') +
      (opts.max !== undefined ? ` ≤ ${opts.max}` : '');
    this.expects(key, what);
    const v = this.get(key);
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, what, v);
    if (opts.integer && !Number.isInteger(v)) this.fail(key, what, v);
    if (opts.positive && !(v > 0)) this.fail(key, what, v);
    if (opts.min !== undefined && v < opts.min) this.fail(key, what, v);
    if (opts.max !== undefined && v > opts.max) this.fail(key, what, v);
    return v;
  }
  choice<T extends string>(key: string, choices: readonly T[]): T {
    this.expects(key, `one of ${choices.join(', ')}`);
    const v = this.get(key);
    if (typeof v !== 'string' || !choices.includes(v as T)) this.fail(key, `one of ${choices.join(', ')}`, v);
    return v as T;
  }
  string(key: string): string {
    this.expects(key, 'a string');
    const v = this.get(key);
    if (typeof v !== 'string') this.fail(key, 'a string', v);
    return v;
  }
  numbers(key: string, opts: { minLength?: number; length?: number } = {}): number[] {
    this.expects(key, opts.length !== undefined ? `a list of ${opts.length} numbers` : opts.minLength ? `a list of at least ${opts.minLength} numbers` : 'a list of numbers');
    const v = this.get(key);
    const ok = Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
    if (!ok) this.fail(key, 'a list of numbers', v);
    const arr = v as number[];
    if (opts.minLength !== undefined && arr.length < opts.minLength) {
      this.fail(key, `a list of at least ${opts.minLength} numbers`, v);
    }
    if (opts.length !== undefined && arr.length !== opts.length) this.fail(key, `a list of ${opts.length} numbers`, v);
    return arr.slice();
  }
  strings(key: string): string[] {
    this.expects(key, 'a list of strings');
    const v = this.get(key);
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) this.fail(key, 'a list of strings', v);
    return (v as string[]).slice();
  }
  section(key: string): FieldReader {
    return new FieldReader(this.get(key), this.name(key));
  }
  /** Refuses fields that nobody read (typos in presets or --set). */
  done(): void {
    for (const [key, value] of Object.entries(this.raw as object)) {
      if (!this.seen.has(key) && value !== undefined) throw new ConfigError(`configuration field "${this.name(key)}" is not known`);
    }
  }
}

/** The most solver steps one solve may take ((t1 − t0)/dt). */
export const MAX_SOLVER_STEPS = 1_000_000;

/** Validates the sections every game shares; the game validates mechanics, initial and data. */
export function readCommonConfig(root: FieldReader): Omit<ExperimentConfig, 'mechanics' | 'initial' | 'data'> {
  const game = root.string('game');
  const agents = root.number('agents', { integer: true, min: 1 });

  const tr = root.section('time');
  const t0 = tr.number('t0');
  const t1 = tr.number('t1');
  const dt = tr.number('dt', { positive: true });
  if (!(t1 > t0)) tr.fail('t1', `a number > t0 = ${t0}`, t1);
  // a solve of more steps than this is a mistake, not a run (time.dt=1e-12 would never end)
  if (!((t1 - t0) / dt <= MAX_SOLVER_STEPS)) tr.fail('dt', `a step of at least (t1 − t0)/${MAX_SOLVER_STEPS} = ${(t1 - t0) / MAX_SOLVER_STEPS} (at most ${MAX_SOLVER_STEPS} solver steps)`, dt);
  const saveAt = tr.numbers('saveAt', { minLength: 1 });
  for (const t of saveAt) if (t < t0 || t > t1) tr.fail('saveAt', `times within [${t0}, ${t1}]`, saveAt);
  for (let i = 1; i < saveAt.length; i++) if (!(saveAt[i] > saveAt[i - 1])) tr.fail('saveAt', 'increasing times', saveAt);
  tr.done();

  const solver = root.choice('solver', SOLVER_NAMES);

  const nr = root.section('noise');
  const noise: NoiseConfig = {
    sigma: nr.number('sigma', { min: 0 }),
    layout: nr.choice('layout', ['common', 'independent', 'none'] as const),
    path: nr.choice('path', ['frozen', 'fresh'] as const),
    // optional (configurations written before it existed are fixed), always filled in so that --set reaches it
    diffusion: nr.has('diffusion') ? nr.choice('diffusion', DIFFUSION_KINDS) : 'fixed',
  };
  nr.done();
  if (noise.diffusion === 'neural') {
    if (noise.layout === 'none') nr.fail('layout', 'common or independent with noise.diffusion "neural" (a diffusion needs noise)', noise.layout);
    if (!(noise.sigma > 0)) nr.fail('sigma', 'a number > 0 with noise.diffusion "neural" (where the learned amplitude starts)', noise.sigma);
  }
  if (noise.layout !== 'none' && !solverByName(solver).acceptsNoise) {
    const noisy = SOLVER_NAMES.filter((name) => solverByName(name).acceptsNoise).join(', ');
    root.fail('solver', `a solver that takes noise (${noisy}) when noise.layout is not "none"`, solver);
  }

  const inverse = root.has('inverse') ? readInverseConfig(root.section('inverse')) : structuredClone(INVERSE_DEFAULTS);

  const wr = root.section('network');
  const network: NetworkConfig = {
    width: wr.number('width', { integer: true, min: 1 }),
    depth: wr.number('depth', { integer: true, min: 0 }),
    activation: wr.choice('activation', ACTIVATIONS),
    outputActivation: wr.choice('outputActivation', ACTIVATIONS),
    kind: wr.has('kind') ? wr.choice('kind', NETWORK_KINDS) : 'population',
    quantiles: wr.has('quantiles') ? wr.numbers('quantiles') : DEFAULT_SUMMARY_QUANTILES.slice(),
  };
  if (network.quantiles!.some((q) => !(q >= 0 && q <= 1))) wr.fail('quantiles', 'quantile levels within [0, 1]', network.quantiles);
  wr.done();
  if (network.kind === 'none' && noise.diffusion !== 'neural' && inverse.learn.length === 0) {
    wr.fail('kind', 'population or agent, or "none" together with noise.diffusion "neural" or inverse.learn (otherwise nothing is learned)', network.kind);
  }

  const gr = root.section('training');
  const training: TrainingConfig = {
    steps: gr.number('steps', { integer: true, min: 0 }),
    batchSize: gr.number('batchSize', { integer: true, min: 1 }),
    optimizer: gr.choice('optimizer', ['adabelief', 'adam'] as const),
    learningRate: gr.number('learningRate', { positive: true }),
    trainSamples: gr.number('trainSamples', { integer: true, min: 1 }),
    validationSamples: gr.number('validationSamples', { integer: true, min: 0 }),
    initialState: gr.choice('initialState', ['fresh', 'fixed'] as const),
    trajectories: gr.number('trajectories', { integer: true, min: 1 }),
    lastBatch: gr.choice('lastBatch', ['drop', 'keep', 'reference'] as const),
    evaluationPopulations: gr.number('evaluationPopulations', { integer: true, min: 1 }),
    checkpointEvery: gr.has('checkpointEvery') ? gr.number('checkpointEvery', { integer: true, min: 0 }) : 50,
    validationEvery: gr.has('validationEvery') ? gr.number('validationEvery', { integer: true, min: 1 }) : 1,
    loss: gr.has('loss') ? gr.choice('loss', LOSS_KINDS) : 'mse',
  };
  gr.done();
  return { game, agents, time: { t0, t1, dt, saveAt }, solver, noise, network, training, inverse };
}

/** The `inverse` section (which fields exist is the game's to check: src/mfg/learned.ts). */
function readInverseConfig(ir: FieldReader): InverseConfig {
  const inverse: InverseConfig = {
    learn: ir.strings('learn'),
    learningRate: ir.number('learningRate', { positive: true }),
    bootstrap: ir.number('bootstrap', { integer: true, min: 0 }),
    level: ir.number('level', { positive: true, max: 1 }),
  };
  if (!(inverse.level < 1)) ir.fail('level', 'a number > 0 and < 1', inverse.level);
  if (new Set(inverse.learn).size !== inverse.learn.length) ir.fail('learn', 'fields named once each', inverse.learn);
  ir.done();
  return inverse;
}

/** A value in a message: JSON, except numbers JSON cannot write (Infinity, NaN), written as they are. */
function describeValue(v: unknown): string {
  const text = JSON.stringify(v, (_key, x) => (typeof x === 'number' && !Number.isFinite(x) ? `\u0000${x}\u0000` : x));
  return text === undefined ? String(v) : text.replace(/"\\u0000(-?\w+)\\u0000"/g, '$1');
}

/** A number a float64 cannot hold (1e400 reads as Infinity) anywhere in a parsed --set value. */
function outOfRange(v: unknown): boolean {
  if (typeof v === 'number') return !Number.isFinite(v);
  if (Array.isArray(v)) return v.some(outOfRange);
  return v !== null && typeof v === 'object' && Object.values(v).some(outOfRange);
}

/** Parses a `--set` value: JSON when it parses (numbers, lists, booleans), else a string. */
function parseValue(setting: string, text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text;
  }
  if (outOfRange(value)) {
    const what = typeof value === 'number' ? 'the number is out of range' : 'a number in it is out of range';
    throw new ConfigError(`--set ${setting}: ${what} (numbers go up to about 1.8e308 in magnitude)`);
  }
  return value;
}

/**
 * Applies `key=value` overrides (dotted keys) to a copy of a raw configuration. Only existing
 * fields can be set, so a typo is an error rather than a silently ignored setting.
 */
export function applyOverrides(raw: unknown, overrides: string[]): unknown {
  const copy = structuredClone(raw) as Record<string, unknown>;
  for (const o of overrides) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set ${o}: expected key=value, e.g. training.steps=100`);
    const key = o.slice(0, eq).trim();
    const parts = key.split('.');
    let node: Record<string, unknown> = copy;
    for (let i = 0; i < parts.length - 1; i++) {
      const next = node[parts[i]];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) {
        throw new ConfigError(`--set ${o}: "${parts.slice(0, i + 1).join('.')}" is not a configuration section`);
      }
      node = next as Record<string, unknown>;
    }
    const last = parts[parts.length - 1];
    if (!(last in node)) {
      const known = Object.keys(node).join(', ');
      throw new ConfigError(`--set ${o}: no configuration field "${key}" (fields here: ${known})`);
    }
    node[last] = parseValue(o, o.slice(eq + 1).trim());
  }
  return copy;
}

/** Sets one dotted field (for game-specific flags such as --noise). */
export function setField(raw: unknown, field: string, value: unknown): unknown {
  return applyOverrides(raw, [`${field}=${JSON.stringify(value)}`]);
}
