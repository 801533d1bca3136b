import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tf, type Scalar, type Tensor } from '../src/tf.ts';
import { testBackend } from './helpers/backend.ts';
import { createOptimizer, OPTIMIZER_DEFAULTS } from '../src/train/optimizers.ts';
import { BatchLoader } from '../src/train/loader.ts';
import { DivergenceError, trainLoop, type TrainState } from '../src/train/loop.ts';
import { MeanFieldModel } from '../src/mfg/model.ts';
import type { EngineName } from '../src/mfg/engine.ts';
import type { GraphEngine } from '../src/mfg/graph.ts';
import { bindMlp } from '../src/nn/mlp.ts';
import { initialParameters, layerShapes, parameterCount } from '../src/nn/spec.ts';
import { RandomStream } from '../src/random.ts';
import { randomStreams } from '../src/streams.ts';
import { meeting } from '../games/meeting/index.ts';
import { GAMES } from '../games/index.ts';
import { applyOverrides, ConfigError } from '../src/config.ts';

test.before(testBackend);

test('AdaBelief follows Optax: v uses g − m with the updated m, plus ε_root, with bias correction', () => {
  const cfg = { ...OPTIMIZER_DEFAULTS.adabelief, learningRate: 0.1 };
  const opt = createOptimizer(cfg, 2);
  const theta = Float32Array.from([1, -2]);
  const grads = [
    [0.5, -1],
    [0.2, 0.3],
    [-0.4, 0.1],
  ];
  // host reference in float64
  let m = [0, 0];
  let v = [0, 0];
  const th = [1, -2];
  grads.forEach((g, i) => {
    const n = i + 1;
    m = m.map((mi, j) => 0.9 * mi + 0.1 * g[j]);
    v = v.map((vi, j) => 0.999 * vi + 0.001 * (g[j] - m[j]) ** 2 + 1e-16);
    for (let j = 0; j < 2; j++) {
      const mh = m[j] / (1 - 0.9 ** n);
      const vh = v[j] / (1 - 0.999 ** n);
      th[j] -= 0.1 * (mh / (Math.sqrt(vh) + 1e-16));
    }
    opt.apply(theta, Float32Array.from(g));
  });
  th.forEach((x, j) => assert.ok(Math.abs(theta[j] - x) < 1e-4, `θ[${j}] = ${theta[j]}, expected ${x}`));
  assert.is(opt.getState().step, 3);
});

test('the in-place optimisers give, to the bit, what the same formulas give as float32 TF.js ops', () => {
  for (const name of ['adabelief', 'adam'] as const) {
    const cfg = { ...OPTIMIZER_DEFAULTS[name], learningRate: 0.01 };
    const rng = new RandomStream(4);
    const size = 50;
    const host = Float32Array.from(rng.normals(size));
    const opt = createOptimizer(cfg, size);
    let params = tf.tensor1d(host.slice()); // a copy: the cpu backend would share the array
    let m = tf.zeros([size]);
    let v = tf.zeros([size]);
    for (let n = 1; n <= 5; n++) {
      const g = Float32Array.from(rng.normals(size, 0, 0.1));
      opt.apply(host, g);
      const [p2, m2, v2] = tf.tidy(() => {
        const grad = tf.tensor1d(g);
        const mNew = tf.add(tf.mul(m, cfg.beta1), tf.mul(grad, 1 - cfg.beta1));
        const centred = name === 'adabelief' ? tf.sub(grad, mNew) : grad;
        let vNew = tf.add(tf.mul(v, cfg.beta2), tf.mul(tf.square(centred), 1 - cfg.beta2));
        if (name === 'adabelief') vNew = tf.add(vNew, cfg.epsRoot);
        const mHat = tf.div(mNew, 1 - Math.pow(cfg.beta1, n));
        const vHat = tf.div(vNew, 1 - Math.pow(cfg.beta2, n));
        return [tf.sub(params, tf.mul(cfg.learningRate, tf.div(mHat, tf.add(tf.sqrt(vHat), cfg.eps)))), mNew, vNew];
      });
      tf.dispose([params, m, v]);
      [params, m, v] = [p2, m2, v2];
    }
    assert.equal(Array.from(host), Array.from(params.dataSync()), name);
    assert.equal(Array.from(opt.getState().m), Array.from(m.dataSync()), `${name}: first moment`);
    tf.dispose([params, m, v]);
  }
});

test('Adam differs from AdaBelief (second moment of g, not of g − m)', () => {
  const a = createOptimizer({ ...OPTIMIZER_DEFAULTS.adam, learningRate: 0.1 }, 1);
  const b = createOptimizer({ ...OPTIMIZER_DEFAULTS.adabelief, learningRate: 0.1 }, 1);
  const ta = new Float32Array(1);
  const tb = new Float32Array(1);
  for (const g of [1, 0.5, 2]) {
    a.apply(ta, Float32Array.of(g));
    b.apply(tb, Float32Array.of(g));
  }
  assert.ok(Math.abs(ta[0] - tb[0]) > 1e-3);
});

test('MLP: depth hidden layers of the given width, Equinox initialisation bounds ±1/√fanIn', () => {
  const spec = { inputSize: 42, outputSize: 42, width: 8, depth: 3, activation: 'softplus' as const, outputActivation: 'identity' as const };
  assert.equal(layerShapes(spec), [[42, 8], [8, 8], [8, 8], [8, 42]]);
  assert.is(parameterCount(spec), 42 * 8 + 8 + 2 * (8 * 8 + 8) + 8 * 42 + 42);
  const p = initialParameters(spec, new RandomStream(1));
  const firstLayer = p.subarray(0, 42 * 8 + 8);
  assert.ok(firstLayer.every((x) => Math.abs(x) <= 1 / Math.sqrt(42)));
  assert.ok(Math.max(...firstLayer.map(Math.abs)) > 0.9 / Math.sqrt(42), 'the whole range is used');
  const second = p.subarray(42 * 8 + 8, 42 * 8 + 8 + 72);
  assert.ok(second.every((x) => Math.abs(x) <= 1 / Math.sqrt(8)));
  const out = tf.tidy(() => bindMlp(spec, tf.tensor1d(Float32Array.from(p)))(tf.zeros([3, 42])).shape);
  assert.equal(out, [3, 42]);
});

test('the loader never drops a full batch and yields each sample once per epoch', () => {
  const loader = new BatchLoader(12, 4, new RandomStream(1));
  const seen = [...loader.next(), ...loader.next(), ...loader.next()].sort((a, b) => a - b);
  assert.equal(seen, Array.from({ length: 12 }, (_, i) => i));
  // 10 samples, batch 4: two full batches per epoch, the partial one is dropped by default
  const drop = new BatchLoader(10, 4, new RandomStream(2));
  drop.next();
  drop.next();
  drop.next();
  assert.is(drop.epoch, 2);
  const keep = new BatchLoader(10, 4, new RandomStream(2), 'keep');
  keep.next();
  keep.next();
  assert.is(keep.next().length, 2);
  // a dataset smaller than the batch yields itself instead of looping forever (docs/reference-defects.md Q9b)
  assert.is(new BatchLoader(1, 4, new RandomStream(3)).next().length, 1);
});

test("the 'reference' loader drops the last batch of an epoch even when it is full (docs/reference-defects.md Q9)", () => {
  // 12 samples, batch 4: slices must end before 12, so [8, 12) is dropped: two batches per epoch
  const ref = new BatchLoader(12, 4, new RandomStream(1), 'reference');
  const first = [...ref.next(), ...ref.next()];
  assert.is(ref.epoch, 1);
  assert.is(new Set(first).size, 8);
  ref.next();
  assert.is(ref.epoch, 2);
  // 2 games, batch 1 (the data-efficiency run): one game per epoch
  const two = new BatchLoader(2, 1, new RandomStream(4), 'reference');
  two.next();
  two.next();
  assert.is(two.epoch, 2);
  // where the reference would loop forever (N = batch size), the whole dataset is the batch
  const one = new BatchLoader(1, 1, new RandomStream(5), 'reference');
  assert.equal(Array.from(one.next()), [0]);
  assert.equal(Array.from(one.next()), [0]);
});

async function smallRun(seed: number, steps: number, engine?: EngineName) {
  const config = meeting.parseConfig(applyOverrides(meeting.presets.fig2b, [`training.steps=${steps}`]));
  const streams = randomStreams(seed);
  const train = meeting.observations.generate(config, streams.data, 10);
  const validation = meeting.observations.generate(config, streams.data, 50);
  const model = new MeanFieldModel(meeting, config, streams.dynamics, streams.parameters, { engine: engine ?? 'fused' });
  const counts: number[] = [];
  const result = await trainLoop({ model, train, validation, streams, onStep: () => counts.push(tf.memory().numTensors) });
  return { result, counts, params: Array.from(model.params) };
}

test('training keeps tf.memory().numTensors flat across steps, on either engine', async () => {
  for (const engine of ['graph', 'fused'] as const) {
    const { counts } = await smallRun(1, 12, engine);
    assert.ok(counts.every((c) => c === counts[1]), `${engine}: tensor counts ${counts.join(',')}`);
  }
});

test('training a paired game (Liar\'s dice: one trajectory per roll) also keeps the tensor count flat', async () => {
  const game = GAMES['liars-dice'];
  const config = game.parseConfig(
    applyOverrides(game.presets.train, ['training.steps=8', 'training.batchSize=8', 'data.trainGames=16', 'data.validationGames=8', 'layout.players=3', 'layout.dice=5']),
  );
  for (const engine of ['graph', 'fused'] as const) {
    const streams = randomStreams(3);
    const train = game.observations.generate(config, streams.data, 16);
    const validation = game.observations.generate(config, streams.data, 8);
    const model = new MeanFieldModel(game, config, streams.dynamics, streams.parameters, { engine });
    const counts: number[] = [];
    const result = await trainLoop({ model, train, validation, streams, onStep: () => counts.push(tf.memory().numTensors) });
    assert.ok(counts.every((c) => c === counts[1]), `${engine}: tensor counts ${counts.join(',')}`);
    assert.ok(result.metrics.every((m) => Number.isFinite(m.trainLoss) && m.validationLoss !== null));
  }
});

test('training is reproducible from the seed and depends on it', async () => {
  const a = await smallRun(5, 6);
  const b = await smallRun(5, 6);
  const c = await smallRun(6, 6);
  assert.equal(a.params, b.params);
  assert.equal(a.result.metrics.map((m) => m.trainLoss), b.result.metrics.map((m) => m.trainLoss));
  assert.not.equal(a.params, c.params);
});

test('training on fig2b lowers the validation loss from its starting value', async () => {
  const { result } = await smallRun(2, 60);
  const first = result.metrics.slice(0, 5).map((m) => m.validationLoss!);
  const last = result.metrics.slice(-5).map((m) => m.validationLoss!);
  const avg = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  assert.ok(avg(last) < 0.6 * avg(first), `validation ${avg(first)} → ${avg(last)}`);
});

test('a training run can be stopped between steps', async () => {
  const config = meeting.parseConfig(meeting.presets.fig2b);
  const streams = randomStreams(1);
  const model = new MeanFieldModel(meeting, config, streams.dynamics, streams.parameters, { engine: 'fused' });
  const train = meeting.observations.generate(config, streams.data, 10);
  let n = 0;
  const r = await trainLoop({ model, train, validation: null, streams, onStep: () => n++, shouldStop: () => n >= 3 });
  assert.ok(r.stoppedEarly);
  assert.is(r.metrics.length, 3);
});

test('configuration errors name the field', () => {
  assert.throws(() => meeting.parseConfig(applyOverrides(meeting.presets.fig2b, ['training.steps=-1'])), /"training.steps": expected an integer ≥ 0, got -1/);
  assert.throws(() => meeting.parseConfig(applyOverrides(meeting.presets.fig2b, ['solver="midpoint"'])), /"solver": expected one of/);
  assert.throws(() => applyOverrides(meeting.presets.fig2b, ['training.stesp=3']), (e: Error) => e instanceof ConfigError && /no configuration field "training.stesp"/.test(e.message));
  assert.throws(() => meeting.parseConfig(applyOverrides(meeting.presets.fig2b, ['agents=40'])), /data.groups.*agents/);
  assert.throws(() => meeting.parseConfig(applyOverrides(meeting.presets.fig2b, ['solver=rk4'])), /"solver"/);
});

test('a run stopped and resumed from its state ends with the same weights as an uninterrupted run', async () => {
  for (const engine of ['fused', 'graph'] as const) {
    const config = meeting.parseConfig(applyOverrides(meeting.presets.fig2b, ['training.steps=9', 'training.validationSamples=20']));
    const fresh = (seed: number) => {
      const streams = randomStreams(seed);
      const train = meeting.observations.generate(config, streams.data, 10);
      const validation = meeting.observations.generate(config, streams.data, 20);
      const model = new MeanFieldModel(meeting, config, streams.dynamics, streams.parameters, { engine });
      return { streams, train, validation, model };
    };
    const a = fresh(4);
    await trainLoop({ model: a.model, train: a.train, validation: a.validation, streams: a.streams });
    const straight = Array.from(a.model.params);

    const b = fresh(4);
    const box: { saved: TrainState | null } = { saved: null };
    let n = 0;
    await trainLoop({
      model: b.model, train: b.train, validation: b.validation, streams: b.streams,
      onStep: () => n++, shouldStop: () => n >= 4,
      checkpoint: { every: 0, save: async (s) => { box.saved = structuredClone(s); } },
    });
    const saved = box.saved;
    assert.ok(saved !== null);
    assert.is(saved!.step, 4);

    const c = fresh(4); // a new process would rebuild everything from the seed, then restore
    const r = await trainLoop({ model: c.model, train: c.train, validation: c.validation, streams: c.streams, resume: saved! });
    assert.equal(Array.from(c.model.params), straight, engine);
    assert.is(r.metrics.length, 9);
  }
});

test('NaN weights stop training with a DivergenceError naming the step; the last checkpoint stays the last good one', async () => {
  const config = meeting.parseConfig(applyOverrides(meeting.presets.fig2b, ['training.steps=20']));
  const streams = randomStreams(1);
  const model = new MeanFieldModel(meeting, config, streams.dynamics, streams.parameters, { engine: 'fused' });
  const train = meeting.observations.generate(config, streams.data, 10);
  const saves: number[] = [];
  let n = 0;
  try {
    await trainLoop({
      model, train, validation: null, streams,
      checkpoint: { every: 2, save: async (s) => { saves.push(s.step); } },
      onStep: () => {
        n++;
        // poison the weights after the 5th step, as an exploding update would
        if (n === 5) model.params.fill(NaN);
      },
    });
    assert.unreachable('training went on with NaN weights');
  } catch (err) {
    assert.instance(err, DivergenceError);
    assert.match((err as Error).message, /diverged at step 5/);
  }
  assert.equal(saves, [2, 4]);
});

test('graph engine: solving to the last save time only gives the same final state and gradient as all save times', () => {
  for (const [name, preset] of [['meeting', 'fig2b'], ['el-farol', 'fig3b']] as const) {
    const game = GAMES[name];
    const config = game.parseConfig(game.presets[preset]);
    const s = randomStreams(3);
    const model = new MeanFieldModel(game, config, s.dynamics, s.parameters, { engine: 'graph' });
    const graph = model.engine as GraphEngine;
    const x0 = Float32Array.from(game.initialState(config, s.initialState));
    const path = model.nextPath(1);
    const final = (all: boolean) =>
      tf.tidy(() => {
        const run = (p: Tensor) => {
          const { ys } = graph.solveTensors(tf.tensor(x0, [1, config.agents]), path, p, { network: true, ...(all ? {} : { saveAt: config.time.saveAt.slice(-1) }) });
          return tf.sum(tf.square(tf.slice(ys, [ys.shape[0] - 1], [1]))) as Scalar;
        };
        const { value, grad } = tf.valueAndGrad(run)(tf.tensor1d(model.params));
        return [value.dataSync()[0], Array.from(grad.dataSync())] as const;
      });
    const [valueAll, gradAll] = final(true);
    const [valueLast, gradLast] = final(false);
    assert.is(valueLast, valueAll, name);
    assert.equal(gradLast, gradAll, name);
    assert.ok(gradAll.some((g) => g !== 0), `${name}: a gradient to compare`);
  }
});

test.run();
