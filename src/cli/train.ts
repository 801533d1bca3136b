// `neural-mfg train GAME`: fit the neural term to observations (CSV, or generated from the seed),
// with progress, metrics, figures, the saved model and summary.json. Ctrl-C stops after the
// current step and still saves everything trained so far.
import { deriveSeed, randomStreams, RandomStream } from '../random.ts';
import { mean, std } from '../data/stats.ts';

/** stream index of the test games of a game-metrics report */
const TEST_STREAM = 101;
import { evaluateModel, evaluationStarts } from '../train/evaluate.ts';
import type { Dataset } from '../game.ts';
import { MeanFieldModel, populationsAt } from '../mfg/model.ts';
import { DivergenceError, trainModel, type StepMetrics, type TrainState } from '../train/train.ts';
import { readCheckpoint, writeCheckpoint, type CheckpointRun } from '../io/checkpoint.ts';
import { gameByName } from '../../games/index.ts';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { saveModel } from '../io/model.ts';
import { writeJsonAtomic } from '../io/atomic.ts';
import { writeCsv } from '../data/csv.ts';
import { lossCurve, writeSvg } from '../plot/figures.ts';
import { trainingProgress } from './progress.ts';
import {
  formatMetric,
  formatValue,
  median,
  quantiles,
  resolveExperiment,
  startEngine,
  UsageError,
  writePopulation,
  type CommonOptions,
  type Experiment,
} from './experiment.ts';

export interface TrainCommandOptions extends CommonOptions {
  data?: string;
  validation?: string;
  quiet?: boolean;
  resume?: string;
}

/** Exit code of a run stopped because the loss or the weights became NaN or infinite. */
export const EXIT_DIVERGED = 3;

export async function trainCommand(gameName: string | undefined, opts: TrainCommandOptions): Promise<number> {
  const started = performance.now();
  let exp: Experiment;
  let seed: number;
  let dataPath: string | null;
  let validationPath: string | null;
  let resume: TrainState | undefined;
  if (opts.resume) {
    // Everything comes from the checkpoint; only --backend and --quiet still apply.
    if (opts.data || opts.validation || opts.set.length > 0 || opts.preset) {
      throw new UsageError('--resume continues the run as it was configured: drop --data, --validation, --preset and --set');
    }
    const ck = await readCheckpoint(join(opts.resume, 'checkpoint.json'));
    const game = gameByName(ck.run.game);
    if (gameName && gameName !== game.name) {
      throw new UsageError(`${opts.resume} holds a ${game.name} run, not ${gameName}`);
    }
    exp = { game, preset: ck.run.preset, config: game.parseConfig(ck.run.config) };
    seed = ck.run.seed;
    dataPath = ck.run.data;
    validationPath = ck.run.validationData;
    resume = ck.state;
    opts.out = opts.resume;
  } else {
    if (!gameName) throw new UsageError('train needs a game (or --resume DIR)');
    if (!opts.out) throw new UsageError('train needs --out DIR');
    if (opts.validation && !opts.data) throw new UsageError('--validation needs --data as well');
    exp = resolveExperiment(gameName, opts, 'train');
    seed = opts.seed;
    dataPath = opts.data ?? null;
    validationPath = opts.validation ?? null;
  }
  const dir = opts.out!;
  const { game, config } = exp;
  const streams = randomStreams(seed);

  // Observations: the user's CSV files, or the paper's data generated from the seed (training
  // set first, then validation set, from the data stream).
  let train: Dataset;
  let validation: Dataset | null;
  if (dataPath) {
    train = await game.observations.read(dataPath, config);
    validation = validationPath ? await game.observations.read(validationPath, config) : null;
  } else {
    train = game.observations.generate(config, streams.data, config.training.trainSamples);
    validation =
      config.training.validationSamples > 0
        ? game.observations.generate(config, streams.data, config.training.validationSamples)
        : null;
  }
  const { engine, backend, note } = await startEngine(game, config, opts);
  const model = new MeanFieldModel(game, config, streams.dynamics, streams.parameters, { engine });
  const run: CheckpointRun = { game: game.name, preset: exp.preset, config, seed, data: dataPath, validationData: validationPath };

  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write('\ninterrupted: finishing this step, then saving a checkpoint and what was trained (Ctrl-C again to abort)\n');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = opts.quiet ? null : trainingProgress(`train ${game.name}`, config.training.steps, resume?.step ?? 0);
  let result;
  try {
    result = await trainModel({
      model,
      train,
      validation,
      streams,
      resume,
      checkpoint: {
        every: config.training.checkpointEvery,
        save: (state) => writeCheckpoint(join(dir, 'checkpoint.json'), run, state),
      },
      onStep: (m: StepMetrics) => progress?.update(m.step + 1, { loss: m.trainLoss, val: m.validationLoss }),
      shouldStop: () => interrupted,
    });
  } catch (err) {
    if (err instanceof DivergenceError) {
      progress?.stop();
      const checkpoint = join(dir, 'checkpoint.json');
      const kept = existsSync(checkpoint)
        ? `the last good checkpoint is kept: ${checkpoint} (train --resume ${dir} continues from it)`
        : 'no checkpoint had been written yet';
      process.stderr.write(`neural-mfg: ${err.message}. The model was not saved; ${kept}. Try a smaller training.learningRate.\n`);
      return EXIT_DIVERGED;
    }
    throw err;
  } finally {
    progress?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  {
    const metrics = result.metrics;
    const last = metrics[metrics.length - 1];
    await saveModel(
      `${dir}/model`,
      {
        game: game.name,
        preset: exp.preset,
        config,
        network: model.spec,
        seed: seed,
        backend,
        engine: model.engine.name,
        training: {
          steps: metrics.length,
          finalTrainLoss: last?.trainLoss ?? null,
          finalValidationLoss: last?.validationLoss ?? null,
          interrupted: result.stoppedEarly,
        },
      },
      model.params,
    );
    await writeCsv(
      `${dir}/metrics.csv`,
      ['step', 'train_loss', 'validation_loss', 'ms'],
      metrics.map((m) => [m.step, m.trainLoss, m.validationLoss ?? '', m.ms]),
    );
    if (metrics.length > 0) {
      await writeSvg(
        `${dir}/loss.svg`,
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
    const run: RunFacts = {
      command: 'train',
      game: game.name,
      preset: exp.preset,
      seed,
      backend,
      engine: model.engine.name,
      ...(note ? { engineNote: note } : {}),
      data: dataPath,
      validationData: validationPath,
      trainSamples: train.shape[0],
      validationSamples: validation?.shape[0] ?? 0,
      steps: metrics.length,
      interrupted: result.stoppedEarly,
      lastStep: last ? { step: last.step, trainLoss: last.trainLoss, validationLoss: last.validationLoss } : null,
      msPerStep: metrics.length ? median(metrics.map((m) => m.ms)) : null,
    };
    const report = game.figureStyle ? populationReport : gameMetricsReport;
    await report({ dir, exp, model, seed, train, validation, lastInitialState: result.lastInitialState, run, started });
    return result.stoppedEarly ? 130 : 0;
  }
}

/** A time per step for people: three significant digits (fused steps take fractions of a millisecond). */
function formatMs(ms: number | null): string {
  if (ms === null) return '—';
  return ms >= 10 ? ms.toFixed(1) : ms.toPrecision(3);
}

/** "fused engine", or "graph engine on wasm". */
function engineLabel(run: RunFacts): string {
  return `${run.engine} engine${run.backend ? ` on ${run.backend}` : ''}`;
}

/** What every training summary says about the run. */
interface RunFacts {
  command: 'train';
  game: string;
  preset: string;
  seed: number;
  backend: string | null;
  engine: string;
  engineNote?: string;
  data: string | null;
  validationData: string | null;
  trainSamples: number;
  validationSamples: number;
  steps: number;
  interrupted: boolean;
  lastStep: { step: number; trainLoss: number; validationLoss: number | null } | null;
  msPerStep: number | null;
}

interface ReportInput {
  dir: string;
  exp: Experiment;
  model: MeanFieldModel;
  seed: number;
  train: Dataset;
  validation: Dataset | null;
  lastInitialState: Float64Array;
  run: RunFacts;
  started: number;
}

/**
 * Games whose state is one number per agent: the final-turn distribution of the model against the
 * data and the MFG-only dynamics over many initial populations, box plots per turn, trajectory.csv.
 */
async function populationReport(r: ReportInput): Promise<void> {
  const { dir, exp, model, seed, train, validation, run } = r;
  const { game, config } = exp;
  const dataValues = game.observations.comparableValues?.(train, config) ?? [];
  const dataMean = mean(dataValues);
  // the figure from the last initial state, the numbers over many populations of their own stream
  const trained = model.simulate({ y0: Float32Array.from(r.lastInitialState), trajectories: 1, path: model.nextPath(1), network: true });
  const populations = populationsAt(trained, 1);
  const K = config.training.evaluationPopulations;
  const starts = () => evaluationStarts(config, seed, r.lastInitialState);
  const onTrain = evaluateModel(model, train, starts(), K, { network: true });
  const onValidation = validation ? evaluateModel(model, validation, starts(), K, { network: true }) : null;
  const mfgOnly = evaluateModel(model, null, starts(), K, { network: false });
  const pooled = onTrain.finalPopulations.flat();
  const mfgPooled = mfgOnly.finalPopulations.flat();
  const turns = await writePopulation(dir, exp, populations, {
    title: `${game.title}: MFG + neural term (${exp.preset})`,
    observedMean: dataMean,
  });
  const final = turns[turns.length - 1];
  const summary = {
    ...run,
    // final model over `evaluationPopulations` initial populations (see README)
    finalMean: mean(pooled),
    finalStd: std(pooled),
    trainLoss: onTrain.loss,
    validationLoss: onValidation?.loss ?? null,
    evaluationPopulations: K,
    dataMean,
    dataStd: std(dataValues),
    mfgOnlyFinalMean: mean(mfgPooled),
    mfgOnlyFinalStd: std(mfgPooled),
    wallSeconds: (performance.now() - r.started) / 1000,
    turns,
    config,
  };
  await writeJsonAtomic(`${dir}/summary.json`, summary);

  const style = game.figureStyle?.(config).yFormat ?? 'number';
  const qs = [0, 0.25, 0.5, 0.75, 1];
  const row = (name: string, v: number[]) =>
    `${name.padEnd(22)}${quantiles(v, qs).map((x) => formatValue(x, style).padStart(9)).join('')}   mean ${formatValue(mean(v), style)}\n`;
  const out = process.stdout;
  out.write(
    `\n${game.title}, final turn t=${final.t}, ${config.training.initialState === 'fixed' ? `${K} runs from the training's initial population` : `${K} initial populations`} (${run.steps} steps, seed ${seed}, ${engineLabel(run)})\n`,
  );
  out.write(`${''.padEnd(22)}${['min', 'q25', 'median', 'q75', 'max'].map((h) => h.padStart(9)).join('')}\n`);
  out.write(row('model', pooled));
  out.write(row('data (training set)', dataValues));
  out.write(row('MFG only (no network)', mfgPooled));
  out.write(
    `loss: train ${summary.trainLoss?.toFixed(4) ?? '—'}, validation ${summary.validationLoss?.toFixed(4) ?? '—'}; ` +
      `${formatMs(run.msPerStep)} ms/step; ${summary.wallSeconds.toFixed(1)} s in all\n`,
  );
  out.write(`wrote ${dir}/: model/, summary.json, metrics.csv, loss.svg, turns.svg, trajectory.csv\n`);
}

/**
 * Other games (Liar's dice): the game's own metrics of the trained model and of the MFG-only
 * dynamics on `evaluationPopulations` fresh test games drawn from a stream of their own.
 */
async function gameMetricsReport(r: ReportInput): Promise<void> {
  const { dir, exp, model, seed, run } = r;
  const { game, config } = exp;
  const K = config.training.evaluationPopulations;
  const testStream = () => new RandomStream(deriveSeed(seed, TEST_STREAM));
  const test = game.observations.generate(config, testStream(), K);
  const starts = () => evaluationStarts(config, seed, r.lastInitialState);
  const trained = evaluateModel(model, test, starts(), K, { network: true });
  const mfgOnly = evaluateModel(model, test, starts(), K, { network: false });
  const metrics = game.observations.metrics(trained.finalPopulations, test, config, {
    endSteps: trained.endSteps,
    mfgOnlyFinals: mfgOnly.finalPopulations,
  });
  const summary = {
    ...run,
    trainLoss: run.lastStep?.trainLoss ?? null,
    validationLoss: run.lastStep?.validationLoss ?? null,
    testGames: K,
    testLoss: trained.loss,
    ...metrics,
    mfgOnly: game.observations.metrics(mfgOnly.finalPopulations, test, config, { endSteps: mfgOnly.endSteps }),
    wallSeconds: (performance.now() - r.started) / 1000,
    config,
  };
  await writeJsonAtomic(`${dir}/summary.json`, summary);
  const out = process.stdout;
  out.write(`\n${game.title}: ${K} test games (${run.steps} steps, seed ${seed}, ${engineLabel(run)})\n`);
  out.write(`${'metric'.padEnd(28)}${'model'.padStart(14)}   MFG only\n`);
  for (const [k, v] of Object.entries(metrics)) {
    const m = (summary.mfgOnly as Record<string, number | number[]>)[k];
    out.write(`${k.padEnd(28)}${formatMetric(v).padStart(14)}   ${m === undefined ? '' : formatMetric(m)}\n`);
  }
  out.write(
    `loss (last step): train ${summary.trainLoss?.toFixed(4) ?? '—'}, validation ${summary.validationLoss?.toFixed(4) ?? '—'}; ` +
      `${formatMs(run.msPerStep)} ms/step; ${summary.wallSeconds.toFixed(1)} s in all\n`,
  );
  out.write(`wrote ${dir}/: model/, summary.json, metrics.csv, loss.svg\n`);
}
