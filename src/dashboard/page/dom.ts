// The page's small DOM helpers and number formats (no framework: the page is a few tables and charts).

type Child = Node | string | number | null | undefined | false;

/** An element with attributes (`on…` functions become listeners) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, unknown> = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
    else if (k === 'className') el.className = String(v);
    else if (k === 'checked' || k === 'value' || k === 'selected') (el as unknown as Record<string, unknown>)[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' || typeof c === 'number' ? String(c) : c);
  }
  return el;
}

/** A number for a table: 4 significant digits, or "—". */
export function fmt(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  return Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3 ? v.toExponential(digits - 1) : v.toPrecision(digits);
}

/** Seconds as "1.2 s", "3 min 05 s", "2 h 04 min". */
export function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${String(Math.round(seconds % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** An ISO time as local "YYYY-MM-DD HH:MM:SS". */
export function when(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function statusBadge(status: string, note?: string | null): HTMLElement {
  return h('span', { className: `status ${status}`, title: note ?? undefined, 'data-status': status }, status);
}

/** The problems of a folder (malformed files), as a list; null when there are none. */
export function problemList(problems: string[]): HTMLElement | null {
  if (problems.length === 0) return null;
  return h('div', { className: 'problems', role: 'alert' }, h('strong', {}, 'Could not read everything:'), h('ul', {}, problems.map((p) => h('li', {}, p))));
}

/** A link to a run's page by its name. */
export function runLink(name: string, kind = 'run'): HTMLAnchorElement {
  const view = kind === 'sweep' || kind === 'analysis' ? 'sweep' : kind === 'forecast' ? 'forecast' : 'run';
  return h('a', { href: `#/${view}/${encodeURIComponent(name)}` }, name);
}

/** The URL of a file of a folder. */
export function fileUrl(name: string, path: string): string {
  return `/files/${encodeURIComponent(name)}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** Figures (SVG, else PNG) of a folder's file list, by file. */
export function figureFiles(files: { path: string }[]): string[] {
  const paths = new Set(files.map((f) => f.path));
  return [...paths].filter((p) => p.endsWith('.svg') || (p.endsWith('.png') && !paths.has(p.replace(/\.png$/, '.svg'))));
}

/** Replaces an element's children (null and false left out). */
export function fill(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren(...children.flat().flatMap((c) => (c === null || c === undefined || c === false ? [] : [typeof c === 'number' ? String(c) : c])));
}
