// `neural-mfg train GAME`: fit the neural term to observations (CSV, or generated from the seed)
// through the run layer (src/run/training.ts), with progress on stderr and the report on stdout.
// Ctrl-C stops after the current step and still saves everything trained so far.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GAMES } from '../../games/index.ts';
import { DivergenceError, type StepMetrics } from '../train/train.ts';
import { readResume, saveTrainedRun, train, type TrainRequest } from '../run/training.ts';
import { trainingProgress } from './progress.ts';
import { printTrainingReport } from './print.ts';
import { resolveExperiment, startEngine, UsageError, type CommonOptions } from './experiment.ts';

export interface TrainCommandOptions extends CommonOptions {
  data?: string;
  validation?: string;
  quiet?: boolean;
  resume?: string;
}

/** Exit code of a run stopped because the loss or the weights became NaN or infinite. */
export const EXIT_DIVERGED = 3;

/** The run the options describe: a fresh one, or the one a checkpoint continues (everything from it). */
async function request(gameName: string | undefined, opts: TrainCommandOptions): Promise<Omit<TrainRequest, 'engine'>> {
  if (!opts.resume) {
    if (!gameName) throw new UsageError('train needs a game (or --resume DIR)');
    if (!opts.out) throw new UsageError('train needs --out DIR');
    if (opts.validation && !opts.data) throw new UsageError('--validation needs --data as well');
    const exp = resolveExperiment(gameName, opts, 'train');
    return { exp, seed: opts.seed, data: opts.data ?? null, validation: opts.validation ?? null, dir: opts.out };
  }
  if (opts.data || opts.validation || opts.set.length > 0 || opts.preset) {
    throw new UsageError('--resume continues the run as it was configured: drop --data, --validation, --preset and --set');
  }
  const resumed = await readResume(opts.resume, GAMES);
  if (gameName && gameName !== resumed.exp.game.name) throw new UsageError(`${opts.resume} holds a ${resumed.exp.game.name} run, not ${gameName}`);
  return resumed;
}

export async function trainCommand(gameName: string | undefined, opts: TrainCommandOptions): Promise<number> {
  const partial = await request(gameName, opts);
  const { game, config } = partial.exp;
  const req: TrainRequest = { ...partial, engine: await startEngine(game, config, opts) };
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write('\ninterrupted: finishing this step, then saving a checkpoint and what was trained (Ctrl-C again to abort)\n');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = opts.quiet ? null : trainingProgress(`train ${game.name}`, config.training.steps, req.resume?.step ?? 0);
  try {
    const run = await train(req, {
      onStep: (m: StepMetrics) => progress?.update(m.step + 1, { loss: m.trainLoss, val: m.validationLoss }),
      shouldStop: () => interrupted,
    });
    progress?.stop();
    const report = await saveTrainedRun(run);
    printTrainingReport(report, game.figureStyle?.(config).yFormat ?? 'number', game.title, req.dir);
    return run.result.stoppedEarly ? 130 : 0;
  } catch (err) {
    if (!(err instanceof DivergenceError)) throw err;
    progress?.stop();
    const checkpoint = join(req.dir, 'checkpoint.json');
    const kept = existsSync(checkpoint) ? `the last good checkpoint is kept: ${checkpoint} (train --resume ${req.dir} continues from it)` : 'no checkpoint had been written yet';
    process.stderr.write(`neural-mfg: ${err.message}. The model was not saved; ${kept}. Try a smaller training.learningRate.\n`);
    return EXIT_DIVERGED;
  } finally {
    progress?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
