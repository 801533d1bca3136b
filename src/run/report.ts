// How a model is reported on, after training (`train`) or on new observations (`eval`): the model
// against the data and against the MFG-only dynamics, over many initial populations or test games,
// with the figures and summary.json. Games whose state is one number per agent get the population
// report (final-turn distribution, box plots per turn); the others (Liar's dice) the game's own
// metrics. Each report says which observations it was computed on.
import { join } from 'node:path';
import type { ExperimentConfig } from '../config.ts';
import type { Dataset } from '../game.ts';
import { mean, std } from '../data/stats.ts';
import { writeJsonAtomic } from '../io/atomic.ts';
import { populationsAt, type MeanFieldModel, type TurnStats } from '../mfg/model.ts';
import { evaluateModel, evaluationPopulations, evaluationStarts } from '../train/evaluate.ts';
import type { EngineName } from '../mfg/engine.ts';
import { buildModel, type Experiment } from './experiment.ts';
import { writePopulation } from './outputs.ts';
import { streamOf } from '../streams.ts';
import { diffusionSummary } from './diffusion.ts';
import { unpairedReason } from './eval-data.ts';
import { trainingWarnings } from './warnings.ts';
import { equilibriumReport } from './equilibrium.ts';

/** What every training summary says about the run (the head of summary.json). */
export interface RunFacts {
  command: 'train';
  game: string;
  preset: string;
  seed: number;
  /** the graph engine's TF.js backend; null on the fused engine */
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
  /** train --learn: each learned mechanics field's value */
  learned?: Record<string, number>;
  /** train --bootstrap K: each learned field's interval [low, high] at bootstrap.level (src/run/inverse.ts) */
  intervals?: Record<string, [number, number]>;
  /** the replicates: how many, of how many samples, their standard deviation, percentile interval and estimates */
  bootstrap?: {
    replicates: number;
    level: number;
    samples: number;
    standardErrors: Record<string, number>;
    percentile: Record<string, [number, number]>;
    estimates: Record<string, number[]>;
  };
}

/** The final-turn distribution of the model, the data and the MFG-only dynamics (populations games). */
export interface PopulationReport {
  kind: 'population';
  summary: Record<string, unknown> & { trainLoss: number | null; validationLoss: number | null; wallSeconds: number };
  /** the last save time's statistics of the figure's trajectory */
  final: TurnStats;
  /** pooled final-turn values: of the model, the training data, the MFG-only dynamics */
  model: number[];
  data: ArrayLike<number>;
  mfgOnly: number[];
  /** how many evaluation populations, and whether they all start from the training's fixed one */
  populations: number;
  fixedStart: boolean;
  files: string[];
}

/** The game's own metrics of the model and of the MFG-only dynamics on test observations. */
export interface GameMetricsReport {
  kind: 'game-metrics';
  summary: Record<string, unknown> & { trainLoss: number | null; validationLoss: number | null; wallSeconds: number };
  metrics: Record<string, number | number[]>;
  mfgOnly: Record<string, number | number[]>;
  /** what the metrics were computed on, in words */
  evaluatedOn: string;
  files: string[];
}

export type TrainingReport = PopulationReport | GameMetricsReport;

interface ReportInput<C extends ExperimentConfig> {
  dir: string;
  exp: Experiment<C>;
  model: MeanFieldModel<C>;
  seed: number;
  train: Dataset;
  validation: Dataset | null;
  lastInitialState: Float64Array;
  facts: RunFacts;
  started: number;
}

/** The report of a finished training: written into its folder, returned for printing. */
export async function reportTraining<C extends ExperimentConfig>(r: ReportInput<C>): Promise<TrainingReport> {
  return r.exp.game.figureStyle ? populationReport(r) : gameMetricsReport(r);
}

async function populationReport<C extends ExperimentConfig>(r: ReportInput<C>): Promise<PopulationReport> {
  const { dir, exp, model, seed, train, validation, facts } = r;
  const { game, config } = exp;
  const dataValues = game.observations.comparableValues?.(train, config) ?? [];
  const dataMean = mean(dataValues);
  // the figure from the last initial state, the numbers over many populations of their own stream
  const trained = model.simulate({ y0: Float32Array.from(r.lastInitialState), trajectories: 1, path: model.nextPath(1), network: true });
  const K = evaluationPopulations(config, model.size); // fewer for very large populations (evaluate.ts)
  const starts = () => evaluationStarts(config, seed, r.lastInitialState);
  const onTrain = evaluateModel(model, train, starts(), K, { network: true });
  const onValidation = validation ? evaluateModel(model, validation, starts(), K, { network: true }) : null;
  const mfgOnly = evaluateModel(model, null, starts(), K, { network: false });
  const pooled = onTrain.finalPopulations.flat();
  const mfgPooled = mfgOnly.finalPopulations.flat();
  const turns = await writePopulation(dir, exp, populationsAt(trained, 1), {
    title: `${game.title}: MFG + neural term (${exp.preset})`,
    observedMean: dataMean,
  });
  // the equilibrium gap (equilibrium.ts): the evaluation populations' final turn, and turn by turn
  // from the figure's initial state (the MFG-only trajectory solved last: nothing above shifts)
  const equilibrium = await equilibriumReport(dir, game, config, seed, {
    finals: { model: onTrain.finalPopulations, mfgOnly: mfgOnly.finalPopulations },
    trajectories: () => ({
      model: populationsAt(trained, 1),
      mfgOnly: populationsAt(model.simulate({ y0: Float32Array.from(r.lastInitialState), trajectories: 1, path: model.nextPath(1), network: false }), 1),
    }),
    title: `${game.title}: equilibrium gap (${exp.preset})`,
  });
  const summary = {
    ...facts,
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
    // noise.diffusion "neural": the learned amplitude along the figure's trajectory (src/run/diffusion.ts)
    ...diffusionSummary(model, populationsAt(trained, 1), config.time.saveAt),
    ...equilibrium.summary,
    // what says this run's numbers are not to be trusted as they stand (src/run/warnings.ts)
    warnings: trainingWarnings(game, config, facts, { trainLoss: onTrain.loss, validationLoss: onValidation?.loss ?? null }),
    wallSeconds: (performance.now() - r.started) / 1000,
    turns,
    config,
  };
  await writeJsonAtomic(join(dir, 'summary.json'), summary);
  return {
    kind: 'population',
    summary,
    final: turns[turns.length - 1],
    model: pooled,
    data: dataValues,
    mfgOnly: mfgPooled,
    populations: K,
    fixedStart: config.training.initialState === 'fixed',
    files: ['model/', 'summary.json', 'metrics.csv', 'loss.svg', 'turns.svg', 'trajectory.csv', ...equilibrium.files],
  };
}

/**
 * The game's metrics on the observations that say the most about the fit: the validation file when
 * one was given, else the training file; for generated data, fresh observations drawn from the
 * generator with a stream of their own (then the true parameters are known, and reported).
 */
async function gameMetricsReport<C extends ExperimentConfig>(r: ReportInput<C>): Promise<GameMetricsReport> {
  const { dir, exp, model, seed, facts } = r;
  const { game, config } = exp;
  const K = config.training.evaluationPopulations;
  const generated = facts.data === null;
  const test = generated ? game.observations.generate(config, streamOf(seed, 'testData'), K) : (r.validation ?? r.train);
  const evaluatedOn = generated
    ? `${test.shape[0]} fresh games from the generator`
    : `${test.shape[0]} games of ${facts.validationData ?? facts.data} (${facts.validationData ? 'the validation file' : 'the training file'})`;
  const starts = () => evaluationStarts(config, seed, r.lastInitialState);
  // paired games run once per observation; the others over the evaluation populations (a time series: its noise paths)
  const runs = game.observations.pairing === 'paired' ? test.shape[0] : evaluationPopulations(config, model.size);
  const trained = evaluateModel(model, test, starts(), runs, { network: true });
  const mfgOnlyRun = evaluateModel(model, test, starts(), runs, { network: false });
  const metrics = game.observations.metrics(trained.finalPopulations, test, config, {
    endSteps: trained.endSteps,
    mfgOnlyFinals: mfgOnlyRun.finalPopulations,
    generated,
  });
  const mfgOnly = game.observations.metrics(mfgOnlyRun.finalPopulations, test, config, { endSteps: mfgOnlyRun.endSteps, generated });
  const summary = {
    ...facts,
    trainLoss: facts.lastStep?.trainLoss ?? null,
    validationLoss: facts.lastStep?.validationLoss ?? null,
    evaluatedOn,
    testGames: test.shape[0],
    // what the reader found in the file (a time series' window, its repairs: Dataset.about)
    ...(test.about ? { observations: test.about } : {}),
    testLoss: trained.loss,
    ...metrics,
    mfgOnly,
    warnings: trainingWarnings(game, config, facts, { trainLoss: facts.lastStep?.trainLoss ?? null, validationLoss: facts.lastStep?.validationLoss ?? null }),
    wallSeconds: (performance.now() - r.started) / 1000,
    config,
  };
  await writeJsonAtomic(join(dir, 'summary.json'), summary);
  return { kind: 'game-metrics', summary, metrics, mfgOnly, evaluatedOn, files: ['model/', 'summary.json', 'metrics.csv', 'loss.svg'] };
}

/** What `eval` reports: the loss and the game's metrics on a file of observations. */
export interface EvaluationReport {
  summary: Record<string, unknown> & { loss: number | null };
  metrics: Record<string, number | number[]>;
  /** trajectories per evaluation: one per observation (paired games) or the populations */
  populations: number;
  paired: boolean;
  files: string[];
}

/**
 * A trained model (`params`) on observations read from a file: the loss and the game's metrics
 * over `evaluationPopulations` initial populations (or one run per observation for paired games,
 * with the MFG-only dynamics beside them), with the figure of one run for population games.
 */
export async function evaluateOnData<C extends ExperimentConfig>(r: {
  dir: string;
  exp: Experiment<C>;
  params: Float32Array;
  seed: number;
  engine: { name: EngineName; backend: string | null };
  data: Dataset;
  /** the agents of each observed population, when not the model's (--set agents=N on other data): no loss */
  dataAgents?: number;
  dataPath: string;
  modelDir: string;
  started: number;
}): Promise<EvaluationReport> {
  const { seed, data } = r;
  // the configuration that follows from these observations (the epidemic: the start of another window)
  const configured = r.exp.game.observations.configureFrom?.(data, r.exp.config);
  const exp = configured ? { ...r.exp, config: configured } : r.exp;
  const { game, config } = exp;
  const unpaired = unpairedReason(config, r.dataAgents ?? config.agents);
  const { model, streams } = buildModel(exp, seed, r.engine.name, r.params);
  // the training's own first initial population (what a fixed-start model was trained from)
  const firstStart = game.initialState(config, streams.initialState);
  const K = evaluationPopulations(config, model.size); // fewer for very large populations (evaluate.ts)
  const paired = game.observations.pairing === 'paired';
  const ev = evaluateModel(model, unpaired ? null : data, evaluationStarts(config, seed, firstStart), K, { network: true });
  // games that end (Liar's dice) also get the MFG-only dynamics on the same observations
  const mfgOnly = paired ? evaluateModel(model, data, evaluationStarts(config, seed, firstStart), K, { network: false }) : null;
  const metrics = game.observations.metrics(ev.finalPopulations, data, config, { endSteps: ev.endSteps, mfgOnlyFinals: mfgOnly?.finalPopulations });
  const files = ['summary.json'];
  let equilibrium: { summary: Record<string, unknown>; files: string[] } = { summary: {}, files: [] };
  if (game.figureStyle) {
    const run = model.simulate({ y0: Float32Array.from(firstStart), trajectories: 1, path: model.nextPath(1), network: true });
    const comparable = game.observations.comparableValues?.(data, config);
    await writePopulation(r.dir, exp, populationsAt(run, 1), {
      title: `${game.title}: model ${r.modelDir} on ${r.dataPath}`,
      observedMean: comparable ? mean(comparable) : undefined,
    });
    files.push('turns.svg', 'trajectory.csv');
    // the equilibrium gap (equilibrium.ts) of the model and of the MFG-only dynamics, solved after everything above
    equilibrium = await equilibriumReport(r.dir, game, config, seed, {
      finals: {
        model: ev.finalPopulations,
        mfgOnly: (mfgOnly ?? evaluateModel(model, null, evaluationStarts(config, seed, firstStart), K, { network: false })).finalPopulations,
      },
      trajectories: () => ({
        model: populationsAt(run, 1),
        mfgOnly: populationsAt(model.simulate({ y0: Float32Array.from(firstStart), trajectories: 1, path: model.nextPath(1), network: false }), 1),
      }),
      title: `${game.title}: equilibrium gap, model ${r.modelDir}`,
    });
    files.push(...equilibrium.files);
  }
  const populations = paired ? data.shape[0] : K;
  const summary = {
    command: 'eval',
    game: game.name,
    model: r.modelDir,
    data: r.dataPath,
    samples: data.shape[0],
    ...(data.about ? { observations: data.about } : {}),
    seed,
    backend: r.engine.backend,
    engine: r.engine.name,
    populations,
    loss: ev.loss,
    ...(unpaired ? { dataAgents: r.dataAgents, lossNotComputed: unpaired } : {}),
    ...metrics,
    ...equilibrium.summary,
    wallSeconds: (performance.now() - r.started) / 1000,
  };
  await writeJsonAtomic(join(r.dir, 'summary.json'), summary);
  return { summary, metrics, populations, paired, files };
}
