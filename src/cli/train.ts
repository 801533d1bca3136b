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
import { checkResumeOptions, freshRunSets, resumeSteps, type TrainCommandOptions } from './train-options.ts';

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
  // why the run failed, in its folder's record (what `neural-mfg dashboard` shows)
  let failed: string | undefined;
  try {
    const code = await trainIn(fresh ?? (await readResume(dir, GAMES, { game: gameName, steps: resumeSteps(opts.set) })), opts);
    if (code === EXIT_DIVERGED) failed = 'diverged: the loss or the weights stopped being finite';
    return code;
  } catch (err) {
    failed = err instanceof Error ? err.message : String(err);
    throw err;
  } finally {
    await claim.release(failed);
  }
}

async function trainIn(partial: Omit<TrainRequest, 'engine'>, opts: TrainCommandOptions): Promise<number> {
  const { game, config } = partial.exp;
  if (partial.resume && partial.resume.step >= config.training.steps) {
    process.stderr.write(`note: ${partial.dir} had trained all ${config.training.steps} steps; nothing to train (--set training.steps=N trains it further): writing its model and report again\n`);
  }
  const req: TrainRequest = { ...partial, engine: await startEngine(game, config, opts) };
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
    printTrainingReport(await saveTrainedRun(run), game.figureStyle?.(config).yFormat ?? 'number', game.title, req.dir);
    if (run.result.stoppedEarly) {
      const at = run.result.metrics.length;
      process.stderr.write(`stopped after step ${at} of ${config.training.steps}; continue it with: neural-mfg train --resume ${shellWord(req.dir)}\n`);
      return 130;
    }
    return 0;
  } catch (err) {
    if (!(err instanceof DivergenceError)) throw err;
    progress?.stop();
    const checkpoint = join(req.dir, 'checkpoint.json');
    const kept = existsSync(checkpoint) ? `the last good checkpoint is kept: ${checkpoint} (train --resume ${req.dir} continues from it)` : 'no checkpoint had been written yet';
    const advice = err.dataCause ? `The likely cause is the data: ${err.dataCause}.` : 'Try a smaller training.learningRate.';
    process.stderr.write(`neural-mfg: ${err.message}. The model was not saved; ${kept}. ${advice}\n`);
    return EXIT_DIVERGED;
  } finally {
    progress?.stop();
  }
}

/** A path as one shell word: quoted where the shell would split or expand it. */
function shellWord(path: string): string {
  return /^[\w./@%+=:,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}
