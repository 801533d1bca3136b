// npm run bench [-- --backends wasm,cpu --only steps,runs,scaling,sweep --repeat 3 --json FILE]:
// the speed of training, the graph engine (TF.js autodiff, on each backend) against the fused one
// (typed-array kernels; no TF.js backend involved), side by side with their ratio:
//   steps    ms per training step (median after the JIT's warm-up, no validation) of
//            meeting fig2b, El Farol fig3b, Liar's dice `train`, and meeting at 4,200 agents, batch 64
//   runs     whole runs from the shell (`node bin/neural-mfg.js train …`, the paper's settings with
//            per-step validation): wall seconds and peak RSS, median of --repeat runs
//   scaling  how a meeting step grows with agents (42; 420; 4,200; 42,000) at batch 4, and with
//            the batch (1, 4, 64) at 42 agents
//   sweep    `analyze liars-dice --preset bluff-sweep-fair` (--only sweep; 11 trained networks)
//   gpu      the fused GPU engine (--only gpu, or --backends with webgpu): ms per step, kernels and
//            host reads per step, growing with agents (--gpu-sizes, up to 10^6); scripts/gpu/measure.ts
// Prints figures (and writes them with --json; --report DIR writes DIR/speed.md and speed.json with
// their provenance: `npm run reports -- speed`); it is not a test. The Python/JAX column quotes the
// reference's figures measured on a 2-core CPU (the re-run setting of docs/framework.md §1.3), for orientation.
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { writeReport } from './provenance.ts';
import { tmpdir } from 'node:os';
import os from 'node:os';
import { join } from 'node:path';
import { tf } from '../src/tf.ts';
import { useBackend } from '../src/backend.ts';
import { GAMES, REGISTRY_MODULE } from '../games/index.ts';
import { MeanFieldModel } from '../src/mfg/model.ts';
import type { EngineName } from '../src/mfg/engine.ts';
import { randomStreams } from '../src/streams.ts';
import { trainLoop } from '../src/train/loop.ts';
import { applyOverrides } from '../src/config.ts';

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'wasm,cpu' },
    only: { type: 'string', default: 'steps,runs,scaling' },
    repeat: { type: 'string', default: '3' },
    seed: { type: 'string', default: '10' },
    json: { type: 'string' },
    report: { type: 'string' },
    'gpu-sizes': { type: 'string', default: 'paper,elfarol,4200,100000,1000000' },
    /** --backend X: the same as --backends X */
    backend: { type: 'string' },
    'gpu-steps': { type: 'string', default: '5' },
  },
});
const backends = (values.backend ?? values.backends).split(',').filter(Boolean);
const sections = new Set(values.only.split(','));
const repeat = Math.max(1, Number(values.repeat));
const seed = Number(values.seed);

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (ms: number | null) => (ms === null ? '—' : ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toPrecision(3));
const results: Record<string, unknown>[] = [];

/** The engines to compare: graph on each backend, fused once (it runs no TF.js kernel). */
const variants: { engine: EngineName; backend: string; label: string }[] = [
  ...backends.map((backend) => ({ engine: 'graph' as const, backend, label: `graph/${backend}` })),
  { engine: 'fused', backend: backends[0] ?? 'wasm', label: 'fused' },
];

interface StepCase {
  name: string;
  game: string;
  preset: string;
  sets: string[];
  steps: number;
  /** the Python/JAX reference, ms per step (issue #11's measurement), where known */
  reference?: number;
}

/**
 * ms per training step without validation: the median of the steps after the first fifth (the
 * JIT's warm-up). The fused engine runs five times the steps, and at least 300: they are cheap, its
 * code needs a few hundred of them to be compiled, and its worker threads start after a few slow
 * steps (a median over fewer steps moved by ±10% from run to run).
 */
async function msPerStep(c: StepCase, engine: EngineName, backend: string): Promise<number> {
  await useBackend(backend, { explicit: true });
  const game = GAMES[c.game];
  const steps = engine === 'fused' ? Math.max(5 * c.steps, 300) : c.steps;
  const config = game.parseConfig(applyOverrides(game.presets[c.preset], [`training.steps=${steps}`, ...c.sets]));
  const streams = randomStreams(seed);
  const train = game.observations.generate(config, streams.data, config.training.trainSamples);
  const model = new MeanFieldModel(game, config, streams.dynamics, streams.parameters, { engine, registry: REGISTRY_MODULE });
  const { metrics } = await trainLoop({ model, train, validation: null, streams });
  return median(metrics.slice(Math.floor(metrics.length / 5)).map((m) => m.ms));
}

function header(title: string, columns: string[]): void {
  console.log(`\n${title}`);
  console.log(columns.map((c, i) => (i === 0 ? c.padEnd(46) : c.padStart(i === columns.length - 2 ? 22 : i === columns.length - 1 ? 16 : 18))).join(''));
}

function row(name: string, cells: string[]): void {
  console.log([name.padEnd(46), ...cells.map((c, i) => c.padStart(i === cells.length - 2 ? 22 : i === cells.length - 1 ? 16 : 18))].join(''));
}

/** graph/backend cells, the fused cell, and graph/fused ratios for the first backend. */
async function compare(cases: StepCase[], section: string): Promise<void> {
  header(`${section}: ms per training step (median)`, ['', ...variants.map((v) => v.label), `${variants[0].label} ÷ fused`, 'Python/JAX']);
  for (const c of cases) {
    const ms: Record<string, number> = {};
    for (const v of variants) ms[v.label] = await msPerStep(c, v.engine, v.backend);
    const ratio = ms[variants[0].label] / ms.fused;
    row(c.name, [...variants.map((v) => fmt(ms[v.label])), `${ratio.toFixed(1)}×`, c.reference ? fmt(c.reference) : '']);
    results.push({ section, case: c.name, msPerStep: ms, ratio, reference: c.reference ?? null });
  }
}

// ---------------------------------------------------------------------------------------------
console.log(`neural-mfg benchmark — ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, node ${process.version}, tfjs ${tf.version_core}`);

if (sections.has('steps')) {
  await compare(
    [
      { name: 'meeting fig2b (batch 4, 42 agents, 14 steps)', game: 'meeting', preset: 'fig2b', sets: [], steps: 40, reference: 4.2 },
      { name: 'El Farol fig3b', game: 'el-farol', preset: 'fig3b', sets: [], steps: 40, reference: 2.2 },
      { name: "Liar's dice train (batch 64, 5 × 30 dice)", game: 'liars-dice', preset: 'train', sets: [], steps: 12, reference: 35 },
      {
        name: 'meeting, batch 64, 4,200 agents',
        game: 'meeting',
        preset: 'fig2b',
        sets: ['agents=4200', 'data.groups=20', 'data.perGroup=210', 'training.batchSize=64', 'training.trainSamples=64'],
        steps: 8,
        reference: 1475,
      },
    ],
    'steps',
  );
}

if (sections.has('scaling')) {
  const sized = (agents: number, batch: number): StepCase => ({
    name: `meeting, ${agents.toLocaleString('en')} agents, batch ${batch}`,
    game: 'meeting',
    preset: 'fig2b',
    sets: [`agents=${agents}`, 'data.groups=6', `data.perGroup=${agents / 6}`, `training.batchSize=${batch}`, `training.trainSamples=${Math.max(batch, 10)}`],
    steps: agents >= 42000 ? 4 : 10,
  });
  await compare([42, 420, 4200, 42000].map((a) => sized(a, 4)), 'scaling with agents');
  await compare([1, 4, 64].map((b) => sized(42, b)), 'scaling with the batch');
}

/** Wall seconds and peak RSS (MB) of a command, from GNU time where present. */
function timed(args: string[]): { seconds: number; peakMb: number | null } {
  const gnuTime = existsSync('/usr/bin/time');
  const started = performance.now();
  const r = gnuTime
    ? spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...args], { encoding: 'utf8' })
    : spawnSync(process.execPath, args, { encoding: 'utf8' });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  const kb = gnuTime ? Number(r.stderr.trim().split('\n').pop()) : NaN;
  return { seconds, peakMb: Number.isFinite(kb) ? kb / 1024 : null };
}

if (sections.has('runs')) {
  const runs: { name: string; args: string[]; reference?: string }[] = [
    { name: 'meeting fig2b, 300 steps + validation (1,000)', args: ['train', 'meeting'], reference: '63.5 s, 794 MB' },
    { name: 'El Farol fig3b, 300 steps + validation (100)', args: ['train', 'el-farol'], reference: '25.3 s' },
    { name: "Liar's dice train, 500 steps + validation (100)", args: ['train', 'liars-dice'], reference: '87 s' },
  ];
  header(`whole runs from the shell (median of ${repeat}): seconds, peak RSS`, ['', ...variants.map((v) => v.label), `${variants[0].label} ÷ fused`, 'Python/JAX']);
  for (const r of runs) {
    const cells: Record<string, { seconds: number; peakMb: number | null }> = {};
    for (const v of variants) {
      // graph Liar's dice runs for minutes (over twenty on the cpu backend): once, on the first backend
      const slow = r.args[1] === 'liars-dice' && v.engine === 'graph';
      if (slow && v.backend !== backends[0]) continue;
      const times = slow ? 1 : repeat;
      const samples = [];
      for (let i = 0; i < times; i++) {
        const out = mkdtempSync(join(tmpdir(), 'nmfg-bench-'));
        try {
          samples.push(timed(['bin/neural-mfg.js', ...r.args, '--out', out, '--quiet', '--seed', String(seed), '--engine', v.engine, '--backend', v.backend]));
        } finally {
          rmSync(out, { recursive: true, force: true });
        }
      }
      cells[v.label] = { seconds: median(samples.map((s) => s.seconds)), peakMb: samples[0].peakMb === null ? null : median(samples.map((s) => s.peakMb!)) };
    }
    const show = (c?: { seconds: number; peakMb: number | null }) => (c ? `${c.seconds.toFixed(1)} s${c.peakMb === null ? '' : `, ${c.peakMb.toFixed(0)} MB`}` : '—');
    const ratio = cells[variants[0].label].seconds / cells.fused.seconds;
    row(r.name, [...variants.map((v) => show(cells[v.label])), `${ratio.toFixed(1)}×`, r.reference ?? '']);
    results.push({ section: 'runs', case: r.name, runs: cells, ratio, reference: r.reference ?? null });
  }
}

if (sections.has('sweep')) {
  header('the fair bluff sweep (analyze liars-dice --preset bluff-sweep-fair, 11 networks)', ['', 'seconds', 'peak MB']);
  for (const v of variants.filter((x) => x.engine === 'fused' || x.backend === backends[0])) {
    const out = mkdtempSync(join(tmpdir(), 'nmfg-bench-'));
    try {
      const t = timed(['bin/neural-mfg.js', 'analyze', 'liars-dice', '--preset', 'bluff-sweep-fair', '--out', out, '--engine', v.engine, '--backend', v.backend]);
      row(v.label, [t.seconds.toFixed(0), t.peakMb?.toFixed(0) ?? '—']);
      results.push({ section: 'sweep', case: v.label, ...t });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
}

// ---- the fused GPU engine (src/gpu/): its own section, its own table (scripts/gpu/measure.ts) ----
if (sections.has('gpu') || backends.includes('webgpu')) {
  const { gpuSection } = await import('./gpu/measure.ts');
  results.push(...(await gpuSection(values['gpu-sizes'].split(','), { steps: Number(values['gpu-steps']), seed, cpuUpTo: 100_000 })));
}

if (values.report) {
  // the tables of the README's Speed section, from `results`
  const first = variants[0].label;
  const ms = (x: number) => `${fmt(x)} ms`;
  const run = (c?: { seconds: number; peakMb: number | null }) => (c ? `${c.seconds.toFixed(2)} s${c.peakMb === null ? '' : `, ${c.peakMb.toFixed(0)} MB`}` : '—');
  const body: string[] = [
    `Steps: the median step after the JIT's warm-up, no validation; whole runs: the compiled command from the shell, wall time and peak RSS, median of ${repeat}. The Python/JAX column quotes the reference's figures on a 2-core CPU (not re-run here).`,
    '',
    `| work | ${first} | fused | ${first} ÷ fused | Python/JAX reference |`,
    '| --- | --- | --- | --- | --- |',
  ];
  for (const r of results as { section: string; case: string; msPerStep?: Record<string, number>; runs?: Record<string, { seconds: number; peakMb: number | null }>; ratio: number; reference: number | string | null }[]) {
    if (r.section === 'steps') body.push(`| ${r.case}, one training step | ${ms(r.msPerStep![first])} | ${ms(r.msPerStep!.fused)} | ${r.ratio.toFixed(1)}× | ${r.reference === null ? '' : ms(Number(r.reference))} |`);
    if (r.section === 'runs') body.push(`| ${r.case}, whole run | ${run(r.runs![first])} | ${run(r.runs!.fused)} | ${r.ratio.toFixed(1)}× | ${r.reference ?? ''} |`);
  }
  const scaling = (results as { section: string; case: string; msPerStep?: Record<string, number> }[]).filter((r) => r.section.startsWith('scaling'));
  if (scaling.length > 0) {
    body.push('', `| meeting step | ${first} | fused |`, '| --- | --- | --- |');
    for (const r of scaling) body.push(`| ${r.case} | ${ms(r.msPerStep![first])} | ${ms(r.msPerStep!.fused)} |`);
  }
  writeReport(values.report, 'speed', { title: 'Speed: the graph engine against the fused engine', body, raw: { backends, repeat, seed, results } });
}

if (values.json) {
  await writeFile(values.json, JSON.stringify({ machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version }, results }, null, 2) + '\n');
  console.log(`\nwrote ${values.json}`);
}
