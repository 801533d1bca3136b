// The training loop: per step, a mini-batch of observations, loss and gradient through the whole
// solve (by the model's engine: fused or graph), one optimiser update of the flat parameter vector
// in place, then the validation loss on the whole validation set with the updated network
// (docs/framework.md §4). Everything between steps is host data.
import { batchOf, batchOfAll, subset, type Dataset, type SolveContext } from '../data/dataset.ts';
import type { ExperimentConfig } from '../config.ts';
import type { MeanFieldModel } from '../mfg/model.ts';
import type { RandomStream } from '../random.ts';
import type { TrainingStreamName as StreamName } from '../streams.ts';
import { BatchLoader, type LoaderState } from './loader.ts';
import { createOptimizer, OPTIMIZER_DEFAULTS, type OptimizerConfig, type OptimizerState } from './optimizers.ts';
import type { ObservationBatch, SolveRequest } from '../mfg/engine.ts';
import { NonFiniteError } from '../finite.ts';

export interface StepMetrics {
  step: number;
  trainLoss: number;
  validationLoss: number | null;
  ms: number;
}

/** Everything a run needs to continue exactly where it stopped (game-independent). */
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
  /** called with the state every `checkpointEvery` steps, when the loop stops early, and at the end */
  checkpoint?: { every: number; save: (state: TrainState) => Promise<void> };
}

export interface TrainResult {
  /** every step's metrics, those before a resume included */
  metrics: StepMetrics[];
  /** the initial population of the last step [agents] */
  lastInitialState: Float64Array;
  stoppedEarly: boolean;
}

/** The loss or the weights became NaN or infinite during training (exit status 3). */
export class DivergenceError extends NonFiniteError {
  override readonly name = 'DivergenceError';
  /** where the observations are far outside what the game is made for: that, in words (the likely cause) */
  dataCause?: string;
}

/** What an engine offers to train with the parameters and the optimiser kept on its device. */
export interface DeviceTraining {
  attachOptimizer(cfg: OptimizerConfig, state?: OptimizerState): void;
  /** loss, gradient and update in one go; reads back the loss and whether every parameter is finite */
  trainStep(req: SolveRequest, observations: ObservationBatch): { loss: number; finite: boolean };
  /** the device's parameters into the model's host array (returned) */
  downloadParams(): Float32Array;
  optimizerState(): OptimizerState;
  /** the host array becomes the master copy again (after a download) */
  detachOptimizer(): void;
}

function deviceTraining(engine: object): DeviceTraining | null {
  return 'trainStep' in engine && 'attachOptimizer' in engine ? (engine as unknown as DeviceTraining) : null;
}

export async function trainLoop<C extends ExperimentConfig>(opts: TrainOptions<C>): Promise<TrainResult> {
  const { model, streams } = opts;
  const { config, game } = model;
  const tc = config.training;
  const loader = new BatchLoader(opts.train.shape[0], tc.batchSize, streams.shuffle, tc.lastBatch);
  const optimizer = createOptimizer({ ...OPTIMIZER_DEFAULTS[tc.optimizer], learningRate: tc.learningRate }, model.params.length);
  const validation = opts.validation && opts.validation.shape[0] > 0 ? batchOfAll(opts.validation) : null;
  const metrics: StepMetrics[] = [];
  let x0Host: Float64Array;
  let firstStep = 0;
  if (opts.resume) {
    const r = opts.resume;
    if (r.params.length !== model.params.length) {
      throw new Error(`the saved state holds ${r.params.length} parameters, the network has ${model.params.length}`);
    }
    model.params.set(r.params);
    optimizer.setState(r.optimizer);
    loader.setState(r.loader);
    // (a checkpoint written before a stream existed leaves that stream where the seed puts it)
    for (const [name, state] of Object.entries(r.streams)) if (streams[name as StreamName]) streams[name as StreamName].state = state;
    x0Host = Float64Array.from(r.initialState);
    metrics.push(...r.metrics);
    firstStep = r.step;
  } else {
    x0Host = game.initialState(config, streams.initialState);
  }
  // an engine that keeps the parameters and the optimiser on its device (the GPU engine) trains
  // there; the model's host array is brought up to date at checkpoints and at the end
  const device = deviceTraining(model.engine);
  device?.attachOptimizer({ ...OPTIMIZER_DEFAULTS[tc.optimizer], learningRate: tc.learningRate }, opts.resume?.optimizer);
  let stoppedEarly = false;
  const snapshot = (step: number): TrainState => ({
    step,
    params: (device ? device.downloadParams() : model.params).slice(),
    optimizer: device ? device.optimizerState() : optimizer.getState(),
    loader: loader.getState(),
    streams: Object.fromEntries(
      Object.entries(streams).map(([name, s]) => [name, Uint32Array.from(s.state)]),
    ) as Record<StreamName, Uint32Array>,
    initialState: Array.from(x0Host),
    metrics: metrics.slice(),
  });

  // Paired games (Liar's dice) simulate one trajectory per observation, which their mechanics see.
  const paired = game.observations.pairing === 'paired';
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
      const request = { y0: model.startStates(x0Host, trajectories), trajectories, path, network: true, ctx };
      let trainLoss: number;
      let finite: boolean;
      if (device) {
        // the gradient and the update stay on the device; one read: the loss and a finite flag
        ({ loss: trainLoss, finite } = device.trainStep(request, batchOf(opts.train, batchIndices)));
        if (!Number.isFinite(trainLoss)) throw new DivergenceError(`training diverged at step ${step}: the loss is ${trainLoss}`);
      } else {
        const r = model.lossAndGradient(request, batchOf(opts.train, batchIndices));
        trainLoss = r.loss;
        if (!Number.isFinite(trainLoss)) throw new DivergenceError(`training diverged at step ${step}: the loss is ${trainLoss}`);
        optimizer.apply(model.params, r.gradient);
        finite = model.params.every(Number.isFinite);
      }
      if (!finite) throw new DivergenceError(`training diverged at step ${step}: the weights are no longer finite after the update`);
      let validationLoss: number | null = null;
      const validate = (step + 1) % tc.validationEvery === 0 || step + 1 === tc.steps;
      if (!validate) {
        // a step without validation: the loss curve has a gap there
      } else if (validation && paired) {
        const n = validation.shape[0];
        const vctx = { observations: opts.validation!, keys: streams.validation.keys(n) };
        validationLoss = model.loss({ y0: model.startStates(x0Host, n), trajectories: n, path: null, network: true, ctx: vctx }, validation);
      } else if (validation) {
        validationLoss = model.loss(request, validation);
      }
      const m: StepMetrics = { step, trainLoss, validationLoss, ms: performance.now() - start };
      metrics.push(m);
      opts.onStep?.(m);
      const every = opts.checkpoint?.every ?? 0;
      if (every > 0 && (step + 1) % every === 0 && step + 1 < tc.steps) await opts.checkpoint!.save(snapshot(step + 1));
    }
    // the final state too: a finished run can be extended (train --resume DIR --set
    // training.steps=N) from where it ended, and resuming it never re-does steps
    if (!stoppedEarly) await opts.checkpoint?.save(snapshot(Math.max(firstStep, tc.steps)));
  } finally {
    // the device's parameters back into the model's host array (a diverged run's too: the caller decides)
    device?.detachOptimizer();
  }
  return { metrics, lastInitialState: x0Host, stoppedEarly };
}
