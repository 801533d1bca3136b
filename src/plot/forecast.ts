// The forecast figure (neural-mfg forecast, README "Forecasts on real data"): the observed 7-day
// mean of daily new cases, the model's fit over the window, its forecast with the 50% and 90%
// bands, and the baselines' forecasts, on a log y axis (counts from 10 to 10^5 a day; a value below
// the axis's floor, a day of 0 included, is drawn at the floor).
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from './render.ts';

export interface DatedValue {
  date: string;
  value: number;
}

export interface ForecastFigureOptions {
  title: string;
  yTitle: string;
  /** the observations, window and horizon (days without data left out) */
  observed: DatedValue[];
  /** the model over the window (its median) */
  fitted: DatedValue[];
  /** the forecast after the window: its median and bands */
  forecast: { date: string; median: number; low50: number; high50: number; low90: number; high90: number }[];
  /** a forecast per baseline, by name */
  baselines: { name: string; values: DatedValue[] }[];
  /** the window's last day (a vertical rule) */
  origin: string;
}

const OBSERVED = '#222222';
const MODEL = '#1f77b4';
const BASELINE_COLORS = ['#d62728', '#2ca02c', '#9467bd', '#8c564b', '#e377c2'];

/** The vega-lite spec of the forecast figure. */
export function forecastFigureSpec(o: ForecastFigureOptions): TopLevelSpec {
  const names = ['observed', 'model (fit and median)', ...o.baselines.map((b) => b.name)];
  const colors = [OBSERVED, MODEL, ...o.baselines.map((_, i) => BASELINE_COLORS[i % BASELINE_COLORS.length])];
  const color = { field: 'series', type: 'nominal', scale: { domain: names, range: colors }, legend: { title: null, orient: 'bottom', direction: 'horizontal', columns: 3, labelLimit: 0 } };
  const x = { field: 'date', type: 'temporal', title: null, scale: { type: 'utc' }, axis: { format: '%Y-%m-%d', labelAngle: -30 } };
  const all = [
    ...o.observed.map((v) => v.value),
    ...o.fitted.map((v) => v.value),
    ...o.forecast.flatMap((f) => [f.median, f.low90, f.high90]),
    ...o.baselines.flatMap((b) => b.values.map((v) => v.value)),
  ].filter((v) => Number.isFinite(v));
  const positive = all.filter((v) => v > 0);
  const hi = Math.max(1, ...positive) * 1.2;
  // the floor: the smallest value, but not more than 4 decades below the largest (a band to 0 would flatten the rest)
  const floor = Math.max(Math.min(hi / 1.2, ...positive) / 1.2, hi * 1e-4);
  const at = (v: number) => Math.max(v, floor);
  const yScale = { type: 'log', domain: [floor, hi], nice: false };
  const y = { field: 'value', type: 'quantitative', title: o.yTitle, scale: yScale, axis: { grid: true } };
  const band = (low: 'low50' | 'low90', high: 'high50' | 'high90', opacity: number) => ({
    data: { values: o.forecast.map((f) => ({ date: f.date, lo: at(f[low]), hi: at(f[high]) })) },
    mark: { type: 'area', color: MODEL, opacity },
    encoding: { x, y: { field: 'lo', type: 'quantitative', title: o.yTitle, scale: yScale }, y2: { field: 'hi' } },
  });
  const line = (series: string, values: DatedValue[], mark: Record<string, unknown>) => ({
    data: { values: values.map((v) => ({ series, date: v.date, value: at(v.value) })) },
    mark: { type: 'line', ...mark },
    encoding: { x, y, color },
  });
  const layers: unknown[] = [
    band('low90', 'high90', 0.15),
    band('low50', 'high50', 0.3),
    line(names[1], [...o.fitted, ...o.forecast.map((f) => ({ date: f.date, value: f.median }))], { strokeWidth: 2 }),
    ...o.baselines.map((b) => line(b.name, b.values, { strokeWidth: 1.5, strokeDash: [5, 3] })),
    {
      data: { values: o.observed.map((v) => ({ series: names[0], date: v.date, value: at(v.value) })) },
      mark: { type: 'point', filled: true, size: 10 },
      encoding: { x, y, color },
    },
    { data: { values: [{ date: o.origin }] }, mark: { type: 'rule', color: '#888888', strokeDash: [2, 2] }, encoding: { x } },
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: o.title, subtitle: ["shaded: the model's 50% and 90% bands; dashed: the baselines' forecasts", "dotted rule: the fitted window's last day"] },
    width: 560,
    height: 320,
    config: { title: { anchor: 'middle' } },
    layer: layers,
  } as unknown as TopLevelSpec;
}

/** The forecast figure as SVG text. */
export async function forecastFigure(o: ForecastFigureOptions): Promise<string> {
  return renderSvg(forecastFigureSpec(o), 'forecast figure');
}

export interface RollingMaleOptions {
  title: string;
  /** per method (the model first): its MALE at each window's first forecast day */
  series: { name: string; points: { date: string; male: number }[]; median: number | null }[];
}

/** MALE per window of the rolling evaluation, one line per method, each method's median as a dashed rule. */
export function rollingMaleFigureSpec(o: RollingMaleOptions): TopLevelSpec {
  const names = o.series.map((s) => s.name);
  const colors = [MODEL, ...o.series.slice(1).map((_, i) => BASELINE_COLORS[i % BASELINE_COLORS.length])];
  const color = { field: 'series', type: 'nominal', scale: { domain: names, range: colors }, legend: { title: null, orient: 'bottom', direction: 'horizontal', columns: 2, labelLimit: 0 } };
  const x = { field: 'date', type: 'temporal', title: 'First forecast day of the window', scale: { type: 'utc' }, axis: { format: '%Y-%m', labelAngle: -30, tickCount: { interval: 'month', step: 3 } } };
  const y = { field: 'male', type: 'quantitative', title: 'MALE of the 28-day forecast (log10)', scale: { zero: true }, axis: { grid: true } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: o.title, subtitle: 'dashed: each method\'s median over the windows' },
    width: 560,
    height: 300,
    config: { title: { anchor: 'middle' } },
    layer: [
      {
        data: { values: o.series.flatMap((s) => s.points.map((p) => ({ series: s.name, date: p.date, male: p.male }))) },
        mark: { type: 'line', point: { filled: true, size: 25 }, strokeWidth: 1.2 },
        encoding: { x, y, color },
      },
      {
        data: { values: o.series.filter((s) => s.median !== null).map((s) => ({ series: s.name, male: s.median })) },
        mark: { type: 'rule', strokeDash: [6, 3], strokeWidth: 1.5 },
        encoding: { y: { field: 'male', type: 'quantitative' }, color },
      },
    ],
  } as unknown as TopLevelSpec;
}

export async function rollingMaleFigure(o: RollingMaleOptions): Promise<string> {
  return renderSvg(rollingMaleFigureSpec(o), 'rolling MALE figure');
}

export interface RollingForecastsOptions {
  title: string;
  yTitle: string;
  observed: DatedValue[];
  /** each window's forecast: its days, median and 90% band */
  windows: { index: number; days: { date: string; median: number; low90: number; high90: number }[] }[];
}

/** Every window's forecast over the whole period: the observed 7-day mean, each median and 90% band. */
export function rollingForecastsFigureSpec(o: RollingForecastsOptions): TopLevelSpec {
  const all = [...o.observed.map((v) => v.value), ...o.windows.flatMap((w) => w.days.flatMap((d) => [d.median, d.high90]))].filter((v) => v > 0 && Number.isFinite(v));
  const hi = Math.max(1, ...all) * 1.2;
  const floor = Math.max(Math.min(hi / 1.2, ...all) / 1.2, hi * 1e-4);
  const at = (v: number) => Math.max(v, floor);
  const yScale = { type: 'log', domain: [floor, hi], nice: false };
  const x = { field: 'date', type: 'temporal', title: null, scale: { type: 'utc' }, axis: { format: '%Y-%m', labelAngle: -30, tickCount: { interval: 'month', step: 3 } } };
  const days = o.windows.flatMap((w) => w.days.map((d) => ({ window: w.index, date: d.date, median: at(d.median), lo: at(d.low90), hi: at(d.high90) })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: o.title, subtitle: 'black: observed; blue: each window\'s median forecast and 90% band' },
    width: 760,
    height: 320,
    config: { title: { anchor: 'middle' } },
    layer: [
      {
        data: { values: days },
        mark: { type: 'area', color: MODEL, opacity: 0.2 },
        encoding: { x, y: { field: 'lo', type: 'quantitative', title: o.yTitle, scale: yScale }, y2: { field: 'hi' }, detail: { field: 'window', type: 'nominal' } },
      },
      {
        data: { values: days },
        mark: { type: 'line', color: MODEL, strokeWidth: 1.5 },
        encoding: { x, y: { field: 'median', type: 'quantitative', scale: yScale }, detail: { field: 'window', type: 'nominal' } },
      },
      {
        data: { values: o.observed.map((v) => ({ date: v.date, value: at(v.value) })) },
        mark: { type: 'line', color: OBSERVED, strokeWidth: 1 },
        encoding: { x, y: { field: 'value', type: 'quantitative', scale: yScale, axis: { grid: true } } },
      },
    ],
  } as unknown as TopLevelSpec;
}

export async function rollingForecastsFigure(o: RollingForecastsOptions): Promise<string> {
  return renderSvg(rollingForecastsFigureSpec(o), 'rolling forecasts figure');
}
