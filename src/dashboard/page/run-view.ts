// One run: its loss curves live while it trains (log scale, smoothing, steps or wall time), what
// its summary says, its configuration and its figures.
import { draw as drawChart, message, runCurveSpec, type CurveOptions } from './charts.ts';
import { apiName, getJson, loadMetrics, onChange, runs, watch, type Metrics, type RunInfo } from './data.ts';
import { duration, figureFiles, fileUrl, fmt, h, problemList, statusBadge, when, fill } from './dom.ts';

interface RunDetail {
  info: RunInfo;
  summary: Record<string, unknown> | null;
  configuration: Record<string, unknown>;
  files: { path: string; size: number }[];
}

/** The chart controls shared by the run and compare views. */
export function curveControls(o: CurveOptions, redraw: () => void): HTMLElement {
  return h(
    'div',
    { className: 'controls' },
    h('label', {}, h('input', { type: 'checkbox', id: 'log-y', checked: o.logY, onchange: (ev: Event) => ((o.logY = (ev.target as HTMLInputElement).checked), redraw()) }), ' log scale'),
    h(
      'label',
      {},
      'smoothing ',
      h('input', { type: 'range', id: 'smoothing', min: 0, max: 0.99, step: 0.01, value: o.smoothing, oninput: (ev: Event) => ((o.smoothing = Number((ev.target as HTMLInputElement).value)), redraw()) }),
    ),
    h(
      'label',
      {},
      'x axis ',
      h(
        'select',
        { id: 'x-axis', onchange: (ev: Event) => ((o.x = (ev.target as HTMLSelectElement).value as CurveOptions['x']), redraw()) },
        h('option', { value: 'step', selected: o.x === 'step' }, 'steps'),
        h('option', { value: 'time', selected: o.x === 'time' }, 'wall time'),
      ),
    ),
  );
}

/**
 * Calls `fn` at once when it has not run for `ms`, else once `ms` after its last run (a run that
 * trains fast sends rows many times a second); never two at a time.
 */
export function throttled(fn: () => Promise<void> | void, ms = 250): () => void {
  let timer: number | null = null;
  let running = false;
  let again = false;
  let last = -Infinity;
  const run = async () => {
    timer = null;
    if (running) return void (again = true);
    running = true;
    last = performance.now();
    try {
      await fn();
    } finally {
      running = false;
      if (again) ((again = false), schedule());
    }
  };
  const schedule = () => {
    if (timer !== null) return;
    timer = window.setTimeout(run, Math.max(0, last + ms - performance.now()));
  };
  return schedule;
}

export function runView(el: HTMLElement, name: string): () => void {
  const o: CurveOptions = { logY: true, smoothing: 0, x: 'step' };
  const chart = h('div', { className: 'chart', id: 'curve' });
  const header = h('div');
  const facts = h('section');
  const figures = h('div', { className: 'figures', id: 'figures' });
  const config = h('div', { className: 'scroll' });
  let metrics: Metrics | null = null;
  const drawCurve = async () => {
    if (!metrics) return;
    if (metrics.rows.length === 0) return message(chart, metrics.exists ? 'No step yet.' : 'No metrics.csv (yet).');
    try {
      const { spec, points } = runCurveSpec(name, metrics, o);
      await drawChart(chart, spec, { points });
    } catch (err) {
      message(chart, `Cannot draw this curve: ${(err as Error).message}`);
    }
  };
  const redraw = throttled(drawCurve);
  const drawHeader = (info: RunInfo | undefined) => {
    if (!info) return fill(header, h('h1', {}, name), h('p', {}, 'No such run (any more).'));
    fill(header, 
      h('h1', {}, name, ' ', statusBadge(info.status, info.note)),
      info.note ? h('p', { className: 'muted', id: 'note' }, info.note) : null,
      h(
        'p',
        { className: 'muted' },
        [info.game, info.preset, info.engine].filter(Boolean).join(' · '),
        ` — steps ${info.steps ?? '—'}${info.plannedSteps ? ` / ${info.plannedSteps}` : ''}, train loss ${fmt(info.trainLoss)}, validation loss ${fmt(info.validationLoss)}, started ${when(info.started)}, ${duration(info.seconds)}`,
      ),
      problemList([...info.problems, ...(metrics?.problems ?? []).filter((p) => !info.problems.includes(p))]),
    );
  };
  const loadDetail = async () => {
    const d = await getJson<RunDetail>(apiName(name));
    drawHeader(d.info);
    const s = d.summary ?? {};
    const shown = Object.entries(s).filter(([, v]) => typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean');
    fill(facts, h('h2', {}, 'Summary'), shown.length ? h('dl', { className: 'facts' }, shown.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, typeof v === 'number' ? fmt(v, 6) : String(v))])) : h('p', { className: 'muted' }, 'No summary.json yet.'));
    fill(figures, ...figureFiles(d.files).map((p) => h('figure', {}, h('figcaption', {}, p), h('img', { src: `${fileUrl(name, p)}?v=${Date.now()}`, alt: p, loading: 'lazy' }))));
    fill(config, h('table', {}, h('tbody', {}, Object.entries(d.configuration).map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', {}, String(v)))))));
  };
  fill(el, 
    header,
    h('section', {}, h('h2', {}, 'Loss'), curveControls(o, redraw), chart),
    facts,
    h('section', {}, h('h2', {}, 'Figures'), figures),
    h('section', {}, h('h2', {}, 'Configuration'), config),
  );
  drawHeader(runs.get(name));
  void loadMetrics(name, true).then((m) => {
    metrics = m;
    watch([name]);
    redraw();
  });
  void loadDetail();
  let status = runs.get(name)?.status;
  return onChange((what) => {
    if (what.metrics === name) redraw();
    const info = what.runs?.find((r) => r.name === name);
    if (info) {
      drawHeader(info);
      // a run that just ended has its summary and figures now
      if (info.status !== status) void loadDetail();
      status = info.status;
    }
  });
}
