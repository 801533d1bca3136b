// Evaluation of a model on observations: the loss and the final-turn populations averaged over
// many initial populations at once (one solve, populations as trajectories), so that reported
// figures do not hinge on one random initial state.
import { tf, type Tensor } from '../tf.ts';
import type { Dataset } from '../game.ts';
import type { ExperimentConfig } from '../config.ts';
import type { MeanFieldModel } from '../mfg/model.ts';
import { deriveSeed, RandomStream } from '../random.ts';

/** Stream index of the evaluation populations (apart from the training streams). */
const EVALUATION_STREAM = 100;

/**
 * Where evaluation populations start: a model trained from one fixed initial population is
 * evaluated from that population (its copies still differ where the dynamics are random);
 * otherwise from fresh populations of a dedicated stream of the seed.
 */
export function evaluationStarts(config: ExperimentConfig, seed: number, fixedStart: Float64Array): RandomStream | Float64Array {
  return config.training.initialState === 'fixed' ? fixedStart : new RandomStream(deriveSeed(seed, EVALUATION_STREAM));
}

export interface Evaluation {
  /** the loss against the observations, averaged over the populations; null without data */
  loss: number | null;
  /** final observed state of each population [populations][agents] */
  finalPopulations: number[][];
}

export function datasetTensor(data: Dataset): Tensor {
  return tf.tensor(Float32Array.from(data.values), data.shape);
}

export function evaluateModel<C extends ExperimentConfig>(
  model: MeanFieldModel<C>,
  data: Dataset | null,
  /** where the populations start: a stream to draw them from, or one fixed population for all */
  initialState: RandomStream | Float64Array,
  populations: number,
  opts: { network: boolean },
): Evaluation {
  const { game, config } = model;
  const x0 = new Float32Array(populations * config.agents);
  for (let k = 0; k < populations; k++) {
    const start = 'uniform' in initialState ? game.initialState(config, initialState) : initialState;
    x0.set(start, k * config.agents);
  }
  const path = model.nextPath(populations);
  try {
    return tf.tidy(() => {
      const ys = model.simulate(tf.tensor2d(x0, [populations, config.agents]), path, opts);
      const last = tf.squeeze(tf.slice(ys, [ys.shape[0] - 1], [1]), [0]); // [populations, agents]
      const loss = data ? game.observations.loss(last, datasetTensor(data), config).dataSync()[0] : null;
      const flat = last.dataSync();
      const finalPopulations = Array.from({ length: populations }, (_, k) =>
        Array.from(flat.subarray(k * config.agents, (k + 1) * config.agents)),
      );
      return { loss, finalPopulations } as unknown as tf.TensorContainer;
    }) as unknown as Evaluation;
  } finally {
    if (path && !model.isFrozen(path)) path.dispose();
  }
}
