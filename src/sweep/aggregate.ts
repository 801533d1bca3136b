// `sweep aggregate DIR` for sweeps of train/simulate/eval jobs: every number of the jobs'
// summary.json files (the commands' documented outputs) against the grid, the mean over seeds with
// its 95% confidence interval. Writes DIR/jobs.csv (one row per job), DIR/aggregate.csv (one row per
// point and metric), DIR/figures/<metric>.svg|png and DIR/summary.json.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeCsv } from '../data/csv.ts';
import { writeJsonAtomic } from '../io/atomic.ts';
import { jobState, type JobState } from './job.ts';
import type { SweepJob, SweepManifest } from './manifest.ts';
import { seedStats, type SeedStats } from './stats.ts';
import { metricFigure, writeFigure, type MetricFigure, type MetricSeries } from './figures.ts';

/** Parts of a summary that describe the run rather than measure it. */
const NOT_METRICS = new Set(['seed', 'config', 'turns', 'command', 'rows', 'points', 'draws', 'sweep']);
const MAX_LIST = 16;

/** Every finite number of a summary.json by dotted name (lists of up to 16 numbers element by element). */
export function summaryMetrics(summary: Record<string, unknown>, prefix = '', depth = 0): Record<string, number> {
  const out: Record<string, number> = {};
  // of the per-turn statistics (train, simulate: turns [{t, mean, std, min, max}]), the final turn's
  const turns = depth === 0 && Array.isArray(summary.turns) ? summary.turns.at(-1) : null;
  if (turns && typeof turns === 'object') Object.assign(out, summaryMetrics(turns as Record<string, unknown>, 'finalTurn.', 1));
  for (const [key, value] of Object.entries(summary)) {
    if (depth === 0 && NOT_METRICS.has(key)) continue;
    const name = `${prefix}${key}`;
    if (typeof value === 'number' && Number.isFinite(value)) out[name] = value;
    else if (Array.isArray(value) && value.length <= MAX_LIST && value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      value.forEach((v, i) => (out[`${name}[${i}]`] = v));
    } else if (value && typeof value === 'object' && !Array.isArray(value) && depth < 1) {
      Object.assign(out, summaryMetrics(value as Record<string, unknown>, `${name}.`, depth + 1));
    }
  }
  return out;
}

export interface PointAggregate {
  point: Record<string, string>;
  seeds: number[];
  metrics: Record<string, SeedStats & { values: number[] }>;
}

export interface AggregateReport {
  jobs: { total: number; done: number; failed: number; pending: number };
  metrics: string[];
  /** metrics equal in every finished job (left out of the tables and figures) */
  constants: Record<string, number>;
  points: PointAggregate[];
  files: string[];
}

async function readSummary(dir: string, job: SweepJob): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(dir, job.dir, 'summary.json'), 'utf8'));
}

const fileStem = (metric: string) => metric.replace(/[^A-Za-z0-9._-]/g, '_');

/**
 * The grid's statistics from the finished jobs' summary.json files, read only (what `sweep
 * aggregate` writes, and what `neural-mfg dashboard` shows while the sweep runs).
 */
export async function gridStatistics(dir: string, manifest: SweepManifest) {
  const states = await Promise.all(manifest.jobs.map((j) => jobState(dir, j)));
  const finished = manifest.jobs.filter((_, i) => states[i].state === 'done');
  const perJob = new Map<number, Record<string, number>>();
  for (const job of finished) perJob.set(job.index, summaryMetrics(await readSummary(dir, job)));
  const all = [...new Set([...perJob.values()].flatMap((m) => Object.keys(m)))];
  const constants: Record<string, number> = {};
  const metrics = all.filter((name) => {
    const values = [...perJob.values()].map((m) => m[name]);
    const constant = finished.length > 1 && values.every((v) => v === values[0]);
    if (constant) constants[name] = values[0];
    return !constant;
  });
  const fields = manifest.grid.map((a) => a.field);

  const points: PointAggregate[] = [];
  for (const job of finished) {
    let p = points.find((q) => fields.every((f) => q.point[f] === job.point[f]));
    if (!p) points.push((p = { point: job.point, seeds: [], metrics: {} }));
    p.seeds.push(job.seed);
  }
  for (const p of points) {
    const jobs = finished.filter((j) => fields.every((f) => j.point[f] === p.point[f]));
    for (const name of metrics) {
      const values = jobs.map((j) => perJob.get(j.index)![name]).filter((v) => v !== undefined);
      if (values.length > 0) p.metrics[name] = { ...seedStats(values), values };
    }
  }
  return { states, finished, perJob, metrics, constants, fields, points };
}

/**
 * The figure of each metric against the grid: x is the first field that takes several values, one
 * line per combination of the others (none when no field varies).
 */
export function metricFigures(manifest: SweepManifest, metrics: string[], points: PointAggregate[]): { metric: string; figure: MetricFigure }[] {
  const x = manifest.grid.find((a) => a.values.length > 1)?.field;
  if (!x) return [];
  const others = manifest.grid.map((a) => a.field).filter((f) => f !== x);
  const seeds = manifest.seeds.length;
  return metrics.map((name) => {
    const series: MetricSeries[] = [];
    for (const p of points) {
      if (!p.metrics[name]) continue;
      const label = others.map((f) => `${f}=${p.point[f]}`).join(', ');
      let s = series.find((q) => q.name === label);
      if (!s) series.push((s = { name: label, points: [] }));
      const m = p.metrics[name];
      s.points.push({ x: p.point[x], mean: m.mean, ci95: m.ci95, values: m.values });
    }
    const title = `${manifest.command} ${manifest.target}: ${name} (mean of ${seeds} seed${seeds === 1 ? '' : 's'}${seeds > 1 ? ' ± 95% CI' : ''})`;
    return { metric: name, figure: { title, xTitle: x, yTitle: name, series } };
  });
}

export async function aggregateGrid(dir: string, manifest: SweepManifest): Promise<AggregateReport> {
  const { states, finished, perJob, metrics, constants, fields, points } = await gridStatistics(dir, manifest);
  const count = (s: JobState) => states.filter((x) => x.state === s).length;
  if (finished.length === 0) throw new Error(`${dir}: no job has finished yet (neural-mfg sweep status ${dir})`);

  const files: string[] = [];
  await writeCsv(
    join(dir, 'jobs.csv'),
    ['index', 'id', 'state', 'seed', ...fields, ...metrics],
    manifest.jobs.map((j, i) => [j.index, j.id, states[i].state, j.seed, ...fields.map((f) => j.point[f]), ...metrics.map((m) => perJob.get(j.index)?.[m] ?? '')]),
  );
  await writeCsv(
    join(dir, 'aggregate.csv'),
    [...fields, 'metric', 'seeds', 'mean', 'std', 'ci95_low', 'ci95_high'],
    points.flatMap((p) =>
      Object.entries(p.metrics).map(([name, s]) => [...fields.map((f) => p.point[f]), name, s.n, s.mean, s.std, s.ci95 === null ? '' : s.mean - s.ci95, s.ci95 === null ? '' : s.mean + s.ci95]),
    ),
  );
  files.push('jobs.csv', 'aggregate.csv');

  for (const { metric, figure } of metricFigures(manifest, metrics, points)) {
    files.push(...(await writeFigure(join(dir, 'figures', fileStem(metric)), await metricFigure(figure))).map((f) => f.slice(dir.length + 1)));
  }

  const report: AggregateReport = {
    jobs: { total: manifest.jobs.length, done: finished.length, failed: count('failed'), pending: manifest.jobs.length - finished.length - count('failed') },
    metrics,
    constants,
    points,
    files,
  };
  await writeJsonAtomic(join(dir, 'summary.json'), {
    command: 'sweep aggregate',
    sweep: { id: manifest.id, command: manifest.command, target: manifest.target, shared: manifest.shared, grid: manifest.grid, seeds: manifest.seeds },
    confidence: 0.95,
    ...report,
  });
  return report;
}

/** `sweep aggregate DIR`: an analysis's own tables and figures, or every metric against the grid. */
export async function aggregateSweep(dir: string, manifest: SweepManifest): Promise<string> {
  if (manifest.analysis) {
    const { combineAnalysis } = await import('./analysis.ts');
    const { result, files, leftOut } = await combineAnalysis(dir, manifest, performance.now());
    const missing = leftOut.length ? `\nleft out seeds ${leftOut.join(', ')}: some of their points have not finished (neural-mfg sweep status ${dir})` : '';
    return `${result.text}${missing}\nwrote ${dir}/: summary.json, ${files.join(', ')}`;
  }
  const r = await aggregateGrid(dir, manifest);
  const missing = r.jobs.done < r.jobs.total ? ` (${r.jobs.total - r.jobs.done} of ${r.jobs.total} jobs not finished, left out)` : '';
  const figures = r.files.filter((f) => f.startsWith('figures/') && f.endsWith('.svg')).length;
  return (
    `${aggregateTable(r, manifest.grid.map((a) => a.field))}\n` +
    `mean ± 95% CI over seeds of ${r.metrics.length} metrics at ${r.points.length} points${missing}; constant in every job: ${Object.keys(r.constants).length}\n` +
    `wrote ${dir}/: summary.json, jobs.csv, aggregate.csv${figures ? `, figures/ (${figures} metrics against ${manifest.grid.find((a) => a.values.length > 1)?.field}, SVG${r.files.some((f) => f.endsWith('.png')) ? ' and PNG' : ''})` : ''}`
  );
}

/** The metrics a reader looks at first, where a game reports them. */
export const KEY_METRICS = ['trainLoss', 'validationLoss', 'finalMean', 'finalStd', 'nashGap.mean', 'klToObserved', 'learnedOdds.0'];

const cell = (m: { mean: number; ci95: number | null } | undefined) =>
  m === undefined ? '—' : `${m.mean.toPrecision(4)}${m.ci95 === null ? '' : ` ± ${m.ci95.toPrecision(2)}`}`;

/**
 * Mean ± 95% CI over seeds on the terminal: a metric per row and a point per column for up to 6
 * points; beyond that a point per row and a few metrics (every one is in aggregate.csv).
 */
export function aggregateTable(r: Pick<AggregateReport, 'metrics' | 'points'>, fields: string[]): string {
  const label = (p: PointAggregate) => fields.map((f) => `${fields.length > 1 ? `${f.split('.').pop()}=` : ''}${p.point[f]}`).join(', ') || 'all';
  const pad = (cells: string[], widths: number[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  let rows: string[][];
  if (r.points.length <= 6) {
    rows = [[`metric \\ ${fields.join(', ') || 'point'}`, ...r.points.map(label)], ...r.metrics.map((name) => [name, ...r.points.map((p) => cell(p.metrics[name]))])];
  } else {
    const chosen = [...KEY_METRICS.filter((m) => r.metrics.includes(m)), ...r.metrics.filter((m) => !KEY_METRICS.includes(m))].slice(0, 4);
    rows = [[fields.join(', ') || 'point', 'seeds', ...chosen], ...r.points.map((p) => [label(p), String(p.seeds.length), ...chosen.map((m) => cell(p.metrics[m]))])];
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => pad(row, widths)).join('\n');
}
