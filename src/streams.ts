// The random streams of a run, all derived from its one seed: the table of stream numbers lives
// here and nowhere else, so that no two uses share a stream by accident and changing one use never
// shifts another (docs/framework.md §5 keeps data, initial states, dynamics, initialisation and shuffling
// apart; evaluation and test games have streams of their own).
import { deriveSeed, RandomStream } from './random.ts';

/** Every stream a run derives from its seed, by name; the numbers are part of reproducibility. */
const STREAM_INDEX = {
  /** generated observations: the training set, then the validation set */
  data: 1,
  /** initial states (populations) of the training */
  initialState: 2,
  /** noise paths and the game's own randomness (attendance draws, per-game keys) */
  dynamics: 3,
  /** the network's initial parameters */
  parameters: 4,
  /** the loader's permutations */
  shuffle: 5,
  /** the keys of the per-step validation loss (paired games): apart, so that validating never shifts training */
  validation: 6,
  /** the initial populations and keys of an evaluation */
  evaluation: 100,
  /** fresh observations to evaluate a model on when the run's data were generated */
  testData: 101,
  /** the keys of an evaluation that starts every trajectory from one fixed state */
  evaluationKeys: 102,
  /** which rows of a large validation file the per-step validation loss uses */
  validationSubsample: 103,
  /** the random population statistic behind an equilibrium gap (El Farol's attendance draws) */
  equilibriumGap: 104,
  /** which training samples each bootstrap replicate resamples (train --bootstrap) */
  bootstrap: 105,
  /** the level and growth-rate draws a forecast adds to each path (src/forecast/calibration.ts) */
  forecastNoise: 106,
  /** the other draws of a training set in an analysis (draw r > 0 uses seed of index 1000 + r) */
  draws: 1000,
  /** the seed of bootstrap replicate r ≥ 1 (index 2000 + r): its own initial populations, noise and network */
  bootstrapRuns: 2000,
} as const;

export type StreamName = keyof typeof STREAM_INDEX;

/** The streams a training run carries in its checkpoints. */
export type TrainingStreamName = 'data' | 'initialState' | 'dynamics' | 'parameters' | 'shuffle' | 'validation';
const TRAINING_STREAMS: TrainingStreamName[] = ['data', 'initialState', 'dynamics', 'parameters', 'shuffle', 'validation'];

/** One named stream of a seed. */
export function streamOf(seed: number, name: Exclude<StreamName, 'draws' | 'bootstrapRuns'>): RandomStream {
  return new RandomStream(deriveSeed(seed, STREAM_INDEX[name]));
}

/** The separate streams of a training run of one seed. */
export function randomStreams(seed: number): Record<TrainingStreamName, RandomStream> {
  const out = {} as Record<TrainingStreamName, RandomStream>;
  for (const name of TRAINING_STREAMS) out[name] = streamOf(seed, name);
  return out;
}

/** The seed of bootstrap replicate r ≥ 1 of a run (train --bootstrap). */
export function bootstrapSeed(seed: number, r: number): number {
  return deriveSeed(seed, STREAM_INDEX.bootstrapRuns + r);
}

/** The seed of draw r of a training set in an analysis: the run's own seed for r = 0. */
export function drawSeed(seed: number, r: number): number {
  return r === 0 ? seed : deriveSeed(seed, STREAM_INDEX.draws + r);
}
