// Runs side by side: their curves overlaid, their configurations in columns with the fields that
// differ highlighted, their figures next to each other.
import { compareSpec, draw as drawChart, message, type CurveOptions } from './charts.ts';
import { apiName, getJson, loadMetrics, onChange, runs, watch, type Metrics } from './data.ts';
import { figureFiles, fileUrl, h, runLink, fill } from './dom.ts';
import { curveControls, throttled } from './run-view.ts';
import { picked } from './runs-view.ts';

interface Detail {
  configuration: Record<string, unknown>;
  files: { path: string }[];
}

export function compareView(el: HTMLElement, names: string[]): () => void {
  for (const n of names) picked.add(n);
  if (names.length === 0) {
    fill(el, 
      h('h1', {}, 'Compare'),
      h('p', {}, 'Tick two runs or more on the ', h('a', { href: '#/' }, 'Runs'), ' table, then "Compare ticked".'),
    );
    watch([]);
    return () => {};
  }
  const o: CurveOptions = { logY: true, smoothing: 0, x: 'step' };
  let column = 'train_loss';
  const chart = h('div', { className: 'chart', id: 'compare-curve' });
  const configTable = h('div', { className: 'scroll', id: 'config' });
  const figures = h('div', { id: 'compare-figures' });
  const metrics = new Map<string, Metrics>();
  let onlyDifferences = true;
  let details: Detail[] = [];

  const drawCurves = async () => {
    const series = names.flatMap((name) => (metrics.has(name) ? [{ name, metrics: metrics.get(name)! }] : []));
    if (series.length === 0) return;
    try {
      const { spec, points } = compareSpec(series, column, o);
      await drawChart(chart, spec, { points });
    } catch (err) {
      message(chart, `Cannot draw these curves: ${(err as Error).message}`);
    }
  };
  const redraw = throttled(drawCurves);

  const drawConfig = () => {
    const keys = [...new Set(details.flatMap((d) => Object.keys(d.configuration)))];
    const value = (d: Detail, k: string) => (k in d.configuration ? String(d.configuration[k]) : '—');
    const differs = (k: string) => new Set(details.map((d) => value(d, k))).size > 1;
    const rows = keys.filter((k) => !onlyDifferences || differs(k));
    const nDiff = keys.filter(differs).length;
    fill(configTable, 
      h('p', { className: 'muted' }, `${nDiff} of ${keys.length} fields differ`),
      h(
        'table',
        {},
        h('thead', {}, h('tr', {}, h('th', {}, 'field'), names.map((n) => h('th', {}, n)))),
        h('tbody', {}, rows.map((k) => h('tr', { className: differs(k) ? 'differs' : undefined, 'data-field': k }, h('td', {}, k), details.map((d) => h('td', {}, value(d, k)))))),
      ),
    );
  };

  const drawFigures = () => {
    const all = [...new Set(details.flatMap((d) => figureFiles(d.files)))];
    fill(figures, 
      ...all.map((p) =>
        h(
          'section',
          {},
          h('h2', {}, p),
          h(
            'div',
            { className: 'side', style: `grid-template-columns: repeat(${names.length}, 1fr)` },
            names.map((n, i) => h('figure', {}, h('figcaption', {}, n), details[i]?.files.some((f) => f.path === p) ? h('img', { src: fileUrl(n, p), alt: `${n}: ${p}`, loading: 'lazy' }) : h('p', { className: 'muted' }, 'none'))),
          ),
        ),
      ),
    );
  };

  fill(el, 
    h('h1', {}, 'Compare ', ...names.flatMap((n, i) => [i ? ', ' : '', runLink(n, runs.get(n)?.kind)])),
    h(
      'section',
      {},
      h('h2', {}, 'Curves'),
      curveControls(o, redraw),
      h(
        'div',
        { className: 'controls' },
        h(
          'label',
          {},
          'curve ',
          h(
            'select',
            { id: 'column', onchange: (ev: Event) => ((column = (ev.target as HTMLSelectElement).value), redraw()) },
            h('option', { value: 'train_loss' }, 'training loss'),
            h('option', { value: 'validation_loss' }, 'validation loss'),
            h('option', { value: 'ms' }, 'ms per step'),
          ),
        ),
      ),
      chart,
    ),
    h(
      'section',
      {},
      h('h2', {}, 'Configuration'),
      h('label', { className: 'controls' }, h('input', { type: 'checkbox', id: 'only-differences', checked: true, onchange: (ev: Event) => ((onlyDifferences = (ev.target as HTMLInputElement).checked), drawConfig()) }), ' only the fields that differ'),
      configTable,
    ),
    figures,
  );
  void Promise.all(names.map((n) => getJson<Detail>(apiName(n)).catch(() => ({ configuration: {}, files: [] })))).then((d) => {
    details = d;
    drawConfig();
    drawFigures();
  });
  void Promise.all(names.map((n) => loadMetrics(n, true).then((m) => metrics.set(n, m)).catch(() => {}))).then(() => {
    watch(names);
    redraw();
  });
  return onChange((what) => {
    if (what.metrics && names.includes(what.metrics)) redraw();
  });
}
