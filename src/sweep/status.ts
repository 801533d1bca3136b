// `sweep status DIR`: every job's state from its folder (pending, started, done, failed,
// interrupted), with attempts, time and the reason of a failure; as a table or as data.
import { jobState, type JobRecord, type JobState } from './job.ts';
import type { SweepManifest } from './manifest.ts';
import { formatSeconds } from './progress.ts';

export interface JobStatus {
  index: number;
  id: string;
  dir: string;
  state: JobState;
  attempts: number;
  seconds: number | null;
  host: string | null;
  error: string | null;
}

export interface SweepStatus {
  id: string;
  counts: Record<JobState, number>;
  jobs: JobStatus[];
}

export async function sweepStatus(dir: string, manifest: SweepManifest): Promise<SweepStatus> {
  const counts: Record<JobState, number> = { pending: 0, started: 0, done: 0, failed: 0, interrupted: 0 };
  const jobs: JobStatus[] = [];
  for (const job of manifest.jobs) {
    const { state, record } = await jobState(dir, job);
    counts[state]++;
    const r: JobRecord | null = record;
    jobs.push({ index: job.index, id: job.id, dir: job.dir, state, attempts: r?.attempts ?? 0, seconds: r?.seconds ?? null, host: r?.host ?? null, error: r?.error ?? null });
  }
  return { id: manifest.id, counts, jobs };
}

/** The table for people: a line per job (all of them up to `limit`, else only those not done). */
export function formatStatus(dir: string, manifest: SweepManifest, s: SweepStatus, limit = 200): string {
  const c = s.counts;
  const head =
    `${dir}: sweep ${s.id}, ${manifest.jobs.length} jobs of ${manifest.analysis ? `analyze ${manifest.target} --preset ${manifest.analysis.name}` : `${manifest.command} ${manifest.target}`}: ` +
    `${c.done} done, ${c.failed} failed, ${c.interrupted} interrupted, ${c.started} started (running, or stopped without a word), ${c.pending} pending`;
  const shown = s.jobs.length <= limit ? s.jobs : s.jobs.filter((j) => j.state !== 'done');
  const idWidth = Math.min(60, Math.max(3, ...shown.map((j) => j.id.length)));
  const lines = shown.map(
    (j) =>
      `${String(j.index).padStart(5)}  ${j.id.padEnd(idWidth)}  ${j.state.padEnd(11)}  ${String(j.attempts).padStart(8)}  ${(j.seconds === null ? '' : formatSeconds(j.seconds)).padStart(10)}` +
      (j.error ? `  ${j.error.split('\n').at(-1)}` : ''),
  );
  const table = lines.length > 0 ? [`${'index'.padStart(5)}  ${'job'.padEnd(idWidth)}  ${'state'.padEnd(11)}  attempts  ${'time'.padStart(10)}`, ...lines] : [];
  const note = shown.length < s.jobs.length ? [`(${s.jobs.length - shown.length} finished jobs not listed)`] : [];
  return [head, ...table, ...note].join('\n');
}
