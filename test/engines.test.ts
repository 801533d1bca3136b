// The engines' own parts against TF.js and each other: the fused engine's threads, the shipped
// models on either engine, the engine decision, the quantile by selection, the fused MLP and its
// reverse pass, constant inputs, Liar's dice's belief drift, the large-batch loss. The comparisons
// of every registered game and preset (fused = graph, GPU = fused, kernels against finite
// differences, short trainings) are test/games.test.ts, driven by the registry.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { testBackend } from './helpers/backend.ts';
import { GAMES, REGISTRY_MODULE } from '../games/index.ts';
import { applyOverrides } from '../src/config.ts';
import { MeanFieldModel, networkSpec, stateShape } from '../src/mfg/model.ts';
import { FusedEngine } from '../src/fused/engine.ts';
import { POOL_COUNTS, POOL_LIMITS } from '../src/fused/pool.ts';
import { EngineError } from '../src/mfg/engine.ts';
import { decideEngine } from '../src/run/engine.ts';
import { RandomStream } from '../src/random.ts';
import { randomStreams } from '../src/streams.ts';
import { batchOf, subset } from '../src/data/dataset.ts';
import { loadModel } from '../src/api.ts';
import { quantile } from '../src/fused/select.ts';
import { LARGE_BATCH } from '../src/fused/pairwise.ts';
import { FusedMlp } from '../src/fused/mlp.ts';
import { bindMlp } from '../src/nn/mlp.ts';
import { ACTIVATIONS, initialParameters } from '../src/nn/spec.ts';
import { rowQuantile } from '../src/mfg/functions.ts';
import { tf, type Tensor } from '../src/tf.ts';
import { meanFieldDrift } from '../src/mfg/drift.ts';
import type { GraphEngine } from '../src/mfg/graph.ts';

test.before(testBackend);

test('the fused engine gives the same numbers on one thread as on two, chunks taken from a shared counter or in fixed shares', () => {
  const game = GAMES['liars-dice'];
  const config = game.parseConfig(applyOverrides(game.presets.train, ['layout.players=3', 'layout.dice=5']));
  const shared = POOL_LIMITS.sharedBytes;
  // 1 thread; 2 threads on a shared counter (small tasks); 2 threads in fixed shares (as for large ones)
  const results = [[1, shared], [2, shared], [2, 0]].map(([threads, bytes]) => {
    POOL_LIMITS.sharedBytes = bytes;
    const before = { ...POOL_COUNTS };
    const s = randomStreams(8);
    const n = 40; // three chunks
    const train = game.observations.generate(config, s.data, n);
    const spec = networkSpec(game, config);
    const params = Float32Array.from(initialParameters(spec, s.parameters));
    const engine = new FusedEngine({ game, config, dynamics: s.dynamics, params, spec, shape: stateShape(game, config), registry: REGISTRY_MODULE }, { threads, eagerThreads: true });
    const rows = Array.from({ length: n }, (_, i) => i);
    const y0 = new Float32Array(n * 35);
    const x0 = game.initialState(config, s.initialState);
    for (let r = 0; r < n; r++) y0.set(x0, r * 35);
    const request = { y0, trajectories: n, path: null, network: true, ctx: { observations: subset(train, rows), keys: s.dynamics.keys(n) } };
    try {
      const out = { ...engine.lossAndGradient(request, batchOf(train, rows)), run: engine.simulate(request) };
      // the threaded path really ran: the calls went to the pool, and in fixed shares the worker
      // computed chunks 0 and 2 of each call (this thread chunk 1)
      const runs = POOL_COUNTS.runs - before.runs;
      const onWorker = POOL_COUNTS.workerTasks - before.workerTasks;
      if (threads === 1) assert.equal([runs, onWorker], [0, 0], 'one thread: no worker');
      else assert.ok(runs >= 2, `${threads} threads: ${runs} calls reached the workers`);
      if (threads === 2 && bytes === 0) assert.is(onWorker, 2 * runs, `fixed shares: the worker computed ${onWorker} chunks in ${runs} calls`);
      return out;
    } finally {
      POOL_LIMITS.sharedBytes = shared;
    }
  });
  for (const r of results.slice(1)) {
    assert.is(r.loss, results[0].loss);
    assert.equal(Array.from(r.gradient), Array.from(results[0].gradient));
    assert.equal(Array.from(r.run.states), Array.from(results[0].run.states));
    assert.equal(r.run.endSteps, results[0].run.endSteps);
  }
});

test('a shipped model gives the same simulation with either engine', async () => {
  for (const dir of ['models/meeting-fig2b', 'models/el-farol-fig3b', 'models/liars-dice-train']) {
    const graph = await loadModel(dir, { engine: 'graph' });
    const fused = await loadModel(dir, { engine: 'fused' });
    assert.is(fused.engine, 'fused');
    const a = graph.simulate({ seed: 4 });
    const b = fused.simulate({ seed: 4 });
    assert.equal(b.endStep, a.endStep, dir);
    let worst = 0;
    a.states.forEach((row, k) => row.forEach((x, i) => Number.isFinite(x) && (worst = Math.max(worst, Math.abs(b.states[k][i] - x)))));
    assert.ok(worst < 1e-4, `${dir}: simulations differ by ${worst}`);
  }
});

test('the default engine is fused wherever a game has kernels; asking fused where it cannot run is an error', () => {
  const meeting = GAMES.meeting;
  const config = meeting.parseConfig(meeting.presets.fig2b);
  assert.equal(decideEngine(meeting, config, {}, { gpu: false }), { name: 'fused', note: null });
  assert.equal(decideEngine(meeting, config, { engine: 'graph' }, { gpu: false }), { name: 'graph', note: null });
  // every solver runs on the fused engine (src/fused/schemes.ts)
  for (const solver of ['heun', 'rk4']) {
    const other = meeting.parseConfig(applyOverrides(meeting.presets.fig2b, [`solver="${solver}"`, 'noise.layout="none"']));
    assert.equal(decideEngine(meeting, other, {}, { gpu: false }), { name: 'fused', note: null }, solver);
  }
  const noKernels = { ...meeting, name: 'plain', kernels: undefined };
  const fallback = decideEngine(noKernels, config, {}, { gpu: false });
  assert.is(fallback.name, 'graph');
  assert.match(fallback.note!, /no fused kernels/);
  assert.throws(() => decideEngine(noKernels, config, { engine: 'fused' }, { gpu: false }), (e: Error) => e instanceof EngineError && /--engine graph/.test(e.message));
});

test('the fused quantile by selection equals the sorted one (ties, large populations) and TF.js\'s', () => {
  const rng = new RandomStream(9);
  for (const n of [5, 42, 63, 64, 1000, 4200]) {
    for (const q of [0, 0.25, 0.8, 1]) {
      const values = Float32Array.from({ length: n }, () => Math.round(rng.normal(12, 1) * 8) / 8); // ties
      const sorted = Float32Array.from(values).sort();
      const r = q * (n - 1);
      const lo = Math.floor(r);
      const hi = Math.min(lo + 1, n - 1);
      const frac = r - lo;
      const expected = frac === 0 ? sorted[lo] : Math.fround(sorted[lo] + Math.fround(Math.fround(sorted[hi] - sorted[lo]) * Math.fround(frac)));
      const scratch = new Float32Array(n);
      assert.is(quantile(values, q, scratch), expected, `n = ${n}, q = ${q}`);
      if (n <= 1000) {
        const tfValue = tf.tidy(() => rowQuantile(tf.tensor2d(values, [1, n]), q).dataSync()[0]);
        assert.is(quantile(values, q, scratch), tfValue, `n = ${n}, q = ${q} against TF.js`);
      }
    }
  }
});

test('the fused MLP and its reverse pass match TF.js for every activation, far into the tails', () => {
  const rng = new RandomStream(12);
  for (const activation of ACTIVATIONS) {
    const spec = { inputSize: 5, outputSize: 3, width: 4, depth: 2, activation, outputActivation: activation };
    const params = Float32Array.from(initialParameters(spec, rng));
    const rows = 4;
    // the last row drives the pre-activations to about ±1000, where exp overflows float64
    const x = Float32Array.from({ length: rows * 5 }, (_, i) => (i >= 15 ? (i % 2 ? 900 : -900) : rng.normal(0, 2)));
    const gOut = Float64Array.from({ length: rows * 3 }, () => rng.normal(0, 1));
    const mlp = new FusedMlp(spec);
    const out = new Float32Array(rows * 3);
    const tape = mlp.forward(params, x, rows, out)!;
    const gParams = new Float64Array(params.length);
    const gIn = new Float64Array(rows * 5);
    mlp.backward(params, tape, gOut, gParams, gIn);
    const [expectedOut, expectedParams, expectedIn] = tf.tidy(() => {
      const f = (p: Tensor, input: Tensor) => tf.sum(tf.mul(bindMlp(spec, p)(input), tf.tensor2d(Float32Array.from(gOut), [rows, 3])));
      const value = bindMlp(spec, tf.tensor1d(params))(tf.tensor2d(x, [rows, 5])).dataSync();
      const [gp, gx] = tf.grads(f)([tf.tensor1d(params), tf.tensor2d(x, [rows, 5])]);
      return [value, gp.dataSync(), gx.dataSync()];
    });
    const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
      let scale = 0;
      for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
      for (let i = 0; i < b.length; i++) {
        assert.ok(Number.isFinite(a[i]), `${activation}: ${what}[${i}] is ${a[i]}`);
        assert.ok(Math.abs(a[i] - b[i]) <= 1e-5 * Math.max(scale, 1), `${activation}: ${what}[${i}] ${a[i]} vs TF.js ${b[i]}`);
      }
    };
    close(out, expectedOut, 'output');
    close(gParams, expectedParams, 'parameter gradient');
    close(gIn, expectedIn, 'input gradient');
  }
});

test('constant inputs multiplied into the first layer once give the outputs and gradients of the full product', () => {
  const rng = new RandomStream(21);
  const spec = { inputSize: 9, outputSize: 3, width: 5, depth: 2, activation: 'softplus' as const, outputActivation: 'identity' as const };
  const params = Float32Array.from(initialParameters(spec, rng));
  const mlp = new FusedMlp(spec);
  // 6 network rows reading 4 constant rows of 5 columns (columns 4..8), two passes as two solver steps
  const variable = 4;
  const constants = Float32Array.from({ length: 4 * 5 }, (_, i) => (i % 7 === 0 ? 0 : 1 + (i % 6)));
  const rowOf = [Int32Array.from([0, 1, 2, 3, 0, 1]), Int32Array.from([2, 3, 0, 1, 2, 3])];
  const base = mlp.constantBase(params, constants, variable);
  const gFull = new Float64Array(params.length);
  const gSplit = new Float64Array(params.length);
  const gBase = new Float64Array(base.length);
  for (const rows of rowOf) {
    const x = new Float32Array(6 * 9);
    for (let r = 0; r < 6; r++) {
      for (let i = 0; i < variable; i++) x[r * 9 + i] = rng.normal(0, 1);
      for (let j = 0; j < 5; j++) x[r * 9 + variable + j] = constants[rows[r] * 5 + j];
    }
    const gOut = Float64Array.from({ length: 6 * 3 }, () => rng.normal(0, 1));
    const full = new Float32Array(6 * 3);
    const split = new Float32Array(6 * 3);
    const fullTape = mlp.forward(params, x, 6, full)!;
    const splitTape = mlp.forward(params, x, 6, split, null, true, { variable, base, rowOf: rows })!;
    for (let i = 0; i < full.length; i++) assert.ok(Math.abs(full[i] - split[i]) <= 1e-6 * Math.max(1, Math.abs(full[i])), `output ${i}: ${split[i]} vs ${full[i]}`);
    const gInFull = new Float64Array(6 * 9);
    const gInSplit = new Float64Array(6 * 9);
    mlp.backward(params, fullTape, gOut, gFull, gInFull);
    mlp.backward(params, splitTape, gOut, gSplit, gInSplit, gBase);
    for (let r = 0; r < 6; r++) {
      for (let i = 0; i < variable; i++) assert.ok(Math.abs(gInFull[r * 9 + i] - gInSplit[r * 9 + i]) <= 1e-9, 'input gradient of a variable column');
      for (let i = variable; i < 9; i++) assert.is(gInSplit[r * 9 + i], 0, 'no input gradient for a constant column');
    }
  }
  assert.throws(() => mlp.backward(params, mlp.forward(params, new Float32Array(54), 6, new Float32Array(18), null, true, { variable, base, rowOf: rowOf[0] })!, new Float64Array(18), gSplit, null), /needs gBase/);
  mlp.addConstantGradient(constants, variable, gBase, gSplit);
  const scale = Math.max(...Array.from(gFull, Math.abs));
  for (let i = 0; i < gFull.length; i++) assert.ok(Math.abs(gFull[i] - gSplit[i]) <= 1e-9 * scale, `parameter gradient ${i}: ${gSplit[i]} vs ${gFull[i]}`);
});

test("the belief drift's vector-Jacobian product matches finite differences, on both engines", () => {
  // the derivative that TF.js dropped until the graph path's softmax became twice differentiable
  const game = GAMES['liars-dice'];
  for (const gradient of ['logits', 'probabilities']) {
    const config = game.parseConfig(applyOverrides(game.presets.train, ['layout.players=3', 'layout.dice=4', `variant.gradient="${gradient}"`]));
    const s = randomStreams(2);
    const roll = game.observations.generate(config, s.data, 1);
    const ctx = { observations: roll, keys: Uint32Array.of(11) };
    const size = 5 * 7;
    const rng = new RandomStream(3);
    const y = new Float64Array(game.initialState(config, s.initialState));
    for (let i = 14; i < size; i++) if (i % 7 !== 6) y[i] = rng.normal(0, 1);
    const v = Float64Array.from({ length: size }, () => rng.normal(0, 1));
    const row = 2 * 7; // t = 0: player 0 moves
    const kernels = game.kernels!(config, new RandomStream(1));
    const drift = (state: Float64Array) => {
      const out = new Float32Array(size);
      kernels.drift(0, Float32Array.from(state), 1, ctx, out, null);
      return out;
    };
    // central differences of v·b over the active player's logits (the belief rows are smooth in them)
    const h = 1e-3;
    const expected = Array.from({ length: 6 }, (_, j) => {
      const up = Float64Array.from(y);
      const down = Float64Array.from(y);
      up[row + j] += h;
      down[row + j] -= h;
      const a = drift(up);
      const b = drift(down);
      let dot = 0;
      for (let i = row; i < row + 6; i++) dot += v[i] * (a[i] - b[i]);
      return dot / (2 * h);
    });
    const fused = new Float64Array(size);
    kernels.driftVjp!(0, Float32Array.from(y), v, 1, 1, ctx, fused, null);
    const graphModel = new MeanFieldModel(game, config, new RandomStream(1), new RandomStream(2), { engine: 'graph' });
    const graph = tf.tidy(() => {
      const field = meanFieldDrift((graphModel.engine as GraphEngine).mechanics, ctx);
      const vjp = tf.grad((state: Tensor) => tf.sum(tf.mul(tf.tensor(Float32Array.from(v), [1, 5, 7]), field(0, state))));
      return vjp(tf.tensor(Float32Array.from(y), [1, 5, 7])).dataSync();
    });
    const scale = Math.max(...expected.map(Math.abs));
    for (let j = 0; j < 6; j++) {
      assert.ok(Math.abs(fused[row + j] - expected[j]) < 2e-3 * scale, `${gradient}: fused ∂/∂z_${j} ${fused[row + j]} vs ${expected[j]}`);
      assert.ok(Math.abs(graph[row + j] - expected[j]) < 2e-3 * scale, `${gradient}: graph ∂/∂z_${j} ${graph[row + j]} vs ${expected[j]}`);
    }
  }
});

test('a large batch loss (sums over the batch) equals the direct loop, value and gradient', () => {
  const rng = new RandomStream(5);
  for (const name of ['meeting', 'el-farol']) {
    const game = GAMES[name];
    const config = game.parseConfig(game.presets[name === 'meeting' ? 'fig2b' : 'fig3b']);
    const kernels = game.kernels!(config, new RandomStream(1));
    const agents = config.agents;
    const per = name === 'meeting' ? agents : (config as { data: { observations: number } }).data.observations;
    const n = 3;
    const pred = Float32Array.from({ length: n * agents }, () => (name === 'meeting' ? 12 + 4 * rng.uniform() : rng.uniform()));
    const batch = 7 * 40;
    assert.ok(batch >= LARGE_BATCH);
    const obs = Float32Array.from({ length: batch * per }, () => (name === 'meeting' ? 12 + 4 * rng.uniform() : Math.floor(agents * rng.uniform())));
    // the direct loop on the same data, split into batches below the threshold: the mean of equal-sized parts
    const part = 40;
    let direct = 0;
    const directGrad = new Float64Array(n * agents);
    const g = new Float64Array(n * agents);
    for (let p = 0; p < 7; p++) {
      direct += kernels.loss(pred, n, obs.subarray(p * part * per, (p + 1) * part * per), part, g) / 7;
      for (let i = 0; i < g.length; i++) directGrad[i] += g[i] / 7;
    }
    const grad = new Float64Array(n * agents);
    const large = kernels.loss(pred, n, obs, batch, grad);
    assert.ok(Math.abs(large - direct) <= 1e-12 * Math.abs(direct), `${name}: ${large} vs ${direct}`);
    for (let i = 0; i < grad.length; i++) assert.ok(Math.abs(grad[i] - directGrad[i]) <= 1e-12 + 1e-9 * Math.abs(directGrad[i]), `${name} gradient ${i}`);
  }
});

test.run();
