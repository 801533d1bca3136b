// Charts on the page, drawn by vega from the vega-lite specs of the project's own figures
// (src/plot/figures.ts: the builders of loss.svg and the sweep and forecast figures), so that a
// figure on the page and its file are one figure; here they get hover values and x zoom.
import type { TopLevelSpec } from 'vega-lite';
import { linePlotSpec, lossCurveSpec } from '../../plot/figures.ts';
import type { Metrics } from './data.ts';

// vega's and vega-lite's browser builds (served from node_modules, see loadVega) define these globals
declare const vega: typeof import('vega');
declare const vegaLite: typeof import('vega-lite');

const views = new WeakMap<HTMLElement, import('vega').View>();

/** vega's builds, loaded with the first chart (the tables do not wait for 750 kB of script). */
let loading: Promise<void> | null = null;
function loadVega(): Promise<void> {
  const script = (src: string) =>
    new Promise<void>((resolve, reject) => {
      const el = document.createElement('script');
      el.src = src;
      el.onload = () => resolve();
      el.onerror = () => reject(new Error(`cannot load ${src}`));
      document.head.append(el);
    });
  loading ??= script('/vendor/vega.min.js').then(() => script('/vendor/vega-lite.min.js'));
  return loading;
}

/** Adds hover values (every mark) and, with `zoomX`, drag/scroll zoom on the x axis. */
export function interactive(spec: TopLevelSpec, zoomX: boolean): TopLevelSpec {
  const s = structuredClone(spec) as Record<string, any>;
  const marks = (node: Record<string, any>) => {
    if (node.mark) node.mark = typeof node.mark === 'string' ? { type: node.mark, tooltip: true } : { ...node.mark, tooltip: true };
    for (const child of node.layer ?? []) marks(child);
  };
  marks(s);
  if (zoomX) {
    const zoom = { name: 'zoom', select: { type: 'interval', encodings: ['x'] }, bind: 'scales' };
    const target = s.layer ? s.layer.find((l: Record<string, any>) => l.mark && l.encoding?.x && !l.encoding?.x2) ?? s.layer[0] : s;
    target.params = [...(target.params ?? []), zoom];
  }
  return s as TopLevelSpec;
}

/** Draws a spec into `el` (replacing what was there); the number of data points goes in data-points. */
export async function draw(el: HTMLElement, spec: TopLevelSpec, opts: { zoomX?: boolean; points?: number } = {}): Promise<void> {
  await loadVega();
  const compiled = vegaLite.compile(interactive(spec, opts.zoomX === true)).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'svg', container: el, hover: true });
  views.get(el)?.finalize();
  views.set(el, view);
  await view.runAsync();
  if (opts.points !== undefined) el.dataset.points = String(opts.points);
}

export function message(el: HTMLElement, text: string): void {
  views.get(el)?.finalize();
  views.delete(el);
  el.textContent = text;
  el.dataset.points = '0';
}

/** TensorBoard's smoothing: an exponential moving average, debiased at the start; gaps stay gaps. */
export function smooth(values: (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return values;
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return null;
    last = last * weight + (1 - weight) * v;
    n++;
    return last / (1 - weight ** n);
  });
}

/** At most `max` rows, evenly spaced, the last one kept (a curve of 10^5 steps draws as fast as one of 2000). */
export function thin<T>(rows: T[], max = 2000): T[] {
  if (rows.length <= max) return rows;
  const stride = Math.ceil(rows.length / max);
  const out = rows.filter((_, i) => i % stride === 0);
  if (out[out.length - 1] !== rows[rows.length - 1]) out.push(rows[rows.length - 1]);
  return out;
}

export interface CurveOptions {
  logY: boolean;
  smoothing: number;
  x: 'step' | 'time';
}

/** x values of a run's rows: its steps, or its wall time in seconds (the steps' ms added up). */
function xValues(m: Metrics, x: CurveOptions['x']): number[] {
  const step = m.columns.indexOf('step');
  const ms = m.columns.indexOf('ms');
  if (x === 'time' && ms >= 0) {
    let t = 0;
    return m.rows.map((r) => (t += (r[ms] ?? 0) / 1000));
  }
  return m.rows.map((r, i) => r[step] ?? i);
}

const X_TITLE = { step: 'Step', time: 'Wall time (s, training steps)' };

/** A run's loss curves (the loss.svg figure's spec), smoothed and thinned as asked. */
export function runCurveSpec(title: string, m: Metrics, o: CurveOptions): { spec: TopLevelSpec; points: number } {
  const train = m.columns.indexOf('train_loss');
  const val = m.columns.indexOf('validation_loss');
  const xs = xValues(m, o.x);
  const t = smooth(m.rows.map((r) => r[train]), o.smoothing);
  const v = val >= 0 ? smooth(m.rows.map((r) => r[val]), o.smoothing) : null;
  const idx = thin(m.rows.map((_, i) => i).filter((i) => t[i] !== null));
  const hasValidation = v !== null && idx.some((i) => v[i] !== null);
  const spec = lossCurveSpec({
    title,
    steps: idx.map((i) => xs[i]),
    train: idx.map((i) => t[i]!),
    validation: hasValidation ? idx.map((i) => v![i]) : undefined,
    logY: o.logY,
    xTitle: X_TITLE[o.x],
  });
  return { spec, points: m.rows.length };
}

/** Several runs' curves of one column overlaid (the sweep figures' line plot, without point marks). */
export function compareSpec(series: { name: string; metrics: Metrics }[], column: string, o: CurveOptions): { spec: TopLevelSpec; points: number } {
  let points = 0;
  const lines = series.flatMap(({ name, metrics: m }) => {
    const k = m.columns.indexOf(column);
    if (k < 0) return [];
    const xs = xValues(m, o.x);
    const ys = smooth(m.rows.map((r) => r[k]), o.smoothing);
    const idx = thin(m.rows.map((_, i) => i).filter((i) => ys[i] !== null && (!o.logY || ys[i]! > 0)));
    points += idx.length;
    return idx.length > 0 ? [{ name, x: idx.map((i) => xs[i]), y: idx.map((i) => ys[i]!) }] : [];
  });
  if (lines.length === 0) throw new Error(`no run here has values of ${column}`);
  return { spec: linePlotSpec({ xTitle: X_TITLE[o.x], yTitle: column, series: lines, logY: o.logY, points: false }), points };
}
