// The fused engine against the graph engine (TF.js autodiff, the reference): for every game and
// every preset, the loss, every parameter gradient and the states at every save time agree within
// float32 tolerance — on the presets' own initial states and on random ones, with rounds of Liar's
// dice that end at different turns — and short training runs end at the same losses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertSameTraining } from './helpers/short-run.ts';
import { testBackend } from './helpers/backend.ts';
import { GAMES } from '../games/index.ts';
import { applyOverrides } from '../src/config.ts';
import { overridable } from '../src/config-fields.ts';
import { MeanFieldModel, networkSpec, stateShape } from '../src/mfg/model.ts';
import { FusedEngine } from '../src/fused/engine.ts';
import { POOL_COUNTS, POOL_LIMITS } from '../src/fused/pool.ts';
import { EngineError, resolveEngine, type EngineName, type SolveRequest } from '../src/mfg/engine.ts';
import { RandomStream } from '../src/random.ts';
import { randomStreams } from '../src/run/streams.ts';
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

// float32 through many solver steps: the loss relative to itself, gradients relative to their
// largest entry, states relative to the largest state
const LOSS_TOLERANCE = 1e-5;
const GRADIENT_TOLERANCE = 1e-4;
const STATE_TOLERANCE = 1e-5;

/** Every preset of every game, kept small enough for a test (fewer games per batch, shorter grids). */
const CASES: { game: string; preset: string; sets: string[] }[] = [
  { game: 'meeting', preset: 'fig2a', sets: ['time.t1=6', 'time.saveAt=[1,2,3,4,5,6]'] },
  { game: 'meeting', preset: 'fig2b', sets: [] },
  { game: 'meeting', preset: 'fig2b', sets: ['noise.path="fresh"', 'noise.layout="independent"', 'training.trajectories=3'] },
  { game: 'el-farol', preset: 'fig3a', sets: ['time.t1=6', 'time.saveAt=[1,2,3,4,5,6]'] },
  { game: 'el-farol', preset: 'fig3b', sets: [] },
  { game: 'el-farol', preset: 'fig3b', sets: ['mechanics.attendance="fresh"', 'mechanics.clipGradient="zero"', 'training.trajectories=2'] },
  { game: 'liars-dice', preset: 'train', sets: ['training.batchSize=6', 'data.trainGames=6'] },
  // the MFG-only demo (its network is the default one, untrained)
  { game: 'liars-dice', preset: 'demo', sets: [] },
  { game: 'liars-dice', preset: 'bluff-sweep-fair', sets: ['training.batchSize=3', 'data.trainGames=3', 'layout.players=10', 'turns.saves=30'] },
  { game: 'liars-dice', preset: 'bluff-sweep-unfair', sets: ['training.batchSize=3', 'data.trainGames=3', 'layout.players=10', 'initial.bluffRate=3'] },
  { game: 'liars-dice', preset: 'data-efficiency', sets: ['training.batchSize=4', 'data.trainGames=4'] },
  // beyond the paper (issue #15): the agent network, the neural diffusion and the distributional losses
  { game: 'meeting', preset: 'fig2b', sets: ['network.kind="agent"'] },
  { game: 'meeting', preset: 'fig2b', sets: ['network.kind="agent"', 'noise.path="fresh"', 'noise.layout="independent"', 'training.trajectories=3'] },
  { game: 'meeting', preset: 'fig2a', sets: ['network.kind="agent"', 'network.quantiles=[0.8]', 'time.t1=6', 'time.saveAt=[1,2.5,6]'] },
  { game: 'el-farol', preset: 'fig3b', sets: ['network.kind="agent"'] },
  { game: 'el-farol', preset: 'fig3b', sets: ['network.kind="agent"', 'mechanics.attendance="fresh"', 'mechanics.clipGradient="zero"', 'training.trajectories=2'] },
  { game: 'meeting', preset: 'fig2b', sets: ['network.kind="agent"', 'noise.diffusion="neural"', 'noise.layout="independent"', 'noise.path="fresh"', 'training.trajectories=2'] },
  { game: 'meeting', preset: 'fig2b', sets: ['noise.diffusion="neural"'] },
  { game: 'meeting', preset: 'fig2b', sets: ['network.kind="none"', 'noise.diffusion="neural"', 'noise.layout="independent"', 'training.loss="energy"'] },
  { game: 'meeting', preset: 'fig2b', sets: ['training.loss="energy"', 'training.trajectories=2', 'noise.path="fresh"'] },
  { game: 'meeting', preset: 'fig2b', sets: ['training.loss="sliced-wasserstein"', 'network.kind="agent"', 'training.batchSize=3'] },
  { game: 'el-farol', preset: 'fig3b', sets: ['training.loss="energy"'] },
  { game: 'el-farol', preset: 'fig3b', sets: ['training.loss="sliced-wasserstein"', 'network.kind="agent"'] },
  {
    game: 'el-farol',
    preset: 'fig3b',
    sets: ['network.kind="agent"', 'noise.diffusion="neural"', 'noise.layout="independent"', 'noise.sigma=0.1', 'solver="euler-maruyama"', 'training.loss="energy"'],
  },
  { game: 'lq', preset: 'train', sets: [] },
  { game: 'lq', preset: 'relax', sets: ['time.t1=1', 'time.saveAt=[0,0.5,1]', 'training.trajectories=2'] },
  { game: 'lq', preset: 'relax', sets: ['time.t1=1', 'time.saveAt=[0.5,1]', 'noise.layout="common"', 'noise.path="frozen"'] },
];

function configOf(c: (typeof CASES)[number]) {
  const game = GAMES[c.game];
  // over the parsed preset, as --set applies (fields a preset leaves to their defaults included)
  return { game, config: game.parseConfig(applyOverrides(overridable(game, game.parseConfig(game.presets[c.preset])), c.sets)) };
}

interface Outcome {
  loss: number;
  gradient: Float32Array;
  states: Float32Array;
  endSteps?: (number | null)[];
}

/**
 * One training step's loss and gradient, and a simulation at every save time, on `engine`, from
 * the preset's initial state or (random) from a perturbed one per trajectory.
 */
function outcome(c: (typeof CASES)[number], engine: EngineName, seed: number, random: boolean): Outcome {
  const { game, config } = configOf(c);
  const s = randomStreams(seed);
  const paired = game.observations.pairing === 'paired';
  const batch = Math.max(1, Math.min(config.training.batchSize, config.training.trainSamples));
  const train = game.observations.generate(config, s.data, batch);
  const model = new MeanFieldModel(game, config, s.dynamics, s.parameters, { engine });
  const n = paired ? batch : config.training.trajectories;
  const y0 = model.startStates(game.initialState(config, s.initialState), n);
  if (random) perturb(c.game, y0, model.size, new RandomStream(seed + 100));
  const rows = Array.from({ length: batch }, (_, i) => i);
  const keys = s.dynamics.keys(n);
  const ctx = () => (paired ? { observations: subset(train, rows), keys } : undefined);
  const request = (): SolveRequest => ({ y0, trajectories: n, path: model.nextPath(n), network: true, ctx: ctx() });
  const { loss, gradient } = model.lossAndGradient(request(), batchOf(train, rows));
  const run = model.simulate(request());
  return { loss, gradient, states: run.states, endSteps: run.endSteps };
}

/** Random states: arrival times spread over hours, probabilities partly outside [0, 1], beliefs and bluff rates per player. */
function perturb(game: string, y0: Float32Array, size: number, rng: RandomStream): void {
  for (let r = 0; r < y0.length / size; r++) {
    const row = y0.subarray(r * size, (r + 1) * size);
    if (game === 'meeting' || game === 'lq') row.forEach((x, i) => (row[i] = x + rng.normal(0, 2)));
    else if (game === 'el-farol') row.forEach((_, i) => (row[i] = rng.uniform() * 1.4 - 0.2));
    else {
      // carry rows 2.. hold each player's 6 logits and raw bluff rate
      for (let i = 2 * 7; i < size; i++) row[i] = i % 7 === 6 ? rng.uniform() * 3 - 0.5 : rng.normal(0, 1);
    }
  }
}

function assertAgree(graph: Outcome, fused: Outcome, what: string): void {
  const lossError = Math.abs(fused.loss - graph.loss) / Math.max(Math.abs(graph.loss), 1e-12);
  assert.ok(lossError < LOSS_TOLERANCE, `${what}: loss fused ${fused.loss} vs graph ${graph.loss} (relative ${lossError.toExponential(2)})`);
  const scale = Math.max(...graph.gradient.map(Math.abs));
  assert.ok(scale > 0, `${what}: a gradient to compare`);
  let worst = 0;
  graph.gradient.forEach((g, i) => (worst = Math.max(worst, Math.abs(fused.gradient[i] - g) / scale)));
  assert.ok(worst < GRADIENT_TOLERANCE, `${what}: gradients differ by ${worst.toExponential(2)} of the largest entry`);
  assert.is(fused.states.length, graph.states.length, `${what}: saved states`);
  let top = 0;
  graph.states.forEach((x) => Number.isFinite(x) && (top = Math.max(top, Math.abs(x))));
  let stateError = 0;
  graph.states.forEach((x, i) => (stateError = Math.max(stateError, Math.abs(fused.states[i] - x) / Math.max(top, 1))));
  assert.ok(stateError < STATE_TOLERANCE, `${what}: states at the save times differ by ${stateError.toExponential(2)}`);
  assert.equal(fused.endSteps, graph.endSteps, `${what}: the rounds end at the same turns`);
}

for (const c of CASES) {
  const name = `${c.game}/${c.preset}${c.sets.length ? ` (${c.sets.join(' ')})` : ''}`;
  test(`fused = graph for ${name}: loss, every gradient, states at every save time`, () => {
    for (const random of [false, true]) {
      const what = `${name}, ${random ? 'random' : 'preset'} initial state`;
      assertAgree(outcome(c, 'graph', 3, random), outcome(c, 'fused', 3, random), what);
    }
  });
}

test("Liar's dice rounds that end at different turns agree turn for turn", () => {
  const c = CASES.find((x) => x.preset === 'train')!;
  const graph = outcome(c, 'graph', 5, true);
  const fused = outcome(c, 'fused', 5, true);
  const ends = graph.endSteps!.filter((e) => e !== null);
  assert.ok(new Set(ends).size >= 3, `rounds ended at turns ${ends.join(', ')}: some should differ`);
  assertAgree(graph, fused, 'random carries');
});

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
    const engine = new FusedEngine({ game, config, dynamics: s.dynamics, params, spec, shape: stateShape(game, config) }, { threads, eagerThreads: true });
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

test('a short training run ends at the same losses on either engine', async () => {
  const runs: [string, string, string[]][] = [
    ['meeting', 'fig2b', ['training.steps=25', 'training.validationSamples=50']],
    ['el-farol', 'fig3b', ['training.steps=25']],
    ['liars-dice', 'train', ['training.steps=8', 'training.batchSize=8', 'data.trainGames=16', 'data.validationGames=8', 'layout.players=3', 'layout.dice=5']],
  ];
  for (const [game, preset, sets] of runs) await assertSameTraining(game, preset, sets, 'fused', 'graph');
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
  assert.equal(resolveEngine(meeting, config), { engine: 'fused', note: null });
  assert.equal(resolveEngine(meeting, config, 'graph'), { engine: 'graph', note: null });
  const heun = meeting.parseConfig(applyOverrides(meeting.presets.fig2b, ['solver="heun"']));
  const fallback = resolveEngine(meeting, heun);
  assert.is(fallback.engine, 'graph');
  assert.match(fallback.note!, /heun/);
  assert.throws(() => resolveEngine(meeting, heun, 'fused'), (e: Error) => e instanceof EngineError && /--engine graph/.test(e.message));
  const noKernels = { ...meeting, name: 'plain', kernels: undefined };
  assert.is(resolveEngine(noKernels, config).engine, 'graph');
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
