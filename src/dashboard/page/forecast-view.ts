// A forecast of the epidemic game (neural-mfg forecast): observed, fitted and forecast series with
// the 50% and 90% bands and the baselines, on the spec that draws forecast.svg; hover for values,
// drag or scroll on the chart to zoom on dates (double-click: back).
import type { TopLevelSpec } from 'vega-lite';
import { draw as drawChart, message } from './charts.ts';
import { apiName, getJson, watch, type RunInfo } from './data.ts';
import { figureFiles, fileUrl, fmt, h, problemList, statusBadge, fill } from './dom.ts';

interface ForecastDetail {
  info: RunInfo;
  summary: Record<string, unknown> | null;
  forecast: { columns: string[]; rows: (string | number | null)[][] };
  spec: TopLevelSpec | null;
  problems: string[];
  files: { path: string }[];
}

/** The summary's numbers, flattened one level (the errors: MALE, peak, coverage). */
function scores(summary: Record<string, unknown> | null): [string, number][] {
  const out: [string, number][] = [];
  for (const [k, v] of Object.entries(summary ?? {})) {
    if (typeof v === 'number') out.push([k, v]);
    else if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k2, v2] of Object.entries(v)) if (typeof v2 === 'number') out.push([`${k}.${k2}`, v2]);
  }
  return out;
}

export function forecastView(el: HTMLElement, name: string): () => void {
  watch([]);
  const chart = h('div', { className: 'chart', id: 'forecast-chart' });
  const rest = h('div');
  fill(el, h('h1', {}, name), h('section', {}, h('p', { className: 'muted' }, 'Hover for values; drag or scroll on the chart to zoom on dates, double-click to reset.'), chart), rest);
  void getJson<ForecastDetail>(apiName(name)).then(async (d) => {
    el.firstElementChild!.replaceWith(h('h1', {}, name, ' ', statusBadge(d.info.status, d.info.note)));
    const figs = figureFiles(d.files);
    fill(rest, 
      problemList(d.problems) ?? '',
      h('section', {}, h('h2', {}, 'Scores'), h('dl', { className: 'facts', id: 'scores' }, scores(d.summary).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, fmt(v))]))),
      h(
        'section',
        { className: 'scroll' },
        h('h2', {}, 'forecast.csv'),
        h('table', { id: 'forecast-table' }, h('thead', {}, h('tr', {}, d.forecast.columns.map((c) => h('th', {}, c)))), h('tbody', {}, d.forecast.rows.map((r) => h('tr', {}, r.map((c) => h('td', { className: typeof c === 'number' ? 'num' : undefined }, typeof c === 'number' ? fmt(c) : (c ?? '—'))))))),
      ),
      figs.length ? h('section', {}, h('h2', {}, 'Figures'), h('div', { className: 'figures' }, figs.map((p) => h('figure', {}, h('figcaption', {}, p), h('img', { src: fileUrl(name, p), alt: p, loading: 'lazy' }))))) : '',
    );
    if (d.spec) await drawChart(chart, d.spec, { zoomX: true, points: d.forecast.rows.length });
    else message(chart, 'No figure: see the problems below.');
  });
  return () => {};
}
