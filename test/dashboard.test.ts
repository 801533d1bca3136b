// `neural-mfg dashboard` without a browser: metrics.csv followed by its appended lines, a run's
// status from its folder, the JSON API over runs, sweeps and forecasts, malformed files shown as
// such, the access token off loopback, and no file served outside the given folders.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, open, readFile, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsvTail } from '../src/dashboard/csv-tail.ts';
import { runStatus } from '../src/dashboard/status.ts';
import { APP_FILE, startDashboard, type Dashboard } from '../src/dashboard/server.ts';
import { openMetricsLog, METRICS_HEADER } from '../src/run/metrics-log.ts';
import { buildManifest, gridPoints } from '../src/sweep/manifest.ts';
import { seedStats } from '../src/sweep/stats.ts';
import { BIN, cli } from './helpers/cli.ts';

const tmp = (what: string) => mkdtemp(join(tmpdir(), `neural-mfg-dashboard-${what}-`));
const FIXTURES = join(import.meta.dirname, 'fixtures', 'dashboard');

/** A GET with the path sent as written (fetch would resolve "..": the server must see them raw). */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      if (res.headers['content-type']?.startsWith('text/event-stream')) {
        // the stream stays open: its first event is enough
        res.on('data', (chunk: string) => {
          body += chunk;
          if (!/\nevent: [^\n]+\ndata: [^\n]+\n\n/.test(body)) return;
          resolve({ status: res.statusCode!, body, headers: res.headers });
          req.destroy();
        });
        return;
      }
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

const portOf = (d: Dashboard) => Number(new URL(d.url).port);

/** Every file under `dir` with its content's hash (symbolic links as their target). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out[p] = createHash('sha256').update(readFileSync(p)).digest('hex') + ` ${statSync(p).mtimeMs}`;
      else out[p] = 'link';
    }
  };
  walk(dir);
  return out;
}

const METRICS = `${METRICS_HEADER.join(',')}\n0,5.5,6,12\n1,4.25,,3\n2,3.5,4.5,2.5\n`;

/** A finished run's folder, as `train` leaves it (the files the dashboard reads). */
async function finishedRun(dir: string, opts: { lr?: number; seed?: number; trainLoss?: number } = {}) {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, '.neural-mfg.json'), JSON.stringify({ command: 'train', game: 'meeting', started: '2026-01-01T10:00:00.000Z', before: [], files: ['metrics.csv', 'summary.json', 'loss.svg'], ended: '2026-01-01T10:00:03.000Z' }));
  await writeFile(join(dir, 'metrics.csv'), METRICS);
  await writeFile(join(dir, 'loss.svg'), '<svg xmlns="http://www.w3.org/2000/svg"></svg>');
  await writeFile(
    join(dir, 'summary.json'),
    JSON.stringify({
      command: 'train', game: 'meeting', preset: 'fig2b', seed: opts.seed ?? 10, engine: 'fused', steps: 3, interrupted: false,
      lastStep: { step: 2, trainLoss: 3.5, validationLoss: 4.5 }, trainLoss: opts.trainLoss ?? 3.25, validationLoss: 4.4, finalMean: 15.1, nashGap: { mean: 0.3, max: 2 }, wallSeconds: 3,
      config: { game: 'meeting', training: { steps: 3, learningRate: opts.lr ?? 0.0005 } },
    }),
  );
}

test('metrics.csv followed: appended rows come alone, a half-written line waits, bad lines are named and skipped', async () => {
  const dir = await tmp('tail');
  const path = join(dir, 'metrics.csv');
  await writeFile(path, 'step,train_loss,validation_loss,ms\n0,5.5,6,12\n1,4.2');
  const tail = new CsvTail(path, 'metrics.csv');
  await tail.load();
  assert.equal(tail.columns, ['step', 'train_loss', 'validation_loss', 'ms']);
  assert.equal(tail.rows, [[0, 5.5, 6, 12]]);
  assert.match(tail.incompleteLine()!, /line 3: the last line is incomplete/);
  // the first data line changed in place (same length): a tail that read the whole file again would see it
  const fh = await open(path, 'r+');
  await fh.write('9', 'step,train_loss,validation_loss,ms\n'.length);
  await fh.close();
  await appendFile(path, '5,,3\n2,oops,1,1\n3,1,2\n4,2.5,,1.5\n');
  const u = await tail.update();
  assert.equal(u, { rows: [[1, 4.25, null, 3], [4, 2.5, null, 1.5]], from: 1, reset: false });
  assert.equal(tail.rows![0], [0, 5.5, 6, 12], 'rows read before are not read again');
  assert.equal(tail.problems, [
    'metrics.csv line 4, column "train_loss": expected a number, got "oops"',
    'metrics.csv line 5: expected 4 values (step,train_loss,validation_loss,ms), got 3: "3,1,2"',
  ]);
  assert.is(tail.incompleteLine(), null);
  assert.is(await tail.update(), null, 'nothing appended: nothing new');
  // replaced whole (a run's final rewrite): read again from the start
  await writeFile(path + '.new', 'step,train_loss,validation_loss,ms\n0,1,1,1\n');
  spawnSync('mv', [path + '.new', path]);
  const r = await tail.update();
  assert.equal(r, { rows: [[0, 1, 1, 1]], from: 0, reset: true });
  assert.equal(tail.problems, []);
});

test("a peek reads a large metrics.csv's header and last line only", async () => {
  const dir = await tmp('peek');
  const path = join(dir, 'metrics.csv');
  const lines = Array.from({ length: 20_000 }, (_, i) => `${i},${1 / (i + 1)},,0.5`);
  await writeFile(path, `step,train_loss,validation_loss,ms\n${lines.join('\n')}\n20000,0.25`);
  const tail = new CsvTail(path, 'metrics.csv');
  await tail.peek();
  assert.not.ok(tail.loaded);
  assert.equal(tail.lastRow, [19_999, 1 / 20_000, null, 0.5]);
  assert.is(tail.partial, '20000,0.25');
});

test('the live metrics log: header and earlier steps at the first step, lines appended within 200 ms, the format writeCsv writes', async () => {
  const dir = await tmp('log');
  const path = join(dir, 'metrics.csv');
  const log = openMetricsLog(path, [{ step: 0, trainLoss: 2, validationLoss: 1.5, ms: 3 }]);
  await new Promise((r) => setTimeout(r, 50));
  assert.throws(() => statSync(path), /ENOENT/, 'no file before the first step (a run that fails at once leaves none)');
  log.append({ step: 1, trainLoss: 0.1 + 0.2, validationLoss: null, ms: 1.25 });
  await new Promise((r) => setTimeout(r, 350));
  assert.is(await readFile(path, 'utf8'), 'step,train_loss,validation_loss,ms\n0,2,1.5,3\n1,0.30000000000000004,,1.25\n');
  log.append({ step: 2, trainLoss: 0.5, validationLoss: 0.25, ms: 1 });
  log.close();
  assert.match(await readFile(path, 'utf8'), /\n2,0\.5,0\.25,1\n$/, 'close writes what is pending');
});

test("a run's status from its folder: a live lock runs, a dead one was interrupted, a recorded failure failed", () => {
  const here = { pid: process.pid, host: hostname(), command: 'train', started: '2026-01-01T00:00:00Z' };
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const dead = { ...here, pid: Number(gone.stdout) };
  const none = { lock: null, record: null, summary: null, hasCheckpoint: false };
  assert.is(runStatus({ ...none, lock: here }).status, 'running');
  assert.is(runStatus({ ...none, lock: { ...here, host: 'elsewhere' } }).note, 'on elsewhere (process ' + process.pid + ')');
  assert.is(runStatus({ ...none, lock: dead, hasCheckpoint: true }).status, 'interrupted');
  assert.match(runStatus({ ...none, lock: dead }).note!, /is gone without a summary/);
  assert.equal(runStatus({ ...none, record: { command: 'train', game: 'meeting', started: '', before: [], failed: 'diverged' } }), { status: 'failed', note: 'diverged' });
  assert.is(runStatus({ ...none, summary: { interrupted: true } }).status, 'interrupted');
  assert.is(runStatus({ ...none, summary: { interrupted: false } }).status, 'finished');
  assert.is(runStatus({ ...none, hasCheckpoint: true }).status, 'interrupted');
  assert.is(runStatus(none).status, 'failed');
});

/** A grid sweep of `train` as `sweep run` leaves it: 2 learning rates × 3 seeds, known train losses. */
async function sweepFolder(dir: string): Promise<Record<string, number[]>> {
  const axis = { field: 'training.learningRate', values: ['0.001', '0.01'] };
  const manifest = buildManifest({ command: 'train', target: 'meeting', shared: [], resume: [], seeds: [1, 2, 3], points: gridPoints([axis]), grid: [axis] });
  await mkdir(join(dir, 'state'), { recursive: true });
  await writeFile(join(dir, 'sweep.json'), JSON.stringify(manifest));
  const losses: Record<string, number[]> = { '0.001': [], '0.01': [] };
  for (const job of manifest.jobs) {
    const loss = Number(job.point['training.learningRate']) * 100 + job.seed * 0.5;
    losses[job.point['training.learningRate']].push(loss);
    await finishedRun(join(dir, job.dir), { lr: Number(job.point['training.learningRate']), seed: job.seed, trainLoss: loss });
    const name = job.dir.split('/').pop();
    await writeFile(join(dir, 'state', `${name}.json`), JSON.stringify({ key: job.key, state: 'done', attempts: 1, exitCode: 0, startedAt: '2026-01-01T10:00:00.000Z', finishedAt: '2026-01-01T10:00:05.000Z', seconds: 5, host: 'h', resumed: false }));
  }
  return losses;
}

/** The tree every API test reads: runs, a malformed one, a sweep, a forecast, links out. */
async function tree() {
  const root = await tmp('root');
  const outside = await tmp('outside');
  await writeFile(join(outside, 'secret.csv'), 'SECRET-CONTENT\n');
  await finishedRun(join(outside, 'hidden-run'));
  await finishedRun(join(root, 'a'));
  await finishedRun(join(root, 'group', 'b'), { lr: 0.002, seed: 11 });
  await mkdir(join(root, 'broken'));
  await writeFile(join(root, 'broken', 'summary.json'), '{"command": "train", "game": ');
  await writeFile(join(root, 'broken', 'metrics.csv'), 'step,train_loss,validation_loss,ms\n0,1,1,1\n1,x,1,1\n2,0.5,0.5');
  await symlink(join(outside, 'secret.csv'), join(root, 'a', 'leak.csv'));
  await symlink(join(outside, 'hidden-run'), join(root, 'linked-run'));
  const losses = await sweepFolder(join(root, 'sw'));
  cpSync(join(FIXTURES, 'forecast'), join(root, 'fc'), { recursive: true });
  return { root, outside, losses };
}

test('the API: every folder with its kind and status, its metrics rows, a sweep aggregated as sweep aggregate does, a forecast drawn', async () => {
  const { root, losses } = await tree();
  const before = snapshot(root);
  const d = await startDashboard({ roots: [root], host: '127.0.0.1', port: 0 });
  try {
    const port = portOf(d);
    const list = JSON.parse((await get(port, '/api/runs')).body);
    const byName = Object.fromEntries(list.runs.map((r: { name: string }) => [r.name, r]));
    assert.equal(Object.keys(byName).filter((n) => !n.startsWith('sw/')).sort(), ['a', 'broken', 'fc', 'group/b', 'sw']);
    assert.is(byName['linked-run'], undefined, 'a folder linked in from outside is not shown');
    assert.equal([byName.a.kind, byName.a.status, byName.a.steps, byName.a.trainLoss, byName.a.game, byName.a.preset], ['run', 'finished', 3, 3.25, 'meeting', 'fig2b']);
    assert.equal(byName.a.metrics, { finalMean: 15.1, 'nashGap.mean': 0.3 });
    assert.equal([byName.sw.kind, byName.sw.status, byName.sw.jobs.done, byName.sw.jobs.total], ['sweep', 'finished', 6, 6]);
    assert.is(byName['sw/jobs/training.learningRate=0.01,seed=2'].parent, 'sw');
    assert.is(byName.fc.kind, 'forecast');
    assert.equal(byName.fc.metrics, { male: 0.021, coverage50: 0.6, coverage90: 1, peakDateError: 0, peakHeightError: 0.05 }, "the forecast's scores");
    // malformed files: named, the rest still shown, the server still answering
    assert.equal(byName.broken.status, 'failed');
    assert.ok(byName.broken.problems.some((p: string) => /^summary\.json: not valid JSON/.test(p)), byName.broken.problems.join('\n'));
    const m = JSON.parse((await get(port, '/api/runs/broken/metrics')).body);
    assert.equal(m.rows, [[0, 1, 1, 1]]);
    assert.equal(m.problems, ['metrics.csv line 3, column "train_loss": expected a number, got "x"', 'metrics.csv line 4: the last line is incomplete (no line end: cut off while being written?): "2,0.5,0.5"']);

    const rows = JSON.parse((await get(port, '/api/runs/a/metrics')).body);
    assert.equal(rows.columns, METRICS_HEADER);
    assert.equal(rows.rows, [[0, 5.5, 6, 12], [1, 4.25, null, 3], [2, 3.5, 4.5, 2.5]]);
    assert.equal(JSON.parse((await get(port, `/api/runs/${encodeURIComponent('group/b')}`)).body).configuration['config.training.learningRate'], 0.002);

    const sweep = JSON.parse((await get(port, '/api/runs/sw')).body);
    assert.equal(sweep.jobs.map((j: { state: string }) => j.state), Array(6).fill('done'));
    for (const p of sweep.aggregate.points) {
      const expected = seedStats(losses[p.point['training.learningRate']]);
      assert.equal(p.metrics.trainLoss, { n: 3, mean: expected.mean, std: expected.std, ci95: expected.ci95 });
    }
    assert.ok(sweep.aggregate.figures.some((f: { metric: string; spec: { layer: unknown[] } }) => f.metric === 'trainLoss' && f.spec.layer.length === 3), 'the figure of sweep aggregate, with its error bars');

    const fc = JSON.parse((await get(port, '/api/runs/fc')).body);
    assert.equal(fc.problems, []);
    assert.is(fc.forecast.rows.length, 14);
    assert.equal(fc.forecast.columns, ['date', 'observed', 'median', 'low50', 'high50', 'low90', 'high90']);
    assert.is(fc.spec.layer.length, 8, '2 bands, the model, 3 baselines, the observations, the origin');

    const stream = await get(port, '/api/events');
    assert.match(stream.body, /event: runs\ndata: \{"runs":\[/);
    assert.is((await get(port, '/api/runs/nothing-here')).status, 404);
    assert.is((await get(port, '/')).status, 200);
  } finally {
    await d.close();
  }
  assert.equal(snapshot(root), before, 'the dashboard wrote nothing in the folders');
});

test('a folder that appears later is found, and a half-written summary.json shows as such', async () => {
  const root = await tmp('later');
  const d = await startDashboard({ roots: [join(root, 'runs')], host: '127.0.0.1', port: 0 });
  try {
    assert.equal(d.index.list(), [], 'a root that does not exist yet: nothing, no error');
    await finishedRun(join(root, 'runs', 'new'));
    await writeFile(join(root, 'runs', 'new', 'summary.json'), '');
    await d.index.scan();
    const info = d.index.get('new')!.info;
    assert.ok(info.problems.some((p) => /summary\.json: not valid JSON .*the file is empty/.test(p)), info.problems.join('\n'));
  } finally {
    await d.close();
  }
});

test('no file outside the folders: "..", encoded and doubly encoded "..", separators, NUL and symbolic links out are refused', async () => {
  const { root } = await tree();
  const d = await startDashboard({ roots: [root], host: '127.0.0.1', port: 0 });
  try {
    const port = portOf(d);
    assert.is((await get(port, '/files/a/loss.svg')).status, 200, 'a file of a run is served');
    assert.match(String((await get(port, '/files/a/loss.svg')).headers['content-security-policy']), /sandbox/, 'an SVG of a run never runs a script');
    const attempts = [
      '/files/a/../../secret.csv',
      '/files/a/../a/../../outside/secret.csv',
      '/files/a/%2e%2e/%2e%2e/secret.csv',
      '/files/a/%2E%2E%2F%2E%2E%2Fsecret.csv',
      '/files/a/..%2f..%2fsecret.csv',
      '/files/a/%252e%252e/%252e%252e/secret.csv',
      '/files/a/..%5c..%5csecret.csv',
      '/files/a/leak.csv',
      '/files/a/secret.csv%00.svg',
      '/files/..%2F..%2Ftmp/secret.csv',
      '/files/%2e%2e/secret.csv',
      '/files/linked-run/metrics.csv',
      '/files/a/.neural-mfg.json',
      `/files/a/${encodeURIComponent(join(tmpdir(), 'x.csv'))}`,
      '/app/../../package.json',
      '/app/dashboard/page/../../../../package.json',
      '/vendor/../package.json',
    ];
    for (const path of attempts) {
      const r = await get(port, path);
      assert.ok(r.status === 403 || r.status === 404, `${path}: ${r.status}`);
      assert.not.match(r.body, /SECRET-CONTENT|"name": "neural-mfg"|"command"/, path);
    }
    const post = await new Promise<number>((resolve) => request({ host: '127.0.0.1', port, path: '/api/runs', method: 'POST' }, (res) => resolve(res.statusCode!)).end());
    assert.is(post, 405, 'read only');
    assert.is((await get(port, '/api/runs', { Host: 'attacker.example:80' })).status, 403, 'a page of another site (DNS rebinding) gets nothing');
  } finally {
    await d.close();
  }
});

test('off loopback: every page, API call, stream and file needs the access token (401 without)', async () => {
  const root = await tmp('token');
  await finishedRun(join(root, 'a'));
  const d = await startDashboard({ roots: [root], host: '0.0.0.0', port: 0 });
  try {
    const port = portOf(d);
    assert.ok(d.token && d.token.length >= 24, 'a token of 144 random bits');
    for (const path of ['/', '/api/runs', '/api/runs/a/metrics', '/api/events', '/files/a/loss.svg', '/app/dashboard/page/main.js', '/vendor/vega.min.js']) {
      assert.is((await get(port, path)).status, 401, path);
      assert.is((await get(port, path, { Authorization: 'Bearer wrong-token-of-the-same-len' })).status, 401, path);
    }
    assert.is((await get(port, '/api/runs', { Authorization: `Bearer ${d.token}` })).status, 200);
    const open = await get(port, `/?token=${d.token}`);
    assert.is(open.status, 303, 'the token moves into a cookie');
    const cookie = String(open.headers['set-cookie']).split(';')[0];
    assert.match(String(open.headers['set-cookie']), /HttpOnly; SameSite=Strict/);
    assert.is((await get(port, '/', { Cookie: cookie })).status, 200);
    assert.is((await get(port, '/api/runs/a/metrics', { Cookie: cookie })).status, 200);
  } finally {
    await d.close();
  }
});

test('train writes metrics.csv as it goes (the lines the final file has), and records why a run failed', async () => {
  const out = await tmp('train');
  const live = join(out, 'live');
  const child = spawn(process.execPath, [BIN, 'train', 'meeting', '--set', 'training.steps=1000000', '--set', 'training.validationSamples=20', '--quiet', '--out', live], { stdio: 'ignore' });
  let seen = '';
  for (let k = 0; k < 600 && seen.split('\n').length < 30; k++) {
    await new Promise((r) => setTimeout(r, 50));
    seen = await readFile(join(live, 'metrics.csv'), 'utf8').catch(() => '');
  }
  assert.ok(statSync(join(live, '.neural-mfg.lock')).isFile(), 'read while the run trains');
  child.kill('SIGINT');
  assert.is(await new Promise((r) => child.once('exit', r)), 130);
  const final = await readFile(join(live, 'metrics.csv'), 'utf8');
  const lines = seen.slice(0, seen.lastIndexOf('\n') + 1);
  assert.ok(lines.split('\n').length >= 30);
  assert.is(final.slice(0, lines.length), lines, 'the live lines are those of the final metrics.csv, byte for byte');

  const diverged = join(out, 'diverged');
  assert.is(cli('train', 'meeting', '--set', 'training.learningRate=1e30', '--set', 'training.steps=20', '--backend', 'cpu', '--quiet', '--out', diverged).code, 3);
  const record = JSON.parse(await readFile(join(diverged, '.neural-mfg.json'), 'utf8'));
  assert.match(record.failed, /^diverged/);
  assert.ok(Date.parse(record.ended) >= Date.parse(record.started));
  const d = await startDashboard({ roots: [out], host: '127.0.0.1', port: 0 });
  try {
    assert.equal([d.index.get('diverged')!.info.status, d.index.get('live')!.info.status], ['failed', 'interrupted']);
  } finally {
    await d.close();
  }
});

test('dashboard on the command line: usage errors in one line with status 2', async () => {
  const file = join(await tmp('cli'), 'file.txt');
  await writeFile(file, 'x');
  const bad = cli('dashboard', '--port', 'abc');
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /^neural-mfg: .*--port abc: expected a port number from 0 to 65535/);
  const notDir = cli('dashboard', file);
  assert.is(notDir.code, 2);
  assert.is(notDir.stderr.trim(), `neural-mfg: ${file} is a file; the dashboard needs folders (of runs, sweeps, forecasts)`);
  const d = await startDashboard({ roots: [FIXTURES], host: '127.0.0.1', port: 0 });
  try {
    const busy = cli('dashboard', FIXTURES, '--port', String(portOf(d)));
    assert.is(busy.code, 2);
    assert.match(busy.stderr, new RegExp(`^neural-mfg: port ${portOf(d)} is in use on 127.0.0.1; choose another with --port N`));
  } finally {
    await d.close();
  }
  assert.match(cli('dashboard', '--help').stdout, /ssh -N -L 8765:127\.0\.0\.1:8765/);
});

test("the dashboard's modules load none of the engine (TF.js, games, solvers) when it starts", () => {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    // static imports only: a dynamic import() runs when it is called, not at start
    for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gm)) visit(join(file, '..', m[1]));
  };
  const dist = join(import.meta.dirname, '..', 'dist', 'src');
  visit(join(dist, 'cli', 'dashboard.js'));
  visit(join(dist, 'dashboard', 'server.js'));
  const loaded = [...seen].map((f) => f.slice(dist.length + 1));
  assert.ok(loaded.includes('dashboard/folders.js'), loaded.join(', '));
  assert.equal(loaded.filter((f) => /^(mfg|fused|gpu|train|nn|ode|tf|backend)[/.]|games/.test(f)), []);
});

test("the page's modules ship in the npm package, are all served, and import nothing of Node.js (they run in the browser)", () => {
  const root = join(import.meta.dirname, '..');
  const dist = join(root, 'dist', 'src');
  const graph = new Map<string, string>();
  const visit = (file: string) => {
    if (graph.has(file)) return;
    const text = readFileSync(file, 'utf8');
    graph.set(file, text);
    for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gm)) visit(join(file, '..', m[1]));
  };
  visit(join(dist, 'dashboard', 'page', 'main.js'));
  const files = [...graph.keys()].map((f) => f.slice(dist.length + 1));
  assert.ok(files.includes('plot/figures.js'), 'the charts come from the figures\' own specs');
  for (const [file, text] of graph) assert.not.match(text, /^(?:import|export)\s[^;]*?from\s+'(?!\.)/m, `${file} imports a package or a Node.js module`);
  for (const f of files) assert.ok(APP_FILE.test(`/app/${f}`), `${f} is not served (src/dashboard/server.ts APP_FILE)`);
  const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
  const shipped = new Set((JSON.parse(pack.stdout)[0].files as { path: string }[]).map((f) => f.path));
  for (const f of files) assert.ok(shipped.has(`dist/src/${f}`), `dist/src/${f} is not in the package`);
});

test.run();
