// Timing the fused GPU engine (src/gpu/): ms per training step and what a step dispatches and
// moves between host and GPU, at the paper's size and at large populations (batch 64), beside the
// fused CPU engine. Two ways to train on the GPU are timed:
//   loop      the training loop as it is (src/train/loop.ts): lossAndGradient, one read of the
//             loss and the gradient, the host's optimiser, the parameters uploaded again
//   resident  GpuFusedEngine.trainStep: the optimiser on the GPU, the parameters staying there, one
//             read of the loss; the same batch each step (its constants computed once), which is
//             what a training set kept on the GPU would give
// Used by `npm run bench -- --backends webgpu` (scripts/bench.ts) and scripts/gpu/bench-gpu.ts.
import { GAMES } from '../../games/index.ts';
import { applyOverrides } from '../../src/config.ts';
import { MeanFieldModel } from '../../src/mfg/model.ts';
import { randomStreams } from '../../src/streams.ts';
import { trainLoop } from '../../src/train/loop.ts';
import { batchOf } from '../../src/data/dataset.ts';
import { OPTIMIZER_DEFAULTS } from '../../src/train/optimizers.ts';
import { startGpu } from '../../src/gpu/device.ts';
import type { GpuFusedEngine } from '../../src/gpu/engine.ts';
import type { GpuCounters } from '../../src/gpu/device.ts';

export interface GpuCase {
  name: string;
  game: string;
  preset: string;
  sets: string[];
  agents: number;
  batch: number;
}

/** "paper" (meeting fig2b), "elfarol" (El Farol fig3b), or a number of agents (meeting, batch 64). */
export function gpuCase(label: string): GpuCase {
  if (label === 'paper') return { name: 'meeting fig2b (42 agents, batch 4)', game: 'meeting', preset: 'fig2b', sets: [], agents: 42, batch: 4 };
  if (label === 'elfarol') return { name: 'El Farol fig3b (42 agents, batch 4)', game: 'el-farol', preset: 'fig3b', sets: [], agents: 42, batch: 4 };
  const agents = Number(label);
  if (!Number.isInteger(agents) || agents < 20 || agents % 20 !== 0) throw new Error(`size ${label}: expected paper, elfarol or a multiple of 20 agents`);
  return {
    name: `meeting, ${agents.toLocaleString('en')} agents, batch 64`,
    game: 'meeting',
    preset: 'fig2b',
    sets: [`agents=${agents}`, 'data.groups=20', `data.perGroup=${agents / 20}`, 'training.batchSize=64', 'training.trainSamples=64', 'training.validationSamples=0'],
    agents,
    batch: 64,
  };
}

export interface PerStep {
  msPerStep: number;
  dispatches: number;
  submits: number;
  reads: number;
  readKiB: number;
  writeKiB: number;
}

export interface GpuStepResult {
  case: string;
  agents: number;
  batch: number;
  eulerSteps: number;
  /** the first call, shader compilation included */
  firstCallMs: number;
  loop: PerStep;
  resident: PerStep;
  /** the fused CPU engine through the training loop (null: not measured) */
  cpuFusedMs: number | null;
  trainLoss: number;
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function perStep(ms: number[], c: GpuCounters): PerStep {
  return {
    msPerStep: median(ms),
    dispatches: c.dispatches,
    submits: c.submits,
    reads: c.reads,
    readKiB: c.readBytes / 1024,
    writeKiB: c.writeBytes / 1024,
  };
}

/** Times `steps` training steps each way (the median of all but the first). */
export async function measureGpuStep(c: GpuCase, opts: { steps: number; seed: number; cpu: boolean; allowSoftware?: boolean }): Promise<GpuStepResult> {
  await startGpu({ allowSoftware: opts.allowSoftware ?? true });
  const game = GAMES[c.game];
  const steps = Math.max(2, opts.steps);
  const config = game.parseConfig(applyOverrides(game.presets[c.preset], [...c.sets, `training.steps=${steps}`]));
  const eulerSteps = Math.round((config.time.t1 - config.time.t0) / config.time.dt);
  const streams = randomStreams(opts.seed);
  const train = game.observations.generate(config, streams.data, config.training.trainSamples);

  // the training loop as it is: lossAndGradient, the host's optimiser
  const model = new MeanFieldModel(game, config, streams.dynamics, streams.parameters, { engine: 'gpu' });
  const engine = model.engine as GpuFusedEngine;
  let loopCounts: GpuCounters | null = null;
  const { metrics } = await trainLoop({
    model,
    train,
    validation: null,
    streams,
    onStep: () => (loopCounts = { ...engine.lastCall }),
  });
  const loop = perStep(metrics.slice(1).map((m) => m.ms), loopCounts!);

  // the optimiser on the GPU, the parameters resident, one batch
  const s2 = randomStreams(opts.seed);
  const resModel = new MeanFieldModel(game, config, s2.dynamics, s2.parameters, { engine: 'gpu' });
  const resEngine = resModel.engine as GpuFusedEngine;
  resEngine.attachOptimizer({ ...OPTIMIZER_DEFAULTS[config.training.optimizer as 'adabelief' | 'adam'], learningRate: config.training.learningRate });
  const batch = batchOf(train, Array.from({ length: c.batch }, (_, i) => i));
  const n = config.training.trajectories;
  const y0 = resModel.startStates(game.initialState(config, s2.initialState), n);
  const times: number[] = [];
  let firstCallMs = 0;
  for (let i = 0; i < steps; i++) {
    const started = performance.now();
    resEngine.trainStep({ y0, trajectories: n, path: resModel.nextPath(n), network: true }, batch);
    const ms = performance.now() - started;
    if (i === 0) firstCallMs = ms;
    else times.push(ms);
  }
  const resident = perStep(times, resEngine.lastCall);

  let cpuFusedMs: number | null = null;
  if (opts.cpu) {
    const s3 = randomStreams(opts.seed);
    const cpuModel = new MeanFieldModel(game, config, s3.dynamics, s3.parameters, { engine: 'fused' });
    const cpu = await trainLoop({ model: cpuModel, train, validation: null, streams: s3 });
    cpuFusedMs = median(cpu.metrics.slice(1).map((m) => m.ms));
  }
  return {
    case: c.name,
    agents: c.agents,
    batch: c.batch,
    eulerSteps,
    firstCallMs,
    loop,
    resident,
    cpuFusedMs,
    trainLoss: metrics[metrics.length - 1].trainLoss,
  };
}

const fmt = (ms: number | null) => (ms === null ? '—' : ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toPrecision(3));

export function gpuTableHeader(): string {
  return [
    ''.padEnd(40),
    'loop ms'.padStart(9),
    'resident ms'.padStart(12),
    'cpu fused ms'.padStart(13),
    'kernels'.padStart(8),
    'reads'.padStart(6),
    'read KiB'.padStart(10),
    'up KiB'.padStart(9),
    '| resident: reads'.padStart(18),
    'read KiB'.padStart(9),
    'up KiB'.padStart(8),
  ].join('');
}

export function gpuTableRow(r: GpuStepResult): string {
  const kib = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
  return [
    r.case.padEnd(40),
    fmt(r.loop.msPerStep).padStart(9),
    fmt(r.resident.msPerStep).padStart(12),
    fmt(r.cpuFusedMs).padStart(13),
    String(r.loop.dispatches).padStart(8),
    String(r.loop.reads).padStart(6),
    kib(r.loop.readKiB).padStart(10),
    kib(r.loop.writeKiB).padStart(9),
    String(r.resident.reads).padStart(18),
    kib(r.resident.readKiB).padStart(9),
    kib(r.resident.writeKiB).padStart(8),
  ].join('');
}

/**
 * The GPU section of `npm run bench` (scripts/bench.ts): the adapter, then per size the step
 * through the training loop and with the optimiser on the GPU, the fused CPU engine beside them,
 * the kernels (dispatches), host reads and bytes moved per step. Returns the results for --json.
 */
export async function gpuSection(sizes: string[], opts: { steps: number; seed: number; cpuUpTo: number }): Promise<Record<string, unknown>[]> {
  const { adapterName } = await import('../../src/gpu/dawn.ts');
  const ctx = await startGpu({ allowSoftware: true });
  const a = ctx.adapter;
  console.log(`\nthe fused GPU engine (--backend webgpu) on ${adapterName(a)}${a.software ? ' — SOFTWARE RENDERING on the CPU: no GPU timings' : ''}`);
  console.log('ms per training step (median): loop = src/train/loop.ts (gradient read back, host optimiser); resident = trainStep (optimiser on the GPU, one read: the loss)');
  console.log(gpuTableHeader());
  const out: Record<string, unknown>[] = [];
  for (const label of sizes) {
    const c = gpuCase(label);
    try {
      const r = await measureGpuStep(c, { steps: opts.steps, seed: opts.seed, cpu: c.agents <= opts.cpuUpTo });
      console.log(gpuTableRow(r));
      out.push({ section: 'gpu', software: a.software, ...r });
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      console.log(`${c.name.padEnd(40)} failed: ${error}`);
      out.push({ section: 'gpu', case: c.name, error });
    }
  }
  return out;
}
