// The dashboard's index of what its folders hold: every run, sweep, analysis and forecast folder
// under the roots it was given, found again as folders appear, each with what /api/runs shows of
// it. Read only: it never writes. A scan (every second) looks into a folder again only when the
// folder changed (its mtime: a file created, renamed or removed there) or holds a live run; a
// tick (every 250 ms) follows the metrics.csv of running runs by their appended lines.
import { EventEmitter } from 'node:events';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import { LOCK_FILE, RECORD_FILE, readLock, type FolderRecord, type LockInfo } from '../run/folder.ts';
import { KEY_METRICS, summaryMetrics } from '../sweep/aggregate.ts';
import { MANIFEST_FILE, readManifest, type SweepManifest } from '../sweep/manifest.ts';
import { CsvTail, type TailUpdate } from './csv-tail.ts';
import { lockHeld, runStatus, type RunStatus } from './status.ts';

export type EntryKind = 'run' | 'sweep' | 'analysis' | 'forecast';

/** What /api/runs says of a folder (docs/dashboard.md §3). */
export interface RunInfo {
  /** the folder's path under its root (with several roots: the root's name first), '/'-separated */
  name: string;
  kind: EntryKind;
  /** the sweep this folder is a job of */
  parent: string | null;
  command: string | null;
  game: string | null;
  preset: string | null;
  engine: string | null;
  status: RunStatus | 'pending';
  /** why, where the status needs a word (a failure's message, a killed process) */
  note: string | null;
  /** steps trained (rows of metrics.csv), and how many the run is set to train */
  steps: number | null;
  plannedSteps: number | null;
  trainLoss: number | null;
  validationLoss: number | null;
  /** the summary's key metrics (KEY_METRICS of sweep aggregate, those the run reports) */
  metrics: Record<string, number>;
  started: string | null;
  ended: string | null;
  /** wall time: to the end, or so far */
  seconds: number | null;
  /** sweeps: their jobs by state */
  jobs?: Record<'total' | 'done' | 'running' | 'failed' | 'interrupted' | 'pending', number>;
  /** what could not be read: a malformed summary.json, metrics.csv's bad lines */
  problems: string[];
}

/** A forecast's scores in its summary.json (neural-mfg forecast): the errors where the data cover the horizon. */
const FORECAST_METRICS = ['male', 'coverage50', 'coverage90', 'peakDateError', 'peakHeightError'];

const TICK_MS = 250;
const SCAN_MS = 1000;
/** how deep below a root folders are looked for (a sweep's jobs are found through the sweep) */
const MAX_DEPTH = 4;
/** a running run's checkpoint is read again at most this often (it can be large) */
const CHECKPOINT_EVERY_MS = 5000;

interface Cached<T> {
  mtimeMs: number;
  value: T | null;
  problem: string | null;
}

export class Entry {
  info: RunInfo;
  /** metrics.csv (runs) */
  readonly tail: CsvTail;
  mtimeMs = -1;
  lock: LockInfo | null = null;
  record: FolderRecord | null = null;
  summary: Cached<Record<string, unknown>> = { mtimeMs: -1, value: null, problem: null };
  checkpoint: Cached<{ preset?: string; config?: Record<string, unknown>; seed?: number }> & { readAt: number } = { mtimeMs: -1, value: null, problem: null, readAt: 0 };
  manifest: Cached<SweepManifest> = { mtimeMs: -1, value: null, problem: null };
  /** sweeps: each job's state record, by job index, and the state folder's mtime when read */
  jobStates = new Map<number, { state: string; startedAt?: string; finishedAt?: string | null; seconds?: number | null; error?: string; attempts?: number }>();
  stateMtimeMs = -1;
  jobsMtimeMs = -1;

  constructor(
    readonly name: string,
    /** the folder, an absolute path inside its root */
    readonly dir: string,
    readonly kind: EntryKind,
    readonly parent: string | null,
  ) {
    this.tail = new CsvTail(join(dir, 'metrics.csv'), 'metrics.csv');
    this.info = blankInfo(name, kind, parent);
  }
}

function blankInfo(name: string, kind: EntryKind, parent: string | null): RunInfo {
  return {
    name, kind, parent, command: null, game: null, preset: null, engine: null, status: 'pending', note: null, steps: null, plannedSteps: null,
    trainLoss: null, validationLoss: null, metrics: {}, started: null, ended: null, seconds: null, problems: [],
  };
}

interface Root {
  /** as given */
  path: string;
  /** absolute */
  abs: string;
  /** the prefix of its entries' names ('' with one root) */
  label: string;
}

/** What kind of folder these names make (null: not one of ours). */
function classify(names: Set<string>): EntryKind | null {
  if (names.has(MANIFEST_FILE)) return 'sweep';
  if (names.has('forecast.csv')) return 'forecast';
  if (names.has(RECORD_FILE) || names.has(LOCK_FILE) || names.has('summary.json') || names.has('metrics.csv') || names.has('checkpoint.json')) return 'run';
  return null;
}

export interface IndexEvents {
  /** entries added or changed (their new info) */
  changed: [RunInfo[]];
  removed: [string[]];
  /** a loaded metrics.csv gained rows */
  rows: [string, TailUpdate];
}

export class FolderIndex extends EventEmitter<IndexEvents> {
  readonly roots: Root[];
  readonly entries = new Map<string, Entry>();
  private timers: NodeJS.Timeout[] = [];
  private scanning: Promise<void> | null = null;
  private ticking = false;

  constructor(paths: string[]) {
    super();
    const labels = paths.map((p) => basename(resolve(p)) || 'root');
    this.roots = paths.map((p, i) => ({
      path: p,
      abs: resolve(p),
      label: paths.length === 1 ? '' : labels.filter((l) => l === labels[i]).length > 1 ? `${labels[i]}-${i + 1}` : labels[i],
    }));
  }

  /** Scans now, then every second; follows running runs every 250 ms. */
  async start(): Promise<void> {
    await this.scan();
    this.timers.push(setInterval(() => void this.scan().catch(() => {}), SCAN_MS).unref());
    this.timers.push(setInterval(() => void this.tick().catch(() => {}), TICK_MS).unref());
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  list(): RunInfo[] {
    return [...this.entries.values()].map((e) => e.info);
  }

  get(name: string): Entry | undefined {
    return this.entries.get(name);
  }

  /** The root an entry's folder is in, as an absolute path. */
  rootOf(entry: Entry): string {
    return this.roots.find((r) => entry.dir === r.abs || entry.dir.startsWith(r.abs + sep))!.abs;
  }

  /** Finds new folders and refreshes the ones that changed (one scan at a time). */
  scan(): Promise<void> {
    this.scanning ??= this.scanOnce().finally(() => (this.scanning = null));
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    const seen = new Set<string>();
    const changed: RunInfo[] = [];
    await Promise.all(this.roots.map((root) => this.visit(root, root.abs, '', this.entryName(root, ''), 0, null, seen, changed)));
    const removed = [...this.entries.keys()].filter((name) => !seen.has(name));
    for (const name of removed) this.entries.delete(name);
    if (changed.length > 0) this.emit('changed', changed);
    if (removed.length > 0) this.emit('removed', removed);
  }

  private entryName(root: Root, rel: string): string {
    const name = rel === '' ? basename(root.abs) : rel;
    return root.label && rel !== '' ? `${root.label}/${name}` : name;
  }

  private async visit(root: Root, dir: string, rel: string, name: string, depth: number, parent: string | null, seen: Set<string>, changed: RunInfo[]): Promise<void> {
    let dirStat;
    try {
      dirStat = await stat(dir);
    } catch {
      return; // not there (yet): a root that appears later is found then
    }
    if (!dirStat.isDirectory()) return;
    let entry = this.entries.get(name);
    if (entry && entry.mtimeMs === dirStat.mtimeMs && !this.live(entry)) {
      seen.add(name);
      if (entry.kind === 'sweep' || entry.kind === 'analysis') await this.visitJobs(root, entry, seen, changed);
      return;
    }
    let dirents;
    try {
      dirents = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const names = new Set(dirents.map((d) => d.name));
    const kind = classify(names);
    if (kind) {
      if (!entry || (entry.kind !== kind && !(entry.kind === 'analysis' && kind === 'sweep'))) {
        entry = new Entry(name, dir, kind, parent);
        this.entries.set(name, entry);
      }
      seen.add(name);
      entry.mtimeMs = dirStat.mtimeMs;
      if (await this.refresh(entry)) changed.push(entry.info);
      if (entry.kind === 'sweep' || entry.kind === 'analysis') await this.visitJobs(root, entry, seen, changed);
      return;
    }
    if (depth >= MAX_DEPTH) return;
    // symbolic links are not followed: nothing outside the roots is shown (nor looped through);
    // the folders are read at once (200 runs: one round of file reads, not 200 in turn)
    await Promise.all(
      dirents
        .filter((d) => d.isDirectory() && !d.name.startsWith('.') && d.name !== 'node_modules')
        .map((d) => {
          const childRel = rel ? `${rel}/${d.name}` : d.name;
          return this.visit(root, join(dir, d.name), childRel, this.entryName(root, childRel), depth + 1, parent, seen, changed);
        }),
    );
  }

  /** A sweep's jobs: DIR/jobs/<job>/, each a run of the sweep. */
  private async visitJobs(root: Root, sweep: Entry, seen: Set<string>, changed: RunInfo[]): Promise<void> {
    const jobsDir = join(sweep.dir, 'jobs');
    let dirents;
    try {
      dirents = await readdir(jobsDir, { withFileTypes: true });
    } catch {
      return;
    }
    await Promise.all(
      dirents
        .filter((d) => d.isDirectory())
        .map(async (d) => {
          const name = `${sweep.name}/jobs/${d.name}`;
          const known = this.entries.get(name);
          if (!known) return this.visit(root, join(jobsDir, d.name), '', name, MAX_DEPTH, sweep.name, seen, changed);
          const s = await stat(known.dir).catch(() => null);
          seen.add(name);
          if (!s || (s.mtimeMs === known.mtimeMs && !this.live(known))) return;
          known.mtimeMs = s.mtimeMs;
          if (await this.refresh(known)) changed.push(known.info);
        }),
    );
  }

  /** Whether the entry may change without its folder's mtime changing (a live run, a sweep going on). */
  private live(e: Entry): boolean {
    return e.lock !== null || e.info.status === 'running' || e.kind === 'sweep' || e.kind === 'analysis';
  }

  /** Follows the metrics.csv of running runs (and of every loaded one, for the page's curves). */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const changed: RunInfo[] = [];
      for (const e of this.entries.values()) {
        if (e.kind !== 'run' || (e.info.status !== 'running' && !e.tail.loaded)) continue;
        const before = e.tail.lastRow;
        await this.follow(e);
        if (e.tail.lastRow !== before) {
          fillFromTail(e);
          changed.push(e.info);
        }
      }
      if (changed.length > 0) this.emit('changed', changed);
    } finally {
      this.ticking = false;
    }
  }

  /** Reads what metrics.csv gained; a loaded one's new rows go to the page (event `rows`). */
  private async follow(e: Entry): Promise<void> {
    const update = await e.tail.update();
    if (update) this.emit('rows', e.name, update);
  }

  /** Reads the entry's files again; true when its info changed. */
  async refresh(e: Entry): Promise<boolean> {
    const before = JSON.stringify(e.info);
    e.lock = readLock(join(e.dir, LOCK_FILE));
    const [record] = await Promise.all([readJson<FolderRecord>(join(e.dir, RECORD_FILE)), cachedJson(join(e.dir, 'summary.json'), e.summary)]);
    e.record = record.value;
    if (e.kind === 'sweep' || e.kind === 'analysis') await this.refreshSweep(e);
    else await this.refreshRun(e);
    return JSON.stringify(e.info) !== before;
  }

  private async refreshRun(e: Entry): Promise<void> {
    const hasCheckpoint = await exists(join(e.dir, 'checkpoint.json'));
    const summary = e.summary.value;
    const { status, note } = runStatus({ lock: e.lock, record: e.record, summary, hasCheckpoint });
    if (!summary && hasCheckpoint) await this.readCheckpoint(e);
    await this.follow(e);
    const info = blankInfo(e.name, e.kind, e.parent);
    const config = (summary?.config ?? e.checkpoint.value?.config ?? null) as Record<string, any> | null;
    const last = (summary?.lastStep ?? null) as { step?: number; trainLoss?: number; validationLoss?: number | null } | null;
    Object.assign(info, {
      command: str(summary?.command) ?? e.record?.command ?? e.lock?.command ?? null,
      game: str(summary?.game) ?? e.record?.game ?? null,
      preset: str(summary?.preset) ?? e.checkpoint.value?.preset ?? null,
      engine: str(summary?.engine),
      status,
      note,
      plannedSteps: num(config?.training?.steps),
      steps: num(summary?.steps),
      trainLoss: num(summary?.trainLoss) ?? num(last?.trainLoss),
      validationLoss: num(summary?.validationLoss) ?? num(last?.validationLoss),
      started: e.record?.started ?? e.lock?.started ?? null,
      ended: status === 'running' ? null : (e.record?.ended ?? null),
      seconds: num(summary?.wallSeconds),
    } satisfies Partial<RunInfo>);
    if (summary) {
      const all = summaryMetrics(summary);
      for (const k of e.kind === 'forecast' ? FORECAST_METRICS : KEY_METRICS) if (k in all && k !== 'trainLoss' && k !== 'validationLoss') info.metrics[k] = all[k];
      for (const [k, v] of Object.entries(all)) if (k.startsWith('learned.')) info.metrics[k] = v;
    }
    e.info = info;
    fillFromTail(e);
    if (e.summary.problem) info.problems.push(e.summary.problem);
  }

  private async readCheckpoint(e: Entry): Promise<void> {
    const now = Date.now();
    if (e.checkpoint.value && now - e.checkpoint.readAt < CHECKPOINT_EVERY_MS) return;
    e.checkpoint.readAt = now;
    const c: Cached<{ run?: { preset?: string; config?: Record<string, unknown>; seed?: number } }> = { mtimeMs: e.checkpoint.mtimeMs, value: null, problem: null };
    await cachedJson(join(e.dir, 'checkpoint.json'), c);
    if (c.mtimeMs !== e.checkpoint.mtimeMs || !e.checkpoint.value) e.checkpoint = { ...c, value: c.value?.run ?? e.checkpoint.value, readAt: now };
  }

  private async refreshSweep(e: Entry): Promise<void> {
    await cachedJson(join(e.dir, MANIFEST_FILE), e.manifest, (dir) => readManifest(dir.slice(0, -MANIFEST_FILE.length - 1)));
    const m = e.manifest.value;
    const info = blankInfo(e.name, m?.analysis ? 'analysis' : 'sweep', e.parent);
    if (m) {
      await this.readJobStates(e, m);
      const jobs = { total: m.jobs.length, done: 0, running: 0, failed: 0, interrupted: 0, pending: 0 };
      let ended: string | null = null;
      let firstStart: string | null = null;
      for (const job of m.jobs) {
        const s = e.jobStates.get(job.index);
        const child = this.entries.get(`${e.name}/${job.dir}`);
        const state = child?.info.status === 'running' ? 'running' : s?.state === 'done' ? 'done' : s?.state === 'failed' ? 'failed' : s?.state === 'interrupted' || s?.state === 'started' ? 'interrupted' : 'pending';
        jobs[state]++;
        if (s?.finishedAt && (!ended || s.finishedAt > ended)) ended = s.finishedAt;
        if (s?.startedAt && (!firstStart || s.startedAt < firstStart)) firstStart = s.startedAt;
      }
      const running = jobs.running > 0 || (e.lock !== null && lockHeld(e.lock));
      const status: RunInfo['status'] = running ? 'running' : jobs.done === jobs.total ? 'finished' : jobs.failed > 0 ? 'failed' : jobs.done + jobs.interrupted > 0 ? 'interrupted' : 'pending';
      Object.assign(info, {
        command: m.analysis ? 'analyze' : `sweep ${m.command}`,
        game: m.analysis?.game ?? (m.command === 'eval' ? null : m.target),
        preset: m.analysis?.name ?? null,
        status,
        note: status === 'failed' ? `${jobs.failed} of ${jobs.total} jobs failed` : null,
        started: firstStart ?? m.createdAt,
        ended: status === 'running' ? null : ended,
        jobs,
        steps: jobs.done,
        plannedSteps: jobs.total,
      } satisfies Partial<RunInfo>);
      if (info.started && info.ended) info.seconds = (Date.parse(info.ended) - Date.parse(info.started)) / 1000;
      else if (info.started && status === 'running') info.seconds = (Date.now() - Date.parse(info.started)) / 1000;
    } else if (e.manifest.problem) info.problems.push(e.manifest.problem);
    if (e.summary.problem) info.problems.push(e.summary.problem);
    e.info = info;
  }

  /** The sweep's job records (DIR/state/), read again when that folder changed. */
  private async readJobStates(e: Entry, m: SweepManifest): Promise<void> {
    const s = await stat(join(e.dir, 'state')).catch(() => null);
    if (!s) {
      e.jobStates.clear();
      return;
    }
    if (s.mtimeMs === e.stateMtimeMs) return;
    e.stateMtimeMs = s.mtimeMs;
    e.jobStates.clear();
    await Promise.all(
      m.jobs.map(async (job) => {
        const r = await readJson<{ key: string; state: string }>(join(e.dir, 'state', `${basename(job.dir)}.json`));
        if (r.value && r.value.key === job.key) e.jobStates.set(job.index, r.value);
      }),
    );
  }
}

/** A running run's steps and last losses from metrics.csv's last line. */
function fillFromTail(e: Entry): void {
  const info = e.info;
  const t = e.tail;
  const row = t.lastRow;
  const col = (name: string) => (row && t.columns ? t.columns.indexOf(name) : -1);
  if (row && col('step') >= 0) {
    const step = row[col('step')];
    if (step !== null && (info.steps === null || info.status === 'running')) info.steps = step + 1;
    if (info.status === 'running') {
      if (col('train_loss') >= 0) info.trainLoss = row[col('train_loss')];
      // the last validation loss may be some steps back: keep the last one seen
      const v = col('validation_loss') >= 0 ? row[col('validation_loss')] : null;
      if (v !== null) info.validationLoss = v;
    }
  }
  if (info.status === 'running' && info.started) info.seconds = (Date.now() - Date.parse(info.started)) / 1000;
  const problems = [...t.problems];
  if (info.status !== 'running') {
    const cut = t.incompleteLine();
    if (cut) problems.push(cut);
  }
  info.problems = [...info.problems.filter((p) => !p.startsWith('metrics.csv')), ...problems];
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function readJson<T>(path: string): Promise<{ value: T | null; problem: string | null }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return { value: null, problem: null };
  }
  try {
    return { value: JSON.parse(text) as T, problem: null };
  } catch (err) {
    return { value: null, problem: `${basename(path)}: not valid JSON (${(err as Error).message})${text.length === 0 ? ': the file is empty' : ''}` };
  }
}

/** Reads a JSON file again only when its mtime changed; `read` checks it beyond JSON. */
async function cachedJson<T>(path: string, cache: Cached<T>, read?: (path: string) => Promise<T>): Promise<void> {
  const s = await stat(path).catch(() => null);
  if (!s) {
    Object.assign(cache, { mtimeMs: -1, value: null, problem: null });
    return;
  }
  if (s.mtimeMs === cache.mtimeMs) return;
  cache.mtimeMs = s.mtimeMs;
  if (read) {
    try {
      Object.assign(cache, { value: await read(path), problem: null });
    } catch (err) {
      Object.assign(cache, { value: null, problem: (err as Error).message });
    }
    return;
  }
  const r = await readJson<T>(path);
  Object.assign(cache, r);
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The real path of a folder, or null (gone). */
export async function realFolder(path: string): Promise<string | null> {
  return realpath(path).catch(() => null);
}
