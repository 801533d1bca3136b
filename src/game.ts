// What a game is, to the engine: a one-screen interface. A game brings its mechanics (population
// statistic and per-agent cost, from which the engine derives the drift by autodiff), its noise,
// its network shape, its observation model (CSV schema, generator, loss) and its presets. The
// engine never imports a game; games register in games/index.ts.
import type { Tensor, Scalar } from './tf.ts';
import type { Dataset, SolveContext } from './data/dataset.ts';

export type { Dataset, SolveContext } from './data/dataset.ts';
import type { RandomStream } from './random.ts';
import type { ExperimentConfig } from './config.ts';
import type { ReferenceLine } from './plot/figures.ts';
import type { GameKernels } from './fused/kernels.ts';
import type { GpuGameKernels } from './gpu/kernels.ts';
import type { Forecast } from './forecast/forecast.ts';
import type { EnsembleCombine } from './forecast/ensemble-names.ts';

/** A game's mechanics bound to one experiment (its configuration and dynamics stream). */
export interface Mechanics {
  /** Population statistic of the current state y [trajectories, ...state]; held fixed in gradients. */
  population(y: Tensor, t: number, ctx?: SolveContext): Tensor;
  /**
   * Per-agent cost C(u_i; m) of the decoded state u = decode(y) (default u = y); summed, it is the
   * total cost. The drift is −∂C/∂y (derived by the engine).
   */
  cost(u: Tensor, m: Tensor, ctx?: SolveContext): Tensor;
  /** The coordinates the cost is written in (Liar's dice: beliefs = softmax(logits)). */
  decode?(y: Tensor): Tensor;
  /**
   * 'state' (default): the drift is −∂C(decode(y))/∂y (chain rule). 'decoded': −∂C/∂u at
   * u = decode(y), added to y as it is (the reference's Liar's dice, docs/reference-defects.md Q6).
   */
  gradientIn?: 'state' | 'decoded';
  /** The discrete part of the dynamics, from the held-fixed statistic (Liar's dice: new bid, game state). */
  transition?(m: Tensor, y: Tensor): Tensor;
  /** Which trajectories have ended: their state stays frozen, and the solve stops when all have. */
  ended?(y: Tensor): boolean[];
  /** Maps each saved state to what is observed (El Farol clips to [0, 1]); default identity. */
  observe?(y: Tensor): Tensor;
}

/** How the neural term reads and writes the state (default: all of it in, a state-shaped increment out). */
export interface NetworkAdapter {
  inputSize: number;
  outputSize: number;
  /** the network's input [trajectories, inputSize] */
  input(t: number, y: Tensor, ctx: SolveContext): Tensor;
  /** the increment of y [trajectories, ...state] from the network's output [trajectories, outputSize] */
  output(t: number, out: Tensor, y: Tensor): Tensor;
}

/** Where an observed value must lie (README, "Accepted ranges"). */
export interface AcceptedRange {
  /** the configuration field that sets it (`--set data.range=[lo,hi]` widens it) */
  field: string;
  /** what the value is, e.g. "an arrival time in hours" */
  what: string;
  min: number;
  max: number;
  /** the game's default range: what its mechanics are made for (divergence messages compare the data with it) */
  usual: [number, number];
}

export interface ObservationModel<C> {
  /** the CSV header, matched by name */
  csvHeader: string[];
  /**
   * The range `read` accepts an observed value in (one naming its field otherwise). Absent: the
   * game's own columns bound them (El Farol's counts, Liar's dice's faces).
   */
  accepted?(config: C): AcceptedRange;
  /**
   * 'final' (default): the data observe the state at the last save time. 'trajectory': they observe
   * every save time, a time series (the epidemic's daily counts): `loss`, `metrics` and the kernels'
   * loss then read each trajectory's whole path [trajectories, saves, ...state], `fromStates` one
   * path [saves, ...state] per sample, and the reverse pass is seeded at every save time.
   */
  observes?: 'final' | 'trajectory';
  /**
   * 'all' (default): every simulated trajectory is compared with every observation of a batch.
   * 'paired': trajectory b is simulated for observation b (and its mechanics see it in the context).
   */
  pairing?: 'all' | 'paired';
  read(file: string, config: C): Promise<Dataset>;
  write(file: string, data: Dataset): Promise<void>;
  /** synthetic observations from the generator of the game's configuration */
  generate(config: C, rng: RandomStream, samples: number): Dataset;
  /**
   * What is observed of simulated final states, one sample each (finals[s]: the observed state,
   * flattened): `generate --from-dynamics` (src/run/generate.ts). Meeting and LQ observe the states
   * themselves; El Farol draws attendance counts from `rng`. Absent: not available for the game.
   */
  fromStates?(finals: ArrayLike<number>[], config: C, rng: RandomStream): Dataset;
  /**
   * The training loss between the observed final states [trajectories, ...state] (or paths, with
   * observes 'trajectory') and a batch of observations [batch, ...sampleShape] (batch = trajectories
   * when paired).
   */
  loss(prediction: Tensor, observations: Tensor, config: C): Scalar;
  /**
   * The configuration that follows from the observations read for a run, before its model is built
   * (the epidemic: its initial compartments from the days before the fitted window). Absent: none.
   */
  configureFrom?(data: Dataset, config: C): C;
  /**
   * The observations file a run reads when it is given none (the epidemic's bundled records), or
   * null to generate them. Absent: generate them.
   */
  defaultFile?(config: C): string | null;
  /**
   * How `train --bootstrap` resamples the observations. Absent: the samples, with replacement. A
   * time series resamples blocks of days instead (days are not independent); `units` is how many
   * independent pieces the data hold (the n of the interval's Student t).
   */
  bootstrap?: { units(data: Dataset): number; resample(data: Dataset, rng: RandomStream): Dataset };
  /**
   * For games that observe time series: the named series (the epidemic: confirmed, fatal, severe)
   * of a simulated path and of an observed sample, and the date of each save time, also past the
   * configuration's last one (src/run/projection.ts projects a fit forward with them).
   */
  timeSeries?: TimeSeries<C>;
  /**
   * The observations on the scale of an agent's state, pooled (meeting: every arrival time; El
   * Farol: each sample's attendance rate): what reports and figures compare the population with.
   */
  comparableValues?(data: Dataset, config: C): ArrayLike<number>;
  /**
   * The distances that matter for this game between the model's final observed populations
   * [populations][agents] (or each population's path [saves · state], with observes 'trajectory')
   * and the observations (reported by `eval`).
   */
  metrics(
    finalPopulations: number[][],
    data: Dataset,
    config: C,
    extras?: {
      endSteps?: (number | null)[];
      mfgOnlyFinals?: number[][];
      /** the observations were drawn from the configuration's generator: its true parameters are known */
      generated?: boolean;
    },
  ): Record<string, number | number[]>;
}

/** The series a time-series game observes, by name, one value per save time (index 0: the start, which has none). */
export interface TimeSeries<C> {
  /** the series' names, the first the main one (the epidemic: "confirmed") */
  names: string[];
  /** the date (YYYY-MM-DD) of save time k, k ≥ 0 (may pass the configuration's last save) */
  date(config: C, k: number): string;
  /** each series of one path [saves, ...state] at every save time (index 0: NaN) */
  simulated(path: ArrayLike<number>, saves: number, config: C): Record<string, Float64Array>;
  /** each series of observed sample `index` of a dataset at every save time (null: not known; index 0: null) */
  observed(data: Dataset, index: number, config: C): Record<string, (number | null)[]>;
  /**
   * Every day a file holds, not only the configuration's window: what `forecast` scores the days
   * after the window against (src/run/forecast.ts). Absent: forecasts are not scored.
   */
  history?(file: string, config: C): Promise<SeriesHistory>;
}

/** A file's whole record as daily series (TimeSeries.history). */
export interface SeriesHistory {
  /** the date of the first day; day k is k days later */
  first: string;
  /** each series (TimeSeries.names) per day, NaN where not known */
  daily: Record<string, Float64Array>;
  /** the main series' running total at the end of each day (the epidemic: cumulative confirmed cases), NaN where not known */
  cumulative: Float64Array;
  /** people in the population: the file's own (a generic file's column), else the configuration's */
  population: number;
}

/** Where a learnable mechanics parameter is kept (train --learn): above `min` and below `max` where given. */
export interface LearnableRange {
  min?: number;
  max?: number;
}

/** A game-specific command-line flag, mapped onto a configuration field. */
export interface GameOption {
  flag: string;
  /** dotted path of the configuration field it sets */
  field: string;
  description: string;
  /** the values it takes; empty: any value (a date), which the configuration checks */
  choices: string[];
}

export interface FigureStyle {
  yTitle: string;
  yFormat: 'clock' | 'number';
  referenceLines: ReferenceLine[];
  yDomain?: [number, number];
  lastTurnHistogram?: { binWidth: number; domain: [number, number]; xTitle: string };
}

/** What an analysis (a sweep of experiments behind a figure) is given. */
export interface AnalysisInput<C extends ExperimentConfig> {
  game: Game<C>;
  /** the validated configuration of the preset named after the analysis (with --quick and --set applied) */
  config: C;
  seed: number;
  /** training observations read from a file (`analyze --data`); absent: the analysis generates its own */
  data?: Dataset;
  dataFile?: string;
  /**
   * Trains a model of `config` as a train run of `seed` would (the same data, parameters and
   * shuffling; no per-step validation), on `observations` when given: the run layer supplies it,
   * on the engine it chose once for the analysis. The model is opaque here: hand it to `evaluate`.
   */
  fit(config: C, seed: number, observations?: Dataset): Promise<unknown>;
  /** a fitted model's runs from `starts` (src/train/evaluate.ts): `populations` trajectories, observed against `observations` */
  evaluate(model: unknown, observations: Dataset | null, starts: { states: RandomStream | Float64Array; keys: RandomStream }, populations: number, opts: { network: boolean }): AnalysisEvaluation;
  /**
   * For games that observe time series (`observations.timeSeries`): a model of `config` fitted on
   * an observations file as `train --data FILE` fits it, then forecast `days` past the
   * configuration's window as `forecast` would, scored against the file's later days; the run
   * layer supplies it, on the engine it chose once for the analysis (the epidemic's rolling
   * evaluation). Throws DivergenceError (src/train/loop.ts) where the fit diverged at every
   * learning rate tried.
   */
  fitAndForecast(config: C, seed: number, ask: ForecastAsk): Promise<FittedForecast>;
  /** one line per sweep point, for people watching */
  progress(line: string): void;
}

/** What a time-series analysis asks to be fitted and forecast (AnalysisInput.fitAndForecast). */
export interface ForecastAsk {
  /** the observations file (the game's format): fitted on the configuration's window, its later days held out */
  data: string;
  /** days forecast after the window */
  days: number;
  /** noise paths behind the bands */
  paths: number;
  /**
   * fits from seeds seed, seed + 1, …, forecast together as an ensemble (default 1: one fit); a fit
   * that diverged at every learning rate tried is left out
   */
  ensemble?: number;
  /** how the ensemble's forecasts are combined (default 'median' of their bands; 'pool' their paths) */
  combine?: EnsembleCombine;
  /** the fit of `seed` diverged and is tried again with its learning rates × `factor` */
  onRetry?(why: string, factor: number, seed: number): void;
}

/** A configuration fitted and forecast past its window (AnalysisInput.fitAndForecast). */
export interface FittedForecast {
  /** the forecast's bands, baselines and scores against the held-out days (src/forecast/forecast.ts) */
  forecast: Forecast;
  /** the learned mechanics (`inverse.learn`) of the first fit that converged; null: none */
  learned: Record<string, number> | null;
  /** each fit of the ensemble that converged: its seed and learned mechanics */
  members: { seed: number; learned: Record<string, number> | null }[];
  /** 1, or the factor of the learning rates the fits needed after diverging (the smallest over the members) */
  learningRateFactor: number;
  fitSeconds: number;
}

/** What `evaluate` returns: the final observed state of each trajectory and, for games that end, when. */
export interface AnalysisEvaluation {
  finalPopulations: number[][];
  endSteps?: (number | null)[];
}

/** What an analysis returns; the CLI writes it: summary.json, <table>.csv, <figure>.svg, the text. */
export interface AnalysisResult {
  summary: Record<string, unknown>;
  tables: Record<string, { header: string[]; rows: (number | string)[][] }>;
  /** SVG text by file stem */
  figures: Record<string, string>;
  /** the final table, for the terminal */
  text: string;
}

/** One independent point of an analysis's sweep: the analysis restricted to it runs it alone. */
export interface AnalysisPoint {
  /** what the point is, field → value, e.g. {"initial.bluffRate": "3"} */
  values: Record<string, string>;
  /** the --set overrides that restrict the analysis to this point, e.g. ["sweep.values=[3]"] */
  set: string[];
}

/** The summary of one point run alone (what `run` returned for it), with its seed and position. */
export interface PointRun {
  seed: number;
  /** the point's position in `points(config)` */
  point: number;
  summary: Record<string, unknown>;
}

/**
 * How an analysis splits into independent jobs (src/sweep runs them, in parallel or on a cluster)
 * and is put back together. Combining the point runs of one seed gives exactly what `run` gives
 * for all points at once; over several seeds, their mean and its spread.
 */
export interface AnalysisSweep<C extends ExperimentConfig> {
  points(config: C): AnalysisPoint[];
  /** the line shown when a point has finished (the same words as `progress` in a whole run) */
  describe(config: C, run: PointRun, position: { index: number; total: number }): string;
  /** the whole analysis from its points' runs (every point × seed, any order) */
  combine(config: C, runs: PointRun[]): Promise<AnalysisResult>;
}

export interface Analysis<C extends ExperimentConfig> {
  description: string;
  /** --set overrides of a preview run (--quick), applied before the user's own */
  quick: string[];
  /** runs every point of the configuration's sweep in this process, for its one seed */
  run(input: AnalysisInput<C>): Promise<AnalysisResult>;
  /** absent: the analysis runs whole, in one process */
  sweep?: AnalysisSweep<C>;
}

/**
 * How the registry-driven checks (test/games.test.ts: engines against each other, kernels against
 * finite differences, short trainings) run a game. Every field is optional: a game without them is
 * checked at every preset as it is, from random initial states.
 */
export interface GameChecks<C extends ExperimentConfig = ExperimentConfig> {
  /** `--set` overrides that keep a preset to seconds in a test, by preset name */
  small?: Record<string, string[]>;
  /** configurations worth checking beyond the presets: a preset and its overrides */
  variants?: { preset: string; sets: string[] }[];
  /** moves a state (flattened, in place) to a random one the game could reach, away from the preset's own */
  perturb?(config: C, state: Float32Array, rng: RandomStream): void;
  /** learnable parameters whose derivative is a surrogate (a smoothed delta), which finite differences cannot check */
  surrogateParameters?: string[];
  /** a short training the engines must end alike: a preset and its overrides */
  training?: { preset: string; sets: string[] };
}

export interface Game<C extends ExperimentConfig = ExperimentConfig> {
  name: string;
  title: string;
  /** raw preset configurations by name (JSON files in the game's folder) */
  presets: Record<string, unknown>;
  defaultPresets: { simulate: string; train: string; generate: string };
  options: GameOption[];
  /**
   * The configuration fields (dotted path → value) that `--faithful` sets: the reference's
   * behaviour, defects included (docs/reference-defects.md), instead of the corrected default. Absent: the
   * game's defaults already are the reference's.
   */
  faithful?: Record<string, unknown>;
  /** validates a raw configuration; errors name the field */
  parseConfig(raw: unknown): C;
  /**
   * The configuration that presets and `--set` speak, behind a parsed one (which parseConfig
   * reads back); absent: the parsed configuration itself. Liar's dice: its own configuration,
   * from which the engine's fields are derived.
   */
  rawConfig?(config: C): unknown;
  /** what each of the game's own configuration fields means, by dotted path (`neural-mfg config` prints them) */
  fields: Record<string, string>;
  /** one initial state, flattened [...stateShape] */
  initialState(config: C, rng: RandomStream): Float64Array;
  /** the shape of one state (default [agents]: one number per agent) */
  stateShape?(config: C): number[];
  /**
   * For games whose state holds more than one number per agent: how many leading values of a state
   * are the agents' own continuous states, one each (the epidemic: the contact levels, ahead of the
   * compartments). Only these are driven by the noise and read and written by the agent network and
   * the neural diffusion; the rest moves by the mechanics alone. Absent: the whole state, as before.
   */
  agentStates?(config: C): number;
  /** how the neural term reads and writes the state (default: whole state in, increment out) */
  network?(config: C): NetworkAdapter;
  mechanics(config: C, dynamics: RandomStream): Mechanics;
  /**
   * The same mechanics on typed arrays with hand-derived vector-Jacobian products, for the fused
   * engine (src/fused/); absent: the game runs on the graph engine only. Draws from `dynamics`
   * exactly as `mechanics` does, so that both engines see the same randomness.
   */
  kernels?(config: C, dynamics: RandomStream): GameKernels;
  /**
   * The same mechanics as WGSL for the fused GPU engine (src/gpu/kernels.ts; --backend webgpu);
   * absent: no GPU engine. Draws from `dynamics` exactly as `kernels` does.
   */
  gpuKernels?(config: C, dynamics: RandomStream): GpuGameKernels;
  observations: ObservationModel<C>;
  /**
   * For games whose state is not one number per agent: what `simulate` prints and records for one
   * simulated trajectory (states[k]: the flattened state at the k-th save time; Liar's dice: the
   * transcript of the round).
   */
  describeRun?(
    config: C,
    states: number[][],
    endStep: number | null,
    /** what the trajectory was paired with and keyed by, and the run's seed */
    run: { observation: Dataset | null; key: number; seed: number },
  ): { text: string; summary: Record<string, unknown> };
  /** box plots per turn of a population (games whose state is one number per agent) */
  figureStyle?(config: C, observedMean?: number): FigureStyle;
  /**
   * The equilibrium (Nash) gap of one population [agents] at one turn, per agent: how much agent i
   * could lower its own cost by changing its own state alone, the population statistic held fixed,
   * C(x_i; m) − min_y C(y; m) (games whose state is one number per agent; the game's README gives
   * the equations). A game whose statistic is random (El Farol's attendance) draws it from `rng`.
   * Absent: not defined for the game (src/run/equilibrium.ts reports it where present).
   */
  equilibriumGap?(config: C, population: Float64Array, rng: RandomStream): Float64Array;
  /**
   * The mechanics fields `train --learn` can make trainable (dotted path → the range it is kept in;
   * a bound left out is open), learned on the fused engine through the kernels' `parameters` hook
   * (src/mfg/learned.ts). Absent: none.
   */
  learnable?: Record<string, LearnableRange>;
  /** the paper's sweeps (figures from many runs), by name; each runs from the preset of that name */
  analyses?: Record<string, Analysis<C>>;
  /** the small settings of the registry-driven checks (GameChecks) */
  checks?: GameChecks<C>;
}
