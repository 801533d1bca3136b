// The job-queue route, on BullMQ (Redis): `sweep run DIR --queue URL` enqueues the jobs that have
// not finished and waits for them; `neural-mfg worker --queue URL`, on any number of machines, runs
// them on its local pool. Retries (with backoff) and the recovery of jobs whose worker died
// (stalled jobs) are BullMQ's. A worker that sees the sweep's folder (a shared file system) writes
// there; one that does not runs the job in a folder of its own and sends the files back through the
// queue, and the enqueuer writes them into DIR.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, Queue, QueueEvents, Worker, type Job } from 'bullmq';
import { ConnectStopped, waitForRedis } from './connect.ts';
import { executeJob, jobFiles, jobState, writeJobRecord, type JobOutcome } from './job.ts';
import { DEFAULT_CONNECT_TIMEOUT_S, readManifest, type SweepJob, type SweepManifest } from './manifest.ts';
import { JobPool } from './pool.ts';
import type { RunSummary, SweepCounts, SweepEvent } from './run-local.ts';

/** Results sent back through the queue above this size are refused: use a shared folder. */
const MAX_RESULT_BYTES = 64 * 1024 * 1024;

/** What a queued job carries: enough to run it without the manifest. */
export interface QueuedJob {
  sweepId: string;
  /** the sweep's folder as the enqueuing machine sees it */
  sweepDir: string;
  job: SweepJob;
}

export interface QueuedResult {
  host: string;
  seconds: number;
  /** the job's files (relative path → base64) when the worker did not see the sweep's folder */
  files?: Record<string, string>;
}

/** BullMQ's connection options for a redis:// (or rediss://) URL. */
function connection(url: string) {
  if (!/^rediss?:\/\//.test(url)) throw new Error(`--queue ${url}: expected a Redis URL, redis://HOST:PORT (or rediss:// for TLS)`);
  return { url, maxRetriesPerRequest: null };
}

const queueJobId = (manifest: { id: string }, job: SweepJob) => `${manifest.id}-${job.index}`;

/** The job's files (its folder, record and log; relative to `base`) as base64 by relative path. */
async function readJobFiles(base: string, job: SweepJob): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  let bytes = 0;
  const add = async (path: string) => {
    const data = await readFile(path);
    bytes += data.length;
    if (bytes > MAX_RESULT_BYTES) throw new Error(`the job's files are over ${MAX_RESULT_BYTES >> 20} MB: run the workers on a folder shared with the enqueuer`);
    files[relative(base, path)] = data.toString('base64');
  };
  const { out, record, log } = jobFiles(job);
  for (const entry of await readdir(join(base, out), { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) await add(join(entry.parentPath, entry.name));
  }
  for (const file of [record, log]) if (existsSync(join(base, file))) await add(join(base, file));
  return files;
}

/** Writes a job's files sent back by a worker into the sweep's folder (its folder replaced whole). */
async function writeJobFiles(base: string, job: SweepJob, files: Record<string, string>): Promise<void> {
  await rm(join(base, jobFiles(job).out), { recursive: true, force: true });
  for (const [name, data] of Object.entries(files)) {
    const path = join(base, name);
    if (relative(base, path).startsWith('..')) throw new Error(`a result file outside the sweep's folder: ${name}`);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, Buffer.from(data, 'base64'));
  }
}

export interface QueueRunOptions {
  url: string;
  queueName: string;
  retries: number;
  /** give up reaching Redis after this many seconds (default DEFAULT_CONNECT_TIMEOUT_S) */
  connectTimeoutS?: number;
  /** a line for people (failed connection attempts, a Redis that went away); default stderr */
  log?: (line: string) => void;
  onEvent?: (event: SweepEvent, counts: SweepCounts) => void;
}

const stderrLine = (line: string) => void process.stderr.write(`${line}\n`);

/** A BullMQ object's connection errors as one line each, never a stack (repeated lines only once per minute). */
function reportErrors(what: string, log: (line: string) => void): (err: Error) => void {
  let last = '';
  let at = 0;
  return (err) => {
    const line = `queue: ${what}: ${err.message.split('\n')[0]}`;
    if (line === last && Date.now() - at < 60_000) return;
    last = line;
    at = Date.now();
    log(line);
  };
}

/** Closes BullMQ objects, waiting at most `ms` (a Redis that went away would keep close() waiting). */
async function closeWithin(closers: (() => Promise<unknown>)[], ms: number): Promise<void> {
  const all = Promise.allSettled(closers.map((close) => close()));
  await Promise.race([all, sleep(ms).then(() => undefined)]);
}

export interface QueueRun {
  /** stop waiting (the jobs stay queued; the workers go on) */
  stop(): void;
  finished: Promise<RunSummary>;
}

/** Enqueues the jobs of DIR that have not finished, then collects them as the workers finish them. */
export function runOnQueue(dir: string, manifest: SweepManifest, o: QueueRunOptions): QueueRun {
  let wake: (() => void) | null = null;
  let stopping = false;
  const stop = new AbortController();
  const log = o.log ?? stderrLine;
  const finished = (async (): Promise<RunSummary> => {
    const started = performance.now();
    const states = await Promise.all(manifest.jobs.map((j) => jobState(dir, j)));
    const outstanding = new Map(manifest.jobs.filter((_, i) => states[i].state !== 'done').map((j) => [queueJobId(manifest, j), j]));
    const counts: SweepCounts = { total: manifest.jobs.length, done: manifest.jobs.length - outstanding.size, failed: 0, running: 0 };
    const summary: RunSummary = { total: counts.total, skipped: counts.done, done: 0, failed: [], interrupted: 0, seconds: 0 };
    const interrupted = () => ({ ...summary, interrupted: outstanding.size, seconds: (performance.now() - started) / 1000 });
    try {
      await waitForRedis(o.url, { timeoutS: o.connectTimeoutS ?? DEFAULT_CONNECT_TIMEOUT_S, log, signal: stop.signal });
    } catch (err) {
      if (err instanceof ConnectStopped) return interrupted();
      throw err;
    }
    const queue = new Queue(o.queueName, { connection: connection(o.url) });
    const events = new QueueEvents(o.queueName, { connection: connection(o.url) });
    queue.on('error', reportErrors('the queue', log));
    events.on('error', reportErrors('its events', log));
    // a stop ends the waiting at once, whatever BullMQ is waiting for (a Redis that went away)
    const stopped = new Promise<'stopped'>((resolve) => stop.signal.addEventListener('abort', () => resolve('stopped'), { once: true }));
    try {
      if ((await Promise.race([Promise.all([queue.waitUntilReady(), events.waitUntilReady()]), stopped])) === 'stopped') return interrupted();
      const sweepDir = resolve(dir);
      for (const [id, job] of outstanding) {
        const existing = await queue.getJob(id);
        if (existing && (await existing.getState()) === 'failed') await existing.remove();
        else if (existing) continue; // waiting, active, delayed or completed: collected below
        const data: QueuedJob = { sweepId: manifest.id, sweepDir, job };
        await queue.add(job.id, data, { jobId: id, attempts: o.retries + 1, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: false, removeOnFail: false });
      }
      const active = new Set<string>();
      const collect = async (id: string) => {
        const job = outstanding.get(id);
        const queued = job && (await queue.getJob(id));
        if (!job || !queued) return;
        const state = await queued.getState();
        if (state !== 'completed' && state !== 'failed') return;
        outstanding.delete(id);
        active.delete(id);
        counts.running = active.size;
        const outcome = await finish(dir, job, queued, state);
        await queued.remove();
        if (outcome.state === 'done') {
          counts.done++;
          summary.done++;
        } else {
          counts.failed++;
          summary.failed.push(outcome);
        }
        o.onEvent?.({ kind: 'end', outcome, retrying: false }, counts);
      };
      let news = false;
      const ours = ({ jobId }: { jobId: string }) => {
        if (!outstanding.has(jobId)) return;
        news = true;
        wake?.();
      };
      events.on('completed', ours);
      events.on('failed', ours);
      events.on('active', ({ jobId }) => {
        const job = outstanding.get(jobId);
        if (!job || active.has(jobId)) return;
        active.add(jobId);
        counts.running = active.size;
        o.onEvent?.({ kind: 'start', job }, counts);
      });
      // every job's state is checked after each event and every 2 s: no event can be missed
      while (outstanding.size > 0 && !stopping) {
        news = false;
        for (const id of [...outstanding.keys()]) if ((await Promise.race([collect(id), stopped])) === 'stopped') break;
        if (outstanding.size === 0 || stopping) break;
        if (!news) {
          await new Promise<void>((r) => {
            const timer = setTimeout(r, 2000);
            wake = () => {
              clearTimeout(timer);
              r();
            };
          });
        }
        wake = null;
      }
      summary.interrupted = outstanding.size;
      summary.seconds = (performance.now() - started) / 1000;
      return summary;
    } finally {
      await closeWithin([() => events.close(), () => queue.close()], 5000);
    }
  })();
  return {
    stop() {
      stopping = true;
      stop.abort();
      wake?.();
    },
    finished,
  };
}

/** A job the queue is done with: its files written into DIR (if sent back), its outcome. */
async function finish(dir: string, job: SweepJob, queued: Job, state: 'completed' | 'failed'): Promise<JobOutcome> {
  const result = queued.returnvalue as QueuedResult | null;
  if (state === 'completed' && result?.files) await writeJobFiles(dir, job, result.files);
  const { state: onDisk, record } = await jobState(dir, job);
  if (state === 'completed' && onDisk === 'done') {
    return { job, state: 'done', skipped: false, exitCode: 0, seconds: result?.seconds ?? 0, attempts: queued.attemptsMade, resumed: false };
  }
  const error = state === 'failed' ? queued.failedReason : `the worker reported the job done, but ${join(dir, jobFiles(job).record)} does not say so`;
  if (onDisk !== 'failed') {
    const now = new Date().toISOString();
    await writeJobRecord(dir, job, {
      key: job.key,
      state: 'failed',
      attempts: queued.attemptsMade,
      exitCode: null,
      startedAt: record?.startedAt ?? now,
      finishedAt: now,
      seconds: null,
      host: record?.host ?? 'queue',
      resumed: false,
      error,
    });
  }
  return { job, state: 'failed', skipped: false, exitCode: null, seconds: 0, attempts: queued.attemptsMade, resumed: false, error };
}

export interface WorkerOptions {
  url: string;
  queueName: string;
  /** jobs at once (processes of the local pool) */
  workers: number;
  /** where results go: the shared sweep folder, back through the queue, or whichever works (auto) */
  results: 'auto' | 'shared' | 'queue';
  /** give up reaching Redis after this many seconds (default DEFAULT_CONNECT_TIMEOUT_S) */
  connectTimeoutS?: number;
  log: (line: string) => void;
}

export interface QueueWorker {
  /** first call: take no new job, interrupt the running ones (they go back to the queue); second: abort */
  stop(): void;
  finished: Promise<void>;
}

/** Whether this machine sees the queued job's sweep folder (the same sweep, by its id). */
async function seesSweep(data: QueuedJob): Promise<boolean> {
  if (!existsSync(join(data.sweepDir, 'sweep.json'))) return false;
  try {
    return (await readManifest(data.sweepDir)).id === data.sweepId;
  } catch {
    return false;
  }
}

/** `neural-mfg worker --queue URL`: runs queued jobs until stopped. */
export function startWorker(o: WorkerOptions): QueueWorker {
  const pool = new JobPool({ size: o.workers });
  let stops = 0;
  let worker: Worker<QueuedJob, QueuedResult> | null = null;
  const connecting = new AbortController();
  let forced: () => void = () => {};
  const finished = new Promise<void>((resolveFinished, reject) => {
    forced = resolveFinished;
    waitForRedis(o.url, { timeoutS: o.connectTimeoutS ?? DEFAULT_CONNECT_TIMEOUT_S, log: o.log, signal: connecting.signal }).then(
      () => {
        if (stops > 0) return resolveFinished();
        worker = createWorker(o, pool);
        worker.on('closed', () => resolveFinished());
        worker.waitUntilReady().catch(reject);
      },
      (err) => (err instanceof ConnectStopped ? resolveFinished() : reject(err)),
    );
  }).finally(() => pool.close());
  return {
    stop() {
      stops++;
      connecting.abort();
      pool.interrupt();
      if (!worker) forced();
      else if (stops === 1) {
        // the running jobs checkpoint and go back to the queue; a Redis that went away gets 30 s
        void closeWithin([() => worker!.close()], 30_000).then(forced);
      } else {
        // a second signal: do not wait for the running jobs (they go back to the queue as stalled) or for Redis
        void worker.close(true).catch(() => {});
        forced();
      }
    },
    finished,
  };
}

/** The BullMQ worker: each job on the local pool, its files shared or sent back through the queue. */
function createWorker(o: WorkerOptions, pool: JobPool): Worker<QueuedJob, QueuedResult> {
  const worker = new Worker<QueuedJob, QueuedResult>(
    o.queueName,
    async (queued, token) => {
      const data = queued.data;
      const shared = o.results !== 'queue' && (await seesSweep(data));
      if (o.results === 'shared' && !shared) throw new Error(`${data.sweepDir}: sweep ${data.sweepId} is not on ${hostname()} (worker --results shared)`);
      const base = shared ? data.sweepDir : join(tmpdir(), 'neural-mfg-worker', data.sweepId);
      o.log(`worker ${hostname()}: job ${data.job.index} of sweep ${data.sweepId} (${data.job.id}) started${shared ? '' : ', results through the queue'}`);
      // the inputs the sweep copied (DIR/inputs/) are read from DIR where this machine sees it
      const outcome = await executeJob(data.job, base, (request, log) => pool.run(request, log), existsSync(data.sweepDir) ? data.sweepDir : base);
      o.log(`worker ${hostname()}: job ${data.job.index} of sweep ${data.sweepId} ${outcome.state}${outcome.skipped ? ' (already)' : ` after ${outcome.seconds.toFixed(1)} s`}`);
      if (outcome.state === 'interrupted') {
        // back to the queue without using up an attempt: the next worker resumes it
        await queued.moveToDelayed(Date.now() + 1000, token);
        throw new DelayedError();
      }
      if (outcome.state === 'failed') throw new Error(outcome.error ?? 'failed');
      if (shared) return { host: hostname(), seconds: outcome.seconds };
      const files = await readJobFiles(base, data.job);
      for (const f of Object.values(jobFiles(data.job))) await rm(join(base, f), { recursive: true, force: true });
      return { host: hostname(), seconds: outcome.seconds, files };
    },
    { connection: connection(o.url), concurrency: o.workers },
  );
  worker.on('error', reportErrors('worker', o.log));
  return worker;
}
