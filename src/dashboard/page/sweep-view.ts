// A sweep (or an analysis): each job's state live while `sweep run` goes, the aggregate table
// (mean ± 95% CI over seeds per grid point, from the finished jobs) and its figures, drawn from
// the specs of `sweep aggregate`'s figures; an analysis's own tables and figures.
import type { TopLevelSpec } from 'vega-lite';
import { draw as drawChart, message } from './charts.ts';
import { apiName, getJson, onChange, watch, type RunInfo } from './data.ts';
import { duration, figureFiles, fileUrl, fmt, h, problemList, runLink, statusBadge, fill } from './dom.ts';
import { throttled } from './run-view.ts';

interface Stats {
  n: number;
  mean: number;
  std: number;
  ci95: number | null;
}

interface SweepDetail {
  info: RunInfo;
  manifest: { id: string; command: string; target: string; grid: { field: string; values: string[] }[]; seeds: number[]; analysis: { name: string; description: string } | null } | null;
  jobs: { index: number; id: string; name: string | null; state: string; attempts: number; seconds: number | null; error: string | null; steps: number | null; plannedSteps: number | null; trainLoss: number | null }[];
  aggregate: { fields: string[]; metrics: string[]; constants: Record<string, number>; points: { point: Record<string, string>; seeds: number[]; metrics: Record<string, Stats> }[]; figures: { metric: string; spec: TopLevelSpec }[] } | null;
  problems: string[];
  files: { path: string }[];
  tables: { file: string; columns: string[]; rows: (string | number | null)[][]; problem: string | null }[];
}

const cell = (s: Stats | undefined) => (s ? `${fmt(s.mean)}${s.ci95 === null ? '' : ` ± ${fmt(s.ci95, 2)}`}` : '—');

export function sweepView(el: HTMLElement, name: string): () => void {
  watch([]);
  let metric: string | null = null;
  const header = h('div');
  const jobs = h('section', { id: 'jobs' });
  const aggregate = h('section', { id: 'aggregate' });
  const chart = h('div', { className: 'chart', id: 'sweep-figure' });
  const files = h('section');
  let detail: SweepDetail | null = null;

  const drawFigure = async () => {
    const f = detail?.aggregate?.figures.find((x) => x.metric === metric);
    if (!f) return message(chart, detail?.aggregate ? 'No figure: no grid field takes several values.' : '');
    await drawChart(chart, f.spec);
  };

  const drawAll = () => {
    const d = detail!;
    const m = d.manifest;
    fill(header, 
      h('h1', {}, name, ' ', statusBadge(d.info.status, d.info.note)),
      m ? h('p', { className: 'muted' }, m.analysis ? `analyze ${m.target} --preset ${m.analysis.name}: ${m.analysis.description}` : `${m.command} ${m.target} over ${m.grid.map((a) => `${a.field} ∈ {${a.values.join(', ')}}`).join(' × ') || 'no grid'}, seeds ${m.seeds.join(', ')}`) : null,
      d.info.jobs ? h('p', { id: 'job-counts' }, Object.entries(d.info.jobs).map(([k, v]) => `${v} ${k}`).join(' · ')) : null,
      problemList(d.problems),
    );
    fill(jobs, 
      h('h2', {}, 'Jobs'),
      h(
        'div',
        { className: 'scroll' },
        h(
          'table',
          {},
          h('thead', {}, h('tr', {}, ['#', 'job', 'state', 'steps', 'train loss', 'time', 'attempts', 'error'].map((t) => h('th', {}, t)))),
          h(
            'tbody',
            {},
            d.jobs.map((j) =>
              h(
                'tr',
                { 'data-job': j.index, 'data-state': j.state },
                h('td', {}, j.index),
                h('td', {}, j.name ? runLink(j.name) : j.id),
                h('td', {}, statusBadge(j.state === 'done' ? 'finished' : j.state === 'started' ? 'interrupted' : j.state)),
                h('td', { className: 'num' }, j.steps === null ? '—' : `${j.steps}${j.plannedSteps ? ` / ${j.plannedSteps}` : ''}`),
                h('td', { className: 'num' }, fmt(j.trainLoss)),
                h('td', { className: 'num' }, duration(j.seconds)),
                h('td', { className: 'num' }, j.attempts),
                h('td', { className: 'muted' }, j.error ?? ''),
              ),
            ),
          ),
        ),
      ),
    );
    const a = d.aggregate;
    if (a && a.points.length > 0) {
      metric ??= ['trainLoss', 'validationLoss', 'finalMean', 'nashGap.mean', 'klToObserved'].find((k) => a.metrics.includes(k)) ?? a.metrics[0] ?? null;
      const label = (p: Record<string, string>) => a.fields.map((f) => `${a.fields.length > 1 ? `${f}=` : ''}${p[f]}`).join(', ') || 'all';
      fill(aggregate, 
        h('h2', {}, 'Aggregate: mean ± 95% CI over seeds'),
        h(
          'div',
          { className: 'controls' },
          h(
            'label',
            {},
            'figure of ',
            h('select', { id: 'metric', onchange: (ev: Event) => ((metric = (ev.target as HTMLSelectElement).value), void drawFigure()) }, a.metrics.map((k) => h('option', { value: k, selected: k === metric }, k))),
          ),
        ),
        chart,
        h(
          'div',
          { className: 'scroll' },
          h(
            'table',
            { id: 'aggregate-table' },
            h('thead', {}, h('tr', {}, h('th', {}, `metric \\ ${a.fields.join(', ')}`), a.points.map((p) => h('th', { className: 'num' }, `${label(p.point)} (${p.seeds.length} seeds)`)))),
            h(
              'tbody',
              {},
              a.metrics.map((k) =>
                h(
                  'tr',
                  { 'data-metric': k },
                  h('td', {}, k),
                  a.points.map((p) => h('td', { className: 'num', 'data-point': label(p.point), 'data-mean': p.metrics[k]?.mean ?? '', 'data-ci95': p.metrics[k]?.ci95 ?? '' }, cell(p.metrics[k]))),
                ),
              ),
            ),
          ),
        ),
        Object.keys(a.constants).length ? h('p', { className: 'muted' }, `the same in every job: ${Object.entries(a.constants).map(([k, v]) => `${k} = ${fmt(v)}`).join(', ')}`) : null,
      );
      void drawFigure();
    } else {
      fill(aggregate, h('h2', {}, 'Aggregate'), h('p', { className: 'muted' }, m?.analysis ? "An analysis: its own tables below." : 'No job has finished yet.'));
    }
    const figs = figureFiles(d.files);
    fill(files, 
      ...d.tables.map((t) =>
        h(
          'div',
          { className: 'scroll' },
          h('h2', {}, t.file),
          t.problem ? problemList([t.problem]) : h('table', { 'data-file': t.file }, h('thead', {}, h('tr', {}, t.columns.map((c) => h('th', {}, c)))), h('tbody', {}, t.rows.map((r) => h('tr', {}, r.map((c) => h('td', { className: typeof c === 'number' ? 'num' : undefined }, typeof c === 'number' ? fmt(c) : (c ?? '—'))))))),
        ),
      ),
      figs.length ? h('h2', {}, 'Figures') : null,
      h('div', { className: 'figures' }, figs.map((p) => h('figure', {}, h('figcaption', {}, p), h('img', { src: `${fileUrl(name, p)}?v=${Date.now()}`, alt: p, loading: 'lazy' })))),
    );
  };

  const load = throttled(async () => {
    detail = await getJson<SweepDetail>(apiName(name));
    drawAll();
  }, 500);
  fill(el, header, jobs, aggregate, files);
  load();
  return onChange((what) => {
    if (what.runs?.some((r) => r.name === name || r.parent === name)) load();
  });
}
