// `neural-mfg dashboard`'s web server (docs/dashboard.md): the page, its scripts (compiled with the
// package, and vega from node_modules: nothing from the network), the JSON API and the event
// stream of live updates. Read only, GET and HEAD alone. Bound to 127.0.0.1 unless told otherwise;
// on any other address every request needs the access token printed at start.
import { createReadStream, existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { PACKAGE_ROOT, PACKAGE_VERSION } from '../package.ts';
import { forecastDetail, runDetail, sweepDetail } from './detail.ts';
import { FileRefused, resolveInside } from './files.ts';
import { FolderIndex, type RunInfo } from './folders.ts';
import { pageHtml } from './shell.ts';
import type { TailUpdate } from './csv-tail.ts';

export interface DashboardOptions {
  /** the folders to show (they may not exist yet) */
  roots: string[];
  host: string;
  /** 0: any free port */
  port: number;
}

export interface Dashboard {
  url: string;
  /** the access token (null on a loopback address, where none is needed) */
  token: string | null;
  index: FolderIndex;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const COOKIE = 'neural_mfg_token';
const HEARTBEAT_MS = 15_000;

/** The page's scripts: compiled with the package (dist/src/), served from there alone (a test checks that everything the page imports matches). */
const APP_ROOT = join(PACKAGE_ROOT, 'dist', 'src');
export const APP_FILE = /^\/app\/((?:dashboard\/page|plot)\/[a-z][a-z0-9-]*\.js)$/;

/** vega and vega-lite's browser builds, from wherever node_modules has them. */
function vendorFiles(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const build = (pkg: string) => dirname(require.resolve(pkg));
  return { '/vendor/vega.min.js': join(build('vega'), 'vega.min.js'), '/vendor/vega-lite.min.js': join(build('vega-lite'), 'vega-lite.min.js') };
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
};
// vega compiles its expressions with Function(): 'unsafe-eval'; nothing is loaded from elsewhere
const PAGE_CSP = "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";
// files of the runs (an SVG can hold a script): shown, never run
const FILE_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:";

export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const token = LOOPBACK.has(opts.host) ? null : randomBytes(18).toString('base64url');
  const index = new FolderIndex(opts.roots);
  await index.start();
  const vendor = vendorFiles();
  const clients = new Set<{ res: ServerResponse; watch: Set<string> }>();

  const send = (res: ServerResponse, event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  index.on('changed', (runs: RunInfo[]) => {
    for (const c of clients) send(c.res, 'runs', { runs });
  });
  index.on('removed', (names: string[]) => {
    for (const c of clients) send(c.res, 'removed', { names });
  });
  index.on('rows', (name: string, u: TailUpdate) => {
    for (const c of clients) if (c.watch.has(name)) send(c.res, 'metrics', { name, from: u.from, reset: u.reset, rows: u.rows });
  });
  const heartbeat = setInterval(() => {
    for (const c of clients) c.res.write(': still here\n\n');
  }, HEARTBEAT_MS).unref();

  let port = opts.port;
  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      // a request that fails answers 500 and leaves the server running
      if (!res.headersSent) text(res, 500, `500: ${(err as Error).message}`);
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return text(res, 405, '405: the dashboard is read only');
    }
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1));
    if (token === null) {
      // on loopback, only a page that names this machine may call (a DNS-rebinding site may not)
      if (!allowedHosts().has(req.headers.host ?? '')) return text(res, 403, '403: open the dashboard at http://127.0.0.1:' + port + '/');
    } else {
      const given = bearer(req) ?? cookie(req, COOKIE) ?? query.get('token');
      if (!given || !sameToken(given, token)) return text(res, 401, '401: this dashboard needs its access token: open the address it printed at start (…/?token=…), or send Authorization: Bearer TOKEN');
      if (query.has('token') && path === '/') {
        // the token moves from the address into a cookie, so that it is not left in the history
        res.setHeader('Set-Cookie', `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`);
        res.writeHead(303, { Location: '/' });
        return void res.end();
      }
    }

    if (path === '/') {
      res.setHeader('Content-Security-Policy', PAGE_CSP);
      return body(res, 200, 'text/html; charset=utf-8', pageHtml(PACKAGE_VERSION));
    }
    const app = APP_FILE.exec(path);
    if (app) {
      const file = join(APP_ROOT, app[1]);
      if (!existsSync(file)) return text(res, 404, `404: ${app[1]} is not built (npm run build)`);
      return stream(res, file, 'text/javascript; charset=utf-8');
    }
    if (vendor[path]) return stream(res, vendor[path], 'text/javascript; charset=utf-8', 'public, max-age=3600');
    if (path === '/api/runs') {
      return json(res, { version: PACKAGE_VERSION, roots: index.roots.map((r) => r.path), runs: index.list() });
    }
    if (path === '/api/events') return events(req, res, query);
    const api = /^\/api\/runs\/([^/]+)(\/metrics)?$/.exec(path);
    if (api) {
      let name: string;
      try {
        name = decodeURIComponent(api[1]);
      } catch {
        return text(res, 400, '400: a malformed %-escape');
      }
      const entry = index.get(name);
      if (!entry) return json(res, { error: `no run, sweep or forecast named ${JSON.stringify(name)}` }, 404);
      if (api[2]) {
        if (!entry.tail.loaded) await entry.tail.load();
        const t = entry.tail;
        const problems = [...t.problems, ...(entry.info.status !== 'running' && t.incompleteLine() ? [t.incompleteLine()!] : [])];
        return json(res, { name, exists: t.exists, columns: t.columns ?? [], rows: t.rows ?? [], problems });
      }
      if (entry.kind === 'sweep' || entry.kind === 'analysis') return json(res, await sweepDetail(index, entry));
      if (entry.kind === 'forecast') return json(res, await forecastDetail(entry));
      return json(res, await runDetail(entry));
    }
    if (path.startsWith('/files/')) {
      const [rawName, ...segments] = path.slice('/files/'.length).split('/');
      let name: string;
      try {
        name = decodeURIComponent(rawName);
      } catch {
        return text(res, 403, '403: a malformed %-escape');
      }
      const entry = index.get(name);
      if (!entry) return text(res, 404, '404: no such run');
      try {
        const file = await resolveInside(index.rootOf(entry), entry.dir, segments);
        res.setHeader('Content-Security-Policy', FILE_CSP);
        return stream(res, file.path, file.type);
      } catch (err) {
        if (err instanceof FileRefused) return text(res, err.status, `${err.status}: ${err.message}`);
        throw err;
      }
    }
    return text(res, 404, '404: not found');
  }

  function events(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
    const client = { res, watch: new Set(query.getAll('watch')) };
    clients.add(client);
    // the watched runs' metrics are followed from now on (the page fetched their rows before)
    for (const name of client.watch) {
      const e = index.get(name);
      if (e && !e.tail.loaded) void e.tail.load().catch(() => {});
    }
    res.write('retry: 1000\n\n');
    send(res, 'runs', { runs: index.list(), all: true });
    req.on('close', () => clients.delete(client));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : opts.port;
  const shownHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${shownHost}:${port}/`,
    token,
    index,
    async close() {
      clearInterval(heartbeat);
      index.stop();
      for (const c of clients) c.res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function bearer(req: IncomingMessage): string | null {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7).trim() : null;
}

function cookie(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return null;
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function text(res: ServerResponse, status: number, message: string): void {
  body(res, status, 'text/plain; charset=utf-8', message + '\n');
}

function json(res: ServerResponse, value: unknown, status = 200): void {
  body(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

function body(res: ServerResponse, status: number, type: string, content: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(content) });
  res.end(res.req.method === 'HEAD' ? undefined : content);
}

function stream(res: ServerResponse, file: string, type: string, cache?: string): void {
  res.writeHead(200, { 'Content-Type': type, ...(cache ? { 'Cache-Control': cache } : {}) });
  if (res.req.method === 'HEAD') return void res.end();
  createReadStream(file)
    .on('error', () => res.end())
    .pipe(res);
}
