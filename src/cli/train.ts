// `neural-mfg train GAME`: fit the neural term to observations (CSV, or generated from the seed)
// through the run layer (src/run/training.ts), with progress on stderr and the report on stdout.
// Ctrl-C stops after the current step and still saves everything trained so far.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { withOverrides } from '../config-fields.ts';
import { claimOutput } from '../run/folder.ts';
import { GAMES, gameByName } from '../../games/index.ts';
import { learnableField } from '../mfg/learned.ts';
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
  force?: boolean;
  /** --learn a,b: mechanics fields to learn (inverse.learn) */
  learn?: string;
  /** --bootstrap K (inverse.bootstrap) */
  bootstrap?: number;
  /** the options given on the command line (not defaults), by attribute name */
  given?: Set<string>;
}

/** Exit code of a run stopped because the loss or the weights became NaN or infinite. */
export const EXIT_DIVERGED = 3;

/** Options `--resume` takes: everything else is the run's own, fixed when it started. */
const RESUME_ACCEPTS = new Set(['resume', 'out', 'backend', 'engine', 'allowSoftware', 'quiet', 'set']);

/** `--set training.steps=N` on a resumed run: the new length, or null. Anything else is refused. */
function resumeSteps(sets: string[]): number | null {
  let steps: number | null = null;
  for (const s of sets) {
    const m = /^training\.steps=(\d+)$/.exec(s.trim());
    if (!m) {
      throw new UsageError(`--resume continues the run as it was configured: --set ${s} would be ignored (only --set training.steps=N, to train a finished run further, applies)`);
    }
    steps = Number(m[1]);
  }
  return steps;
}

/** --learn and --bootstrap as the configuration fields they set (after any --set). */
function flagOverrides(gameName: string, opts: TrainCommandOptions): string[] {
  const sets: string[] = [];
  if (opts.learn !== undefined) {
    const fields = opts.learn.split(',').map((f) => f.trim()).filter((f) => f.length > 0);
    if (fields.length === 0) throw new UsageError('--learn needs at least one field, e.g. --learn scheduledTime');
    const game = gameByName(gameName);
    sets.push(`inverse.learn=${JSON.stringify(fields.map((f) => learnableField(game, f)))}`);
  }
  if (opts.bootstrap !== undefined) {
    if (opts.learn === undefined) throw new UsageError('--bootstrap gives intervals for learned parameters: add --learn FIELD,…');
    sets.push(`inverse.bootstrap=${opts.bootstrap}`);
  }
  return sets;
}

/** The run the options describe: a fresh one, or the one a checkpoint continues (everything from it). */
async function request(gameName: string | undefined, opts: TrainCommandOptions): Promise<Omit<TrainRequest, 'engine'>> {
  if (!opts.resume) {
    if (!gameName) throw new UsageError('train needs a game (or --resume DIR)');
    if (!opts.out) throw new UsageError('train needs --out DIR');
    if (opts.validation && !opts.data) throw new UsageError('--validation needs --data as well');
    const exp = resolveExperiment(gameName, { ...opts, set: [...opts.set, ...flagOverrides(gameName, opts)] }, 'train');
    return { exp, seed: opts.seed, data: opts.data ?? null, validation: opts.validation ?? null, dir: opts.out };
  }
  const resumed = await readResume(opts.resume, GAMES);
  if (gameName && gameName !== resumed.exp.game.name) throw new UsageError(`${opts.resume} holds a ${resumed.exp.game.name} run, not ${gameName}`);
  const steps = resumeSteps(opts.set);
  if (steps === null) return resumed;
  const done = resumed.resume!.step;
  if (steps < done) throw new UsageError(`${opts.resume}: the run has trained ${done} steps already; --set training.steps=${steps} cannot shorten it`);
  const { game } = resumed.exp;
  return { ...resumed, exp: { ...resumed.exp, config: withOverrides(game, resumed.exp.config, [`training.steps=${steps}`]) } };
}

/** Refuses what `--resume` would ignore, before anything is read or written. */
function checkResumeOptions(opts: TrainCommandOptions): void {
  const ignored = [...(opts.given ?? [])].filter((o) => !RESUME_ACCEPTS.has(o));
  if (ignored.length > 0) {
    const flags = ignored.map((o) => `--${o.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ');
    throw new UsageError(`--resume continues the run as it was configured, so ${flags} would be ignored: drop ${ignored.length > 1 ? 'them' : 'it'} (or start a new run)`);
  }
  if (opts.out && resolve(opts.out) !== resolve(opts.resume!)) {
    throw new UsageError(`--resume ${opts.resume} continues the run in its own folder: drop --out ${opts.out}`);
  }
  resumeSteps(opts.set);
}

export async function trainCommand(gameName: string | undefined, opts: TrainCommandOptions): Promise<number> {
  if (opts.resume) checkResumeOptions(opts);
  // usage errors first (nothing touched), then the folder, claimed before any work
  const fresh = opts.resume ? null : await request(gameName, opts);
  const dir = opts.resume ?? fresh!.dir;
  const claim = await claimOutput(dir, { command: 'train', game: fresh?.exp.game.name ?? gameName ?? null, force: opts.force === true, continues: Boolean(opts.resume) });
  try {
    return await trainIn(fresh ?? (await request(gameName, opts)), opts);
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
      onBootstrap: (r, total, learned) => {
        if (r === 1) progress?.stop();
        if (!opts.quiet) process.stderr.write(`bootstrap ${r}/${total}: ${Object.entries(learned).map(([f, v]) => `${f} = ${v.toPrecision(5)}`).join(', ')}\n`);
      },
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
