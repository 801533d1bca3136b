// metrics.csv while a run trains: the header and the steps done before are written at its first
// step (a resumed run's earlier steps included), then each step's line is appended as it comes,
// so that a reader (`neural-mfg dashboard`, `tail -f`) follows the run live. Lines are written in
// batches at most FLUSH_MS after they come: a step of a small game takes well under a millisecond, and a
// write per step would cost more than the step. The run's end rewrites the file whole (saveTrainedRun).
import { closeSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import type { StepMetrics } from '../train/train.ts';

/** metrics.csv's columns (a public contract: add, never rename). */
export const METRICS_HEADER = ['step', 'train_loss', 'validation_loss', 'ms'];

/** A step's cells, in METRICS_HEADER's order (a step without validation leaves its cell empty). */
export function metricsRow(m: StepMetrics): (number | string)[] {
  return [m.step, m.trainLoss, m.validationLoss ?? '', m.ms];
}

/** How long appended lines may wait before they are written: a live reader sees them within this. */
const FLUSH_MS = 200;

// as writeCsv writes numbers in full: the shortest round-trip form, no "-0"
const line = (m: StepMetrics) => metricsRow(m).map((c) => (c === 0 ? '0' : String(c))).join(',') + '\n';

export interface MetricsLog {
  append(m: StepMetrics): void;
  /** writes what is pending and closes the file */
  close(): void;
}

/**
 * metrics.csv of a run: at its first step the file is started with the steps trained before (a
 * resumed run's), then steps are appended. A run that fails before its first step leaves no file.
 */
export function openMetricsLog(path: string, earlier: StepMetrics[]): MetricsLog {
  let fd: number | null = null;
  let pending = '';
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (pending.length === 0) return;
    if (fd === null) {
      // started whole under a temporary name, so that a reader never sees a file without its header
      const tmp = `${path}.tmp-${process.pid}`;
      writeFileSync(tmp, METRICS_HEADER.join(',') + '\n' + earlier.map(line).join(''));
      renameSync(tmp, path);
      fd = openSync(path, 'a');
    }
    writeSync(fd, pending);
    pending = '';
  };
  let closed = false;
  return {
    append(m) {
      pending += line(m);
      // the training loop yields to the event loop between steps, so the timer fires on time
      timer ??= setTimeout(flush, FLUSH_MS).unref();
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        flush();
      } finally {
        if (fd !== null) closeSync(fd);
      }
    },
  };
}
