// npx tsx scripts/bench-sweep.ts [--workers N] [--only pool,dice,bluff] [--repeat 3] [--seeds 10-14] [--out DIR]:
// what the sweep runner gains (src/sweep, issue #17). Prints figures (and writes them to
// DIR/bench-sweep.json); it is not a test.
//   pool   a train sweep (meeting fig2b and El Farol fig3b, the paper's settings: 4 learning rates ×
//          --pool-seeds seeds each, 100 jobs by default) run by one process, one job after another
//          (`sweep run --workers 1`: one worker process with every core for its threads, what one
//          process gets), then by the pool (`sweep run --workers N`), each a fresh command, start-up
//          included: wall seconds (best and median of --repeat runs, alternating) and the speed-up;
//          first the ceiling: two independent processes side by side against one after the other
//   dice   the same for Liar's dice `train` (2 learning rates × 3 seeds), whose one process already
//          uses every core (the fused engine's threads), and with NEURAL_MFG_THREADS=1
//   bluff  the full fair bluff sweep (`analyze liars-dice --preset bluff-sweep-fair`, 11 points):
//          one seed in one process as before the sweep runner (the analysis's own loop, every core
//          for the fused engine's threads), then --seeds (default 10-14: 55 jobs) on the pool, with
//          the aggregated figure of the spread over seeds
import { parseArgs } from 'node:util';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { GAMES } from '../games/index.ts';
import { applyOverrides } from '../src/config.ts';
import { gridPoints, buildManifest, parseGridAxis, type SweepManifest } from '../src/sweep/manifest.ts';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: String(availableParallelism()) },
    only: { type: 'string', default: 'pool,bluff' },
    seeds: { type: 'string', default: '10-14' },
    'pool-seeds': { type: 'string', default: '25' },
    repeat: { type: 'string', default: '3' },
    out: { type: 'string' },
  },
});
const workers = Number(values.workers);
const repeat = Math.max(1, Number(values.repeat));
const sections = new Set(values.only.split(','));
const out = values.out ?? mkdtempSync(join(tmpdir(), 'neural-mfg-bench-sweep-'));
mkdirSync(out, { recursive: true });
const BIN = join(import.meta.dirname, '..', 'bin', 'neural-mfg.js');
const results: Record<string, unknown> = { cores: availableParallelism(), cpu: cpus()[0]?.model ?? '?', workers, node: process.version };

function cliTimed(args: string[], env: NodeJS.ProcessEnv = {}): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`neural-mfg ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return (performance.now() - t0) / 1000;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[(v.length - 1) >> 1];

/**
 * A sweep run both ways, --repeat times, alternating (one process, then the pool), so that a burst of
 * other work on a shared machine does not fall on one side only; the best times (other work can only
 * add time) and their ratio, and the medians'.
 */
async function compare(label: string, manifest: SweepManifest, env: NodeJS.ProcessEnv = {}): Promise<Record<string, unknown>> {
  const runs: Record<number, number[]> = { 1: [], [workers]: [] };
  for (let r = 0; r < repeat; r++) {
    for (const w of [1, workers]) {
      const dir = join(out, `${label.split(' ').slice(0, 2).join('-')}-${w}-${r}`);
      mkdirSync(dir, { recursive: true });
      await writeFile(join(dir, 'sweep.json'), JSON.stringify(manifest, null, 2));
      runs[w].push(cliTimed(['sweep', 'run', dir, '--workers', String(w)], w === 1 ? env : {}));
    }
  }
  const best = (v: number[]) => Math.min(...v);
  const [single, pooled] = [runs[1], runs[workers]];
  const row = { sweep: label, jobs: manifest.jobs.length, oneProcessSeconds: single, poolSeconds: pooled, speedup: best(single) / best(pooled), medianSpeedup: median(single) / median(pooled) };
  process.stdout.write(
    `${label}: ${row.jobs} jobs; one process ${best(single).toFixed(1)} s, pool of ${workers} ${best(pooled).toFixed(1)} s ` +
      `(best of ${repeat}, alternating): ${row.speedup.toFixed(2)}× faster (medians: ${row.medianSpeedup.toFixed(2)}×)\n`,
  );
  return row;
}

const trainSweep = (game: string, preset: string, lrs: string, seeds: number) => {
  const grid = [parseGridAxis(`training.learningRate=${lrs}`)];
  return buildManifest({ command: 'train', target: game, shared: ['--preset', preset], resume: [], seeds: Array.from({ length: seeds }, (_, i) => 10 + i), points: gridPoints(grid), grid });
};

if (sections.has('pool')) {
  const rows: Record<string, unknown>[] = [];
  // the ceiling: two independent processes side by side against one after the other
  const solo = ['train', 'meeting', '--set', 'training.steps=15000', '--set', 'training.validationSamples=0', '--quiet', '--force'];
  const seq: number[] = [];
  const par: number[] = [];
  for (let r = 0; r < repeat; r++) {
    seq.push(cliTimed([...solo, '--out', join(out, 'solo-a')]) + cliTimed([...solo, '--out', join(out, 'solo-b')]));
    const t0 = performance.now();
    await Promise.all(['solo-c', 'solo-d'].map((d) => new Promise<void>((done, fail) => {
      const child = spawn(process.execPath, [BIN, ...solo, '--out', join(out, d)], { stdio: 'ignore' });
      child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`exit ${code}`))));
    })));
    par.push((performance.now() - t0) / 1000);
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
  // Liar's dice trains: the fused engine's threads already use every core in one process
  const manifest = trainSweep('liars-dice', 'train', '0.0005,0.001', 3);
  results.dice = [
    await compare("train liars-dice --preset train (one process: the engine's threads on every core)", manifest),
    await compare('train liars-dice --preset train (one process: NEURAL_MFG_THREADS=1)', manifest, { NEURAL_MFG_THREADS: '1' }),
  ];
}

if (sections.has('bluff')) {
  // before the sweep runner: the analysis's own loop over the 11 points, in one process
  const game = GAMES['liars-dice'];
  const config = game.parseConfig(applyOverrides(game.presets['bluff-sweep-fair'], []));
  const t0 = performance.now();
  await game.analyses!['bluff-sweep-fair'].run({ game, config, seed: 10, engine: 'fused', progress: () => {} });
  const oneSeed = (performance.now() - t0) / 1000;
  process.stdout.write(`bluff-sweep-fair, 11 points, seed 10, one process (the analysis's own loop, ${availableParallelism()} threads): ${oneSeed.toFixed(1)} s\n`);
  const poolOne = cliTimed(['analyze', 'liars-dice', '--preset', 'bluff-sweep-fair', '--workers', String(workers), '--out', join(out, 'bluff-seed10')]);
  process.stdout.write(`bluff-sweep-fair, 11 points, seed 10, pool of ${workers}: ${poolOne.toFixed(1)} s (${(oneSeed / poolOne).toFixed(2)}×)\n`);
  const dir = join(out, 'bluff-sweep-fair-seeds');
  const all = cliTimed(['analyze', 'liars-dice', '--preset', 'bluff-sweep-fair', '--seeds', values.seeds, '--workers', String(workers), '--out', dir]);
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  process.stdout.write(
    `bluff-sweep-fair, 11 points × ${summary.seeds?.length ?? 1} seeds (${summary.jobs} jobs), pool of ${workers}: ${all.toFixed(1)} s = ${(all / 60).toFixed(1)} min; ` +
      `figure of the spread over seeds: ${join(dir, 'initial-bluff-vs-game-length.svg')}\n`,
  );
  results.bluff = { oneProcessOneSeedSeconds: oneSeed, poolOneSeedSeconds: poolOne, seeds: summary.seeds, jobs: summary.jobs, poolAllSeedsSeconds: all, dir };
}

await writeFile(join(out, 'bench-sweep.json'), JSON.stringify(results, null, 2) + '\n');
process.stdout.write(`wrote ${join(out, 'bench-sweep.json')}\n`);
