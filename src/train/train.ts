// The training loop: per step, a mini-batch of observations, loss and gradient through the whole
// solve (tf.variableGrads), one optimiser update, then the validation loss on the whole
// validation set with the updated network (GAMES.md §1.3). Tensor count stays flat.
import { tf, type Tensor, type Scalar } from '../tf.ts';
import type { Dataset, SolveContext } from '../game.ts';
import type { ExperimentConfig } from '../config.ts';
import type { MeanFieldModel } from '../mfg/model.ts';
import type { RandomStream, StreamName } from '../random.ts';
import { BatchLoader, type LoaderState } from './loader.ts';
import { createOptimizer, OPTIMIZER_DEFAULTS, type OptimizerState } from './optimizers.ts';

export interface StepMetrics {
  step: number;
  trainLoss: number;
  validationLoss: number | null;
  ms: number;
}

/** Everything a run needs to continue exactly where it stopped (GAMES.md-independent). */
export interface TrainState {
  /** the next step to take */
  step: number;
  params: Float32Array;
  optimizer: OptimizerState;
  loader: LoaderState;
  streams: Record<StreamName, Uint32Array>;
  /** the current initial population [agents] */
  initialState: number[];
  metrics: StepMetrics[];
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
  /** continue from a saved state instead of starting afresh */
  resume?: TrainState;
  /** called with the state every `checkpointEvery` steps and when the loop stops early */
  checkpoint?: { every: number; save: (state: TrainState) => Promise<void> };
}

export interface TrainResult {
  /** every step's metrics, those before a resume included */
  metrics: StepMetrics[];
  /** the initial population of the last step [agents] */
  lastInitialState: Float64Array;
  stoppedEarly: boolean;
}

export class DivergenceError extends Error {}

/** Rows `indices` of a dataset (host). */
export function subset(data: Dataset, indices: ArrayLike<number>): Dataset {
  const rowSize = data.shape.slice(1).reduce((a, b) => a * b, 1);
  const values = new Float64Array(indices.length * rowSize);
  const labels: string[] = [];
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i];
    values.set(data.values.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
    labels.push(data.labels[r]);
  }
  return { values, shape: [indices.length, ...data.shape.slice(1)], labels };
}

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
  let x0Host: Float64Array;
  let firstStep = 0;
  if (opts.resume) {
    const r = opts.resume;
    tf.tidy(() => model.params.assign(tf.tensor1d(r.params)));
    optimizer.setState(r.optimizer);
    loader.setState(r.loader);
    for (const [name, state] of Object.entries(r.streams)) streams[name as StreamName].state = state;
    x0Host = Float64Array.from(r.initialState);
    metrics.push(...r.metrics);
    firstStep = r.step;
  } else {
    x0Host = game.initialState(config, streams.initialState);
  }
  let stoppedEarly = false;
  const snapshot = (step: number): TrainState => ({
    step,
    params: Float32Array.from(model.params.dataSync()),
    optimizer: optimizer.getState(),
    loader: loader.getState(),
    streams: Object.fromEntries(
      Object.entries(streams).map(([name, s]) => [name, Uint32Array.from(s.state)]),
    ) as Record<StreamName, Uint32Array>,
    initialState: Array.from(x0Host),
    metrics: metrics.slice(),
  });

  // Loss of the observed final state against a batch: [trajectories, ...state] vs [batch, ...].
  const finalTime = [config.time.saveAt[config.time.saveAt.length - 1]];
  const lossOf = (y0: Tensor, path: ReturnType<typeof model.nextPath>, observations: Tensor, ctx?: SolveContext): Scalar => {
    const ys = model.simulate(y0, path, { network: true, ctx, saveAt: finalTime });
    const last = tf.squeeze(ys, [0]);
    return game.observations.loss(last, observations, config);
  };
  // Paired games (Liar's dice) simulate one trajectory per observation, which their mechanics see.
  const paired = game.observations.pairing === 'paired';
  const startStates = (x0: Float64Array, n: number) =>
    tf.tidy(() => tf.tile(tf.tensor(Float32Array.from(x0), [1, ...model.shape]), [n, ...model.shape.map(() => 1)]));

  try {
    for (let step = firstStep; step < tc.steps; step++) {
      // Let the event loop run between steps, so that SIGINT/SIGTERM handlers can fire.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (opts.shouldStop?.()) {
        stoppedEarly = true;
        await opts.checkpoint?.save(snapshot(step));
        break;
      }
      const start = performance.now();
      // a fresh population before every step but the very first (which uses the one drawn above);
      // a resumed run holds the previous step's population and stream state, so it draws too
      if (tc.initialState === 'fresh' && step > 0) x0Host = game.initialState(config, streams.initialState);
      const batchIndices = loader.next();
      const trajectories = paired ? batchIndices.length : tc.trajectories;
      const ctx: SolveContext | undefined = paired
        ? { observations: subset(opts.train, batchIndices), keys: streams.dynamics.keys(trajectories) }
        : undefined;
      const path = model.nextPath(trajectories);
      const observations = gatherRows(opts.train, batchIndices);
      const y0 = startStates(x0Host, trajectories);
      let trainLoss = NaN;
      let validationLoss: number | null = null;
      try {
        const { value, grads } = tf.variableGrads(() => lossOf(y0, path, observations, ctx), [model.params]);
        trainLoss = value.dataSync()[0];
        const grad = grads[model.params.name];
        value.dispose();
        if (!Number.isFinite(trainLoss)) {
          grad.dispose();
          throw new DivergenceError(`training diverged at step ${step}: the loss is ${trainLoss}`);
        }
        optimizer.apply(model.params, grad);
        grad.dispose();
        if (!tf.tidy(() => tf.all(tf.isFinite(model.params)).dataSync()[0] === 1)) {
          throw new DivergenceError(`training diverged at step ${step}: the weights are no longer finite after the update`);
        }
        if (validation && paired) {
          const n = validation.shape[0];
          const vctx = { observations: opts.validation!, keys: streams.dynamics.keys(n) };
          const vy0 = startStates(x0Host, n);
          validationLoss = tf.tidy(() => lossOf(vy0, null, validation, vctx).dataSync()[0]);
          vy0.dispose();
        } else if (validation) {
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
      const every = opts.checkpoint?.every ?? 0;
      if (every > 0 && (step + 1) % every === 0 && step + 1 < tc.steps) await opts.checkpoint!.save(snapshot(step + 1));
    }
  } finally {
    optimizer.dispose();
    validation?.dispose();
  }
  return { metrics, lastInitialState: x0Host, stoppedEarly };
}
