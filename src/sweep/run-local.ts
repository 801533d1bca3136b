// `sweep run DIR`: the jobs that have not finished, on the local pool, most at once that the
// workers allow; a failed job goes back to the end of the line up to `retries` times. `stop()`
// (Ctrl-C) starts nothing new and interrupts the running jobs: each one then either finishes or
// leaves a checkpoint, so that the next `sweep run` finishes what is left and redoes nothing.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { executeJob, jobState, type JobOutcome } from './job.ts';
import type { SweepJob, SweepManifest } from './manifest.ts';
import { JobPool } from './pool.ts';

export type SweepEvent = { kind: 'start'; job: SweepJob } | { kind: 'end'; outcome: JobOutcome; retrying: boolean };

export interface SweepCounts {
  total: number;
  /** finished (before this run or in it) */
  done: number;
  failed: number;
  running: number;
}

export interface RunOptions {
  workers: number;
  /** extra attempts for a failed job within this run */
  retries: number;
  onEvent?: (event: SweepEvent, counts: SweepCounts) => void;
}

export interface RunSummary {
  total: number;
  /** finished before this run */
  skipped: number;
  /** finished in this run */
  done: number;
  failed: JobOutcome[];
  /** stopped by an interruption, or never started because of one */
  interrupted: number;
  seconds: number;
}

export interface LocalRun {
  /** first call: start nothing new, interrupt the running jobs; second call: abort them */
  stop(): void;
  finished: Promise<RunSummary>;
}

const LOCK_FILE = 'sweep-run.lock';

/** One `sweep run` per folder on a machine: a second one would run the same jobs in the same folders. */
async function takeLock(dir: string): Promise<() => Promise<void>> {
  const file = join(dir, LOCK_FILE);
  try {
    const held = JSON.parse(await readFile(file, 'utf8')) as { pid: number; host: string };
    let alive = false;
    if (held.host === hostname() && held.pid !== process.pid) {
      try {
        process.kill(held.pid, 0);
        alive = true;
      } catch {
        alive = false;
      }
    }
    if (alive) throw new Error(`${dir}: another sweep run (process ${held.pid}) is running these jobs; wait for it or stop it first`);
  } catch (err) {
    if (!(err instanceof SyntaxError) && (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await writeFile(file, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() }));
  return () => rm(file, { force: true });
}

export function runLocal(dir: string, manifest: SweepManifest, opts: RunOptions): LocalRun {
  let stopping = false;
  let pool: JobPool | null = null;
  const finished = (async (): Promise<RunSummary> => {
    const started = performance.now();
    const release = await takeLock(dir);
    try {
      const states = await Promise.all(manifest.jobs.map((j) => jobState(dir, j)));
      const queue = manifest.jobs.filter((_, i) => states[i].state !== 'done');
      const counts: SweepCounts = { total: manifest.jobs.length, done: manifest.jobs.length - queue.length, failed: 0, running: 0 };
      const summary: RunSummary = { total: counts.total, skipped: counts.done, done: 0, failed: [], interrupted: 0, seconds: 0 };
      const size = Math.max(1, Math.min(opts.workers, queue.length));
      pool = new JobPool({ size });
      const tries = new Map<number, number>();
      await new Promise<void>((allDone) => {
        const pump = () => {
          while (!stopping && counts.running < size && queue.length > 0) void start(queue.shift()!);
          if (counts.running === 0 && (stopping || queue.length === 0)) allDone();
        };
        const start = async (job: SweepJob) => {
          counts.running++;
          tries.set(job.index, (tries.get(job.index) ?? 0) + 1);
          opts.onEvent?.({ kind: 'start', job }, counts);
          let outcome: JobOutcome;
          try {
            outcome = await executeJob(job, dir, (request, log) => pool!.run(request, log));
          } catch (err) {
            outcome = { job, state: 'failed', skipped: false, exitCode: null, seconds: 0, attempts: tries.get(job.index)!, resumed: false, error: (err as Error).message };
          }
          counts.running--;
          const retrying = outcome.state === 'failed' && !stopping && tries.get(job.index)! <= opts.retries;
          if (outcome.state === 'done') {
            counts.done++;
            summary.done++;
          } else if (retrying) queue.push(job);
          else if (outcome.state === 'failed') {
            counts.failed++;
            summary.failed.push(outcome);
          } else summary.interrupted++;
          opts.onEvent?.({ kind: 'end', outcome, retrying }, counts);
          pump();
        };
        pump();
      });
      summary.interrupted += queue.length;
      summary.seconds = (performance.now() - started) / 1000;
      return summary;
    } finally {
      await pool?.close();
      await release();
    }
  })();
  return {
    stop() {
      stopping = true;
      pool?.interrupt();
    },
    finished,
  };
}

/**
 * `sweep run-one DIR --index I` (a Slurm array task, a Kubernetes indexed pod): job I in this very
 * process, its output shown and logged, so that the cluster's signals reach it directly (a train
 * saves a checkpoint on SIGTERM). Returns the exit code: 0 done (or done before), 1 failed, 130 interrupted.
 */
export async function runOne(dir: string, job: SweepJob, retries: number): Promise<JobOutcome> {
  const { runInProcess } = await import('./in-process.ts');
  let outcome: JobOutcome;
  let attempt = 0;
  do {
    outcome = await executeJob(job, dir, (request, log) => runInProcess(request, log, { echo: true }));
  } while (outcome.state === 'failed' && attempt++ < retries);
  return outcome;
}
