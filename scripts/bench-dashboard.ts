// The dashboard's startup and update figures (README "Dashboard"): 200 run folders (copies of one
// real training run of 2,000 steps), then
//   startup: `neural-mfg dashboard` from start to its address printed (the folders scanned), and
//            the same over an empty folder (what Node.js and the command cost before any scan),
//   list:    GET /api/runs with 200 runs,
//   page:    in chromium, from the navigation's start to the 200-row table drawn (where chromium is installed),
//   update:  a line appended to a running run's metrics.csv until the server's event carries it,
//            and until the page's curve has drawn it.
// Usage: npm run build && npx tsx scripts/bench-dashboard.ts [--runs 200] [--repeats 20]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync, appendFileSync, mkdirSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', 'bin', 'neural-mfg.js');
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const RUNS = option('--runs', 200);
const REPEATS = option('--repeats', 20);

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const fmt = (v: number[]) => `median ${median(v).toFixed(1)} ms, max ${Math.max(...v).toFixed(1)} ms (${v.length} times)`;

const root = mkdtempSync(join(tmpdir(), 'neural-mfg-bench-dashboard-'));
const runs = join(root, 'runs');
mkdirSync(runs);
process.stderr.write(`training the run to copy (meeting, 2000 steps)…\n`);
const template = join(root, 'template');
const t = spawnSync(process.execPath, [BIN, 'train', 'meeting', '--out', template, '--set', 'training.steps=2000', '--quiet'], { encoding: 'utf8' });
if (t.status !== 0) throw new Error(t.stderr);
for (let i = 0; i < RUNS; i++) {
  const dir = join(runs, `run-${String(i).padStart(3, '0')}`);
  cpSync(template, dir, { recursive: true });
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  writeFileSync(join(dir, 'summary.json'), JSON.stringify({ ...summary, seed: i, trainLoss: summary.trainLoss * (1 + i / 1000) }));
}
// a run that is training: our own process holds its lock, we append its metrics.csv lines
const live = join(runs, 'live');
mkdirSync(live);
writeFileSync(join(live, '.neural-mfg.lock'), JSON.stringify({ pid: process.pid, host: hostname(), command: 'train', started: new Date().toISOString() }));
writeFileSync(join(live, 'metrics.csv'), 'step,train_loss,validation_loss,ms\n0,5,5,1\n');
let step = 1;
const appendStep = () => appendFileSync(join(live, 'metrics.csv'), `${step},${1 / (step++ + 1)},,1\n`);

function startDashboard(folder = runs): Promise<{ child: ChildProcess; url: string; ms: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, 'dashboard', folder, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => {
    let out = '';
    child.stdout!.on('data', (c) => {
      out += c;
      const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m && out.includes('\n')) resolve({ child, url: m[1], ms: performance.now() - t0 });
    });
  });
}

function fetchText(url: string): Promise<string> {
  return new Promise((resolve, reject) => get(url, (res) => {
    let body = '';
    res.on('data', (c) => (body += c));
    res.on('end', () => resolve(body));
  }).on('error', reject));
}

// the command's own start (Node.js, commander, the games' registry) over an empty folder, then over the runs
const empty = join(root, 'empty');
mkdirSync(empty);
const startups: number[] = [];
const emptyStartups: number[] = [];
for (let k = 0; k < 5; k++) {
  for (const [folder, times] of [[empty, emptyStartups], [runs, startups]] as const) {
    const d = await startDashboard(folder);
    times.push(d.ms);
    d.child.kill('SIGINT');
    await new Promise((r) => d.child.once('exit', r));
  }
}
const { child, url } = await startDashboard();
try {
  const lists: number[] = [];
  let count = 0;
  for (let k = 0; k < REPEATS; k++) {
    const t0 = performance.now();
    count = JSON.parse(await fetchText(`${url}api/runs`)).runs.length;
    lists.push(performance.now() - t0);
  }
  await fetchText(`${url}api/runs/live/metrics`);

  // the event stream: from the appended line to the event that carries it
  const events: number[] = [];
  await new Promise<void>((done) => {
    get(`${url}api/events?watch=live`, (res) => {
      let buffer = '';
      let sent = 0;
      let waiting = -1;
      const next = () => setTimeout(() => ((waiting = step), (sent = performance.now()), appendStep()), 100 + Math.random() * 300);
      res.on('data', (c) => {
        buffer += c;
        if (waiting >= 0 && buffer.includes(`[${waiting},`)) {
          events.push(performance.now() - sent);
          buffer = '';
          waiting = -1;
          if (events.length === REPEATS) return void (res.destroy(), done());
          next();
        }
      });
      next();
    });
  });

  console.log(`dashboard over ${count} folders (${RUNS} runs of 2000 steps + 1 running), this machine (${process.arch}, shared):`);
  console.log(`  startup to address printed, empty folder: ${fmt(emptyStartups)}`);
  console.log(`  startup to address printed, ${RUNS} runs: ${fmt(startups)}`);
  console.log(`  GET /api/runs: ${fmt(lists)}`);
  console.log(`  appended metrics.csv line to its server-sent event: ${fmt(events)}`);

  const chromium = '/usr/bin/chromium';
  if (!existsSync(chromium)) {
    console.log('  (no chromium here: the page figures are left out)');
  } else {
    const { chromium: pw } = await import('playwright-core');
    const browser = await pw.launch({ executablePath: chromium, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      // measured in the page, from the start of the navigation (performance.now()'s origin) to the
      // moment the table has every row: what a user waits, without the driver's own round trips
      await page.addInitScript((n: number) => {
        new MutationObserver((_, observer) => {
          if (document.querySelectorAll('#runs tbody tr').length >= n) {
            (window as unknown as { tableAt: number }).tableAt = performance.now();
            observer.disconnect();
          }
        }).observe(document, { childList: true, subtree: true });
      }, RUNS);
      const loads: number[] = [];
      for (let k = 0; k < 5; k++) {
        await page.goto(url);
        await page.waitForFunction(() => (window as unknown as { tableAt?: number }).tableAt !== undefined, null, { timeout: 30_000 });
        loads.push(await page.evaluate(() => (window as unknown as { tableAt: number }).tableAt));
      }
      await page.goto(`${url}#/run/live`);
      await page.waitForSelector('#curve[data-points]', { timeout: 30_000 });
      const draws: number[] = [];
      for (let k = 0; k < REPEATS; k++) {
        await page.waitForTimeout(100 + Math.random() * 300);
        const before = Number(await page.getAttribute('#curve', 'data-points'));
        const t0 = performance.now();
        appendStep();
        await page.waitForFunction((n) => Number(document.querySelector<HTMLElement>('#curve')!.dataset.points) > n, before, { timeout: 30_000, polling: 'raf' });
        draws.push(performance.now() - t0);
      }
      console.log(`  page, navigation to the ${RUNS}-row table drawn: ${fmt(loads)}`);
      console.log(`  appended metrics.csv line to the page's curve redrawn: ${fmt(draws)}`);
    } finally {
      await browser.close();
    }
  }
  console.log('  (train writes its metrics.csv lines in batches at most 200 ms apart: src/run/metrics-log.ts)');
} finally {
  child.kill('SIGINT');
  rmSync(root, { recursive: true, force: true });
}
