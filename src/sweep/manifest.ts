// A sweep is a manifest of independent jobs (DIR/sweep.json): each job is one run request
// (src/run/requests.ts: a `train`, `simulate`, `eval`, one point of an analysis, or a `forecast`)
// with its own --set values and seed, written to its own folder under DIR/jobs/. The manifest is plain data, so
// that any engine (the local pool, a job queue, a Slurm array, a Kubernetes Indexed Job) can run job
// i by itself, through the run layer.
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../io/atomic.ts';
import { PACKAGE_VERSION } from '../package.ts';
import { parseRequest, requestKey, type RunRequest } from '../run/requests.ts';
import type { AnalysisPlan } from '../run/analysis.ts';

export type { AnalysisPlan } from '../run/analysis.ts';

export const SWEEP_FORMAT = 'neural-mfg-sweep';
/** 2: each job a request (1, before: each job a command line) */
export const SWEEP_FORMAT_VERSION = 2;
export const MANIFEST_FILE = 'sweep.json';
/** the BullMQ queue of `sweep run --queue` and `worker`, unless --queue-name says otherwise */
export const DEFAULT_QUEUE_NAME = 'neural-mfg';
/** how long `sweep run --queue` and `worker` wait for Redis by default, in seconds (--connect-timeout; src/sweep/connect.ts) */
export const DEFAULT_CONNECT_TIMEOUT_S = 60;

/** A job's request: a run request without its output (the job's folder is added when it runs). */
export type JobRequest = RunRequest extends infer R ? (R extends RunRequest ? Omit<R, 'out' | 'force'> : never) : never;
/** The requests a grid's points change by overrides (`set`): train, simulate, generate, eval, analyze. */
export type SweepBase = Extract<JobRequest, { set: string[] }>;
/** What a sweep's jobs run: a request with its seed and, on a grid, its overrides; a forecast has none (its jobs differ in their seed). */
export type SweepRequest = SweepBase | Extract<JobRequest, { kind: 'forecast' }>;
export type JobCommand = SweepRequest['kind'];

/** One field of the grid and the values it takes (as given: each becomes `--set field=value`). */
export interface GridAxis {
  field: string;
  values: string[];
}

export interface SweepJob {
  /** position in the manifest: what SLURM_ARRAY_TASK_ID / JOB_COMPLETION_INDEX select */
  index: number;
  /** the job in words: its point and seed */
  id: string;
  /** its folder, relative to the sweep's folder */
  dir: string;
  /** grid field → value of this job's point */
  point: Record<string, string>;
  /** position of the point in the grid (jobs of one point differ only in their seed) */
  pointIndex: number;
  seed: number;
  /** what the job runs (without its folder: the runner adds it) */
  request: SweepRequest;
  /** sha256 of the request: a folder finished under another key holds a stale result */
  key: string;
}

export interface SweepManifest {
  format: typeof SWEEP_FORMAT;
  version: typeof SWEEP_FORMAT_VERSION;
  /** short hash of every job's key: names the sweep's queue jobs and cluster jobs */
  id: string;
  packageVersion: string;
  createdAt: string;
  command: JobCommand;
  /** the game (or, for eval, the model folder) */
  target: string;
  /** what every job shares: each job's request is this one with its point's overrides and its seed */
  request: SweepRequest;
  grid: GridAxis[];
  seeds: number[];
  analysis?: AnalysisPlan;
  jobs: SweepJob[];
}

export interface SweepPlan {
  target: string;
  /** the request every job shares (file paths absolute, or copies in DIR/inputs/: inputs.ts) */
  base: SweepRequest;
  seeds: number[];
  /** the grid's points in order; each its values (for people) and its --set overrides */
  points: { values: Record<string, string>; set: string[] }[];
  /** the grid's axes as given (for people and aggregation) */
  grid: GridAxis[];
  analysis?: AnalysisPlan;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** `10-14`, `10,11,15` or a mix: every seed once, in the order given. */
export function parseSeeds(text: string): number[] {
  const seeds: number[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`--seeds ${text}: expected seeds and ranges such as 10-14 or 10,11,15, got "${part}"`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new Error(`--seeds ${text}: the range ${part} runs backwards`);
    if (to > 0xffffffff) throw new Error(`--seeds ${text}: seeds go up to 4294967295`);
    if (to - from >= 100_000) throw new Error(`--seeds ${text}: ${part} is more than 100000 seeds`);
    for (let s = from; s <= to; s++) {
      if (seeds.includes(s)) throw new Error(`--seeds ${text}: seed ${s} is listed twice`);
      seeds.push(s);
    }
  }
  return seeds;
}

/** `field=v1,v2,…`; commas inside brackets or quotes belong to a value (`sweep.values=[0,1],[2]`). */
export function parseGridAxis(text: string): GridAxis {
  const eq = text.indexOf('=');
  const field = text.slice(0, Math.max(eq, 0)).trim();
  if (eq <= 0 || !/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/.test(field)) {
    throw new Error(`--grid ${text}: expected field=v1,v2,… with a dotted configuration field, e.g. training.learningRate=0.001,0.01`);
  }
  const values: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (const c of text.slice(eq + 1)) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '[' || c === '{')) depth++;
    else if (!quoted && (c === ']' || c === '}')) depth--;
    if (c === ',' && depth === 0 && !quoted) {
      values.push(current.trim());
      current = '';
    } else current += c;
  }
  values.push(current.trim());
  if (values.some((v) => v === '')) throw new Error(`--grid ${text}: an empty value (two commas in a row, or a comma at the end)`);
  if (new Set(values).size !== values.length) throw new Error(`--grid ${text}: a value is listed twice`);
  return { field, values };
}

/** Every combination of the axes' values, the first axis varying slowest. */
export function gridPoints(axes: GridAxis[]): SweepPlan['points'] {
  const fields = new Set<string>();
  for (const a of axes) {
    if (fields.has(a.field)) throw new Error(`--grid ${a.field}: the field has two --grid options; list its values in one`);
    fields.add(a.field);
  }
  let points: SweepPlan['points'] = [{ values: {}, set: [] }];
  for (const a of axes) {
    points = points.flatMap((p) => a.values.map((v) => ({ values: { ...p.values, [a.field]: v }, set: [...p.set, `${a.field}=${v}`] })));
  }
  return points;
}

/** A folder name from a point and seed: readable, and safe on every file system. */
function folderName(point: Record<string, string>, seed: number): string {
  const words = [...Object.entries(point).map(([f, v]) => `${f}=${v}`), `seed=${seed}`].join(',');
  const safe = words.replace(/[^A-Za-z0-9._=,+-]/g, '_');
  return safe.length <= 100 ? safe : `${safe.slice(0, 80)}-${sha256(words).slice(0, 12)}`;
}

/** The manifest of a plan: one job per point and seed, the seeds of a point next to each other. */
export function buildManifest(plan: SweepPlan): SweepManifest {
  if (plan.seeds.length === 0) throw new Error('a sweep needs at least one seed');
  const base = plan.base;
  if (!('set' in base) && plan.points.some((p) => p.set.length > 0)) {
    throw new Error(`a ${base.kind} request has no configuration to override: its sweep varies the seed alone`);
  }
  const jobs: SweepJob[] = [];
  const dirs = new Set<string>();
  plan.points.forEach((p, pointIndex) => {
    for (const seed of plan.seeds) {
      const request = ('set' in base ? { ...base, set: [...base.set, ...p.set], seed } : { ...base, seed }) as SweepRequest;
      let dir = `jobs/${folderName(p.values, seed)}`;
      if (dirs.has(dir)) dir = `${dir}-${jobs.length}`;
      dirs.add(dir);
      const words = [...Object.entries(p.values).map(([f, v]) => `${f}=${v}`), `seed ${seed}`].join(' ');
      jobs.push({ index: jobs.length, id: words, dir, point: p.values, pointIndex, seed, request, key: requestKey(request) });
    }
  });
  return {
    format: SWEEP_FORMAT,
    version: SWEEP_FORMAT_VERSION,
    id: sha256(jobs.map((j) => j.key).join('\n')).slice(0, 10),
    packageVersion: PACKAGE_VERSION,
    createdAt: new Date().toISOString(),
    command: plan.base.kind,
    target: plan.target,
    request: plan.base,
    grid: plan.grid,
    seeds: plan.seeds,
    ...(plan.analysis ? { analysis: plan.analysis } : {}),
    jobs,
  };
}

export class ManifestError extends Error {}

/** Reads and checks DIR/sweep.json. */
export async function readManifest(dir: string): Promise<SweepManifest> {
  const file = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ManifestError(`${file}: no sweep here (write one with neural-mfg sweep plan … --out ${dir})`);
    throw err;
  }
  let m: SweepManifest;
  try {
    m = JSON.parse(text);
  } catch (err) {
    throw new ManifestError(`${file}: not valid JSON (${(err as Error).message.replace(/\s*\n\s*/g, ' ')})`);
  }
  if (m?.format !== SWEEP_FORMAT) throw new ManifestError(`${file}: not a neural-mfg sweep manifest (format ${JSON.stringify(m?.format)})`);
  if (m.version > SWEEP_FORMAT_VERSION) {
    throw new ManifestError(`${file}: written by a newer neural-mfg (manifest version ${m.version}; this one reads ${SWEEP_FORMAT_VERSION})`);
  }
  if (m.version < SWEEP_FORMAT_VERSION) {
    // version 1 stored command lines, which the run layer no longer reads
    throw new ManifestError(
      `${file}: planned by an earlier neural-mfg (manifest version ${m.version}: each job a command line; this one runs version ${SWEEP_FORMAT_VERSION}, each job a request). ` +
        `Plan it again into the same folder with the same options and --force (neural-mfg sweep plan … --out ${dir} --force, or analyze … --plan-only --force); finished jobs then run again`,
    );
  }
  if (!Array.isArray(m.jobs) || m.jobs.some((j, i) => j.index !== i || typeof j.dir !== 'string')) {
    throw new ManifestError(`${file}: field "jobs": expected the jobs in index order, each with its request and dir`);
  }
  m.jobs.forEach((j, i) => parseRequest(j.request, `${file} job ${i}`));
  return m;
}

/**
 * Writes DIR/sweep.json. The same plan again changes nothing (finished jobs stay finished); a
 * different plan over an existing one is refused unless `force`: then the jobs whose request
 * is unchanged keep their results (their folders are named by point and seed), the others rerun.
 */
export async function writeManifest(dir: string, manifest: SweepManifest, force = false): Promise<'written' | 'unchanged' | 'replaced'> {
  let old: SweepManifest | null = null;
  try {
    old = await readManifest(dir);
  } catch (err) {
    if (!(err instanceof ManifestError) || !/no sweep here/.test(err.message)) {
      if (!force) throw err;
    }
  }
  if (old && old.id === manifest.id && old.analysis?.name === manifest.analysis?.name) return 'unchanged';
  if (old && !force) {
    throw new ManifestError(
      `${join(dir, MANIFEST_FILE)} holds another sweep (${old.jobs.length} jobs of ${old.command} ${old.target}); ` +
        'plan into a new folder, or give --force to replace it (jobs whose request is unchanged keep their results)',
    );
  }
  await writeJsonAtomic(join(dir, MANIFEST_FILE), manifest);
  return old ? 'replaced' : 'written';
}

/** Job `index` of the manifest, or an error that says which indices exist. */
export function jobAt(manifest: SweepManifest, index: number): SweepJob {
  const job = manifest.jobs[index];
  if (!Number.isInteger(index) || !job) throw new ManifestError(`no job ${index}: this sweep has jobs 0 to ${manifest.jobs.length - 1}`);
  return job;
}

export interface GridSweepRequest {
  target: string;
  /** the request every job shares */
  base: SweepBase;
  grid: GridAxis[];
  seeds: number[];
  /** checks one job's configuration (its overrides) before anything is written (eval: when it runs) */
  validate(set: string[]): void;
}

/** `sweep plan`: a job per grid point and seed, every point's configuration checked first. */
export function planGridSweep(r: GridSweepRequest): SweepManifest {
  const points = gridPoints(r.grid);
  for (const p of points) {
    try {
      r.validate(p.set);
    } catch (err) {
      const at = Object.entries(p.values).map(([f, v]) => `${f}=${v}`).join(' ');
      throw new Error(`${at ? `grid point ${at}: ` : ''}${(err as Error).message}`);
    }
  }
  return buildManifest({ target: r.target, base: r.base, seeds: r.seeds, points, grid: r.grid });
}

/** Removes what the sweep's jobs left in DIR (their folders, records and logs), keeping sweep.json. */
export async function clearSweep(dir: string): Promise<void> {
  for (const sub of ['jobs', 'state', 'logs']) await rm(join(dir, sub), { recursive: true, force: true });
}
