// A training run, start to finish, as a train request runs it: the observations (the user's CSV
// files, or the paper's data generated from the seed), the model, the training loop with its
// checkpoints in the run's folder, then the saved model, metrics.csv, loss.svg and the evaluation
// report with summary.json (report.ts), and the report in words. fitModel, the model fitted in
// memory, is what analyses are handed to train with (src/run/analysis.ts).
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ConfigError, type ExperimentConfig } from '../config.ts';
import { subset, type Dataset } from '../data/dataset.ts';
import { streamOf } from '../streams.ts';
import type { MeanFieldModel } from '../mfg/model.ts';
import type { EngineName } from '../mfg/engine.ts';
import { readCheckpoint, writeCheckpoint, type CheckpointRun } from '../io/checkpoint.ts';
import { saveModel } from '../io/model.ts';
import { writeCsv } from '../data/csv.ts';
import { lossCurve, writePngBeside, writeSvg } from '../plot/figures.ts';
import { DivergenceError, trainLoop, type StepMetrics, type TrainResult, type TrainState } from '../train/loop.ts';
import { GENERATED_VALUES, populationsThatFit } from '../train/evaluate.ts';
import { buildModel, experimentOf, type Experiment } from './experiment.ts';
import { chooseEngine, type EngineChoice } from './engine.ts';
import { reportTraining, type RunFacts, type TrainingReport } from './report.ts';
import { bootstrapLearned, type BootstrapResult } from './inverse.ts';
import { inverseOf } from '../mfg/learned.ts';
import { withOverrides } from '../config-fields.ts';
import { METRICS_HEADER, metricsRow, openMetricsLog } from './metrics-log.ts';
import { claimOutput, type Claim } from './folder.ts';
import { GAMES } from '../../games/index.ts';
import { RequestError, type ResumeRequest, type TrainRequest } from './requests.ts';
import type { RunIO } from './io.ts';
import { EXIT_DIVERGED, EXIT_INTERRUPTED } from './exit.ts';
import { trainingText } from './text.ts';

/** A training run resolved: its experiment, seed, engine, observations and folder. */
export interface TrainingRun<C extends ExperimentConfig = ExperimentConfig> {
  exp: Experiment<C>;
  seed: number;
  engine: EngineChoice;
  /** training observations (CSV), or null to generate the paper's data from the seed */
  data: string | null;
  /** validation observations (CSV; needs `data`), or null */
  validation: string | null;
  /** the run's folder: checkpoint.json, model/, metrics.csv, figures, summary.json */
  dir: string;
  /** continue from this state (a checkpoint of the same run) */
  resume?: TrainState;
}

export interface TrainHooks {
  /** after every step */
  onStep?: (m: StepMetrics) => void;
  /** checked between steps: true stops the run after a checkpoint */
  shouldStop?: () => boolean;
  /** after each bootstrap replicate (inverse.bootstrap): its learned values */
  onBootstrap?: (r: number, total: number, learned: Record<string, number>) => void;
  /** a diverged fit tried again with its learning rates × `factor` (trainSteadily) */
  onRetry?: (why: string, factor: number) => void;
}

export interface TrainedRun<C extends ExperimentConfig = ExperimentConfig> {
  req: TrainingRun<C>;
  model: MeanFieldModel<C>;
  result: TrainResult;
  train: Dataset;
  validation: Dataset | null;
  /** performance.now() when the run began */
  started: number;
  /** the bootstrap of the learned mechanics (inverse.bootstrap > 0), when the training finished */
  bootstrap?: BootstrapResult;
}

/** `train GAME`: a fresh run into `out`. */
export async function runTrain(req: TrainRequest, io: RunIO): Promise<number> {
  if (!req.out) throw new RequestError('a train request needs an output folder (out)');
  const exp = experimentOf(req, 'train');
  const claim = await claimOutput(req.out, { command: 'train', game: exp.game.name, force: req.force === true, continues: false });
  return recordingFailure(claim, () => trainIn({ exp, seed: req.seed, data: req.data ?? null, validation: req.validation ?? null, dir: req.out! }, req, io));
}

/** `train --resume DIR`: the run of DIR from its checkpoint, in its own folder. */
export async function runResume(req: ResumeRequest, io: RunIO): Promise<number> {
  const claim = await claimOutput(req.run, { command: 'train', game: req.game ?? null, force: req.force === true, continues: true });
  return recordingFailure(claim, async () => trainIn(await readResume(req.run, GAMES, { game: req.game, steps: req.steps ?? null }), req, io));
}

/** Runs the training and releases its folder, recording why it failed if it did (what `neural-mfg dashboard` shows). */
async function recordingFailure(claim: Claim, training: () => Promise<number>): Promise<number> {
  let failed: string | undefined;
  try {
    const code = await training();
    if (code === EXIT_DIVERGED) failed = 'diverged: the loss or the weights stopped being finite';
    return code;
  } catch (err) {
    failed = err instanceof Error ? err.message : String(err);
    throw err;
  } finally {
    await claim.release(failed);
  }
}

async function trainIn(partial: Omit<TrainingRun, 'engine'>, ask: TrainRequest | ResumeRequest, io: RunIO): Promise<number> {
  const { game, config } = partial.exp;
  if (partial.resume && partial.resume.step >= config.training.steps) {
    io.note(`note: ${partial.dir} had trained all ${config.training.steps} steps; nothing to train (--set training.steps=N trains it further): writing its model and report again`);
  }
  const engine = await chooseEngine(game, config, ask);
  if (engine.note) io.note(`note: ${engine.note}`);
  const req: TrainingRun = { ...partial, engine };
  const progress = io.progress?.(`train ${game.name}`, config.training.steps, req.resume?.step ?? 0) ?? null;
  try {
    const run = await trainRun(req, {
      onStep: (m) => progress?.update(m.step + 1, { loss: m.trainLoss, val: m.validationLoss }),
      shouldStop: io.shouldStop,
      onBootstrap: (r, total, learned) => {
        if (r === 1) progress?.stop();
        io.info?.(`bootstrap ${r}/${total}: ${Object.entries(learned).map(([f, v]) => `${f} = ${v.toPrecision(5)}`).join(', ')}`);
      },
    });
    progress?.stop();
    const report = await saveTrainedRun(run);
    io.out(trainingText(report, game.figureStyle?.(config).yFormat ?? 'number', game.title, req.dir));
    for (const w of (report.summary.warnings as string[] | undefined) ?? []) io.note(`warning: ${w}`);
    if (run.result.stoppedEarly) {
      io.note(`stopped after step ${run.result.metrics.length} of ${config.training.steps}; continue it with: neural-mfg train --resume ${shellWord(req.dir)}`);
      return EXIT_INTERRUPTED;
    }
    return 0;
  } catch (err) {
    if (!(err instanceof DivergenceError)) throw err;
    progress?.stop();
    const checkpoint = join(req.dir, 'checkpoint.json');
    const kept = existsSync(checkpoint) ? `the last good checkpoint is kept: ${checkpoint} (train --resume ${req.dir} continues from it)` : 'no checkpoint had been written yet';
    const advice = err.dataCause ? `The likely cause is the data: ${err.dataCause}.` : 'Try a smaller training.learningRate.';
    io.note(`neural-mfg: ${err.message}. The model was not saved; ${kept}. ${advice}`);
    return EXIT_DIVERGED;
  } finally {
    progress?.stop();
  }
}

/** A path as one shell word: quoted where the shell would split or expand it. */
function shellWord(path: string): string {
  return /^[\w./@%+=:,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

/** The run's observations read from CSV files (the validation file is optional). */
export async function readObservations<C extends ExperimentConfig>(
  exp: Experiment<C>,
  data: string,
  validation: string | null,
): Promise<{ train: Dataset; validation: Dataset | null }> {
  const { game, config } = exp;
  return { train: await game.observations.read(data, config), validation: validation ? await game.observations.read(validation, config) : null };
}

/**
 * What a checkpoint says about its run: everything a resumed run needs besides the engine. `game`,
 * when given, must be the run's; `steps` trains the run further (a finished one included), never
 * shorter than what it has trained.
 */
export async function readResume(
  dir: string,
  games: Record<string, Experiment['game']>,
  opts: { game?: string; steps?: number | null } = {},
): Promise<Omit<TrainingRun, 'engine'>> {
  const ck = await readCheckpoint(join(dir, 'checkpoint.json'));
  const game = games[ck.run.game];
  if (!game) throw new Error(`${join(dir, 'checkpoint.json')}: unknown game "${ck.run.game}"`);
  if (opts.game && opts.game !== game.name) throw new ConfigError(`${dir} holds a ${game.name} run, not ${opts.game}`);
  let config = game.parseConfig(ck.run.config);
  if (opts.steps != null) {
    const done = ck.state.step;
    if (opts.steps < done) throw new ConfigError(`${dir}: the run has trained ${done} steps already; --set training.steps=${opts.steps} cannot shorten it`);
    config = withOverrides(game, config, [`training.steps=${opts.steps}`]);
  }
  return { exp: { game, preset: ck.run.preset, config }, seed: ck.run.seed, data: ck.run.data, validation: ck.run.validationData, dir, resume: ck.state };
}

/**
 * Trains a model of the experiment from its seed on in-memory observations: the given training set,
 * or the paper's data generated from the seed's data stream (the training set first, then, unless
 * `validation` is given or null, the validation set). The engine of every front end (`train`, the
 * analyses) trains through here.
 */
export async function fitModel<C extends ExperimentConfig>(
  exp: Experiment<C>,
  seed: number,
  engine: EngineName,
  opts: {
    train?: Dataset;
    validation?: Dataset | null;
    resume?: TrainState;
    checkpoint?: { every: number; save: (state: TrainState) => Promise<void> };
    hooks?: TrainHooks;
  } = {},
): Promise<{ model: MeanFieldModel<C>; result: TrainResult; train: Dataset; validation: Dataset | null }> {
  const { model, streams } = buildModel(exp, seed, engine);
  const { game, config } = exp;
  const train = opts.train ?? game.observations.generate(config, streams.data, config.training.trainSamples);
  const validation =
    opts.validation !== undefined
      ? opts.validation
      : config.training.validationSamples > 0
        ? // at most GENERATED_VALUES states' worth of samples (a million agents: 16 samples, not 1,000)
          game.observations.generate(config, streams.data, Math.min(config.training.validationSamples, populationsThatFit(model.size, GENERATED_VALUES)))
        : null;
  // a validation file larger than training.validationSamples: a seeded subsample for the per-step
  // loss (validating on hundreds of thousands of samples every step would dominate the run)
  const limit = config.training.validationSamples;
  const stepValidation =
    validation && opts.validation && validation.shape[0] > limit && limit > 0
      ? subset(validation, streamOf(seed, 'validationSubsample').permutation(validation.shape[0]).slice(0, limit))
      : validation;
  let result: TrainResult;
  try {
    result = await trainLoop({
      model,
      train,
      validation: stepValidation,
      streams,
      resume: opts.resume,
      checkpoint: opts.checkpoint,
      onStep: opts.hooks?.onStep,
      shouldStop: opts.hooks?.shouldStop,
    });
  } catch (err) {
    if (err instanceof DivergenceError) err.dataCause ??= farOutside(game, config, [train, validation]) ?? undefined;
    throw err;
  }
  return { model, result, train, validation };
}

/**
 * The observations in words when they lie far outside the range the game is made for (beyond its
 * usual accepted range by more than that range's width: only where --set widened it), else null.
 */
export function farOutside<C extends ExperimentConfig>(game: Experiment<C>['game'], config: C, datasets: (Dataset | null)[]): string | null {
  const accepted = game.observations.accepted?.(config);
  if (!accepted) return null;
  let lo = Infinity;
  let hi = -Infinity;
  for (const d of datasets) {
    if (!d) continue;
    for (let i = 0; i < d.values.length; i++) {
      if (d.values[i] < lo) lo = d.values[i];
      if (d.values[i] > hi) hi = d.values[i];
    }
  }
  const [min, max] = accepted.usual;
  const width = max - min;
  if (!(lo < min - width || hi > max + width)) return null;
  return `the observations range from ${lo.toPrecision(4)} to ${hi.toPrecision(4)}, far outside the [${min}, ${max}] the ${game.name} game is made for (${accepted.what}; ${accepted.field})`;
}

/**
 * Trains as the run says, writing DIR/checkpoint.json every `training.checkpointEvery` steps and
 * when stopped. Throws DivergenceError (nothing saved) when the loss or weights stop being finite.
 */
export async function trainRun<C extends ExperimentConfig>(request: TrainingRun<C>, hooks: TrainHooks = {}): Promise<TrainedRun<C>> {
  const started = performance.now();
  const req = withObservations(request);
  const { seed } = req;
  const files = req.data ? await readObservations(req.exp, req.data, req.validation) : null;
  // the configuration that follows from the observations (the epidemic: its initial compartments)
  const configured = files && req.exp.game.observations.configureFrom?.(files.train, req.exp.config);
  const exp = configured ? { ...req.exp, config: configured } : req.exp;
  const run: CheckpointRun = { game: exp.game.name, preset: exp.preset, config: exp.config, seed, data: req.data, validationData: req.validation };
  // metrics.csv grows as the run trains (metrics-log.ts), for whoever follows it live: the run makes
  // its folder, as its callers do not all claim one first (the forecast's no-network/, the fits of
  // fitAndForecast in a temporary folder)
  await mkdir(req.dir, { recursive: true });
  const log = openMetricsLog(join(req.dir, 'metrics.csv'), req.resume?.metrics ?? []);
  const fitted = await fitModel(exp, seed, req.engine.name, {
    ...(files ? { train: files.train, validation: files.validation } : {}),
    resume: req.resume,
    checkpoint: { every: exp.config.training.checkpointEvery, save: (state) => writeCheckpoint(join(req.dir, 'checkpoint.json'), run, state) },
    hooks: {
      ...hooks,
      onStep: (m) => {
        log.append(m);
        hooks.onStep?.(m);
      },
    },
  }).finally(() => log.close());
  // learned mechanics with --bootstrap K: K retrainings on resamples of the training set (inverse.ts)
  const { bootstrap: total, level } = inverseOf(exp.config);
  if (total === 0 || !fitted.model.learned || fitted.result.stoppedEarly) return { req: { ...req, exp }, ...fitted, started };
  const fit = async (resampled: Dataset, replicateSeed: number) =>
    (await fitModel(exp, replicateSeed, req.engine.name, { train: resampled, validation: null, hooks: { shouldStop: hooks.shouldStop } })).model.learnedValues()!;
  const estimate = fitted.model.learnedValues()!;
  const bootstrap = await bootstrapLearned(fitted.train, seed, estimate, { total, level }, fit, {
    shouldStop: hooks.shouldStop,
    onReplicate: hooks.onBootstrap,
    resample: exp.game.observations.bootstrap,
  });
  return { req: { ...req, exp }, ...fitted, started, bootstrap };
}

/**
 * A training run that does not give up on a diverged fit: a surge of cases (Japan, January 2022)
 * can make the first steps overshoot; each retry halves the learning rates (network and learned
 * mechanics), at most twice. Returns the trained run and the factor that worked.
 */
export async function trainSteadily<C extends ExperimentConfig>(req: TrainingRun<C>, hooks: TrainHooks = {}): Promise<{ run: TrainedRun<C>; learningRateFactor: number }> {
  for (let attempt = 0; ; attempt++) {
    const factor = 0.5 ** attempt;
    const { game, config } = req.exp;
    const own = factor === 1 ? config : withOverrides(game, config, [`training.learningRate=${config.training.learningRate * factor}`, `inverse.learningRate=${inverseOf(config).learningRate * factor}`]);
    try {
      return { run: await trainRun({ ...req, exp: { ...req.exp, config: own } }, hooks), learningRateFactor: factor };
    } catch (err) {
      if (!(err instanceof DivergenceError) || attempt === 2) throw err;
      hooks.onRetry?.(err.message, factor / 2);
    }
  }
}

/** The request with the game's own observations file where none was given (Game.observations.defaultFile). */
function withObservations<C extends ExperimentConfig>(req: TrainingRun<C>): TrainingRun<C> {
  if (req.data) return req;
  const file = req.exp.game.observations.defaultFile?.(req.exp.config) ?? null;
  return file ? { ...req, data: file } : req;
}

/** What summary.json says about a bootstrap besides the intervals. */
function bootstrapFacts(b: BootstrapResult): NonNullable<RunFacts['bootstrap']> {
  return { replicates: b.replicates, level: b.level, samples: b.samples, standardErrors: b.standardErrors, percentile: b.percentile, estimates: b.estimates };
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Saves what a run trained (model/ written atomically, metrics.csv, loss.svg) and its evaluation
 * (report.ts: figures and summary.json), and returns the report.
 */
export async function saveTrainedRun<C extends ExperimentConfig>(run: TrainedRun<C>): Promise<TrainingReport> {
  const { req, model, result, train, validation } = run;
  const { exp, dir, seed, engine } = req;
  const { game, config } = exp;
  const metrics = result.metrics;
  const last = metrics[metrics.length - 1];
  // learned mechanics: the saved model's configuration holds their learned values (the model
  // starts from them), its weights are the networks' alone
  const learned = model.learnedValues();
  await saveModel(
    join(dir, 'model'),
    {
      game: game.name,
      preset: exp.preset,
      config: learned ? withOverrides(game, config, Object.entries(learned).map(([field, value]) => `${field}=${value}`)) : config,
      network: model.spec,
      ...(model.diffusionSpec ? { diffusion: model.diffusionSpec } : {}),
      seed,
      backend: engine.backend,
      engine: engine.name,
      training: {
        steps: metrics.length,
        finalTrainLoss: last?.trainLoss ?? null,
        finalValidationLoss: last?.validationLoss ?? null,
        interrupted: result.stoppedEarly,
      },
    },
    learned ? model.params.subarray(0, model.networkCount) : model.params,
  );
  await writeCsv(join(dir, 'metrics.csv'), METRICS_HEADER, metrics.map(metricsRow));
  if (metrics.length > 0) {
    await writeSvg(
      join(dir, 'loss.svg'),
      await lossCurve({
        title: `${game.title}: training`,
        steps: metrics.map((m) => m.step),
        train: metrics.map((m) => m.trainLoss),
        validation: validation ? metrics.map((m) => m.validationLoss) : undefined,
        yTitle: 'Loss',
        logY: true,
      }),
    );
  }
  const facts: RunFacts = {
    command: 'train',
    game: game.name,
    preset: exp.preset,
    seed,
    backend: engine.backend,
    engine: engine.name,
    ...(engine.note ? { engineNote: engine.note } : {}),
    data: req.data,
    validationData: req.validation,
    trainSamples: train.shape[0],
    validationSamples: validation?.shape[0] ?? 0,
    steps: metrics.length,
    interrupted: result.stoppedEarly,
    lastStep: last ? { step: last.step, trainLoss: last.trainLoss, validationLoss: last.validationLoss } : null,
    msPerStep: metrics.length ? median(metrics.map((m) => m.ms)) : null,
    // train --learn: the learned mechanics, and with --bootstrap K their intervals
    ...(learned ? { learned } : {}),
    ...(run.bootstrap ? { intervals: run.bootstrap.intervals, bootstrap: bootstrapFacts(run.bootstrap) } : {}),
  };
  const report = await reportTraining({ dir, exp, model, seed, train, validation, lastInitialState: result.lastInitialState, facts, started: run.started });
  // a PNG beside every figure, as analyze and sweep aggregate write them
  for (const file of report.files.filter((f) => f.endsWith('.svg') && existsSync(join(dir, f)))) {
    const png = await writePngBeside(join(dir, file), await readFile(join(dir, file), 'utf8'));
    if (png) report.files.push(basename(png));
  }
  return report;
}
