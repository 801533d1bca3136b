// `neural-mfg train GAME`: fit the neural term to observations (CSV, or generated from the seed)
// through the run layer (src/run/training.ts), with progress on stderr and the report on stdout.
// Ctrl-C stops after the current step and still saves everything trained so far.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { claimOutput } from '../run/folder.ts';
import { GAMES } from '../../games/index.ts';
import { DivergenceError } from '../train/train.ts';
import { readResume, saveTrainedRun, train, type TrainRequest } from '../run/training.ts';
import { trainingProgress } from './progress.ts';
import { printTrainingReport } from './print.ts';
import { untilInterrupted } from './interrupt.ts';
import { resolveExperiment, startEngine } from './experiment.ts';
import { checkResumeOptions, freshRunSets, noisePathChosen, resumeSteps, type TrainCommandOptions } from './train-options.ts';

export type { TrainCommandOptions } from './train-options.ts';

/** Exit code of a run stopped because the loss or the weights became NaN or infinite. */
export const EXIT_DIVERGED = 3;

export async function trainCommand(gameName: string | undefined, opts: TrainCommandOptions): Promise<number> {
  // usage errors first (nothing touched), then the folder, claimed before any work
  if (opts.resume) checkResumeOptions(opts);
  const fresh = opts.resume
    ? null
    : { exp: resolveExperiment(gameName!, { ...opts, set: freshRunSets(gameName, opts) }, 'train'), seed: opts.seed, data: opts.data ?? null, validation: opts.validation ?? null, dir: opts.out! };
  const dir = opts.resume ?? fresh!.dir;
  const claim = await claimOutput(dir, { command: 'train', game: fresh?.exp.game.name ?? gameName ?? null, force: opts.force === true, continues: Boolean(opts.resume) });
  try {
    return await trainIn(fresh ?? (await readResume(dir, GAMES, { game: gameName, steps: resumeSteps(opts.set) })), opts);
  } finally {
    await claim.release();
  }
}

async function trainIn(partial: Omit<TrainRequest, 'engine'>, opts: TrainCommandOptions): Promise<number> {
  const { game, config } = partial.exp;
  if (partial.resume && partial.resume.step >= config.training.steps) {
    process.stderr.write(`note: ${partial.dir} had trained all ${config.training.steps} steps; nothing to train (--set training.steps=N trains it further): writing its model and report again\n`);
  }
  const req: TrainRequest = { ...partial, engine: await startEngine(game, config, opts) };
  if (!partial.resume && opts.learn !== undefined && !noisePathChosen(opts) && config.noise.layout !== 'none') {
    process.stderr.write('note: --learn draws a fresh noise path for every solve (a frozen path would fit one realisation of the noise); --noise-path frozen keeps one\n');
  }
  const progress = opts.quiet ? null : trainingProgress(`train ${game.name}`, config.training.steps, req.resume?.step ?? 0);
  const say = (line: string) => opts.quiet || process.stderr.write(`${line}\n`);
  try {
    const run = await untilInterrupted('interrupted: finishing this step, then saving a checkpoint and what was trained (Ctrl-C again to abort)', (stopped) =>
      train(req, {
        onStep: (m) => progress?.update(m.step + 1, { loss: m.trainLoss, val: m.validationLoss }),
        shouldStop: stopped,
        onBootstrap: (r, total, learned) => {
          if (r === 1) progress?.stop();
          say(`bootstrap ${r}/${total}: ${Object.entries(learned).map(([f, v]) => `${f} = ${v.toPrecision(5)}`).join(', ')}`);
        },
      }),
    );
    progress?.stop();
    const report = await saveTrainedRun(run);
    printTrainingReport(report, game.figureStyle?.(config).yFormat ?? 'number', game.title, req.dir);
    for (const w of (report.summary.warnings as string[] | undefined) ?? []) process.stderr.write(`warning: ${w}\n`);
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
  }
}
