// Figures of a sweep: one metric against a grid field, the mean over seeds with its 95% confidence
// interval as error bars and every seed's own value as a faint point, one line per combination of
// the other fields. Written as SVG, and as PNG beside it where @resvg/resvg-js loads.
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg, writePngBeside, writeSvg } from '../plot/figures.ts';

export interface MetricSeries {
  /** the values of the other grid fields, in words ("" when the grid has one field) */
  name: string;
  points: { x: string; mean: number; ci95: number | null; values: number[] }[];
}

export interface MetricFigure {
  title: string;
  xTitle: string;
  yTitle: string;
  series: MetricSeries[];
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** The vega-lite spec: quantitative x when every grid value is a number, the values in grid order otherwise. */
export function metricFigureSpec(f: MetricFigure): TopLevelSpec {
  const xs = f.series.flatMap((s) => s.points.map((p) => p.x));
  const numeric = xs.every((x) => x.trim() !== '' && Number.isFinite(Number(x)));
  const order = [...new Set(xs)];
  const xValue = (x: string) => (numeric ? Number(x) : x);
  const means = f.series.flatMap((s) =>
    s.points.map((p) => ({ series: s.name || f.yTitle, x: xValue(p.x), y: p.mean, ...(p.ci95 !== null ? { lo: p.mean - p.ci95, hi: p.mean + p.ci95 } : {}) })),
  );
  const seeds = f.series.flatMap((s) => s.points.flatMap((p) => p.values.map((y) => ({ series: s.name || f.yTitle, x: xValue(p.x), y }))));
  const names = [...new Set(means.map((m) => m.series))];
  const nums = xs.map(Number);
  // values spread over decades (learning rates) on a log axis
  const logX = numeric && Math.min(...nums) > 0 && Math.max(...nums) / Math.min(...nums) >= 100;
  const x = numeric
    ? { field: 'x', type: 'quantitative', title: f.xTitle, scale: logX ? { type: 'log', padding: 10 } : { zero: false, nice: false, padding: 10 } }
    : { field: 'x', type: 'ordinal', title: f.xTitle, sort: order };
  const y = { field: 'y', type: 'quantitative', title: f.yTitle, scale: { zero: false }, axis: { grid: true } };
  const color = { field: 'series', type: 'nominal', scale: { domain: names, range: COLORS.slice(0, Math.max(1, Math.min(names.length, COLORS.length))) }, legend: names.length > 1 ? { title: null } : null };
  const layers: unknown[] = [
    { data: { values: seeds }, mark: { type: 'point', size: 18, opacity: 0.35 }, encoding: { x, y, color } },
    { data: { values: means }, mark: { type: 'line', point: { filled: true, size: 40 }, strokeWidth: 1.5 }, encoding: { x, y, color } },
  ];
  if (means.some((m) => 'lo' in m)) {
    layers.push({
      data: { values: means.filter((m) => 'lo' in m) },
      mark: { type: 'errorbar', ticks: true },
      encoding: { x, y: { field: 'lo', type: 'quantitative', title: f.yTitle, scale: { zero: false } }, y2: { field: 'hi' }, color },
    });
  }
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title: f.title, width: 450, height: 300, layer: layers } as unknown as TopLevelSpec;
}

export async function metricFigure(f: MetricFigure): Promise<string> {
  return renderSvg(metricFigureSpec(f), `figure of ${f.yTitle}`);
}

/** Writes STEM.svg and, where @resvg/resvg-js loads, STEM.png (2×); returns the files written. */
export async function writeFigure(stem: string, svg: string): Promise<string[]> {
  await writeSvg(`${stem}.svg`, svg);
  const png = await writePngBeside(`${stem}.svg`, svg);
  return png ? [`${stem}.svg`, png] : [`${stem}.svg`];
}
