// Evaluation of a model on observations: the loss and the final-turn populations averaged over
// many initial populations at once (one solve, populations as trajectories), so that reported
// figures do not hinge on one random initial state.
import { batchOfAll, type Dataset, type SolveContext } from '../data/dataset.ts';
import type { ExperimentConfig } from '../config.ts';
import { emptyContext, type MeanFieldModel } from '../mfg/model.ts';
import type { RandomStream } from '../random.ts';
import { streamOf } from '../streams.ts';
import { firstNonFinite, NonFiniteError } from '../finite.ts';
import { lossInput, lossTimes } from '../mfg/observed.ts';

/**
 * The most final-state values an evaluation keeps (and solves at once): 2^22, 64 populations of up
 * to 65,536 agents. Larger populations are evaluated over fewer of them (a million agents: 4), each
 * of which holds that many more agents; the memory and the time stay those of 4 million agents.
 */
export const EVALUATION_VALUES = 2 ** 22;

/** The most values a generated validation set holds: 2^24, 1,000 samples of up to 16,777 agents (a million agents: 16). */
export const GENERATED_VALUES = 2 ** 24;

/** How many populations (or samples) of `size` values fit in `budget` values (at least one). */
export function populationsThatFit(size: number, budget = EVALUATION_VALUES): number {
  return Math.max(1, Math.floor(budget / size));
}

/** training.evaluationPopulations, or fewer where populations of `size` values would pass EVALUATION_VALUES. */
export function evaluationPopulations(config: ExperimentConfig, size: number): number {
  return Math.min(config.training.evaluationPopulations, populationsThatFit(size));
}

/** Where an evaluation's trajectories start, and where their keys come from. */
export interface EvaluationStarts {
  /** a stream to draw each trajectory's initial state from, or one fixed state for all */
  states: RandomStream | Float64Array;
  /** the per-trajectory keys (games that pair trajectories with observations) */
  keys: RandomStream;
}

/**
 * Where evaluation populations start: a model trained from one fixed initial population is
 * evaluated from that population (its copies still differ where the dynamics are random);
 * otherwise from fresh populations of a dedicated stream of the seed. The keys come from a stream
 * of the seed too (the run's own seed: two runs of different seeds are evaluated independently).
 */
export function evaluationStarts(config: ExperimentConfig, seed: number, fixedStart: Float64Array): EvaluationStarts {
  const fixed = config.training.initialState === 'fixed';
  return {
    states: fixed ? fixedStart : streamOf(seed, 'evaluation'),
    keys: fixed ? streamOf(seed, 'evaluationKeys') : streamOf(seed, 'evaluation'),
  };
}

export interface Evaluation {
  /** the loss against the observations, averaged over the populations; null without data */
  loss: number | null;
  /**
   * final observed state of each trajectory, flattened [trajectories][...state]; for games that
   * observe time series (Game.observations.observes 'trajectory'), its whole path [saves · state]
   */
  finalPopulations: number[][];
  /** for games that end: the step after which each trajectory ended */
  endSteps?: (number | null)[];
}

/**
 * Simulates `populations` trajectories (or, for paired games, one per observation of `data`) and
 * returns the loss against `data` and each trajectory's final observed state. The same
 * `initialState` stream gives the same starts and keys, so two calls (with and without the
 * network) compare like with like.
 */
export function evaluateModel<C extends ExperimentConfig>(
  model: MeanFieldModel<C>,
  data: Dataset | null,
  /** where the trajectories start (a stream or one fixed state for all) and their keys */
  starts: EvaluationStarts,
  populations: number,
  opts: { network: boolean },
): Evaluation {
  const { game, config } = model;
  const paired = game.observations.pairing === 'paired';
  if (paired && !data) throw new Error(`evaluating ${game.name} needs observations to pair the trajectories with`);
  const n = paired ? data!.shape[0] : populations;
  const size = model.size;
  const y0 = new Float32Array(n * size);
  const initial = starts.states;
  for (let k = 0; k < n; k++) {
    const start = 'uniform' in initial ? game.initialState(config, initial) : initial;
    y0.set(start, k * size);
  }
  const ctx: SolveContext = paired ? { observations: data, keys: starts.keys.keys(n) } : emptyContext(n);
  // only what the loss reads: the final state, or every save time of a time series
  const times = lossTimes(game, config);
  const request = { y0, trajectories: n, path: model.nextPath(n), network: opts.network, ctx, saveAt: times };
  const solved = model.simulate(request);
  const result = { ...solved, states: lossInput(game, solved.states, times.length, n, size) };
  const per = times.length * size;
  const bad = firstNonFinite(result.states);
  if (bad >= 0) {
    const k = Math.floor(bad / per);
    const t = times[Math.floor((bad % per) / size)];
    throw new NonFiniteError(
      `the simulated states are not finite (${result.states[bad]} for value ${bad % size} of trajectory ${k + 1} of ${n} at t = ${t}${opts.network ? '' : ', MFG dynamics alone'}): ` +
        'the dynamics overflow under this configuration (is a field such as noise.sigma, mechanics.* or initial.* too large?) or these weights',
    );
  }
  const loss = data ? model.lossOfStates(result.states, n, batchOfAll(data)) : null;
  if (loss !== null && !Number.isFinite(loss)) {
    throw new NonFiniteError(`the loss against the observations is ${loss} though the simulated states are finite: the observations are too large to compare (${dataScale(data!.values)})`);
  }
  const finalPopulations = Array.from({ length: n }, (_, k) => Array.from(result.states.subarray(k * per, (k + 1) * per)));
  return { loss, finalPopulations, ...(result.endSteps ? { endSteps: result.endSteps } : {}) };
}

/** "values from −1e30 to 17.5": the range of the observations, for messages. */
function dataScale(values: ArrayLike<number>): string {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < lo) lo = values[i];
    if (values[i] > hi) hi = values[i];
  }
  return `they range from ${lo.toPrecision(3)} to ${hi.toPrecision(3)}`;
}
