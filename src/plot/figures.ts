// The paper's figures as vega-lite specs, rendered to SVG text (see render.ts): box plots of a
// population per turn (Figs. 2, 3, docs/framework.md §6), loss curves, and line plots with error bars for
// sweeps (Fig. 4-6). Each figure has a `...Spec` builder (pure, synchronous) and a renderer.
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from './render.ts';

export { renderSvg, writePngBeside, writeSvg } from './render.ts';

export interface ReferenceLine {
  y: number;
  label: string;
  /** CSS colour; defaults cycle through red, green, purple, brown, cyan */
  color?: string;
  dash?: boolean;
}

export interface PopulationBoxPlotOptions {
  title?: string;
  turns: number[];
  /** values[k] = the agents' values at turns[k] */
  values: number[][];
  yTitle: string;
  /** default "Turn" */
  xTitle?: string;
  /** 'clock' formats axis values in hours as HH:MM (e.g. 12.5 -> "12:30"), for arrival times */
  yFormat?: 'clock' | 'number';
  referenceLines?: ReferenceLine[];
  /** El Farol (Fig. 3): a horizontal histogram of the last turn's values beside the box plots, sharing the y axis, width ratio 5:1 */
  lastTurnHistogram?: { binWidth: number; domain: [number, number]; xTitle: string };
  yDomain?: [number, number];
  /**
   * Whisker extent. 'tukey' (default, as matplotlib's `boxplot` in the reference): whiskers reach
   * the furthest value within 1.5 IQR of the box, values beyond are drawn as outlier points.
   * 'min-max': whiskers reach the extreme values, no outliers.
   */
  whiskers?: 'tukey' | 'min-max';
  /** width of the box-plot panel in pixels (default 450); the histogram gets a fifth of it */
  width?: number;
  height?: number;
}

export interface LossCurveOptions {
  steps: number[];
  train: number[];
  /** null where no validation loss was computed at that step */
  validation?: (number | null)[];
  /** default "Loss" */
  yTitle?: string;
  /** default "Step" (the dashboard puts wall time there) */
  xTitle?: string;
  logY?: boolean;
  title?: string;
}

export interface LineSeries {
  name: string;
  x: number[];
  y: number[];
  /** half-length of the error bar at each point (e.g. a standard deviation), drawn as y ± spread */
  spread?: number[];
}

export interface LinePlotOptions {
  title?: string;
  xTitle: string;
  yTitle: string;
  series: LineSeries[];
  logY?: boolean;
  /** a mark at every point (default true); false for long curves (the dashboard's loss curves) */
  points?: boolean;
}

/** The schema and optional title every vega-lite spec here starts with. */
function specHeader(title: string | undefined) {
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', ...(title !== undefined ? { title } : {}) };
}

const DEFAULT_LINE_COLORS = ['#d62728', '#2ca02c', '#9467bd', '#8c564b', '#17becf'];
const SERIES_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
const LOG_AXIS = ' on a log axis';
const WIDTH = 450;
/** beyond this magnitude a box plot is drawn in units of HUGE_UNIT (see populationBoxPlotSpec) */
const HUGE = 1e300;
const HUGE_UNIT = 1e10;
const HEIGHT = 300;

/** Box plot of a population per turn (Figs. 2a/2b/3a/3b, docs/framework.md §6). Returns SVG text. */
export async function populationBoxPlot(o: PopulationBoxPlotOptions): Promise<string> {
  return renderSvg(populationBoxPlotSpec(o), 'population box plot');
}

/** Training and validation loss against step (log-scale y option). Returns SVG text. */
export async function lossCurve(o: LossCurveOptions): Promise<string> {
  return renderSvg(lossCurveSpec(o), 'loss curve');
}

/** Line plot of several series with optional error bars (mean ± spread), for sweeps like loss vs parameter. Returns SVG text. */
export async function linePlot(o: LinePlotOptions): Promise<string> {
  return renderSvg(linePlotSpec(o), 'line plot');
}

/** The vega-lite spec behind {@link populationBoxPlot}. */
export function populationBoxPlotSpec(o: PopulationBoxPlotOptions): TopLevelSpec {
  const fn = 'populationBoxPlot';
  checkNumbers(fn, 'turns', o.turns, { nonEmpty: true });
  if (new Set(o.turns).size !== o.turns.length) throw new Error(`${fn}: turns must not repeat a turn`);
  if (!Array.isArray(o.values)) throw new Error(`${fn}: values must be an array of arrays (one per turn)`);
  if (o.values.length !== o.turns.length) {
    throw new Error(`${fn}: values.length (${o.values.length}) must equal turns.length (${o.turns.length})`);
  }
  o.values.forEach((row, k) => checkNumbers(fn, `values[${k}]`, row, { nonEmpty: true }));
  checkText(fn, 'yTitle', o.yTitle);
  const lines = o.referenceLines ?? [];
  checkReferenceLines(fn, lines);
  if (o.yDomain !== undefined) checkDomain(fn, 'yDomain', o.yDomain);
  const hist = o.lastTurnHistogram;
  if (hist !== undefined) {
    checkDomain(fn, 'lastTurnHistogram.domain', hist.domain);
    if (!(Number.isFinite(hist.binWidth) && hist.binWidth > 0)) {
      throw new Error(`${fn}: lastTurnHistogram.binWidth must be a positive number, got ${hist.binWidth}`);
    }
    checkText(fn, 'lastTurnHistogram.xTitle', hist.xTitle);
  }
  if (o.yFormat !== undefined && o.yFormat !== 'clock' && o.yFormat !== 'number') {
    throw new Error(`${fn}: yFormat must be "clock" or "number", got ${JSON.stringify(o.yFormat)}`);
  }
  if (o.whiskers !== undefined && o.whiskers !== 'tukey' && o.whiskers !== 'min-max') {
    throw new Error(`${fn}: whiskers must be "tukey" or "min-max", got ${JSON.stringify(o.whiskers)}`);
  }
  const width = o.width ?? WIDTH;
  const height = o.height ?? HEIGHT;
  checkNumber(fn, 'width', width, '');
  checkNumber(fn, 'height', height, '');

  // The y domain is computed here rather than by vega: with the histogram panel the shared scale
  // would also take the extent of the (often empty) outlier layer and warn "Infinite extent".
  const [dataLo, dataHi] = extent([...o.values, lines.map((l) => l.y), hist ? hist.domain : []]);
  if (Math.max(Math.abs(dataLo), Math.abs(dataHi)) > HUGE && hist === undefined) {
    // values near the float64 limit: drawn in units of 10^10, so that the span and the box plot's
    // own arithmetic (quartiles ± 1.5 IQR) stay finite
    const scaled = (v: number) => v / HUGE_UNIT;
    return populationBoxPlotSpec({
      ...o,
      yTitle: `${o.yTitle} (×1e10)`,
      yFormat: 'number',
      values: o.values.map((row) => row.map(scaled)),
      referenceLines: lines.map((l) => ({ ...l, y: scaled(l.y) })),
      ...(o.yDomain ? { yDomain: [scaled(o.yDomain[0]), scaled(o.yDomain[1])] as [number, number] } : {}),
    });
  }
  const [lo, hi] = o.yDomain ?? (dataLo < dataHi ? [dataLo, dataHi] : [dataLo - 0.5, dataHi + 0.5]);
  let yScale: Record<string, unknown> = { domain: [lo, hi], nice: o.yDomain === undefined, zero: false };
  let yAxis: Record<string, unknown> = { title: o.yTitle, grid: true };
  // hand-picked ticks (whole hours, half hours, ...) so that labels read 12:00, not 12:12; hours far
  // outside a day get the plain number axis
  const ticks = o.yFormat === 'clock' ? clockTicks(lo, hi, o.yDomain === undefined) : null;
  if (ticks) {
    yScale = { domain: [Math.min(lo, ticks[0]), Math.max(hi, ticks[ticks.length - 1])], nice: false, zero: false };
    yAxis = { ...yAxis, values: ticks, labelExpr: CLOCK_LABEL_EXPR };
  } else if (Math.max(Math.abs(lo), Math.abs(hi)) >= 1e6) {
    // large numbers read as 1e+30, not as 1.0000000000000001e+29
    yAxis = { ...yAxis, format: '.3~g' };
  }

  const rows = o.turns.flatMap((turn, k) => o.values[k].map((value) => ({ turn, value })));
  const boxLayer = {
    data: { values: rows },
    mark: {
      type: 'boxplot',
      extent: o.whiskers === 'min-max' ? 'min-max' : 1.5,
      size: Math.max(4, Math.min(30, (0.6 * width) / o.turns.length)),
      clip: o.yDomain !== undefined,
      // matplotlib look: outlined boxes, orange median, as in the paper's figures
      box: { color: '#cfe0f1', stroke: '#333333', strokeWidth: 1 },
      median: { color: '#ff7f0e', strokeWidth: 2 },
      rule: { color: '#333333' },
      ticks: { color: '#333333', size: Math.max(3, Math.min(14, (0.3 * width) / o.turns.length)) },
      outliers: { color: '#333333', size: 12, filled: false },
    },
    encoding: {
      x: {
        field: 'turn',
        type: 'ordinal',
        title: o.xTitle ?? 'Turn',
        sort: 'ascending',
        axis: { labelAngle: 0 },
      },
      y: { field: 'value', type: 'quantitative', scale: yScale, axis: yAxis },
    },
  };
  const layers: unknown[] = [boxLayer];
  if (lines.length > 0) layers.push(referenceLineLayer(lines, yScale));

  const boxPanel = { width, height, layer: layers };
  const base = {
    ...specHeader(o.title),
    config: {
      title: { anchor: 'middle' },
      // long stroke symbols so that a dashed reference line reads as dashed in the legend
      legend: { orient: 'bottom', direction: 'horizontal', title: null, labelLimit: 0, symbolSize: 500, symbolStrokeWidth: 2 },
    },
  };
  if (!hist) return { ...base, ...boxPanel } as TopLevelSpec;

  // Fig. 3: relative frequency of the last turn (matplotlib `hist(..., weights=1/N)`), values
  // outside the domain are left out as matplotlib does.
  const last = o.values[o.values.length - 1];
  const bins = histogramBins(last, hist.binWidth, hist.domain);
  const histPanel = {
    width: Math.round(width / 5),
    height,
    data: { values: bins },
    mark: { type: 'rect', color: '#cfe0f1', stroke: '#333333', strokeWidth: 0.5 },
    encoding: {
      y: { field: 'lo', type: 'quantitative', scale: yScale, axis: null },
      y2: { field: 'hi' },
      x: { field: 'fraction', type: 'quantitative', title: hist.xTitle, axis: { tickCount: 2, grid: false } },
      x2: { datum: 0 },
    },
  };
  return {
    ...base,
    hconcat: [boxPanel, histPanel],
    spacing: 8,
    resolve: { scale: { y: 'shared' } },
  } as TopLevelSpec;
}

/** The vega-lite spec behind {@link lossCurve}. */
export function lossCurveSpec(o: LossCurveOptions): TopLevelSpec {
  const fn = 'lossCurve';
  checkNumbers(fn, 'steps', o.steps, { nonEmpty: true });
  checkNumbers(fn, 'train', o.train, { positive: o.logY === true });
  if (o.train.length !== o.steps.length) {
    throw new Error(`${fn}: train.length (${o.train.length}) must equal steps.length (${o.steps.length})`);
  }
  const rows: { step: number; loss: number; curve: string }[] = o.steps.map((step, i) => ({
    step,
    loss: o.train[i],
    curve: 'Training',
  }));
  const curves = ['Training'];
  if (o.validation !== undefined) {
    if (!Array.isArray(o.validation)) throw new Error(`${fn}: validation must be an array`);
    if (o.validation.length !== o.steps.length) {
      throw new Error(`${fn}: validation.length (${o.validation.length}) must equal steps.length (${o.steps.length})`);
    }
    o.validation.forEach((v, i) => {
      if (v === null) return;
      checkNumber(fn, `validation[${i}]`, v, o.logY ? LOG_AXIS : undefined);
      rows.push({ step: o.steps[i], loss: v, curve: 'Validation' });
    });
    if (rows.length > o.steps.length) curves.push('Validation');
  }
  return {
    ...specHeader(o.title),
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: o.xTitle ?? 'Step', scale: { nice: false } },
      y: {
        field: 'loss',
        type: 'quantitative',
        title: o.yTitle ?? 'Loss',
        scale: o.logY ? { type: 'log' } : { zero: false },
        axis: { grid: true },
      },
      color: {
        field: 'curve',
        type: 'nominal',
        scale: { domain: curves, range: ['#1f77b4', '#ff7f0e'] },
        legend: { title: null, orient: 'top-right' },
      },
    },
  } as TopLevelSpec;
}

/** The vega-lite spec behind {@link linePlot}. */
export function linePlotSpec(o: LinePlotOptions): TopLevelSpec {
  const fn = 'linePlot';
  checkText(fn, 'xTitle', o.xTitle);
  checkText(fn, 'yTitle', o.yTitle);
  if (!Array.isArray(o.series) || o.series.length === 0) throw new Error(`${fn}: series must be a non-empty array`);
  const names = new Set<string>();
  const logY = o.logY === true;
  const rows: { series: string; x: number; y: number; lo?: number; hi?: number }[] = [];
  o.series.forEach((s, j) => {
    const at = `series[${j}]`;
    checkText(fn, `${at}.name`, s.name);
    if (names.has(s.name)) throw new Error(`${fn}: ${at}.name "${s.name}" is used by an earlier series`);
    names.add(s.name);
    checkNumbers(fn, `${at}.x`, s.x, { nonEmpty: true });
    checkNumbers(fn, `${at}.y`, s.y, { positive: logY });
    if (s.y.length !== s.x.length) {
      throw new Error(`${fn}: ${at}.y.length (${s.y.length}) must equal ${at}.x.length (${s.x.length})`);
    }
    if (s.spread !== undefined) {
      checkNumbers(fn, `${at}.spread`, s.spread, { nonNegative: true });
      if (s.spread.length !== s.x.length) {
        throw new Error(`${fn}: ${at}.spread.length (${s.spread.length}) must equal ${at}.x.length (${s.x.length})`);
      }
    }
    s.x.forEach((x, i) => {
      const y = s.y[i];
      const spread = s.spread?.[i];
      // an error bar that would overflow float64 is drawn to its limit
      const bound = (v: number) => Math.max(-Number.MAX_VALUE, Math.min(Number.MAX_VALUE, v));
      rows.push(spread === undefined ? { series: s.name, x, y } : { series: s.name, x, y, lo: bound(y - spread), hi: bound(y + spread) });
    });
  });
  if (logY) {
    // A log axis cannot show zero or below: an error bar reaching there is drawn down to the
    // bottom of the plot, a decade below the smallest value shown (matplotlib's nonpositive='clip'
    // does the same), so that it does not look like a real lower bound.
    const smallest = Math.min(...rows.flatMap((r) => (r.lo !== undefined && r.lo > 0 ? [r.y, r.lo] : [r.y])));
    const floor = 10 ** (Math.ceil(Math.log10(smallest)) - 1);
    for (const r of rows) if (r.lo !== undefined && r.lo <= 0) r.lo = floor;
  }
  const domain = o.series.map((s) => s.name);
  const color = {
    field: 'series',
    type: 'nominal',
    scale: { domain, range: SERIES_COLORS.slice(0, Math.max(1, Math.min(domain.length, SERIES_COLORS.length))) },
    legend: o.series.length > 1 ? { title: null } : null,
  };
  // padded: a point (and its error bar) at either end of the domain is not hidden by the axis line
  const x = { field: 'x', type: 'quantitative', title: o.xTitle, scale: { zero: false, nice: false, padding: 10 } };
  const yScale = logY ? { type: 'log' } : { zero: false };
  const layers: unknown[] = [
    {
      mark: { type: 'line', point: o.points === false ? false : { filled: true, size: 30 }, strokeWidth: 1.5 },
      encoding: { x, y: { field: 'y', type: 'quantitative', title: o.yTitle, scale: yScale, axis: { grid: true } }, color },
    },
  ];
  if (rows.some((r) => r.lo !== undefined)) {
    layers.push({
      transform: [{ filter: 'isValid(datum.lo)' }],
      mark: { type: 'errorbar' }, // no caps, as matplotlib's errorbar default
      encoding: { x, y: { field: 'lo', type: 'quantitative', title: o.yTitle, scale: yScale }, y2: { field: 'hi' }, color },
    });
  }
  return {
    ...specHeader(o.title),
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    layer: layers,
  } as TopLevelSpec;
}

/** Horizontal rules with a legend entry each, drawn in their own colour (and dashed on request). */
function referenceLineLayer(lines: ReferenceLine[], yScale: Record<string, unknown>): unknown {
  const labels = lines.map((l) => l.label);
  const colors = lines.map((l, i) => l.color ?? DEFAULT_LINE_COLORS[i % DEFAULT_LINE_COLORS.length]);
  const dashes = lines.map((l) => (l.dash ? [6, 4] : [1, 0]));
  return {
    data: { values: lines.map((l) => ({ y: l.y, label: l.label })) },
    mark: { type: 'rule', strokeWidth: 1.5 },
    encoding: {
      y: { field: 'y', type: 'quantitative', scale: yScale },
      // colour and dash share field and (null) title, so vega-lite merges them into one legend
      color: { field: 'label', type: 'nominal', scale: { domain: labels, range: colors }, legend: { title: null } },
      strokeDash: { field: 'label', type: 'nominal', scale: { domain: labels, range: dashes }, legend: { title: null } },
    },
  };
}

/**
 * vega expression turning hours into "HH:MM": 12.5 -> "12:30", 4.5 -> "04:30", 15 -> "15:00".
 * Rounds to the minute first so that 12.9999 reads 13:00; no wrap at midnight (24 -> "24:00"),
 * because an axis that reads 20:00, 22:00, 00:00 looks like it went backwards.
 */
const CLOCK_LABEL_EXPR =
  "format(floor(round(datum.value * 60) / 60), '02d') + ':' + format(((round(datum.value * 60) % 60) + 60) % 60, '02d')";

/**
 * Tick values in hours at the coarsest clock-friendly step giving at least four ticks; null where
 * the values are no times of day (a span of more than 48 steps of 12 hours, or hours beyond 10^6,
 * where minutes are below the numbers' precision): those get the plain number axis, so that any
 * finite range draws (a span of 10^30 hours once asked for 10^29 ticks).
 */
function clockTicks(lo: number, hi: number, extend: boolean): number[] | null {
  const steps = [1 / 12, 1 / 6, 1 / 4, 1 / 2, 1, 2, 3, 4, 6, 12];
  const span = Math.max(hi - lo, 1 / 60);
  const step = [...steps].reverse().find((s) => span / s >= 4) ?? steps[0];
  if (!(span / step <= 48) || !(Math.abs(lo) + Math.abs(hi) < 1e6)) return null;
  // with an automatic domain the ends are pushed out to whole steps; otherwise ticks stay inside
  const first = extend ? Math.floor(lo / step + 1e-9) * step : Math.ceil(lo / step - 1e-9) * step;
  const last = extend ? Math.ceil(hi / step - 1e-9) * step : Math.floor(hi / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let k = 0; first + k * step <= last + 1e-9; k++) ticks.push(round6(first + k * step));
  return ticks;
}

function histogramBins(values: number[], binWidth: number, [lo, hi]: [number, number]) {
  const count = Math.max(1, Math.round((hi - lo) / binWidth));
  const width = (hi - lo) / count;
  const counts = new Array<number>(count).fill(0);
  for (const v of values) {
    if (v < lo || v > hi) continue;
    counts[Math.min(count - 1, Math.floor((v - lo) / width))] += 1; // last bin is closed, as in numpy
  }
  return counts.map((c, b) => ({ lo: round6(lo + b * width), hi: round6(lo + (b + 1) * width), fraction: c / values.length }));
}

/** [min, max] over several arrays (a loop: spreading 10^5 values into Math.min overflows the stack). */
function extent(arrays: number[][]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of arrays) {
    for (const v of a) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return [lo, hi];
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** `mustBePositive` is undefined (any finite number), '' or a reason such as ' on a log axis'. */
function checkNumber(fn: string, field: string, v: unknown, mustBePositive?: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new Error(`${fn}: ${field} must be a finite number, got ${typeof v === 'number' ? v : JSON.stringify(v)}`);
  }
  if (mustBePositive !== undefined && v <= 0) throw new Error(`${fn}: ${field} must be positive${mustBePositive}, got ${v}`);
}

function checkNumbers(
  fn: string,
  field: string,
  values: unknown,
  opts: { nonEmpty?: boolean; positive?: boolean; nonNegative?: boolean } = {},
): void {
  if (!Array.isArray(values)) throw new Error(`${fn}: ${field} must be an array of numbers`);
  if (opts.nonEmpty && values.length === 0) throw new Error(`${fn}: ${field} must not be empty`);
  values.forEach((v, i) => {
    checkNumber(fn, `${field}[${i}]`, v, opts.positive ? LOG_AXIS : undefined);
    if (opts.nonNegative && (v as number) < 0) throw new Error(`${fn}: ${field}[${i}] must not be negative, got ${v}`);
  });
}

function checkText(fn: string, field: string, v: unknown): void {
  if (typeof v !== 'string' || v.length === 0) throw new Error(`${fn}: ${field} must be a non-empty string`);
}

function checkDomain(fn: string, field: string, d: unknown): void {
  if (!Array.isArray(d) || d.length !== 2) throw new Error(`${fn}: ${field} must be [min, max]`);
  checkNumber(fn, `${field}[0]`, d[0]);
  checkNumber(fn, `${field}[1]`, d[1]);
  if (!(d[0] < d[1])) throw new Error(`${fn}: ${field} must have min < max, got [${d[0]}, ${d[1]}]`);
}

function checkReferenceLines(fn: string, lines: unknown): void {
  if (!Array.isArray(lines)) throw new Error(`${fn}: referenceLines must be an array`);
  const seen = new Set<string>();
  lines.forEach((l: ReferenceLine, i) => {
    checkNumber(fn, `referenceLines[${i}].y`, l?.y);
    checkText(fn, `referenceLines[${i}].label`, l.label);
    if (seen.has(l.label)) throw new Error(`${fn}: referenceLines[${i}].label "${l.label}" repeats an earlier label`);
    seen.add(l.label);
    if (l.color !== undefined) checkText(fn, `referenceLines[${i}].color`, l.color);
  });
}
