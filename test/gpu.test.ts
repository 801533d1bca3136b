// The fused GPU engine (src/gpu/, WebGPU compute shaders on Dawn) against the fused CPU engine, on
// whatever adapter Dawn finds: Mesa's software rendering (llvmpipe/lavapipe) in CI, a GPU where
// there is one (scripts/gpu-check.sh). Every registered game and preset the GPU engine runs is
// compared with the fused engine in test/games.test.ts; here, its own configurations (both radix
// widths of the exact quantile, a large population, no hidden map, fresh draws per step) agree for
// the loss, every gradient entry and the states at every save time; the GPU's quantile equals a sort's at 42, 4,200 and 100,000 agents; short training
// runs (with the host's optimiser, and with the GPU's) end at the same losses; a training step is
// under 120 dispatches and one host read. Also: engine selection, the Liar's dice fallback, and
// the refusal of software rendering without --allow-software. Reported skipped by the runner when
// the webgpu packages are not installed or Dawn finds no adapter (test/helpers/webgpu.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertSameTraining } from './helpers/short-run.ts';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GAMES } from '../games/index.ts';
import { applyOverrides } from '../src/config.ts';
import { MeanFieldModel } from '../src/mfg/model.ts';
import type { EngineName, SolveRequest } from '../src/mfg/engine.ts';
import { decideEngine } from '../src/run/engine.ts';
import { RandomStream } from '../src/random.ts';
import { randomStreams } from '../src/streams.ts';
import { trainLoop, type TrainState } from '../src/train/loop.ts';
import { batchOf } from '../src/data/dataset.ts';
import { createOptimizer, OPTIMIZER_DEFAULTS } from '../src/train/optimizers.ts';
import { startEngineBackend } from '../src/backend.ts';
import { SoftwareRenderingError, type GpuContext } from '../src/gpu/device.ts';
import { adapterName } from '../src/gpu/dawn.ts';
import { testWith } from './helpers/requires.ts';
import { gpu, startTestGpu, webgpu } from './helpers/webgpu.ts';
import { gpuQuantiles } from '../src/gpu/select.ts';
import type { GpuFusedEngine } from '../src/gpu/engine.ts';

const LOSS_TOLERANCE = 1e-5;
const GRADIENT_TOLERANCE = 1e-4;
const STATE_TOLERANCE = 1e-5;
const BIN = join(import.meta.dirname, '..', 'bin', 'neural-mfg.js');

test.before(async () => {
  const ctx = await startTestGpu();
  if (ctx) console.log(`gpu engine tests on ${adapterName(ctx.adapter)}${ctx.adapter.software ? ', software rendering' : ''}`);
});

/** Registers a test that runs where the GPU engine can start, and is reported skipped elsewhere. */
function gpuTest(name: string, fn: (gpu: GpuContext) => void | Promise<void>): void {
  testWith(test, webgpu)(name, () => fn(gpu()));
}

interface Case {
  game: string;
  preset: string;
  sets: string[];
  /** radix digits of the quantile: 8 or 11 bits a pass */
  bits?: 8 | 11;
}

/**
 * The GPU engine's own configurations (every registered game and preset it runs is compared with the
 * fused engine in test/games.test.ts): both radix widths of the quantile, a large population with
 * other activations, no hidden map between the first and the last, the per-step draws.
 */
const CASES: Case[] = [
  { game: 'meeting', preset: 'fig2b', sets: [], bits: 8 },
  { game: 'meeting', preset: 'fig2b', sets: [], bits: 11 },
  { game: 'meeting', preset: 'fig2b', sets: ['agents=4200', 'data.groups=20', 'data.perGroup=210', 'network.activation="tanh"', 'network.outputActivation="sigmoid"', 'network.depth=2'], bits: 8 },
  { game: 'el-farol', preset: 'fig3b', sets: ['mechanics.attendance="fresh"', 'mechanics.clipGradient="zero"', 'training.trajectories=2', 'network.depth=1'] },
];

function configOf(c: Case) {
  const game = GAMES[c.game];
  return { game, config: game.parseConfig(applyOverrides(game.presets[c.preset], c.sets)) };
}

interface Outcome {
  loss: number;
  gradient: Float32Array;
  states: Float32Array;
  lossOfStates: number;
  dispatches: number;
  reads: number;
}

/** One training step's loss and gradient, a simulation at every save time and the loss of its final states. */
function outcome(c: Case, engine: EngineName, random: boolean): Outcome {
  const { game, config } = configOf(c);
  const s = randomStreams(3);
  const batch = Math.min(config.training.batchSize, config.training.trainSamples);
  const train = game.observations.generate(config, s.data, batch);
  if (c.bits) process.env.NEURAL_MFG_GPU_RADIX_BITS = String(c.bits);
  const model = new MeanFieldModel(game, config, s.dynamics, s.parameters, { engine });
  delete process.env.NEURAL_MFG_GPU_RADIX_BITS;
  const n = config.training.trajectories;
  const y0 = model.startStates(game.initialState(config, s.initialState), n);
  if (random) {
    const rng = new RandomStream(103);
    y0.forEach((x, i) => (y0[i] = c.game === 'meeting' ? x + rng.normal(0, 2) : rng.uniform() * 1.4 - 0.2));
  }
  const rows = Array.from({ length: batch }, (_, i) => i);
  const request = (): SolveRequest => ({ y0, trajectories: n, path: model.nextPath(n), network: true });
  const { loss, gradient } = model.lossAndGradient(request(), batchOf(train, rows));
  const counts = engine === 'gpu' ? { ...(model.engine as GpuFusedEngine).lastCall } : { dispatches: 0, reads: 0 };
  const run = model.simulate(request());
  const size = model.size * n;
  const final = run.states.slice(run.states.length - size);
  const lossOfStates = model.lossOfStates(final, n, batchOf(train, rows));
  return { loss, gradient, states: run.states, lossOfStates, dispatches: counts.dispatches, reads: counts.reads };
}

function assertAgree(cpu: Outcome, gpu: Outcome, what: string): void {
  const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
  assert.ok(relative(gpu.loss, cpu.loss) < LOSS_TOLERANCE, `${what}: loss gpu ${gpu.loss} vs cpu ${cpu.loss}`);
  assert.ok(relative(gpu.lossOfStates, cpu.lossOfStates) < LOSS_TOLERANCE, `${what}: lossOfStates gpu ${gpu.lossOfStates} vs cpu ${cpu.lossOfStates}`);
  let scale = 0;
  for (const g of cpu.gradient) scale = Math.max(scale, Math.abs(g));
  assert.ok(scale > 0, `${what}: a gradient to compare`);
  assert.is(gpu.gradient.length, cpu.gradient.length);
  let worst = 0;
  cpu.gradient.forEach((g, i) => (worst = Math.max(worst, Math.abs(gpu.gradient[i] - g) / scale)));
  assert.ok(worst < GRADIENT_TOLERANCE, `${what}: gradients differ by ${worst.toExponential(2)} of the largest entry`);
  assert.is(gpu.states.length, cpu.states.length, `${what}: saved states`);
  let top = 1;
  for (const x of cpu.states) top = Math.max(top, Math.abs(x));
  let stateError = 0;
  cpu.states.forEach((x, i) => (stateError = Math.max(stateError, Math.abs(gpu.states[i] - x) / top)));
  assert.ok(stateError < STATE_TOLERANCE, `${what}: states at the save times differ by ${stateError.toExponential(2)}`);
}

for (const c of CASES) {
const name = `${c.game}/${c.preset}${c.sets.length ? ` (${c.sets.join(' ')})` : ''}${c.bits ? `, ${c.bits}-bit radix` : ''}`;
  gpuTest(`gpu = fused (CPU) for ${name}: loss, every gradient, states at every save time`, () => {
    for (const random of [false, true]) {
      assertAgree(outcome(c, 'fused', random), outcome(c, 'gpu', random), `${name}, ${random ? 'random' : 'preset'} initial state`);
    }
  });
}

gpuTest('a meeting fig2b training step is under 120 dispatches, one submission and one host read', () => {
  for (const bits of [8, 11] as const) {
    const out = outcome({ game: 'meeting', preset: 'fig2b', sets: [], bits }, 'gpu', false);
    // forward: 1 + 14 steps × (radix passes); reverse: 1 + 2 × 14
    const expected = 1 + 14 * (bits === 8 ? 4 : 3) + 1 + 2 * 14;
    assert.is(out.dispatches, expected, `${bits}-bit digits`);
    assert.ok(out.dispatches < 120);
    assert.is(out.reads, 1);
  }
  const elFarol = outcome({ game: 'el-farol', preset: 'fig3b', sets: [] }, 'gpu', false);
  assert.is(elFarol.dispatches, 1 + 14 * 2 + 1 + 2 * 14);
  assert.is(elFarol.reads, 1);
});

gpuTest('the GPU quantile equals a sort (ties, negative values, ±0) at 42, 4,200 and 100,000 agents', (gpu) => {
  const rng = new RandomStream(9);
  for (const n of [42, 4200, 100_000]) {
    const rows = 2;
    const values = new Float32Array(rows * n);
    for (let i = 0; i < n; i++) {
      values[i] = Math.round(rng.normal(12, 1) * 8) / 8; // ties
      values[n + i] = i % 9 === 0 ? (i % 2 ? -0 : 0) : rng.normal(0, 3);
    }
    const qs = n === 100_000 ? [0.8] : [0, 0.25, 0.8, 1];
    for (const bits of [8, 11] as const) {
      for (const q of qs) {
        const got = gpuQuantiles(gpu, values, rows, q, bits);
        for (let r = 0; r < rows; r++) {
          const sorted = values.slice(r * n, (r + 1) * n).sort();
          const x = q * (n - 1);
          const lo = Math.floor(x);
          const hi = Math.min(lo + 1, n - 1);
          const frac = x - lo;
          const expected = frac === 0 ? sorted[lo] : Math.fround(sorted[lo] + Math.fround(Math.fround(sorted[hi] - sorted[lo]) * Math.fround(frac)));
          assert.ok(got[r] === expected, `n = ${n}, q = ${q}, row ${r}, ${bits}-bit: ${got[r]} vs sorted ${expected}`);
        }
      }
    }
  }
});

gpuTest('a short training run with fresh draws every step (El Farol\'s attendance) ends at the same losses on the GPU as on the CPU', async () => {
  await assertSameTraining('el-farol', 'fig3b', ['training.steps=12', 'mechanics.attendance="fresh"'], 'gpu', 'fused');
});

gpuTest('training on the GPU (parameters and optimiser kept there) stops, checkpoints and resumes to the same weights', async () => {
  const game = GAMES.meeting;
  const config = game.parseConfig(applyOverrides(game.presets.fig2b, ['training.steps=8', 'training.validationSamples=20']));
  const fresh = () => {
    const streams = randomStreams(4);
    const train = game.observations.generate(config, streams.data, 10);
    const validation = game.observations.generate(config, streams.data, 20);
    return { streams, train, validation, model: new MeanFieldModel(game, config, streams.dynamics, streams.parameters, { engine: 'gpu' }) };
  };
  const a = fresh();
  await trainLoop({ model: a.model, train: a.train, validation: a.validation, streams: a.streams });
  const straight = Array.from(a.model.params);
  const b = fresh();
  let saved: TrainState | null = null;
  let n = 0;
  await trainLoop({
    model: b.model, train: b.train, validation: b.validation, streams: b.streams,
    onStep: () => n++, shouldStop: () => n >= 3,
    checkpoint: { every: 0, save: async (state) => { saved = structuredClone(state); } },
  });
  assert.ok(saved !== null);
  const c = fresh();
  await trainLoop({ model: c.model, train: c.train, validation: c.validation, streams: c.streams, resume: saved! });
  let worst = 0;
  straight.forEach((p, i) => (worst = Math.max(worst, Math.abs(c.model.params[i] - p))));
  assert.ok(worst < 1e-6, `resumed weights differ by ${worst}`);
});

gpuTest('trainStep (the optimiser on the GPU, one read of the loss) follows the host optimiser on the same gradients', () => {
  for (const name of ['adabelief', 'adam'] as const) {
    const game = GAMES.meeting;
    const config = game.parseConfig(game.presets.fig2b);
    const cfg = { ...OPTIMIZER_DEFAULTS[name], learningRate: 0.01 };
    const make = (engine: EngineName) => {
      const s = randomStreams(5);
      const model = new MeanFieldModel(game, config, s.dynamics, s.parameters, { engine });
      const train = game.observations.generate(config, s.data, 4);
      return { model, batch: batchOf(train, [0, 1, 2, 3]), x0: model.startStates(game.initialState(config, s.initialState), 1) };
    };
    // both on the GPU, so that both optimisers see the same gradients: AdaBelief's ε = 1e-16 turns
    // float32 noise in a near-zero gradient entry into a whole step
    const a = make('gpu');
    const b = make('gpu');
    const engine = b.model.engine as GpuFusedEngine;
    engine.attachOptimizer(cfg);
    const opt = createOptimizer(cfg, a.model.params.length);
    for (let step = 0; step < 5; step++) {
      const { loss, gradient } = a.model.lossAndGradient({ y0: a.x0, trajectories: 1, path: a.model.nextPath(1), network: true }, a.batch);
      opt.apply(a.model.params, gradient);
      const r = engine.trainStep({ y0: b.x0, trajectories: 1, path: b.model.nextPath(1), network: true }, b.batch);
      assert.ok(r.finite);
      assert.ok(Math.abs(r.loss - loss) / loss < 1e-5, `${name} step ${step}: loss gpu ${r.loss} vs host ${loss}`);
      assert.is(engine.lastCall.reads, 1, 'one host read per step');
      // uploads after the first step: the initial states, the observations' constants, the optimiser's step
      if (step > 0) assert.ok(engine.lastCall.writeBytes < a.model.params.length * 4, `no parameter upload per step (${engine.lastCall.writeBytes} bytes)`);
    }
    const params = engine.downloadParams();
    let worst = 0;
    a.model.params.forEach((p, i) => (worst = Math.max(worst, Math.abs(params[i] - p))));
    assert.ok(worst < 1e-5, `${name}: parameters after 5 steps differ by ${worst}`);
    const state = engine.optimizerState();
    assert.is(state.step, 5);
    const hostState = opt.getState();
    let mWorst = 0;
    hostState.m.forEach((m, i) => (mWorst = Math.max(mWorst, Math.abs(state.m[i] - m))));
    assert.ok(mWorst < 1e-5, `${name}: first moments differ by ${mWorst}`);
    engine.detachOptimizer();
    assert.is(engine.params, 'host');
  }
});

gpuTest('--backend webgpu selects the GPU engine for meeting and El Farol; Liar\'s dice runs fused on the CPU with a note', () => {
  for (const name of ['meeting', 'el-farol']) {
    const game = GAMES[name];
    const config = game.parseConfig(game.presets[game.defaultPresets.train]);
    assert.equal(decideEngine(game, config, { backend: 'webgpu' }, { gpu: true }), { name: 'gpu', note: null });
    assert.equal(decideEngine(game, config, { engine: 'fused', backend: 'webgpu' }, { gpu: true }), { name: 'gpu', note: null });
    assert.is(decideEngine(game, config, { engine: 'graph', backend: 'webgpu' }, { gpu: true }).name, 'graph');
    assert.is(decideEngine(game, config, { backend: 'webgpu' }, { gpu: false }).name, 'graph');
    assert.is(decideEngine(game, config, {}, { gpu: false }).name, 'fused');
  }
  const dice = GAMES['liars-dice'];
  const config = dice.parseConfig(dice.presets.train);
  const fused = decideEngine(dice, config, { engine: 'fused', backend: 'webgpu' }, { gpu: true });
  assert.is(fused.name, 'fused');
  assert.match(fused.note!, /no GPU kernels.*runs on the CPU/);
  assert.is(decideEngine(dice, config, { backend: 'webgpu' }, { gpu: true }).name, 'graph');
});

gpuTest('software rendering is refused without --allow-software, with a message that says so', async (gpu) => {
  if (!gpu.adapter.software) {
    assert.is(await startEngineBackend('gpu', 'webgpu', { explicit: true }), 'webgpu');
    return;
  }
  const allowed = process.env.NEURAL_MFG_ALLOW_SOFTWARE;
  delete process.env.NEURAL_MFG_ALLOW_SOFTWARE;
  try {
    await startEngineBackend('gpu', 'webgpu', { explicit: true });
    assert.unreachable('software rendering was accepted');
  } catch (err) {
    assert.instance(err, SoftwareRenderingError);
    assert.match((err as Error).message, '--allow-software');
    assert.match((err as Error).message, 'not on a GPU');
  } finally {
    if (allowed !== undefined) process.env.NEURAL_MFG_ALLOW_SOFTWARE = allowed;
  }
  assert.is(await startEngineBackend('gpu', 'webgpu', { explicit: true, allowSoftware: true }), 'webgpu');
  const out = join(await mkdtemp(join(tmpdir(), 'neural-mfg-gpu-')), 'run');
  const env = { ...process.env };
  delete env.NEURAL_MFG_ALLOW_SOFTWARE;
  const r = spawnSync(process.execPath, [BIN, 'train', 'meeting', '--backend', 'webgpu', '--set', 'training.steps=1', '--out', out], { encoding: 'utf8', env, timeout: 120_000 });
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /software rendering.*--allow-software/s);
  assert.is(existsSync(out), false, 'the output folder was created');
});
test.run();
