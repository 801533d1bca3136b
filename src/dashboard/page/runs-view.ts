// The runs table: every folder found, sortable and filtered as one types, kept live by the stream;
// runs ticked here are compared on the Compare view. `kinds` narrows it (the Sweeps and Forecasts lists).
import { duration, fmt, h, runLink, statusBadge, when, fill } from './dom.ts';
import { onChange, runs, watch, type RunInfo } from './data.ts';

type Column = { key: string; title: string; num?: boolean; value: (r: RunInfo) => string | number | null; cell?: (r: RunInfo) => Node | string };

const metricText = (r: RunInfo) =>
  Object.entries(r.metrics)
    .slice(0, 3)
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(', ');

const COLUMNS: Column[] = [
  { key: 'name', title: 'Name', value: (r) => r.name, cell: (r) => h('span', {}, runLink(r.name, r.kind), r.problems.length ? h('span', { className: 'warn', title: r.problems.join('\n') }, ' ⚠') : null) },
  { key: 'kind', title: 'Kind', value: (r) => r.kind },
  { key: 'game', title: 'Game', value: (r) => r.game },
  { key: 'preset', title: 'Preset', value: (r) => r.preset },
  { key: 'engine', title: 'Engine', value: (r) => r.engine },
  { key: 'status', title: 'Status', value: (r) => r.status, cell: (r) => statusBadge(r.status, r.note) },
  { key: 'steps', title: 'Steps', num: true, value: (r) => r.steps, cell: (r) => (r.steps === null ? '—' : `${r.steps}${r.plannedSteps ? ` / ${r.plannedSteps}` : ''}${r.jobs ? ' jobs' : ''}`) },
  { key: 'trainLoss', title: 'Train loss', num: true, value: (r) => r.trainLoss, cell: (r) => fmt(r.trainLoss) },
  { key: 'validationLoss', title: 'Val. loss', num: true, value: (r) => r.validationLoss, cell: (r) => fmt(r.validationLoss) },
  { key: 'metrics', title: 'Key metrics', value: metricText },
  { key: 'started', title: 'Started', value: (r) => r.started, cell: (r) => when(r.started) },
  { key: 'seconds', title: 'Duration', num: true, value: (r) => r.seconds, cell: (r) => duration(r.seconds) },
];

/** The runs ticked for comparison (kept across views). */
export const picked = new Set<string>();

export function runsView(el: HTMLElement, kinds: RunInfo['kind'][] | null, title: string): () => void {
  watch([]);
  let sortKey = 'started';
  let ascending = false;
  let filter = '';
  let showJobs = false;
  const body = h('tbody');
  const head = h('tr');
  const count = h('span', { className: 'muted' });
  const compare = h('button', { id: 'compare-picked', onclick: () => (location.hash = `#/compare?${[...picked].map((n) => `run=${encodeURIComponent(n)}`).join('&')}`) }, 'Compare ticked');
  const headerCells = COLUMNS.map((c) =>
    h('th', { 'data-sort': c.key, className: c.num ? 'num' : undefined, onclick: () => ((ascending = sortKey === c.key ? !ascending : c.num !== true), (sortKey = c.key), draw()) }, c.title),
  );
  head.append(h('th', {}, ''), ...headerCells);
  const draw = () => {
    const column = COLUMNS.find((c) => c.key === sortKey)!;
    const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
    const rows = [...runs.values()]
      .filter((r) => (kinds ? kinds.includes(r.kind) : true))
      .filter((r) => showJobs || kinds !== null || r.parent === null)
      .filter((r) => {
        const text = [r.name, r.kind, r.game, r.preset, r.engine, r.status, r.command].join(' ').toLowerCase();
        return words.every((w) => text.includes(w));
      })
      .sort((a, b) => {
        const x = column.value(a);
        const y = column.value(b);
        if (x === y) return a.name < b.name ? -1 : 1;
        if (x === null) return 1;
        if (y === null) return -1;
        return (x < y ? -1 : 1) * (ascending ? 1 : -1);
      });
    for (const th of headerCells) th.className = `${th.dataset.sort === sortKey ? `sorted${ascending ? ' asc' : ''}` : ''} ${COLUMNS.find((c) => c.key === th.dataset.sort)!.num ? 'num' : ''}`;
    fill(body, 
      ...rows.map((r) =>
        h(
          'tr',
          { 'data-name': r.name, 'data-status': r.status },
          h('td', {}, h('input', { type: 'checkbox', title: 'compare', checked: picked.has(r.name), onchange: (ev: Event) => ((ev.target as HTMLInputElement).checked ? picked.add(r.name) : picked.delete(r.name), syncButton()) })),
          ...COLUMNS.map((c) => h('td', { className: c.num ? 'num' : undefined, 'data-column': c.key }, c.cell ? c.cell(r) : String(c.value(r) ?? '—'))),
        ),
      ),
    );
    count.textContent = `${rows.length} shown of ${runs.size}`;
    syncButton();
  };
  const syncButton = () => {
    compare.disabled = picked.size < 2;
    compare.textContent = `Compare ticked (${picked.size})`;
  };
  fill(el, 
    h('h1', {}, title),
    h(
      'div',
      { className: 'controls' },
      h('input', { type: 'search', id: 'filter', placeholder: 'filter: words of name, game, status…', oninput: (ev: Event) => ((filter = (ev.target as HTMLInputElement).value), draw()) }),
      kinds === null ? h('label', {}, h('input', { type: 'checkbox', id: 'show-jobs', onchange: (ev: Event) => ((showJobs = (ev.target as HTMLInputElement).checked), draw()) }), ' sweep jobs too') : null,
      kinds === null ? compare : null,
      count,
    ),
    h('section', { className: 'scroll' }, h('table', { id: 'runs' }, h('thead', {}, head), body)),
  );
  draw();
  // at most one redraw per animation frame, however many updates come
  let pending = false;
  return onChange((what) => {
    if (!what.runs || pending) return;
    pending = true;
    requestAnimationFrame(() => ((pending = false), draw()));
  });
}
