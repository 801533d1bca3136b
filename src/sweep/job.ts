// One job of a sweep, start to finish, whatever runs it (the local pool, `sweep run-one` under Slurm
// or Kubernetes, a queue worker): skip it if its folder says it finished under the same key,
// resume an interrupted `train` from its checkpoint, otherwise start it afresh in a clean folder;
// then record how it ended. The record (DIR/state/<job>.json) is what makes a job idempotent; the
// job's folder (DIR/jobs/<job>/) holds only what its request wrote, its log is DIR/logs/<job>.log.
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { writeJsonAtomic } from '../io/atomic.ts';
import { LOCK_FILE } from '../run/folder.ts';
import { EXIT_INTERRUPTED } from '../run/exit.ts';
import { canonicalJson, type RunRequest } from '../run/requests.ts';
import type { SweepJob } from './manifest.ts';
import { resolveInputs } from './inputs.ts';

export { EXIT_INTERRUPTED } from '../run/exit.ts';

/** Where a job's files are, relative to the sweep's folder: its request's output, its record, its log. */
export function jobFiles(job: Pick<SweepJob, 'dir'>): { out: string; record: string; log: string } {
  const name = basename(job.dir);
  return { out: job.dir, record: join('state', `${name}.json`), log: join('logs', `${name}.log`) };
}
export type JobState = 'pending' | 'started' | 'done' | 'failed' | 'interrupted';

/** DIR/state/<job>.json: how the job's last attempt went. */
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
  /** why the last attempt failed (the run's error message) */
  error?: string;
}

/** Runs a request through the run layer with its output appended to `log`; resolves with the exit status. */
export type RequestRunner = (request: RunRequest, log: string) => Promise<number>;

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

export async function readJobRecord(sweepDir: string, job: SweepJob): Promise<JobRecord | null> {
  try {
    return JSON.parse(await readFile(join(sweepDir, jobFiles(job).record), 'utf8')) as JobRecord;
  } catch {
    return null;
  }
}

/** Records how the job's attempt went (atomically: a reader never sees half a record). */
export async function writeJobRecord(sweepDir: string, job: SweepJob, record: JobRecord): Promise<void> {
  await writeJsonAtomic(join(sweepDir, jobFiles(job).record), record);
}

/** The job's state as its record shows it: a record under another key counts as never run. */
export async function jobState(sweepDir: string, job: SweepJob): Promise<{ state: JobState; record: JobRecord | null }> {
  const record = await readJobRecord(sweepDir, job);
  if (!record || record.key !== job.key) return { state: 'pending', record: null };
  return { state: record.state, record };
}

/** Why the attempt failed, in a line: the run's own error message, else the log's last line. */
async function failureReason(log: string): Promise<string> {
  try {
    const all = (await readFile(log, 'utf8')).split('\n').map((l) => l.trim());
    // this attempt's lines only (the log holds every attempt)
    const start = all.map((l) => l.startsWith('--- attempt')).lastIndexOf(true);
    const lines = all.slice(start + 2).filter((l) => l && !l.startsWith('--- exit'));
    return lines.filter((l) => l.startsWith('neural-mfg:')).at(-1) ?? lines.at(-1) ?? '';
  } catch {
    return '';
  }
}

/**
 * Runs the job unless it has finished under its key. A `train` job whose folder holds a checkpoint
 * of the same key continues it (a resume request: the same result as an uninterrupted run). The
 * files it reads (DIR/inputs/) are found in `inputsFrom` (default the sweep's folder).
 */
export async function executeJob(job: SweepJob, sweepDir: string, run: RequestRunner, inputsFrom = sweepDir): Promise<JobOutcome> {
  const files = jobFiles(job);
  const jobDir = join(sweepDir, files.out);
  const { state, record } = await jobState(sweepDir, job);
  if (state === 'done') {
    return { job, state: 'done', skipped: true, exitCode: 0, seconds: 0, attempts: record!.attempts, resumed: false };
  }
  const resumed = record !== null && job.request.kind === 'train' && existsSync(join(jobDir, 'checkpoint.json'));
  // a fresh start in an empty folder: nothing of an earlier attempt (or of another definition) is mixed in
  if (!resumed) await rm(jobDir, { recursive: true, force: true });
  // The runner owns the job's folder (one runner per job: the pool's lock on DIR, the queue, the
  // cluster's index), so a lock left by an attempt that died, on this host or another one, is stale.
  else await rm(join(jobDir, LOCK_FILE), { force: true });
  await mkdir(join(sweepDir, 'logs'), { recursive: true });
  const request: RunRequest =
    resumed && job.request.kind === 'train'
      ? { kind: 'resume', run: jobDir, engine: job.request.engine, backend: job.request.backend, allowSoftware: job.request.allowSoftware }
      : { ...resolveInputs(inputsFrom, job.request), out: jobDir };
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
  await writeJobRecord(sweepDir, job, started);
  const log = join(sweepDir, files.log);
  await appendFile(log, `--- attempt ${attempts} on ${started.host} at ${started.startedAt}${resumed ? ' (resumed from checkpoint.json)' : ''}\nrequest ${canonicalJson(request)}\n`);
  const t0 = performance.now();
  const exitCode = await run(request, log);
  const seconds = (performance.now() - t0) / 1000;
  const ended = exitCode === 0 ? 'done' : exitCode === EXIT_INTERRUPTED ? 'interrupted' : 'failed';
  const error = ended === 'failed' ? (await failureReason(log)) || `exit code ${exitCode}` : undefined;
  await appendFile(log, `--- exit ${exitCode} (${ended}) after ${seconds.toFixed(1)} s\n`);
  await writeJobRecord(sweepDir, job, {
    ...started,
    state: ended,
    exitCode,
    finishedAt: new Date().toISOString(),
    seconds,
    ...(error ? { error } : {}),
  } satisfies JobRecord);
  return { job, state: ended, skipped: false, exitCode, seconds, attempts, resumed, ...(error ? { error } : {}) };
}
