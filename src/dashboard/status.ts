// A run's status from what its folder holds, read only (docs/dashboard.md §2): the lock of
// the process writing it, the folder's record (.neural-mfg.json: started, ended, why it failed),
// summary.json (written when a run ends, `interrupted` when Ctrl-C stopped it) and checkpoint.json
// (what `train --resume` continues).
import { hostname } from 'node:os';
import { processAlive, type FolderRecord, type LockInfo } from '../run/folder.ts';

export type RunStatus = 'running' | 'finished' | 'interrupted' | 'failed';

export interface FolderFacts {
  lock: LockInfo | null;
  record: FolderRecord | null;
  /** summary.json, parsed (null: none, or not readable) */
  summary: Record<string, unknown> | null;
  hasCheckpoint: boolean;
}

/** Whether the lock's process still runs (one on another host is taken at its word). */
export function lockHeld(lock: LockInfo | null): boolean {
  if (!lock) return false;
  return lock.host !== hostname() || lock.pid === process.pid || processAlive(lock.pid);
}

/** The status and, where it helps, why. */
export function runStatus(f: FolderFacts): { status: RunStatus; note: string | null } {
  if (f.lock && lockHeld(f.lock)) {
    return { status: 'running', note: f.lock.host !== hostname() ? `on ${f.lock.host} (process ${f.lock.pid})` : null };
  }
  if (f.record?.failed) return { status: 'failed', note: f.record.failed };
  if (f.summary) {
    return f.summary.interrupted === true ? { status: 'interrupted', note: 'stopped by the user; train --resume continues it' } : { status: 'finished', note: null };
  }
  if (f.lock) return { status: 'interrupted', note: `its process (${f.lock.pid}) is gone without a summary: killed?${f.hasCheckpoint ? ' train --resume continues it' : ''}` };
  if (f.hasCheckpoint) return { status: 'interrupted', note: 'no summary.json: train --resume continues it from checkpoint.json' };
  return { status: 'failed', note: 'ended without a summary.json' };
}
