// The page's data: the JSON API, the run list kept up to date by the event stream, and the
// metrics of the runs a view shows, extended by the rows the stream sends (docs/dashboard.md §3).
import type { RunInfo } from '../folders.ts';

export type { RunInfo };

export interface Metrics {
  columns: string[];
  rows: (number | null)[][];
  problems: string[];
  exists: boolean;
}

export const runs = new Map<string, RunInfo>();
const metrics = new Map<string, Metrics>();
const listeners = new Set<(what: { runs?: RunInfo[]; metrics?: string }) => void>();

export async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url, { headers: { Accept: 'application/json' } });
  if (!r.ok) throw new Error(`${url}: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

export const apiName = (name: string) => `/api/runs/${encodeURIComponent(name)}`;

/** Calls `fn` on every change of the run list or of a watched run's metrics; returns the unsubscribe. */
export function onChange(fn: (what: { runs?: RunInfo[]; metrics?: string }) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function notify(what: { runs?: RunInfo[]; metrics?: string }): void {
  for (const fn of listeners) fn(what);
}

let source: EventSource | null = null;
let watched: string[] = [];

/** The runs whose metrics the current view follows: the stream is opened again for them. */
export function watch(names: string[]): void {
  const next = [...new Set(names)].sort();
  if (source && next.join('\n') === watched.join('\n')) return;
  watched = next;
  connect();
}

function connect(): void {
  source?.close();
  const live = document.getElementById('live')!;
  const es = new EventSource(`/api/events?${watched.map((n) => `watch=${encodeURIComponent(n)}`).join('&')}`);
  source = es;
  es.addEventListener('open', () => {
    live.textContent = 'live';
    live.className = '';
  });
  es.addEventListener('error', () => {
    live.textContent = 'reconnecting…';
    live.className = 'off';
  });
  es.addEventListener('runs', (ev) => {
    const data = JSON.parse((ev as MessageEvent).data) as { runs: RunInfo[]; all?: boolean };
    if (data.all) runs.clear();
    for (const r of data.runs) runs.set(r.name, r);
    notify({ runs: data.runs });
  });
  es.addEventListener('removed', (ev) => {
    for (const n of (JSON.parse((ev as MessageEvent).data) as { names: string[] }).names) runs.delete(n);
    notify({ runs: [] });
  });
  es.addEventListener('metrics', (ev) => {
    const u = JSON.parse((ev as MessageEvent).data) as { name: string; from: number; reset: boolean; rows: (number | null)[][] };
    const m = metrics.get(u.name);
    if (!m) return;
    if (u.reset) m.rows = u.rows;
    else if (u.from === m.rows.length) m.rows.push(...u.rows);
    else if (u.from < m.rows.length) m.rows = [...m.rows.slice(0, u.from), ...u.rows];
    else {
      // rows missed (appended between the read and the stream's start): read them whole again
      void loadMetrics(u.name, true).then(() => notify({ metrics: u.name }));
      return;
    }
    notify({ metrics: u.name });
  });
}

/** A run's metrics.csv rows (read once, then kept up to date by the stream while watched). */
export async function loadMetrics(name: string, again = false): Promise<Metrics> {
  const known = metrics.get(name);
  if (known && !again) return known;
  const m = await getJson<Metrics>(`${apiName(name)}/metrics`);
  // read again: the same object, which the views hold, gets the new rows
  if (known) return Object.assign(known, m);
  metrics.set(name, m);
  return m;
}

/** The run list, read once at start (the stream keeps it up to date). */
export async function loadRuns(): Promise<void> {
  const data = await getJson<{ runs: RunInfo[] }>('/api/runs');
  runs.clear();
  for (const r of data.runs) runs.set(r.name, r);
}
