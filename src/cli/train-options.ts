// What `train`'s own flags mean before they become a request: the options `--resume` accepts
// (everything else is the run's own, fixed when it started) and --learn/--bootstrap as the
// configuration fields they set.
import { resolve } from 'node:path';
import { gameByName } from '../../games/index.ts';
import { learnableField } from '../mfg/learned.ts';
import { UsageError, type CommonOptions } from './options.ts';

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

/** Options `--resume` takes: everything else is the run's own, fixed when it started. */
const RESUME_ACCEPTS = new Set(['resume', 'out', 'backend', 'engine', 'allowSoftware', 'quiet', 'set']);

/** `--set training.steps=N` on a resumed run: the new length, or null. Anything else is refused. */
export function resumeSteps(sets: string[]): number | null {
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

/** Refuses what `--resume` would ignore, before anything is read or written. */
export function checkResumeOptions(opts: TrainCommandOptions): void {
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

/** Whether the command line chose the noise path itself (--noise-path, or --set noise.path=…). */
export function noisePathChosen(opts: TrainCommandOptions): boolean {
  return Boolean(opts.given?.has('noisePath')) || opts.set.some((s) => /^\s*noise\.path\s*=/.test(s));
}

/** A fresh run's checks, then --learn and --bootstrap as the configuration fields they set (after any --set). */
export function freshRunSets(gameName: string | undefined, opts: TrainCommandOptions): string[] {
  if (!gameName) throw new UsageError('train needs a game (or --resume DIR)');
  if (!opts.out) throw new UsageError('train needs --out DIR');
  if (opts.validation && !opts.data) throw new UsageError('--validation needs --data as well');
  const sets = [...opts.set];
  if (opts.learn !== undefined) {
    const fields = opts.learn.split(',').map((f) => f.trim()).filter((f) => f.length > 0);
    if (fields.length === 0) throw new UsageError('--learn needs at least one field, e.g. --learn scheduledTime');
    const game = gameByName(gameName);
    sets.push(`inverse.learn=${JSON.stringify(fields.map((f) => learnableField(game, f)))}`);
    // learned parameters must explain the noise's distribution, not one frozen path of it: fresh
    // paths unless the noise path was chosen (--noise-path, --set noise.path=…; README § Learning)
    if (!noisePathChosen(opts)) sets.push(`noise.path="fresh"`);
  }
  if (opts.bootstrap !== undefined) {
    if (opts.learn === undefined) throw new UsageError('--bootstrap gives intervals for learned parameters: add --learn FIELD,…');
    sets.push(`inverse.bootstrap=${opts.bootstrap}`);
  }
  return sets;
}
