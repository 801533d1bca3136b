// A sweep run as people watch it (`sweep run`, `analyze`): the local pool or the queue, a progress
// bar and a line per finished job on stderr, and Ctrl-C / SIGTERM handled: the first stops the
// sweep cleanly (running trains save a checkpoint), a second aborts the running jobs.
import { join } from 'node:path';
import { EXIT_INTERRUPTED, jobFiles, type JobOutcome } from './job.ts';
import type { SweepManifest } from './manifest.ts';
import { formatSeconds, sweepProgress, type SweepProgress } from './progress.ts';
import { runLocal, type RunSummary, type SweepCounts, type SweepEvent } from './run-local.ts';

export interface SessionOptions {
  workers: number;
  retries: number;
  /** a Redis URL: enqueue the jobs for `neural-mfg worker` instead of running them here */
  queue?: { url: string; name: string; connectTimeoutS?: number };
  /** the line for a finished job (default: its id, time and attempts) */
  describe?: (outcome: JobOutcome) => Promise<string>;
  label?: string;
}

async function defaultLine(o: JobOutcome): Promise<string> {
  const how = o.state === 'done' ? `done in ${formatSeconds(o.seconds)}${o.resumed ? ' (resumed)' : ''}` : o.state;
  return `job ${o.job.index} (${o.job.id}): ${how}${o.attempts > 1 ? `, attempt ${o.attempts}` : ''}`;
}

export async function runSession(dir: string, manifest: SweepManifest, o: SessionOptions): Promise<RunSummary> {
  let progress = null as SweepProgress | null;
  const printing: Promise<void>[] = [];
  const onEvent = (event: SweepEvent, counts: SweepCounts) => {
    progress ??= sweepProgress(o.label ?? `sweep ${manifest.id}`, counts);
    if (event.kind === 'end') {
      const { outcome, retrying } = event;
      const line =
        outcome.state === 'done' && o.describe
          ? o.describe(outcome)
          : outcome.state === 'failed'
            ? Promise.resolve(`job ${outcome.job.index} (${outcome.job.id}) failed${retrying ? ', retrying' : ''}: ${outcome.error?.split('\n').at(-1) ?? ''} (log: ${join(dir, jobFiles(outcome.job).log)})`)
            : defaultLine(outcome);
      printing.push(line.then((l) => progress?.log(l), (err: Error) => progress?.log(`job ${outcome.job.index}: ${err.message}`)));
    }
    progress.update(counts);
  };
  const run: { stop(): void; finished: Promise<RunSummary> } = o.queue
    ? (await import('./queue.ts')).runOnQueue(dir, manifest, { url: o.queue.url, queueName: o.queue.name, retries: o.retries, connectTimeoutS: o.queue.connectTimeoutS, onEvent })
    : runLocal(dir, manifest, { workers: o.workers, retries: o.retries, onEvent });
  let signals = 0;
  const onSignal = () => {
    signals++;
    progress?.log(
      signals === 1
        ? o.queue
          ? '\ninterrupted: no longer waiting; the queued jobs stay queued (run this again to collect them)'
          : '\ninterrupted: starting no new job; running trains stop after their step and save a checkpoint (Ctrl-C again to abort them)'
        : '\naborting the running jobs',
    );
    if (!progress) process.stderr.write('\ninterrupted\n');
    run.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await run.finished;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await Promise.all(printing);
    progress?.stop();
  }
}

/** One line on how the run went, and the exit code: 0 all done, 1 a job failed, 130 interrupted. */
export function sessionVerdict(dir: string, s: RunSummary): { line: string; code: number } {
  const parts = [`${s.done} done in ${formatSeconds(s.seconds)}`];
  if (s.skipped) parts.push(`${s.skipped} already done`);
  if (s.failed.length) parts.push(`${s.failed.length} failed (neural-mfg sweep status ${dir})`);
  if (s.interrupted) parts.push(`${s.interrupted} left to run (neural-mfg sweep run ${dir} resumes them)`);
  const code = s.failed.length ? 1 : s.interrupted ? EXIT_INTERRUPTED : 0;
  return { line: `${s.total} jobs: ${parts.join(', ')}`, code };
}
