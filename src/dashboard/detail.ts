// What GET /api/runs/<name> returns for one folder (docs/dashboard.md §3): a run's summary,
// configuration and figures; a sweep's jobs, its aggregate (mean ± 95% CI per grid point, computed
// from the finished jobs as `sweep aggregate` does, read only) and its figures' vega-lite specs; a
// forecast's series and its figure's spec. Specs come from the builders that draw the static
// figures (src/sweep/figures.ts, src/plot/forecast.ts): the page renders the same figure, live.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { gridStatistics, metricFigures } from '../sweep/aggregate.ts';
import { metricFigureSpec } from '../sweep/figures.ts';
import { forecastFigureSpec } from '../plot/forecast.ts';
import { FILE_TYPES } from './files.ts';
import type { Entry, FolderIndex } from './folders.ts';

/** Files of a folder a page can show or link (its top level and figures/), by path in the folder. */
export async function servableFiles(dir: string): Promise<{ path: string; size: number }[]> {
  const out: { path: string; size: number }[] = [];
  for (const sub of ['', 'figures']) {
    let names: string[];
    try {
      names = (await readdir(join(dir, sub))).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      if (name.startsWith('.') || !FILE_TYPES[name.slice(name.lastIndexOf('.')).toLowerCase()]) continue;
      const s = await stat(join(dir, sub, name)).catch(() => null);
      if (s?.isFile()) out.push({ path: sub ? `${sub}/${name}` : name, size: s.size });
    }
  }
  return out;
}

/** A configuration as dotted fields (lists as JSON), for a side-by-side comparison. */
export function flatten(value: unknown, prefix = '', out: Record<string, string | number | boolean | null> = {}): Record<string, string | number | boolean | null> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out[prefix] = Array.isArray(value) ? JSON.stringify(value) : (value as string | number | boolean | null);
  }
  return out;
}

async function modelConfig(dir: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(join(dir, 'model', 'model.json'), 'utf8')).config ?? null;
  } catch {
    return null;
  }
}

export async function runDetail(e: Entry) {
  const summary = e.summary.value;
  const config = summary?.config ?? e.checkpoint.value?.config ?? (await modelConfig(e.dir));
  const facts: Record<string, unknown> = {};
  if (summary) {
    for (const k of ['command', 'game', 'preset', 'seed', 'engine', 'backend', 'data', 'validationData', 'trainSamples', 'validationSamples']) if (k in summary) facts[k] = summary[k];
  } else if (e.checkpoint.value) {
    facts.preset = e.checkpoint.value.preset;
    facts.seed = e.checkpoint.value.seed;
  }
  return {
    info: e.info,
    summary,
    configuration: flatten({ ...facts, config: config ?? undefined }),
    record: e.record,
    files: await servableFiles(e.dir),
  };
}

interface SweepAggregate {
  fields: string[];
  metrics: string[];
  constants: Record<string, number>;
  points: { point: Record<string, string>; seeds: number[]; metrics: Record<string, { n: number; mean: number; std: number; ci95: number | null }> }[];
  figures: { metric: string; spec: unknown }[];
}

/** A sweep's aggregate, computed again only when a job record changed. */
const aggregates = new WeakMap<Entry, { stateMtimeMs: number; value: SweepAggregate | null; problem: string | null }>();

async function sweepAggregate(e: Entry): Promise<{ value: SweepAggregate | null; problem: string | null }> {
  const m = e.manifest.value!;
  const cached = aggregates.get(e);
  if (cached && cached.stateMtimeMs === e.stateMtimeMs) return cached;
  let result: { value: SweepAggregate | null; problem: string | null };
  try {
    const { metrics, constants, fields, points } = await gridStatistics(e.dir, m);
    const figures = metricFigures(m, metrics, points).map(({ metric, figure }) => ({ metric, spec: metricFigureSpec(figure) }));
    result = {
      value: { fields, metrics, constants, points: points.map((p) => ({ ...p, metrics: Object.fromEntries(Object.entries(p.metrics).map(([k, s]) => [k, { n: s.n, mean: s.mean, std: s.std, ci95: s.ci95 }])) })), figures },
      problem: null,
    };
  } catch (err) {
    result = { value: null, problem: `the aggregate could not be computed: ${(err as Error).message}` };
  }
  aggregates.set(e, { stateMtimeMs: e.stateMtimeMs, ...result });
  return result;
}

export async function sweepDetail(index: FolderIndex, e: Entry) {
  const m = e.manifest.value;
  if (!m) return { info: e.info, manifest: null, jobs: [], aggregate: null, problems: e.info.problems, files: await servableFiles(e.dir), tables: [] };
  const jobs = m.jobs.map((job) => {
    const record = e.jobStates.get(job.index);
    const child = index.get(`${e.name}/${job.dir}`);
    return {
      index: job.index,
      id: job.id,
      name: child?.name ?? null,
      seed: job.seed,
      point: job.point,
      state: child?.info.status === 'running' ? 'running' : (record?.state ?? 'pending'),
      attempts: record?.attempts ?? 0,
      seconds: record?.seconds ?? null,
      error: record?.error ?? null,
      steps: child?.info.steps ?? null,
      plannedSteps: child?.info.plannedSteps ?? null,
      trainLoss: child?.info.trainLoss ?? null,
    };
  });
  const aggregate = m.analysis ? { value: null, problem: null } : await sweepAggregate(e);
  const files = await servableFiles(e.dir);
  // an analysis's own tables (its CSV files), shown as they are
  const tables = m.analysis ? await Promise.all(files.filter((f) => f.path.endsWith('.csv') && !f.path.includes('/')).map((f) => csvTable(join(e.dir, f.path)))) : [];
  return {
    info: e.info,
    manifest: { id: m.id, command: m.command, target: m.target, grid: m.grid, seeds: m.seeds, shared: m.shared, analysis: m.analysis ? { name: m.analysis.name, description: m.analysis.description, quick: m.analysis.quick } : null },
    jobs,
    aggregate: aggregate.value,
    problems: [...e.info.problems, ...(aggregate.problem ? [aggregate.problem] : [])],
    files,
    tables,
  };
}

/** A small CSV file as columns and rows (numbers where a cell is one), or its problem. */
async function csvTable(path: string): Promise<{ file: string; columns: string[]; rows: (string | number | null)[][]; problem: string | null }> {
  const file = basename(path);
  try {
    const records = parse(await readFile(path, 'utf8'), { relax_column_count: false, skip_empty_lines: true }) as string[][];
    const [columns = [], ...rows] = records;
    return { file, columns, rows: rows.map((r) => r.map((c) => (c === '' ? null : Number.isFinite(Number(c)) ? Number(c) : c))), problem: null };
  } catch (err) {
    return { file, columns: [], rows: [], problem: `${file}: ${(err as Error).message}` };
  }
}

/** forecast.csv's columns (issue #20's contract). */
export const FORECAST_COLUMNS = ['date', 'observed', 'median', 'low50', 'high50', 'low90', 'high90'];
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export async function forecastDetail(e: Entry) {
  const problems: string[] = [...e.info.problems];
  const forecast = await csvTable(join(e.dir, 'forecast.csv'));
  const baselines = (await stat(join(e.dir, 'baselines.csv')).catch(() => null)) ? await csvTable(join(e.dir, 'baselines.csv')) : null;
  const fit = (await stat(join(e.dir, 'fit.csv')).catch(() => null)) ? await csvTable(join(e.dir, 'fit.csv')) : null;
  for (const t of [forecast, baselines, fit]) if (t?.problem) problems.push(t.problem);
  const missing = FORECAST_COLUMNS.filter((c) => !forecast.columns.includes(c));
  if (!forecast.problem && missing.length > 0) problems.push(`forecast.csv line 1: expected the header ${FORECAST_COLUMNS.join(',')}; missing ${missing.join(', ')}`);
  let spec: unknown = null;
  if (problems.length === 0 && forecast.rows.length > 0) {
    try {
      spec = forecastSpec(e, forecast, baselines, fit);
    } catch (err) {
      problems.push(`the forecast figure could not be drawn: ${(err as Error).message}`);
    }
  }
  return { info: e.info, summary: e.summary.value, forecast, baselines, fit, spec, problems, files: await servableFiles(e.dir) };
}

type Table = Awaited<ReturnType<typeof csvTable>>;

function column(t: Table, name: string, row: (string | number | null)[]): string | number | null {
  const k = t.columns.indexOf(name);
  return k < 0 ? null : row[k];
}

/** The forecast figure from the folder's tables (the spec `forecast` draws forecast.svg with). */
function forecastSpec(e: Entry, forecast: Table, baselines: Table | null, fit: Table | null) {
  const rows = forecast.rows.map((r, i) => {
    const date = String(column(forecast, 'date', r));
    if (!DATE.test(date)) throw new Error(`forecast.csv line ${i + 2}, column "date": expected YYYY-MM-DD, got "${date}"`);
    const v = (name: string) => {
      const x = column(forecast, name, r);
      if (x !== null && typeof x !== 'number') throw new Error(`forecast.csv line ${i + 2}, column "${name}": expected a number, got "${x}"`);
      return x;
    };
    return { date, observed: v('observed'), median: v('median') ?? NaN, low50: v('low50') ?? NaN, high50: v('high50') ?? NaN, low90: v('low90') ?? NaN, high90: v('high90') ?? NaN };
  });
  const dated = (t: Table | null, name: string) =>
    t ? t.rows.flatMap((r) => (typeof column(t, name, r) === 'number' ? [{ date: String(column(t, 'date', r)), value: column(t, name, r) as number }] : [])) : [];
  // the window's last day: as the summary says, else the day before the first forecast day
  const window = (e.summary.value?.window ?? null) as { to?: unknown } | null;
  const origin = typeof window?.to === 'string' && DATE.test(window.to) ? window.to : new Date(Date.parse(`${rows[0].date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  const baselineNames = baselines ? baselines.columns.filter((c) => c !== 'date' && c !== 'observed') : [];
  const game = e.info.game ?? 'epidemic';
  return forecastFigureSpec({
    title: `${game}: forecast from ${origin}`,
    yTitle: 'daily new cases (7-day mean)',
    observed: [...dated(fit, 'observed'), ...rows.flatMap((r) => (r.observed === null ? [] : [{ date: r.date, value: r.observed }]))],
    fitted: dated(fit, 'fitted'),
    forecast: rows,
    baselines: baselineNames.map((name) => ({ name, values: dated(baselines, name) })),
    origin,
  });
}
