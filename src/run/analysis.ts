// An analyze request: one of a game's analyses (the sweeps of experiments behind a paper figure),
// run whole in this process for one seed, from the preset of the same name: the analysis is handed
// a fit function (a model trained as a train run would train it, on the engine chosen once here)
// and writes DIR/summary.json, a CSV per table and the figures. An analysis of several points or
// seeds runs as a sweep of such requests, one per point and seed (src/sweep/analysis.ts).
import { join } from 'node:path';
import type { Analysis, AnalysisInput, AnalysisResult, Game } from '../game.ts';
import type { EngineName } from '../mfg/engine-name.ts';
import type { ExperimentConfig } from '../config.ts';
import { writeCsv } from '../data/csv.ts';
import { writeJsonAtomic } from '../io/atomic.ts';
import { writeFigure } from '../plot/files.ts';
import { forecastRun } from './forecast.ts';
import { evaluateModel } from '../train/evaluate.ts';
import type { MeanFieldModel } from '../mfg/model.ts';
import { experimentOf, type Experiment } from './experiment.ts';
import { chooseEngine } from './engine.ts';
import { claimSweepFolder } from './folder.ts';
import { fitModel, saveTrainedRun, trainSteadily } from './training.ts';
import { RequestError, type AnalyzeRequest } from './requests.ts';
import type { RunIO } from './io.ts';
import { gameByName } from '../../games/index.ts';

/** What rebuilds an analysis from its points (a sweep's aggregate), and what its summary.json says of it. */
export interface AnalysisPlan {
  game: string;
  name: string;
  description: string;
  quick: boolean;
  overrides: string[];
  dataFile: string | null;
  /** the validated configuration of the whole analysis (all points) */
  config: unknown;
}

/** The analysis a request names, its experiment (the preview settings, then the overrides) and its plan. */
export function analysisOf(req: AnalyzeRequest): { game: Game; analysis: Analysis<ExperimentConfig>; exp: Experiment; plan: AnalysisPlan } {
  const game = gameByName(req.game);
  const names = Object.keys(game.analyses ?? {});
  if (names.length === 0) throw new RequestError(`game "${game.name}" has no analyses`);
  const analysis = game.analyses?.[req.preset];
  if (!analysis) throw new RequestError(`game "${game.name}" has no analysis "${req.preset}": choose one of ${names.join(', ')}`);
  const quick = req.quick ? analysis.quick : [];
  const exp = experimentOf({ ...req, set: [...quick, ...req.set] }, 'train');
  const plan: AnalysisPlan = { game: game.name, name: exp.preset, description: analysis.description, quick: req.quick ?? false, overrides: [...quick, ...req.set], dataFile: req.data ?? null, config: exp.config };
  return { game, analysis, exp, plan };
}

/** What summary.json says about the analysis besides its result. */
export interface AnalysisFacts {
  plan: AnalysisPlan;
  seed: number;
  /** every seed, when there are several */
  seeds?: number[];
  backend: string | null;
  engine: string;
  wallSeconds: number;
  /** the sweep behind it, when the points ran as jobs */
  sweep?: { id: string; jobs: number };
}

/** Writes an analysis's outputs into DIR; returns the files written (besides summary.json). */
export async function writeAnalysis(dir: string, result: AnalysisResult, f: AnalysisFacts): Promise<string[]> {
  const files: string[] = [];
  for (const [name, table] of Object.entries(result.tables)) {
    await writeCsv(join(dir, `${name}.csv`), table.header, table.rows);
    files.push(`${name}.csv`);
  }
  for (const [name, svg] of Object.entries(result.figures)) {
    // SVG, and a PNG beside it where @resvg/resvg-js loads
    files.push(...(await writeFigure(join(dir, name), svg)).map((file) => file.slice(dir.length + 1)));
  }
  const p = f.plan;
  await writeJsonAtomic(join(dir, 'summary.json'), {
    command: 'analyze',
    game: p.game,
    analysis: p.name,
    description: p.description,
    quick: p.quick,
    overrides: p.overrides,
    seed: f.seed,
    ...(f.seeds ? { seeds: f.seeds } : {}),
    dataFile: p.dataFile,
    backend: f.backend,
    engine: f.engine,
    ...(f.sweep ? { sweepId: f.sweep.id, jobs: f.sweep.jobs } : {}),
    ...result.summary,
    wallSeconds: f.wallSeconds,
    config: p.config,
  });
  return files;
}

/** The default folder of an analysis: runs/GAME-PRESET (-quick for a preview). */
export function analysisFolder(req: AnalyzeRequest): string {
  return req.out ?? join('runs', `${req.game}-${req.preset}${req.quick ? '-quick' : ''}`);
}

/**
 * What the run layer hands an analysis to train and evaluate with: models fitted as a train run of
 * the experiment would fit them (src/run/training.ts), on `engine`.
 */
export function analysisTools<C extends ExperimentConfig>(exp: Experiment<C>, engine: EngineName): Pick<AnalysisInput<C>, 'fit' | 'evaluate' | 'forecast' | 'trainRun'> {
  return {
    forecast: forecastRun,
    trainRun: async ({ config, seed, data, dir, onRetry }) => {
      const choice = { name: engine, backend: null, note: null };
      const { run, learningRateFactor } = await trainSteadily({ exp: { game: exp.game, preset: exp.preset, config }, seed, engine: choice, data, validation: null, dir }, { ...(onRetry ? { onRetry } : {}) });
      await saveTrainedRun(run);
      return { learned: run.model.learnedValues() ?? null, learningRateFactor };
    },
    fit: async (config, seed, observations) => (await fitModel({ game: exp.game, preset: exp.preset, config }, seed, engine, { train: observations, validation: null })).model,
    evaluate: (model, observations, starts, populations, opts) => evaluateModel(model as MeanFieldModel<C>, observations, starts, populations, opts),
  };
}

/** `analyze GAME --preset NAME` for one seed, every point in this process. */
export async function runAnalysis(req: AnalyzeRequest, io: RunIO): Promise<number> {
  const started = performance.now();
  const { game, analysis, exp, plan } = analysisOf(req);
  const dir = analysisFolder(req);
  // the same analysis into its folder goes on (--force: afresh); another run's results are refused
  const claim = await claimSweepFolder(dir, { command: 'analyze', game: game.name, force: req.force === true });
  try {
    const data = req.data ? await game.observations.read(req.data, exp.config) : undefined;
    const choice = await chooseEngine(game, exp.config, req);
    if (choice.note) io.note(`note: ${choice.note}`);
    const result = await analysis.run({
      game,
      config: exp.config,
      seed: req.seed,
      ...(data ? { data, dataFile: req.data } : {}),
      ...analysisTools(exp, choice.name),
      progress: (line) => io.info?.(line),
    });
    const wallSeconds = (performance.now() - started) / 1000;
    const files = await writeAnalysis(dir, result, { plan, seed: req.seed, backend: choice.backend, engine: choice.name, wallSeconds });
    io.out(`${result.text}\n${wallSeconds.toFixed(1)} s in all (seed ${req.seed}, ${choice.name} engine${choice.backend ? ` on ${choice.backend}` : ''})\nwrote ${dir}/: summary.json, ${files.join(', ')}`);
    return 0;
  } finally {
    await claim.release();
  }
}
