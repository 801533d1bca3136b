// The training loop: per step, a mini-batch of observations, loss and gradient through the whole
// solve (tf.variableGrads), one optimiser update, then the validation loss on the whole
// validation set with the updated network (GAMES.md §1.3). Tensor count stays flat.
import { tf, type Tensor, type Scalar } from '../tf.ts';
import type { Dataset } from '../game.ts';
import type { ExperimentConfig } from '../config.ts';
import type { MeanFieldModel } from '../mfg/model.ts';
import type { RandomStream, StreamName } from '../random.ts';
import { BatchLoader } from './loader.ts';
import { createOptimizer, OPTIMIZER_DEFAULTS } from './optimizers.ts';

export interface StepMetrics {
  step: number;
  trainLoss: number;
  validationLoss: number | null;
  ms: number;
}

export interface TrainOptions<C extends ExperimentConfig> {
  model: MeanFieldModel<C>;
  train: Dataset;
  validation: Dataset | null;
  streams: Record<StreamName, RandomStream>;
  /** called after every step */
  onStep?: (m: StepMetrics) => void;
  /** checked between steps; when it returns true the loop stops early */
  shouldStop?: () => boolean;
}

export interface TrainResult {
  metrics: StepMetrics[];
  /** the initial population of the last step [agents] */
  lastInitialState: Float64Array;
  stoppedEarly: boolean;
}

export class DivergenceError extends Error {}

/** Rows `indices` of a dataset as a tensor [indices.length, ...sampleShape]. */
function gatherRows(data: Dataset, indices: Int32Array): Tensor {
  const rowSize = data.shape.slice(1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(indices.length * rowSize);
  indices.forEach((r, i) => out.set(data.values.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize));
  return tf.tensor(out, [indices.length, ...data.shape.slice(1)]);
}

export async function trainModel<C extends ExperimentConfig>(opts: TrainOptions<C>): Promise<TrainResult> {
  const { model, streams } = opts;
  const { config, game } = model;
  const tc = config.training;
  const loader = new BatchLoader(opts.train.shape[0], tc.batchSize, streams.shuffle, tc.lastBatch);
  const optimizer = createOptimizer(
    { ...OPTIMIZER_DEFAULTS[tc.optimizer], learningRate: tc.learningRate },
    model.params.size,
  );
  const validation =
    opts.validation && opts.validation.shape[0] > 0
      ? gatherRows(opts.validation, Int32Array.from({ length: opts.validation.shape[0] }, (_, i) => i))
      : null;
  const metrics: StepMetrics[] = [];
  let x0Host = game.initialState(config, streams.initialState);
  let stoppedEarly = false;

  // Loss of the observed final state against a batch: [trajectories, agents] vs [batch, ...].
  const lossOf = (y0: Tensor, path: ReturnType<typeof model.nextPath>, observations: Tensor): Scalar => {
    const ys = model.simulate(y0, path, { network: true });
    const last = tf.squeeze(tf.slice(ys, [ys.shape[0] - 1], [1]), [0]);
    return game.observations.loss(last, observations, config);
  };

  try {
    for (let step = 0; step < tc.steps; step++) {
      // Let the event loop run between steps, so that SIGINT/SIGTERM handlers can fire.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (opts.shouldStop?.()) {
        stoppedEarly = true;
        break;
      }
      const start = performance.now();
      if (tc.initialState === 'fresh' && step > 0) x0Host = game.initialState(config, streams.initialState);
      const batchIndices = loader.next();
      const path = model.nextPath(tc.trajectories);
      const observations = gatherRows(opts.train, batchIndices);
      const y0 = tf.tidy(() =>
        tf.tile(tf.tensor2d(Float32Array.from(x0Host), [1, config.agents]), [tc.trajectories, 1]),
      );
      let trainLoss = NaN;
      let validationLoss: number | null = null;
      try {
        const { value, grads } = tf.variableGrads(() => lossOf(y0, path, observations), [model.params]);
        trainLoss = value.dataSync()[0];
        const grad = grads[model.params.name];
        const finite = tf.tidy(() => tf.all(tf.isFinite(grad)).dataSync()[0] === 1);
        value.dispose();
        if (!Number.isFinite(trainLoss) || !finite) {
          grad.dispose();
          throw new DivergenceError(`training diverged at step ${step}: the loss is ${trainLoss}`);
        }
        optimizer.apply(model.params, grad);
        grad.dispose();
        if (validation) {
          validationLoss = tf.tidy(() => lossOf(y0, path, validation).dataSync()[0]);
        }
      } finally {
        observations.dispose();
        y0.dispose();
        if (path && !model.isFrozen(path)) path.dispose();
      }
      const m: StepMetrics = { step, trainLoss, validationLoss, ms: performance.now() - start };
      metrics.push(m);
      opts.onStep?.(m);
    }
  } finally {
    optimizer.dispose();
    validation?.dispose();
  }
  return { metrics, lastInitialState: x0Host, stoppedEarly };
}
