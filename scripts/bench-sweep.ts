// npm run build && npx tsx scripts/bench-sweep.ts [--workers N] [--only pool,dice,bluff] [--repeat 3] [--seeds 10-14] [--out DIR]:
// what the sweep runner gains (src/sweep, issue #17). Prints figures (and writes them to
// DIR/bench-sweep.json; --report RDIR writes RDIR/bench-sweep.md and .json with their provenance and
// copies the bluff sweep's figures and table over seeds there: `npm run reports -- sweeps`); it is not a test.
//   pool   a train sweep (meeting fig2b and El Farol fig3b, the paper's settings: 4 learning rates ×
//          --pool-seeds seeds each, 100 jobs by default) run by one process, one job after another
//          (`sweep run --workers 1`), on one core (NEURAL_MFG_THREADS=1) and with the fused engine's
//          threads on every core (its default: it solves independent trajectories, such as the 64
//          evaluation populations, in chunks on worker threads), then by the pool (`sweep run
//          --workers N`, one thread per process); each a fresh command, start-up included: wall
//          seconds (best and median of --repeat runs, alternating) and the speed-ups; first the
//          ceiling: two independent processes side by side against one after the other
//   dice   the same for Liar's dice `train` (2 learning rates × 3 seeds, 7-12 s each)
//   bluff  the full fair bluff sweep (`analyze liars-dice --preset bluff-sweep-fair`, 11 points):
//          one seed by one process (--workers 1) on one core and with the engine's threads, and by
//          the pool; then --seeds (default 10-14: 55 jobs) on the pool, with the aggregated figure
//          of the spread over seeds
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeReport } from './provenance.ts';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gridPoints, buildManifest, parseGridAxis, type SweepManifest } from '../src/sweep/manifest.ts';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: String(availableParallelism()) },
    only: { type: 'string', default: 'pool,bluff' },
    seeds: { type: 'string', default: '10-14' },
    'pool-seeds': { type: 'string', default: '25' },
    repeat: { type: 'string', default: '3' },
    out: { type: 'string' },
    report: { type: 'string' },
  },
});
const workers = Number(values.workers);
const repeat = Math.max(1, Number(values.repeat));
const sections = new Set(values.only.split(','));
const out = values.out ?? mkdtempSync(join(tmpdir(), 'neural-mfg-bench-sweep-'));
mkdirSync(out, { recursive: true });
const BIN = join(import.meta.dirname, '..', 'bin', 'neural-mfg.js');
const results: Record<string, unknown> = { cores: availableParallelism(), cpu: cpus()[0]?.model ?? '?', workers, node: process.version };

/** CPU ticks (1/100 s) and parent of every process, from /proc (Linux). */
function processTicks(): Map<number, { ppid: number; ticks: number }> {
  const out = new Map<number, { ppid: number; ticks: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(name), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

interface Timing {
  seconds: number;
  /** CPU seconds of the command's processes (all threads: V8's garbage collector and libuv's pool too) */
  cpu: number;
  /** CPU seconds that other processes spent meanwhile */
  foreignCpu: number;
}

/**
 * A command timed, with the CPU seconds its processes and the machine's other processes spent
 * meanwhile (sampled every 200 ms from /proc): on a shared machine, a run that other work slowed
 * down can be told apart, and `cpu / seconds` says how many cores the command kept busy.
 */
async function timed(command: string[], env: NodeJS.ProcessEnv = {}): Promise<Timing> {
  // process → ticks when first seen (0 for one started during the run), ticks when last seen
  const seen = new Map<number, { mine: boolean; from: number; to: number }>();
  const sample = () => {
    const procs = processTicks();
    const mine = (pid: number) => {
      for (let p = procs.get(pid)?.ppid ?? 0, k = 0; p > 1 && k < 64; p = procs.get(p)?.ppid ?? 0, k++) if (p === process.pid) return true;
      return false;
    };
    for (const [pid, { ticks }] of procs) {
      if (pid === process.pid) continue;
      const s = seen.get(pid);
      if (s) s.to = ticks;
      else seen.set(pid, { mine: mine(pid), from: first ? ticks : 0, to: ticks });
    }
  };
  let first = true;
  sample();
  first = false;
  const timer = setInterval(sample, 200);
  const t0 = performance.now();
  const code = await new Promise<number | null>((done) => {
    const child = spawn(command[0], command.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + String(c)).slice(-4000)));
    child.on('exit', (c) => {
      if (c !== 0) process.stderr.write(stderr);
      done(c);
    });
  });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  sample();
  if (code !== 0) throw new Error(`${command.join(' ')} failed (${code})`);
  let own = 0;
  let other = 0;
  for (const s of seen.values()) {
    if (s.mine) own += s.to - s.from;
    else other += s.to - s.from;
  }
  return { seconds, cpu: own / 100, foreignCpu: other / 100 };
}

const neuralMfg = (args: string[]) => [process.execPath, BIN, ...args];

/**
 * A run on a quiet machine: `prepare` (a fresh output folder) and the command again, up to 4 times,
 * while other processes took more than 2% of the machine's CPU during it; else the quietest run.
 */
async function quietRun(prepare: () => string[], env: NodeJS.ProcessEnv = {}): Promise<Timing> {
  let best: Timing | null = null;
  for (let attempt = 0; attempt < 4; attempt++) {
    const r = await timed(prepare(), env);
    if (!best || r.foreignCpu < best.foreignCpu) best = r;
    if (r.foreignCpu <= 0.02 * r.seconds * availableParallelism()) return r;
    process.stderr.write(`(other processes took ${r.foreignCpu.toFixed(1)} CPU s during ${r.seconds.toFixed(1)} s: again)\n`);
  }
  return best!;
}

/** A fresh folder for a run. */
function fresh(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[(v.length - 1) >> 1];

/**
 * A sweep run three ways, --repeat times, alternating, each run repeated while other processes
 * took the machine's CPU (quietRun): the best times and their ratios, and the medians'.
 */
async function compare(label: string, manifest: SweepManifest): Promise<Record<string, unknown>> {
  // one process on one core (NEURAL_MFG_THREADS=1), one process with the fused engine's threads on
  // every core (its default), and the pool (one thread per process)
  const variants = [
    { name: 'oneCore', workers: 1, env: { NEURAL_MFG_THREADS: '1' } },
    { name: 'oneProcess', workers: 1, env: {} },
    { name: 'pool', workers, env: {} },
  ];
  const runs: Record<string, number[]> = { oneCore: [], oneProcess: [], pool: [] };
  const foreign: Record<string, number[]> = { oneCore: [], oneProcess: [], pool: [] };
  const cores: Record<string, number[]> = { oneCore: [], oneProcess: [], pool: [] };
  for (let r = 0; r < repeat; r++) {
    for (const v of variants) {
      const dir = join(out, `${label.split(' ').slice(0, 2).join('-')}-${v.name}-${r}`);
      const run = await quietRun(() => {
        writeFileSync(join(fresh(dir), 'sweep.json'), JSON.stringify(manifest, null, 2));
        return neuralMfg(['sweep', 'run', dir, '--workers', String(v.workers)]);
      }, v.env);
      runs[v.name].push(run.seconds);
      foreign[v.name].push(run.foreignCpu);
      cores[v.name].push(run.cpu / run.seconds);
    }
  }
  const best = (v: number[]) => Math.min(...v);
  const row = {
    sweep: label,
    jobs: manifest.jobs.length,
    seconds: runs,
    foreignCpuSeconds: foreign,
    coresBusy: cores,
    speedupOverOneCore: best(runs.oneCore) / best(runs.pool),
    speedupOverOneProcess: best(runs.oneProcess) / best(runs.pool),
    medianSpeedupOverOneCore: median(runs.oneCore) / median(runs.pool),
  };
  process.stdout.write(
    `${label}: ${row.jobs} jobs (best of ${repeat}, alternating); one process on one core ${best(runs.oneCore).toFixed(1)} s, ` +
      `one process with the engine's threads ${best(runs.oneProcess).toFixed(1)} s, pool of ${workers} ${best(runs.pool).toFixed(1)} s: ` +
      `${row.speedupOverOneCore.toFixed(2)}× the one-core run (medians ${row.medianSpeedupOverOneCore.toFixed(2)}×), ${row.speedupOverOneProcess.toFixed(2)}× the threaded one; ` +
      `cores kept busy (CPU time / wall time, median): ${(['oneCore', 'oneProcess', 'pool'] as const).map((k) => median(cores[k]).toFixed(2)).join(', ')}\n`,
  );
  return row;
}

const trainSweep = (game: string, preset: string, lrs: string, seeds: number) => {
  const grid = [parseGridAxis(`training.learningRate=${lrs}`)];
  return buildManifest({ target: game, base: { kind: 'train', game, preset, set: [], seed: 10 }, seeds: Array.from({ length: seeds }, (_, i) => 10 + i), points: gridPoints(grid), grid });
};

if (sections.has('pool')) {
  const rows: Record<string, unknown>[] = [];
  // the ceiling: two independent processes side by side against one after the other
  const solo = ['train', 'meeting', '--set', 'training.steps=15000', '--set', 'training.validationSamples=0', '--quiet', '--force'];
  const seq: number[] = [];
  const par: number[] = [];
  const one = (d: string) => [process.execPath, BIN, ...solo, '--out', join(out, d)].map((a) => `'${a}'`).join(' ');
  for (let r = 0; r < repeat; r++) {
    seq.push((await quietRun(() => ['sh', '-c', `${one('solo-a')} >/dev/null && ${one('solo-b')} >/dev/null`])).seconds);
    par.push((await quietRun(() => ['sh', '-c', `${one('solo-c')} >/dev/null & ${one('solo-d')} >/dev/null; wait`])).seconds);
  }
  const ceiling = Math.min(...seq) / Math.min(...par);
  process.stdout.write(`this machine: two processes side by side run ${ceiling.toFixed(2)}× as fast as one after the other (best of ${repeat}; the most a pool of 2 can gain)\n`);
  results.ceiling = { sequentialSeconds: seq, parallelSeconds: par, ratio: ceiling };
  const lrs = '0.0005,0.001,0.002,0.004';
  const n = Number(values['pool-seeds']);
  rows.push(await compare('train meeting --preset fig2b', trainSweep('meeting', 'fig2b', lrs, n)));
  rows.push(await compare('train el-farol --preset fig3b', trainSweep('el-farol', 'fig3b', lrs, n)));
  results.pool = rows;
}

if (sections.has('dice')) {
  // Liar's dice trains, 7-12 s each: the fused engine's threads use every core inside one process
  results.dice = [await compare('train liars-dice --preset train', trainSweep('liars-dice', 'train', '0.0005,0.001', 3))];
}

if (sections.has('bluff')) {
  // one seed: one process (`--workers 1`) on one core and with the engine's threads, then the pool
  const analyze = async (name: string, w: number, env: NodeJS.ProcessEnv = {}, more: string[] = []) =>
    (await quietRun(() => neuralMfg(['analyze', 'liars-dice', '--preset', 'bluff-sweep-fair', '--workers', String(w), ...more, '--out', fresh(join(out, name))]), env)).seconds;
  const oneCore = await analyze('bluff-one-core', 1, { NEURAL_MFG_THREADS: '1' });
  const oneProcess = await analyze('bluff-one-process', 1);
  const pool = await analyze('bluff-pool', workers);
  process.stdout.write(
    `bluff-sweep-fair, 11 points, seed 10: one process on one core ${oneCore.toFixed(1)} s, with the engine's threads ${oneProcess.toFixed(1)} s, ` +
      `pool of ${workers} ${pool.toFixed(1)} s (${(oneCore / pool).toFixed(2)}× and ${(oneProcess / pool).toFixed(2)}×)\n`,
  );
  const dir = join(out, 'bluff-sweep-fair-seeds');
  const all = await analyze('bluff-sweep-fair-seeds', workers, {}, ['--seeds', values.seeds]);
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  process.stdout.write(
    `bluff-sweep-fair, 11 points × ${summary.seeds?.length ?? 1} seeds (${summary.jobs} jobs), pool of ${workers}: ${all.toFixed(1)} s = ${(all / 60).toFixed(1)} min; ` +
      `figure of the spread over seeds: ${join(dir, 'initial-bluff-vs-game-length.svg')}\n`,
  );
  results.bluff = { oneCoreSeconds: oneCore, oneProcessSeconds: oneProcess, poolSeconds: pool, seeds: summary.seeds, jobs: summary.jobs, poolAllSeedsSeconds: all, dir };
}

writeFileSync(join(out, 'bench-sweep.json'), JSON.stringify(results, null, 2) + '\n');
process.stdout.write(`wrote ${join(out, 'bench-sweep.json')}\n`);
if (values.report) {
  // the README's bullets (§ Sweeps and clusters, Measured), from `results`
  const body: string[] = [];
  const ceiling = results.ceiling as { ratio: number } | undefined;
  const bluff = results.bluff as { oneCoreSeconds: number; oneProcessSeconds: number; poolSeconds: number; jobs: number; seeds: number[]; poolAllSeedsSeconds: number; dir: string } | undefined;
  const pool = results.pool as { sweep: string; jobs: number; seconds: Record<string, number[]>; speedupOverOneCore: number }[] | undefined;
  const best = (v: number[]) => Math.min(...v).toFixed(1);
  if (bluff) {
    body.push(
      `- The fair bluff sweep, 11 points, seed 10: one process on one core ${bluff.oneCoreSeconds.toFixed(1)} s, one process with the fused engine's own threads ${bluff.oneProcessSeconds.toFixed(1)} s, ` +
        `the pool of ${workers} processes ${bluff.poolSeconds.toFixed(1)} s: **${(bluff.oneCoreSeconds / bluff.poolSeconds).toFixed(2)}×** and ${(bluff.oneProcessSeconds / bluff.poolSeconds).toFixed(2)}×` +
        (ceiling ? `. The ceiling on this machine: two independent long trainings side by side run ${ceiling.ratio.toFixed(2)}× as fast as one after the other.` : '.'),
      `- The same sweep over ${bluff.seeds?.length ?? 1} seeds (${bluff.jobs} jobs) on the pool: **${(bluff.poolAllSeedsSeconds / 60).toFixed(1)} min**, with the figure below (this folder: the three figures and \`bluff-sweep-fair-over-seeds.csv\`).`,
    );
    for (const f of readdirSync(bluff.dir).filter((f) => /^initial-bluff-vs-.*\.(svg|png)$|^bluff-sweep-fair-over-seeds\.csv$/.test(f))) {
      copyFileSync(join(bluff.dir, f), join(values.report, f));
    }
  }
  for (const p of pool ?? []) {
    body.push(`- ${p.jobs} \`${p.sweep}\` jobs: ${best(p.seconds.oneCore)} s in one process on one core, ${best(p.seconds.oneProcess)} s with the engine's threads, ${best(p.seconds.pool)} s on the pool (${p.speedupOverOneCore.toFixed(2)}×; best of ${repeat}).`);
  }
  writeReport(values.report, 'bench-sweep', { title: 'Sweeps: the local pool against one process', body, raw: results });
}
