// Output folders owned by one run. A command claims its folder before any work: the folder is
// created and checked for writing (a read-only folder fails now, not at the first checkpoint),
// locked for the run's lifetime (a second run into it gets an error naming the owner's process),
// and refused when it already holds another run's files unless the user forces it, in which case
// those files are removed first, so that the folder is consistent on its own: one run's model,
// summary and figures, never a mix.
//
// Two files of neural-mfg's own live in a claimed folder:
//   .neural-mfg.lock  while a run writes: {pid, host, command, started}; removed when it ends
//                     (a lock whose process is gone, after kill -9, is taken over)
//   .neural-mfg.json  the folder's run: {command, game, started, before, files, ended, failed};
//                     `before` lists what was there already (the user's own files, kept by
//                     --force), `files` what the run wrote, `ended` when it ended, `failed` why
//                     it failed (if it did): all three set when it ends
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, readdir, readFile, realpath, rm, stat, statfs, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeJsonAtomic } from '../io/atomic.ts';

export const LOCK_FILE = '.neural-mfg.lock';
export const RECORD_FILE = '.neural-mfg.json';

/** A folder that cannot be used: in use, holding another run, not writable. The message says what to do. */
export class OutputFolderError extends Error {}

export interface FolderRecord {
  command: string;
  game: string | null;
  started: string;
  /** entries that were in the folder when the run claimed it (not the run's) */
  before: string[];
  /** what the run wrote, once it finished */
  files?: string[];
  /** when the run ended (ISO time), however it ended */
  ended?: string;
  /** why the run failed, when it did (e.g. its loss diverged) */
  failed?: string;
}

export interface LockInfo {
  pid: number;
  host: string;
  command: string;
  started: string;
}

export interface ClaimOptions {
  /** the command that writes the folder: train, simulate, eval, analyze, … */
  command: string;
  game?: string | null;
  /** replace another run's files (removed first; the user's own files stay) */
  force?: boolean;
  /** the folder holds the run this command continues (train --resume): its files are the run's own */
  continues?: boolean;
  /**
   * the folder keeps growing after this command (a sweep: its jobs, logs and aggregates, written
   * by later commands): its record lists no files, so everything not there before is the run's
   */
  openEnded?: boolean;
}

export interface Claim {
  dir: string;
  /** records what the run wrote (and why it failed, if it did) and removes the lock */
  release(failed?: string): Promise<void>;
}

const ours = (name: string) => name === LOCK_FILE || name === RECORD_FILE || name.startsWith('.neural-mfg-probe-');

function describeLock(info: LockInfo | null): string {
  if (!info) return 'another neural-mfg run (its lock file could not be read)';
  return `another neural-mfg run: process ${info.pid} on ${info.host}, ${info.command} started ${info.started}`;
}

/** Whether the process `pid` of this host is a running Node.js program (a lock's owner). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // a recycled process id: the process is no longer a Node.js program
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /node|neural-mfg/.test(cmdline);
  } catch {
    return true;
  }
}

/** The lock file at `path` (null: none, or unreadable). */
export function readLock(path: string): LockInfo | null {
  try {
    const info = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
    return Number.isInteger(info.pid) ? info : null;
  } catch {
    return null;
  }
}

/** A lock whose owner has died (same host, process gone): safe to take over. */
function stale(info: LockInfo | null): boolean {
  return info !== null && info.host === hostname() && info.pid !== process.pid && !processAlive(info.pid);
}

function explainFsError(dir: string, err: unknown): OutputFolderError | unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new OutputFolderError(`${dir}: cannot write there (${code === 'EROFS' ? 'read-only file system' : 'permission denied'}); choose another --out`);
  }
  if (code === 'ENOTDIR' || code === 'EEXIST') return new OutputFolderError(`${dir}: a file of that name is in the way; --out needs a folder`);
  if (code === 'ENOSPC') return new OutputFolderError(`${dir}: no space left on the device`);
  return err;
}

async function takeLock(dir: string, command: string): Promise<string> {
  const path = join(dir, LOCK_FILE);
  const info: LockInfo = { pid: process.pid, host: hostname(), command, started: new Date().toISOString() };
  // written whole under a private name, then linked into place: link fails if the lock exists,
  // and a reader never sees a half-written lock
  const probe = join(dir, `.neural-mfg-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(probe, JSON.stringify(info) + '\n');
  } catch (err) {
    throw explainFsError(dir, err);
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(probe, path);
        return path;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw explainFsError(dir, err);
        const owner = readLock(path);
        if (attempt === 0 && stale(owner)) {
          await unlink(path).catch(() => {});
          continue;
        }
        throw new OutputFolderError(`${dir} is in use by ${describeLock(owner)}; wait for it to finish or choose another --out`);
      }
    }
  } finally {
    await unlink(probe).catch(() => {});
  }
}

/** The record of the run that owns `dir` (null: none, or no such folder). */
export function folderRecord(dir: string): FolderRecord | null {
  try {
    return JSON.parse(readFileSync(join(dir, RECORD_FILE), 'utf8')) as FolderRecord;
  } catch {
    return null;
  }
}

async function readRecord(dir: string): Promise<FolderRecord | null> {
  try {
    return JSON.parse(await readFile(join(dir, RECORD_FILE), 'utf8')) as FolderRecord;
  } catch {
    return null;
  }
}

/**
 * What a previous run left: the files its record lists (a finished run), or everything that was
 * not there before it (a run that never finished); with no record, everything.
 */
function previousFiles(entries: string[], record: FolderRecord | null): string[] {
  const present = entries.filter((e) => !ours(e));
  if (!record) return present;
  if (record.files) return present.filter((e) => record.files!.includes(e));
  const before = new Set(record.before ?? []);
  return present.filter((e) => !before.has(e));
}

/** "a train run", "an analyze run" */
const aRun = (command: string) => `${/^[aeiou]/.test(command) ? 'an' : 'a'} ${command} run`;

function listFew(names: string[]): string {
  const shown = names.slice(0, 4).join(', ');
  return names.length > 4 ? `${shown}, … (${names.length} entries)` : shown;
}

/**
 * Claims `dir` for a run: creates it, checks that it can be written, locks it, and refuses (or,
 * with `force`, clears) another run's files. Call `release` when the run ends, however it ends;
 * the lock also goes when the process exits.
 */
export async function claimOutput(dir: string, opts: ClaimOptions): Promise<Claim> {
  try {
    const s = await stat(dir);
    if (!s.isDirectory()) throw new OutputFolderError(`${dir} is a file; --out needs a folder (a new or empty one)`);
  } catch (err) {
    if (err instanceof OutputFolderError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw explainFsError(dir, err);
    if (opts.continues) throw new OutputFolderError(`${dir}: no such folder (the run to continue is not there)`);
  }
  const created = !existsSync(dir);
  await createFolder(dir);
  const dropLock = await lockFolder(dir, opts.command);
  try {
    const record = await readRecord(dir);
    const entries = await readdir(dir);
    const previous = previousFiles(entries, record);
    // the user's files: there before the folder's run, or added after it
    const previousSet = new Set(previous);
    let before = record ? entries.filter((e) => !ours(e) && !previousSet.has(e)) : [];
    if (opts.continues) {
      // the folder's run goes on: keep its record
      if (record && record.command !== opts.command) {
        throw new OutputFolderError(`${dir} holds the results of ${aRun(record.command)}, not of ${aRun(opts.command)} to continue`);
      }
    } else if (previous.length > 0) {
      const what = record ? `the results of ${aRun(record.command)}${record.game ? ` of ${record.game}` : ''} (${listFew(previous)})` : `files of its own (${listFew(previous)})`;
      if (!opts.force) {
        throw new OutputFolderError(`${dir} already holds ${what}; choose another --out, or pass --force to ${record ? 'replace them' : 'write among them'}`);
      }
      if (record) {
        for (const name of previous) await rm(join(dir, name), { recursive: true, force: true });
      } else {
        // never delete what neural-mfg did not write: the user's files stay, and stay theirs
        before = previous;
      }
    }
    if (!opts.continues || !record) {
      await writeJsonAtomic(join(dir, RECORD_FILE), {
        command: opts.command,
        game: opts.game ?? null,
        started: new Date().toISOString(),
        before,
      } satisfies FolderRecord);
    }
  } catch (err) {
    dropLock();
    throw explainFsError(dir, err);
  }
  let released = false;
  return {
    dir,
    async release(failed?: string) {
      if (released) return;
      released = true;
      try {
        const record = await readRecord(dir);
        if (record && existsSync(dir)) {
          const before = new Set(record.before ?? []);
          const files = (await readdir(dir)).filter((e) => !ours(e) && !before.has(e)).sort();
          if (files.length > 0) {
            // (a resumed run's earlier failure goes: JSON leaves out an undefined `failed`)
            if (!opts.openEnded) await writeJsonAtomic(join(dir, RECORD_FILE), { ...record, files, ended: new Date().toISOString(), failed });
          }
          else {
            // a run that failed before writing anything leaves no trace: not even the folder it made
            await rm(join(dir, RECORD_FILE), { force: true });
            if (created && (await readdir(dir)).every(ours)) {
              dropLock();
              await rm(dir, { recursive: true, force: true });
            }
          }
        }
      } finally {
        dropLock();
      }
    },
  };
}

/**
 * Linux's special file systems (statfs f_type → name): kernel interfaces, not places for files.
 * Node's recursive mkdir spins forever on some (`--out /proc/x`).
 */
const SPECIAL_FILE_SYSTEMS: Record<number, string> = {
  0x9fa0: 'proc',
  0x62656572: 'sysfs',
  0x1cd1: 'devpts',
  0x27e0eb: 'cgroup',
  0x63677270: 'cgroup2',
  0x64626720: 'debugfs',
  0x74726163: 'tracefs',
  0x73636673: 'securityfs',
  0xf97cff8c: 'selinuxfs',
  0xcafe4a11: 'bpf',
  0x6165676c: 'pstore',
  0x62656570: 'configfs',
  0xde5e81e4: 'efivarfs',
  0x65735543: 'fusectl',
  0x19800202: 'mqueue',
  0x42494e4d: 'binfmt_misc',
  0x6e736673: 'nsfs',
  0x958458f6: 'hugetlbfs',
  0x0187: 'autofs',
};

/** The kernel's folders, by path (/dev is a tmpfs to statfs, but its files are devices; /dev/shm is for files). */
function specialByPath(real: string): '/proc' | '/sys' | '/dev' | null {
  if (real === '/dev/shm' || real.startsWith('/dev/shm/')) return null;
  for (const root of ['/proc', '/sys', '/dev'] as const) if (real === root || real.startsWith(`${root}/`)) return root;
  return null;
}

/**
 * Creates `dir` (and the folders above it that are missing), after checking where it would go:
 * the nearest existing folder above must be a folder (not a file) on an ordinary file system (not
 * /proc, /sys, /dev or another kernel interface). One level at a time: Node's recursive mkdir
 * spins forever on /proc. Errors are OutputFolderErrors that say what to do.
 */
export async function createFolder(dir: string): Promise<void> {
  const target = resolve(dir);
  const missing: string[] = [];
  let existing = target;
  for (;;) {
    const info = await stat(existing).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : Promise.reject(explainFsError(dir, err))));
    if (info) {
      if (!info.isDirectory()) throw new OutputFolderError(`${dir}: a file of that name is in the way; --out needs a folder`);
      break;
    }
    missing.unshift(existing);
    const up = dirname(existing);
    if (up === existing) break;
    existing = up;
  }
  const real = await realpath(existing).catch(() => existing);
  const byPath = specialByPath(real);
  const type = await statfs(real).then((s) => SPECIAL_FILE_SYSTEMS[s.type] ?? null, () => null);
  if (type) throw new OutputFolderError(`${dir}: ${real} is on the ${type} file system, a kernel interface, not a place for files; choose another --out`);
  if (byPath) {
    const what = { '/proc': 'process information', '/sys': 'objects', '/dev': 'devices' }[byPath];
    throw new OutputFolderError(`${dir}: ${real === byPath ? real : `${real} (in ${byPath})`} holds the kernel's ${what}, not files; choose another --out`);
  }
  for (const level of missing) {
    try {
      await mkdir(level);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && (await stat(level).catch(() => null))?.isDirectory()) continue; // made meanwhile
      throw explainFsError(dir, err);
    }
  }
}

/**
 * Claims a sweep's folder (`sweep plan`, `analyze`): one that holds a sweep of the same command
 * and game goes on (its manifest decides what is kept); `force` starts it afresh; another run's
 * results are refused unless `force`. Open-ended: the jobs, logs and aggregates that later
 * commands write there are the sweep's.
 */
export async function claimSweepFolder(dir: string, opts: { command: string; game: string; force: boolean; keepOnForce?: boolean }): Promise<Claim> {
  const record = folderRecord(dir);
  const same = record?.command === opts.command && record.game === opts.game;
  return claimOutput(dir, { command: opts.command, game: opts.game, force: opts.force, continues: same && (!opts.force || opts.keepOnForce === true), openEnded: true });
}

/**
 * Locks an existing folder for one command (claimOutput's lock; alone, without claiming the folder,
 * for `sweep run`: the sweep's folder stays the sweep's, and a second `sweep run` of it at the same
 * time gets an error naming the first). Returns the release; the lock also goes when the process exits.
 */
export async function lockFolder(dir: string, command: string): Promise<() => void> {
  const path = await takeLock(dir, command);
  const release = () => {
    try {
      if (readLock(path)?.pid === process.pid) unlinkSync(path);
    } catch {
      // already gone
    }
    process.off('exit', release);
  };
  process.once('exit', release);
  return release;
}
