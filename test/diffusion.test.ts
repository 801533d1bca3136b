// The neural diffusion (noise.diffusion "neural", --diffusion neural) and the distributional losses
// (training.loss "energy" | "sliced-wasserstein"): the diffusion's gradient against finite
// differences, the distances zero for identical populations and positive otherwise (with gradients
// against finite differences), the amplitude starting at σ, order equivariance, and no tensor
// leaks in a graph-engine training loop.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { testBackend } from './helpers/backend.ts';
import { GAMES } from '../games/index.ts';
import { withOverrides } from '../src/config-fields.ts';
import type { ExperimentConfig } from '../src/config.ts';
import { MeanFieldModel, populationsAt } from '../src/mfg/model.ts';
import { distributionalLoss } from '../src/fused/distances.ts';
import { distributionalLossTensor } from '../src/mfg/distances.ts';
import { diffusionAmplitudes } from '../src/fused/agent-network.ts';
import { FusedMlp } from '../src/fused/mlp.ts';
import { learnedAmplitude } from '../src/run/diffusion.ts';
import { batchOf } from '../src/data/dataset.ts';
import { RandomStream } from '../src/random.ts';
import { randomStreams } from '../src/streams.ts';
import { trainLoop } from '../src/train/loop.ts';
import { tf } from '../src/tf.ts';
import type { EngineName } from '../src/mfg/engine.ts';

test.before(testBackend);

const meeting = GAMES.meeting;
const meetingConfig = (sets: string[]): ExperimentConfig => withOverrides(meeting, meeting.parseConfig(meeting.presets.fig2b), sets);
const KINDS = ['energy', 'sliced-wasserstein'] as const;

test('the distributional losses are 0 for identical populations and positive otherwise', () => {
  const rng = new RandomStream(1);
  const q = Float64Array.from({ length: 84 }, () => rng.normal(15, 0.8));
  const same = Float32Array.from(q.subarray(0, 42)); // the first half of q…
  const both = Float64Array.from([...same, ...same]); // …observed twice: the same distribution
  for (const kind of KINDS) {
    assert.ok(Math.abs(distributionalLoss(kind, same, 1, 42, both, null)) < 1e-12, `${kind}: fused, identical`);
    const graph = tf.tidy(() => distributionalLossTensor(kind, tf.tensor2d(same, [1, 42]), both).dataSync()[0]);
    assert.ok(Math.abs(graph) < 1e-5, `${kind}: graph, identical (${graph})`);
    for (const shift of [0.01, 0.5, 3]) {
      const moved = Float32Array.from(same, (x) => x + shift);
      const loss = distributionalLoss(kind, moved, 1, 42, both, null);
      assert.ok(loss > 0, `${kind}: shifted by ${shift}`);
      // a pure shift: W₂² = shift²
      if (kind === 'sliced-wasserstein') assert.ok(Math.abs(loss - Math.fround(shift) ** 2) < 1e-4 * Math.max(1, shift ** 2), `W₂² of a shift ${shift}: ${loss}`);
    }
    // another spread, the same mean
    const spread = Float32Array.from(same, (x) => 15 + 2 * (x - 15));
    assert.ok(distributionalLoss(kind, spread, 1, 42, both, null) > 0, `${kind}: spread`);
  }
});

test('the energy distance and W₂² equal their closed forms for small samples (fused and graph)', () => {
  // p = {0, 2}, q = {1, 4, 7}: 2/6·Σ|p−q| = 2·20/6, 1/4·Σ|p−p'| = 4/4, 1/9·Σ|q−q'| = 24/9, so E = 3;
  // the quantile functions differ by 1, 4, 2, 5 on [0, 1/3), [1/3, 1/2), [1/2, 2/3), [2/3, 1): W₂² = 12
  // p = {1, 4} (a second population, mean over populations): E = 2·15/6 − 6/4 − 24/9 = 5/6
  // p = {1, 1, 3}, q = {1, 2} (ties): E = 2·5/6 − 8/9 − 2/4 = 5/18
  const cases: { kind: (typeof KINDS)[number]; p: number[]; n: number; q: number[]; expected: number }[] = [
    { kind: 'energy', p: [0, 2], n: 1, q: [1, 4, 7], expected: 3 },
    { kind: 'energy', p: [0, 2, 1, 4], n: 2, q: [1, 4, 7], expected: (3 + 5 / 6) / 2 },
    { kind: 'energy', p: [1, 1, 3], n: 1, q: [1, 2], expected: 5 / 18 },
    { kind: 'sliced-wasserstein', p: [0, 2], n: 1, q: [1, 4, 7], expected: 12 },
    { kind: 'sliced-wasserstein', p: [2, 0], n: 1, q: [7, 1, 4], expected: 12 },
  ];
  for (const c of cases) {
    const size = c.p.length / c.n;
    const fused = distributionalLoss(c.kind, Float32Array.from(c.p), c.n, size, Float64Array.from(c.q), null);
    assert.ok(Math.abs(fused - c.expected) < 1e-12, `${c.kind} of ${c.p} against ${c.q}: fused ${fused}, closed form ${c.expected}`);
    if (c.n === 1) {
      const graph = tf.tidy(() => distributionalLossTensor(c.kind, tf.tensor2d(c.p, [1, size]), Float64Array.from(c.q)).dataSync()[0]);
      assert.ok(Math.abs(graph - c.expected) < 1e-5 * c.expected, `${c.kind} of ${c.p} against ${c.q}: graph ${graph}, closed form ${c.expected}`);
    }
  }
});

test('the distributional losses\' gradients match finite differences (several populations, uneven sizes)', () => {
  const rng = new RandomStream(2);
  const n = 3;
  const size = 17;
  const pred = Float32Array.from({ length: n * size }, () => rng.normal(0, 1));
  const q = Float64Array.from({ length: 29 }, () => rng.normal(0.3, 1.4));
  for (const kind of KINDS) {
    const grad = new Float64Array(n * size);
    distributionalLoss(kind, pred, n, size, q, grad);
    for (const i of [0, 5, 17, 33, 50]) {
      const h = 1e-3;
      const up = Float32Array.from(pred);
      const down = Float32Array.from(pred);
      up[i] += h;
      down[i] -= h;
      const fd = (distributionalLoss(kind, up, n, size, q, null) - distributionalLoss(kind, down, n, size, q, null)) / (up[i] - down[i]);
      assert.ok(Math.abs(fd - grad[i]) < 1e-4 + 1e-3 * Math.abs(fd), `${kind} ∂/∂p_${i}: ${grad[i]} vs finite differences ${fd}`);
    }
  }
});

test('the neural diffusion\'s gradient matches finite differences (fused; the graph engine is held to it in engines.test.ts)', () => {
  // no MFG drift (α = β = γ = 0): the loss is smooth in every parameter
  const config = meetingConfig([
    'network.kind="none"',
    'noise.diffusion="neural"',
    'noise.layout="independent"',
    'noise.sigma=0.7',
    'mechanics.alpha=0',
    'mechanics.beta=0',
    'mechanics.gamma=0',
    'time.t1=6',
    'time.saveAt=[6]',
  ]);
  const s = randomStreams(4);
  const model = new MeanFieldModel(meeting, config, s.dynamics, s.parameters, { engine: 'fused' });
  const observations = meeting.observations.generate(config, s.data, 4);
  const batch = batchOf(observations, [0, 1, 2, 3]);
  const y0 = model.startStates(meeting.initialState(config, s.initialState), 2);
  const path = model.nextPath(2);
  const request = { y0, trajectories: 2, path, network: true };
  const { gradient } = model.lossAndGradient(request, batch);
  assert.is(gradient.length, model.params.length);
  const order = Array.from(gradient.keys()).sort((a, b) => Math.abs(gradient[b]) - Math.abs(gradient[a]));
  for (const i of order.slice(0, 6)) {
    const h = 1e-2;
    const saved = model.params[i];
    model.params[i] = saved + h;
    const up = model.loss(request, batch);
    model.params[i] = saved - h;
    const down = model.loss(request, batch);
    model.params[i] = saved;
    const fd = (up - down) / (2 * h);
    assert.ok(Math.abs(fd - gradient[i]) < 0.02 * Math.abs(gradient[i]) + 1e-4, `∂L/∂θ_${i}: ${gradient[i]} vs finite differences ${fd}`);
  }
});

test('the learned amplitude starts at noise.sigma where the diffusion network gives 0, and is equivariant', () => {
  const config = meetingConfig(['noise.diffusion="neural"', 'noise.layout="independent"', 'noise.sigma=0.37']);
  const s = randomStreams(5);
  const model = new MeanFieldModel(meeting, config, s.dynamics, s.parameters, { engine: 'fused' });
  const spec = model.diffusionSpec!;
  const start = new FusedMlp(model.spec).parameterCount;
  const block = model.params.subarray(start, start + new FusedMlp(spec).parameterCount);
  const rng = new RandomStream(3);
  const y = Float32Array.from({ length: 42 }, () => rng.normal(13, 1));
  const offset = Math.log(Math.expm1(0.37));
  const mlp = new FusedMlp(spec);
  const sigma = diffusionAmplitudes(mlp, block, [0.2, 0.5, 0.8], offset, y, 4);
  const perm = rng.permutation(42);
  const permuted = diffusionAmplitudes(mlp, block, [0.2, 0.5, 0.8], offset, Float32Array.from(perm, (p) => y[p]), 4);
  for (let i = 0; i < 42; i++) assert.is(permuted[i], sigma[perm[i]], `agent ${i}`);
  assert.ok(sigma.some((x) => Math.abs(x - 0.37) > 1e-3), 'an untrained network moves the amplitude');
  block.fill(0);
  const run = model.simulate({ y0: Float32Array.from(y), trajectories: 1, path: model.nextPath(1), network: true });
  const learned = learnedAmplitude(model, populationsAt(run, 1), config.time.saveAt)!;
  assert.ok(Math.abs(learned.mean - 0.37) < 1e-6 && learned.std < 1e-6, `σ = ${learned.mean} ± ${learned.std}`);
});

test('the MFG-only dynamics of a model with a neural diffusion keep the constant σ', () => {
  const fixed = meetingConfig(['noise.layout="independent"']);
  const neural = meetingConfig(['noise.layout="independent"', 'noise.diffusion="neural"']);
  const run = (config: ExperimentConfig) => {
    const s = randomStreams(8);
    const model = new MeanFieldModel(meeting, config, s.dynamics, s.parameters, { engine: 'fused' });
    return model.simulate({ y0: model.startStates(meeting.initialState(config, s.initialState), 1), trajectories: 1, path: model.nextPath(1), network: false }).states;
  };
  assert.equal(Array.from(run(neural)), Array.from(run(fixed)));
});

test('training with an agent network, a neural diffusion and a distributional loss leaks no tensors (graph engine)', async () => {
  for (const loss of KINDS) {
    const config = meetingConfig(['network.kind="agent"', 'noise.diffusion="neural"', 'noise.layout="independent"', 'noise.path="fresh"', `training.loss="${loss}"`, 'training.steps=6']);
    const s = randomStreams(9);
    const model = new MeanFieldModel(meeting, config, s.dynamics, s.parameters, { engine: 'graph' as EngineName });
    const train = meeting.observations.generate(config, s.data, 8);
    const validation = meeting.observations.generate(config, s.data, 4);
    const counts: number[] = [];
    const { metrics } = await trainLoop({ model, train, validation, streams: s, onStep: () => counts.push(tf.memory().numTensors) });
    assert.is(metrics.length, 6);
    assert.ok(metrics.every((m) => Number.isFinite(m.trainLoss)));
    assert.ok(counts.every((c) => c === counts[0]), `${loss}: tensors per step ${counts.join(', ')}`);
  }
});

test('a short training run recovers the noise level of data simulated with it within 10 %', async () => {
  // observations: the MFG dynamics with independent noise of σ = 0.5; the model starts at σ = 1
  const base = ['noise.layout="independent"', 'noise.path="fresh"', 'time.dt=0.25'];
  const truth = meetingConfig([...base, 'noise.sigma=0.5']);
  const s0 = randomStreams(11);
  const dataModel = new MeanFieldModel(meeting, truth, s0.dynamics, s0.parameters, { engine: 'fused' });
  const samples = 40;
  const y0 = new Float32Array(samples * 42);
  for (let k = 0; k < samples; k++) y0.set(meeting.initialState(truth, s0.initialState), k * 42);
  const finals = dataModel.simulate({ y0, trajectories: samples, path: dataModel.nextPath(samples), network: false, saveAt: [15] }).states;
  const train = { values: Float64Array.from(finals), shape: [samples, 42], labels: Array.from({ length: samples }, (_, k) => String(k)) };
  const config = meetingConfig([...base, 'noise.sigma=1', 'network.kind="none"', 'noise.diffusion="neural"', 'training.loss="energy"', 'training.learningRate=0.01', 'training.steps=150', 'training.batchSize=16', 'training.trajectories=8']);
  const s = randomStreams(12);
  const model = new MeanFieldModel(meeting, config, s.dynamics, s.parameters, { engine: 'fused' });
  const amplitude = () => {
    const run = model.simulate({ y0: model.startStates(meeting.initialState(config, s.initialState), 1), trajectories: 1, path: model.nextPath(1), network: true });
    return learnedAmplitude(model, populationsAt(run, 1), config.time.saveAt)!.byTime.at(-1)!;
  };
  const before = amplitude();
  await trainLoop({ model, train, validation: null, streams: s });
  const after = amplitude();
  // the untrained network starts far from the truth (about 2.1); 150 steps land within 10 % of it
  // (the step-to-step noise of the energy loss on 8 populations moves the estimate by a few %)
  assert.ok(before > 1, `the untrained amplitude ${before}`);
  assert.ok(Math.abs(after - 0.5) < 0.05, `the final-turn amplitude went from ${before} to ${after}: not within 10 % of the truth 0.5`);
});

test.run();
