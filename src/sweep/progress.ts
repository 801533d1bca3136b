// Progress of a sweep on stderr: a bar with jobs done, running and failed and the ETA on a
// terminal (lines printed above it), one line per finished job otherwise (logs, CI).
import cliProgress from 'cli-progress';
import type { SweepCounts } from './run-local.ts';

export interface SweepProgress {
  /** after every change of the counts */
  update(counts: SweepCounts): void;
  /** a line for people (a finished job), above the bar */
  log(line: string): void;
  stop(): void;
}

/** "1 min 20 s", "45 s" */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '—';
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${Math.round(s % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * ETA from the jobs finished in this run: they finish at the pool's rate, so the time left is the
 * jobs left over that rate.
 */
function eta(startedAt: number, doneAtStart: number, counts: SweepCounts): number {
  const doneHere = counts.done - doneAtStart;
  const left = counts.total - counts.done - counts.failed;
  if (left === 0) return 0;
  return doneHere > 0 ? (((performance.now() - startedAt) / 1000) * left) / doneHere : NaN;
}

export function sweepProgress(label: string, initial: SweepCounts, stream: NodeJS.WriteStream = process.stderr): SweepProgress {
  const startedAt = performance.now();
  const doneAtStart = initial.done;
  // `left`, not `eta`: cli-progress fills a token of that name with its own estimate
  const payload = (c: SweepCounts) => ({ running: c.running, failed: c.failed, left: formatSeconds(eta(startedAt, doneAtStart, c)) });
  if (stream.isTTY) {
    const bars = new cliProgress.MultiBar(
      { stream, format: `${label} |{bar}| {value}/{total} jobs | {running} running | {failed} failed | ETA {left}`, hideCursor: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    const bar = bars.create(initial.total, initial.done, payload(initial));
    return {
      update: (c) => bar.update(c.done, payload(c)),
      log: (line) => bars.log(`${line}\n`),
      stop: () => bars.stop(),
    };
  }
  let last = initial;
  return {
    update: (c) => (last = { ...c }),
    log: (line) => stream.write(`${line} [${last.done}/${last.total} done${last.failed ? `, ${last.failed} failed` : ''}, ETA ${payload(last).left}]\n`),
    stop: () => {},
  };
}
