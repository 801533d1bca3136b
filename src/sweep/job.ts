// One job of a sweep, start to finish, whatever runs it (the local pool, `sweep run-one` under Slurm
// or Kubernetes, a queue worker): skip it if its folder says it finished under the same key,
// resume an interrupted `train` from its checkpoint, otherwise start it afresh in a clean folder;
// then record how it ended. The record (sweep-job.json) is what makes a job idempotent.
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeJsonAtomic } from '../io/atomic.ts';
import type { SweepJob, SweepManifest } from './manifest.ts';

export const RECORD_FILE = 'sweep-job.json';
export const LOG_FILE = 'sweep-job.log';
/** Exit code of a command stopped by Ctrl-C or SIGTERM (train: after saving a checkpoint). */
export const EXIT_INTERRUPTED = 130;

export type JobState = 'pending' | 'started' | 'done' | 'failed' | 'interrupted';

/** DIR/jobs/…/sweep-job.json: how the job's last attempt went. */
export interface JobRecord {
  key: string;
  state: Exclude<JobState, 'pending'>;
  /** attempts so far, over every run of the sweep */
  attempts: number;
  exitCode: number | null;
  startedAt: string;
  finishedAt: string | null;
  seconds: number | null;
  host: string;
  /** whether this attempt continued a checkpoint */
  resumed: boolean;
  /** the last lines of the log of a failed attempt */
  error?: string;
}

/** What a job needs from its manifest besides itself. */
export type JobContext = Pick<SweepManifest, 'command' | 'resume'>;

/** Runs a command line of this tool with its output appended to `log`; resolves with the exit code. */
export type CommandRunner = (argv: string[], log: string) => Promise<number>;

export interface JobOutcome {
  job: SweepJob;
  state: 'done' | 'failed' | 'interrupted';
  /** finished before this call: nothing ran */
  skipped: boolean;
  exitCode: number | null;
  seconds: number;
  attempts: number;
  resumed: boolean;
  error?: string;
}

export async function readJobRecord(jobDir: string): Promise<JobRecord | null> {
  try {
    return JSON.parse(await readFile(join(jobDir, RECORD_FILE), 'utf8')) as JobRecord;
  } catch {
    return null;
  }
}

/** The job's state as its folder shows it: a record under another key counts as never run. */
export async function jobState(sweepDir: string, job: SweepJob): Promise<{ state: JobState; record: JobRecord | null }> {
  const record = await readJobRecord(join(sweepDir, job.dir));
  if (!record || record.key !== job.key) return { state: 'pending', record: null };
  return { state: record.state, record };
}

/** The last `n` non-empty lines of the job's log (why it failed). */
async function logTail(log: string, n = 3): Promise<string> {
  try {
    const lines = (await readFile(log, 'utf8')).split('\n').map((l) => l.trimEnd()).filter(Boolean);
    return lines.slice(-n).join('\n');
  } catch {
    return '';
  }
}

/** Empties the job's folder for a fresh start, keeping its log. */
async function clearOutputs(jobDir: string): Promise<void> {
  await mkdir(jobDir, { recursive: true });
  for (const name of await readdir(jobDir)) {
    if (name !== LOG_FILE) await rm(join(jobDir, name), { recursive: true, force: true });
  }
}

/**
 * Runs the job unless it has finished under its key. A `train` job whose folder holds a checkpoint
 * of the same key continues it (`train --resume`: the same result as an uninterrupted run).
 */
export async function executeJob(ctx: JobContext, job: SweepJob, sweepDir: string, run: CommandRunner): Promise<JobOutcome> {
  const jobDir = join(sweepDir, job.dir);
  const { state, record } = await jobState(sweepDir, job);
  if (state === 'done') {
    return { job, state: 'done', skipped: true, exitCode: 0, seconds: 0, attempts: record!.attempts, resumed: false };
  }
  const resumed = record !== null && ctx.command === 'train' && existsSync(join(jobDir, 'checkpoint.json'));
  if (!resumed) await clearOutputs(jobDir);
  const argv = resumed ? ['train', '--resume', jobDir, ...ctx.resume, '--quiet'] : [...job.argv, '--out', jobDir];
  const attempts = (record?.attempts ?? 0) + 1;
  const started: JobRecord = {
    key: job.key,
    state: 'started',
    attempts,
    exitCode: null,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    seconds: null,
    host: hostname(),
    resumed,
  };
  await writeJsonAtomic(join(jobDir, RECORD_FILE), started);
  const log = join(jobDir, LOG_FILE);
  await appendFile(log, `--- attempt ${attempts} on ${started.host} at ${started.startedAt}${resumed ? ' (resumed from checkpoint.json)' : ''}\n$ neural-mfg ${argv.join(' ')}\n`);
  const t0 = performance.now();
  const exitCode = await run(argv, log);
  const seconds = (performance.now() - t0) / 1000;
  const ended = exitCode === 0 ? 'done' : exitCode === EXIT_INTERRUPTED ? 'interrupted' : 'failed';
  const error = ended === 'failed' ? (await logTail(log)) || `exit code ${exitCode}` : undefined;
  await appendFile(log, `--- exit ${exitCode} (${ended}) after ${seconds.toFixed(1)} s\n`);
  await writeJsonAtomic(join(jobDir, RECORD_FILE), {
    ...started,
    state: ended,
    exitCode,
    finishedAt: new Date().toISOString(),
    seconds,
    ...(error ? { error } : {}),
  } satisfies JobRecord);
  return { job, state: ended, skipped: false, exitCode, seconds, attempts, resumed, ...(error ? { error } : {}) };
}
