// What a game is, to the engine: a one-screen interface. A game brings its mechanics (population
// statistic and per-agent cost, from which the engine derives the drift by autodiff), its noise,
// its network shape, its observation model (CSV schema, generator, loss) and its presets. The
// engine never imports a game; games register in games/index.ts.
import type { Tensor, Scalar } from './tf.ts';
import type { RandomStream } from './random.ts';
import type { ExperimentConfig } from './config.ts';
import type { ReferenceLine } from './plot/figures.ts';

/** A game's mechanics bound to one experiment (its configuration and dynamics stream). */
export interface Mechanics {
  /** Population statistic of the current state y [trajectories, agents]; held fixed in gradients. */
  population(y: Tensor, t: number): Tensor;
  /** Per-agent cost C(y_i; m), same shape as y. The drift is −∂C/∂y_i (derived by the engine). */
  cost(y: Tensor, m: Tensor): Tensor;
  /** Maps each saved state to what is observed (El Farol clips to [0, 1]); default identity. */
  observe?(y: Tensor): Tensor;
}

/** A column-major observation set: [samples, ...sampleShape] in float64. */
export interface Dataset {
  values: Float64Array;
  shape: number[];
  /** the sample labels as read from the CSV (or generated) */
  labels: string[];
}

export interface ObservationModel<C> {
  /** the CSV header, matched by name */
  csvHeader: string[];
  read(file: string, config: C): Promise<Dataset>;
  write(file: string, data: Dataset): Promise<void>;
  /** synthetic observations from the generator of the game's configuration */
  generate(config: C, rng: RandomStream, samples: number): Dataset;
  /**
   * The training loss between the observed final state prediction [trajectories, agents] and a
   * batch of observations [batch, ...sampleShape].
   */
  loss(prediction: Tensor, observations: Tensor, config: C): Scalar;
  /**
   * The observations on the scale of an agent's state, pooled (meeting: every arrival time; El
   * Farol: each sample's attendance rate): what reports and figures compare the population with.
   */
  comparableValues(data: Dataset, config: C): number[];
  /**
   * The distances that matter for this game between the model's final observed populations
   * [populations][agents] and the observations (reported by `eval`).
   */
  metrics(finalPopulations: number[][], data: Dataset, config: C): Record<string, number>;
}

/** A game-specific command-line flag, mapped onto a configuration field. */
export interface GameOption {
  flag: string;
  /** dotted path of the configuration field it sets */
  field: string;
  description: string;
  choices: string[];
}

export interface FigureStyle {
  yTitle: string;
  yFormat: 'clock' | 'number';
  referenceLines: ReferenceLine[];
  yDomain?: [number, number];
  lastTurnHistogram?: { binWidth: number; domain: [number, number]; xTitle: string };
}

export interface Game<C extends ExperimentConfig = ExperimentConfig> {
  name: string;
  title: string;
  /** raw preset configurations by name (JSON files in the game's folder) */
  presets: Record<string, unknown>;
  defaultPresets: { simulate: string; train: string; generate: string };
  options: GameOption[];
  /** validates a raw configuration; errors name the field */
  parseConfig(raw: unknown): C;
  /** one initial population [agents] */
  initialState(config: C, rng: RandomStream): Float64Array;
  mechanics(config: C, dynamics: RandomStream): Mechanics;
  observations: ObservationModel<C>;
  figureStyle(config: C, observedMean?: number): FigureStyle;
}
