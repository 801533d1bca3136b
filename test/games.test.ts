// Checks that follow the registry: every game of games/index.ts, at every preset (made small by the
// game's own checks, games/<name>/checks.ts) and the variants it names, enters every check below by
// being registered. The engines against each other — fused = graph, and GPU = fused where the game
// has GPU kernels — for the loss, every gradient entry and the states at every save time, from the
// presets' initial states and from random ones (learned mechanics held at their configured values:
// the fused engine alone learns them); each game's kernels against finite differences (drift against
// the autodiff drift, driftVjp, the learnable parameters' derivatives, the losses, a time series'
// loss on a path of the game's dynamics) on random states; and a short training that ends alike on
// the engines.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertSameTraining, heldMechanics } from './helpers/short-run.ts';
import { testBackend } from './helpers/backend.ts';
import { need, testWith } from './helpers/requires.ts';
import { GAMES } from '../games/index.ts';
import type { Game, SolveContext } from '../src/game.ts';
import type { GameKernels } from '../src/fused/kernels.ts';
import { applyOverrides, type ExperimentConfig } from '../src/config.ts';
import { overridable } from '../src/config-fields.ts';
import { MeanFieldModel } from '../src/mfg/model.ts';
import type { EngineName, SolveRequest } from '../src/mfg/engine.ts';
import { meanFieldDrift } from '../src/mfg/drift.ts';
import { comparesPopulations, lossKind } from '../src/mfg/networks.ts';
import { lossInput, lossTimes, observesPaths } from '../src/mfg/observed.ts';
import { distributionalLoss, observedPopulation } from '../src/fused/distances.ts';
import { RandomStream } from '../src/random.ts';
import { randomStreams } from '../src/streams.ts';
import { batchOf, subset } from '../src/data/dataset.ts';
import { isInstalled } from '../src/backend.ts';
import { startGpu } from '../src/gpu/device.ts';
import { gpuUnsupported } from '../src/gpu/support.ts';
import { tf } from '../src/tf.ts';

test.before(async () => {
  await testBackend();
  if (webgpu.missing === null) await startGpu({ allowSoftware: true });
});

const webgpu = need('webgpu', () => (isInstalled('webgpu') ? null : 'the webgpu package is not installed (npm install --no-save webgpu@0.6.2)'));

// float32 through many solver steps: the loss relative to itself, gradients relative to their
// largest entry, states relative to the largest state
const LOSS_TOLERANCE = 1e-5;
const GRADIENT_TOLERANCE = 1e-4;
const STATE_TOLERANCE = 1e-5;

interface Case {
  game: Game;
  preset: string;
  sets: string[];
  name: string;
}

/** Every preset of every registered game (with its small settings), and the variants each game names. */
const CASES: Case[] = Object.values(GAMES).flatMap((game: Game) => {
  const small = game.checks?.small ?? {};
  const presets = Object.keys(game.presets).map((preset) => ({ preset, sets: small[preset] ?? [] }));
  const variants = (game.checks?.variants ?? []).map((v) => ({ preset: v.preset, sets: [...(small[v.preset] ?? []), ...v.sets] }));
  return [...presets, ...variants].map(({ preset, sets }) => ({ game, preset, sets, name: `${game.name}/${preset}${sets.length ? ` (${sets.join(' ')})` : ''}` }));
});

function configOf(c: Case): ExperimentConfig {
  // over the parsed preset, as --set applies (fields a preset leaves to their defaults included)
  return c.game.parseConfig(applyOverrides(overridable(c.game, c.game.parseConfig(c.game.presets[c.preset])), c.sets));
}

/** A state the game could reach, away from `state`: the game's own perturbation, else fresh initial states. */
function randomize(game: Game, config: ExperimentConfig, y0: Float32Array, size: number, rng: RandomStream): void {
  for (let r = 0; r < y0.length / size; r++) {
    const row = y0.subarray(r * size, (r + 1) * size);
    if (game.checks?.perturb) game.checks.perturb(config, row, rng);
    else row.set(Float32Array.from(game.initialState(config, rng)));
  }
}

interface Outcome {
  loss: number;
  gradient: Float32Array;
  states: Float32Array;
  lossOfStates: number;
  endSteps?: (number | null)[];
}

/**
 * One training step's loss and gradient, a simulation at every save time and the loss of its final
 * states, on `engine`, from the preset's initial state or (random) from a random one per trajectory.
 */
function outcome(c: Case, engine: EngineName, seed: number, random: boolean): Outcome {
  const game = c.game;
  const config = heldMechanics(configOf(c));
  const s = randomStreams(seed);
  const paired = game.observations.pairing === 'paired';
  const batch = Math.max(1, Math.min(config.training.batchSize, config.training.trainSamples));
  const train = game.observations.generate(config, s.data, batch);
  const model = new MeanFieldModel(game, config, s.dynamics, s.parameters, { engine });
  const n = paired ? batch : config.training.trajectories;
  const y0 = model.startStates(game.initialState(config, s.initialState), n);
  if (random) randomize(game, config, y0, model.size, new RandomStream(seed + 100));
  const rows = Array.from({ length: batch }, (_, i) => i);
  const keys = s.dynamics.keys(n);
  const ctx = () => (paired ? { observations: subset(train, rows), keys } : undefined);
  const request = (): SolveRequest => ({ y0, trajectories: n, path: model.nextPath(n), network: true, ctx: ctx() });
  const { loss, gradient } = model.lossAndGradient(request(), batchOf(train, rows));
  const run = model.simulate(request());
  // what the loss reads of the saved states (src/mfg/observed.ts): the final states, or each path
  const block = n * model.size;
  const times = lossTimes(game, config);
  const read = new Float32Array(times.length * block);
  times.forEach((t, k) => read.set(run.states.subarray(run.saveAt.indexOf(t) * block, (run.saveAt.indexOf(t) + 1) * block), k * block));
  const lossOfStates = model.lossOfStates(lossInput(game, read, times.length, n, model.size), n, batchOf(train, rows));
  return { loss, gradient, states: run.states, lossOfStates, endSteps: run.endSteps };
}

function assertAgree(reference: Outcome, other: Outcome, what: string): void {
  const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
  assert.ok(relative(other.loss, reference.loss) < LOSS_TOLERANCE, `${what}: loss ${other.loss} vs ${reference.loss}`);
  assert.ok(relative(other.lossOfStates, reference.lossOfStates) < LOSS_TOLERANCE, `${what}: loss of the final states ${other.lossOfStates} vs ${reference.lossOfStates}`);
  assert.is(other.gradient.length, reference.gradient.length);
  // no network (network.kind "none", learned mechanics held): no gradient entry, losses and states alone
  const scale = Math.max(0, ...reference.gradient.map(Math.abs));
  assert.ok(scale > 0 || reference.gradient.length === 0, `${what}: a gradient to compare`);
  let worst = 0;
  reference.gradient.forEach((g, i) => (worst = Math.max(worst, Math.abs(other.gradient[i] - g) / scale)));
  assert.ok(worst < GRADIENT_TOLERANCE, `${what}: gradients differ by ${worst.toExponential(2)} of the largest entry`);
  assert.is(other.states.length, reference.states.length, `${what}: saved states`);
  let top = 1;
  reference.states.forEach((x) => Number.isFinite(x) && (top = Math.max(top, Math.abs(x))));
  let stateError = 0;
  reference.states.forEach((x, i) => (stateError = Math.max(stateError, Math.abs(other.states[i] - x) / top)));
  assert.ok(stateError < STATE_TOLERANCE, `${what}: states at the save times differ by ${stateError.toExponential(2)}`);
  if (reference.endSteps) assert.equal(other.endSteps, reference.endSteps, `${what}: the rounds end at the same turns`);
}

for (const c of CASES) {
  test(`fused = graph for ${c.name}: loss, every gradient, states at every save time`, () => {
    for (const random of [false, true]) assertAgree(outcome(c, 'graph', 3, random), outcome(c, 'fused', 3, random), `${c.name}, ${random ? 'random' : 'preset'} initial state`);
  });
  if (!c.game.gpuKernels || gpuUnsupported(c.game, configOf(c)) !== null) continue;
  testWith(test, webgpu)(`GPU = fused for ${c.name}: loss, every gradient, states at every save time`, () => {
    for (const random of [false, true]) assertAgree(outcome(c, 'fused', 3, random), outcome(c, 'gpu', 3, random), `${c.name} on the GPU, ${random ? 'random' : 'preset'} initial state`);
  });
}

test("Liar's dice rounds that end at different turns agree turn for turn", () => {
  const c = CASES.find((x) => x.game.name === 'liars-dice' && x.preset === 'train')!;
  const graph = outcome(c, 'graph', 5, true);
  const fused = outcome(c, 'fused', 5, true);
  const ends = graph.endSteps!.filter((e) => e !== null);
  assert.ok(new Set(ends).size >= 3, `rounds ended at turns ${ends.join(', ')}: some should differ`);
  assertAgree(graph, fused, 'random carries');
});

// ---- each game's kernels against finite differences, on random states ----

/** A random state of two trajectories (one per observation for paired games) and what the kernels read with it. */
function kernelSetting(c: Case, seed: number) {
  const game = c.game;
  const config = configOf(c);
  const s = randomStreams(seed);
  const shape = game.stateShape?.(config) ?? [config.agents];
  const size = shape.reduce((a, b) => a * b, 1);
  const n = 2;
  const y = new Float32Array(n * size);
  for (let r = 0; r < n; r++) y.set(Float32Array.from(game.initialState(config, s.initialState)), r * size);
  randomize(game, config, y, size, new RandomStream(seed + 7));
  const observations = game.observations.generate(config, s.data, n);
  const ctx: SolveContext = game.observations.pairing === 'paired' ? { observations, keys: s.dynamics.keys(n) } : { observations: null, keys: new Uint32Array(n) };
  const rng = new RandomStream(seed + 11);
  return { game, config, shape, size, n, y, ctx, observations, rng, t: config.time.t0 };
}

/**
 * What the game's loss reads at the states y [n, ...state]: their observed states, or, for a game
 * that observes paths (a time series, src/mfg/observed.ts), the observed path of its MFG dynamics
 * from them through every save time the loss reads [n, saves, ...state]: a path the game reaches.
 */
function lossPrediction(c: Case, config: ExperimentConfig, y: Float32Array, n: number, ctx: SolveContext, kernels: GameKernels): Float32Array {
  if (!observesPaths(c.game)) {
    kernels.observe?.(y);
    return y;
  }
  const s = randomStreams(24);
  const model = new MeanFieldModel(c.game, config, s.dynamics, s.parameters, { engine: 'fused' });
  const times = lossTimes(c.game, config);
  const run = model.simulate({ y0: y, trajectories: n, path: model.nextPath(n), network: false, ctx, saveAt: times });
  return lossInput(c.game, run.states, times.length, n, model.size);
}

/** v·d and relative error, for people. */
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

function assertNear(actual: number, expected: number, scale: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(scale, 1e-12), `${what}: ${actual} vs finite differences ${expected} (scale ${scale.toExponential(2)})`);
}

for (const c of CASES.filter((x) => x.game.kernels)) {
  test(`${c.name}: the fused drift is the autodiff drift, and driftVjp the finite differences of the drift with the statistic held fixed`, () => {
    const { game, config, shape, size, n, y, ctx, rng, t } = kernelSetting(c, 21);
    // each built from the same stream: the same draws (El Farol's attendance) at the first drift
    const kernels = game.kernels!(config, new RandomStream(1));
    const fused = new Float32Array(n * size);
    kernels.drift(t, y, n, ctx, fused, null);
    const v = Float64Array.from({ length: n * size }, () => rng.normal(0, 1));
    const adj = new Float64Array(n * size);
    kernels.driftVjp?.(t, y, v, 1, n, ctx, adj, null);
    const h = 1e-3;
    const sample = Array.from({ length: 12 }, () => Math.floor(rng.uniform() * n * size));
    const { graph, rows } = tf.tidy(() => {
      const yt = tf.tensor(y, [n, ...shape]);
      const graph = meanFieldDrift(game.mechanics(config, new RandomStream(1)), ctx)(t, yt).dataSync();
      // the same mechanics with the statistic of y held fixed (the drift's own convention, src/mfg/drift.ts)
      const mechanics = game.mechanics(config, new RandomStream(1));
      const m0 = mechanics.population(yt, t, ctx);
      const frozen = Object.create(mechanics, { population: { value: () => m0 } });
      const vt = tf.tensor(Float32Array.from(v), [n, ...shape]);
      const g = (j: number, step: number) => {
        const moved = Float32Array.from(y);
        moved[j] += step;
        return { value: tf.sum(tf.mul(vt, meanFieldDrift(frozen, ctx)(t, tf.tensor(moved, [n, ...shape])))).dataSync()[0], step: moved[j] - y[j] };
      };
      // one-sided differences on both sides of each sampled coordinate
      const rows = sample.map((j) => {
        const [up, mid, down] = [g(j, h), g(j, 0), g(j, -h)];
        return { j, forward: (up.value - mid.value) / up.step, backward: (mid.value - down.value) / -down.step };
      });
      return { graph, rows };
    });
    let top = 0;
    graph.forEach((x) => (top = Math.max(top, Math.abs(x))));
    fused.forEach((x, i) => assert.ok(Math.abs(x - graph[i]) <= 1e-5 * Math.max(top, 1), `${c.name}: drift ${i} fused ${x} vs autodiff ${graph[i]}`));
    // where the two sides disagree the drift jumps within h (an indicator's threshold): nothing to differentiate there
    const scale = Math.max(1, ...rows.map((r) => Math.max(Math.abs(r.forward), Math.abs(r.backward))), ...Array.from(adj, Math.abs));
    const smooth = rows.filter((r) => Math.abs(r.forward - r.backward) <= 1e-2 * scale);
    assert.ok(smooth.length >= (2 * rows.length) / 3, `${c.name}: ${rows.length - smooth.length} of ${rows.length} coordinates jump`);
    for (const r of smooth) assertNear(adj[r.j], (r.forward + r.backward) / 2, scale, 1e-2, `${c.name}: (vᵀ∂b/∂y)_${r.j}`);
  });

  const learnable = c.game.kernels!(configOf(c), new RandomStream(1)).parameters;
  const exact = (learnable?.names ?? []).filter((name) => !(c.game.checks?.surrogateParameters ?? []).includes(name));
  if (exact.length > 0) {
    test(`${c.name}: the learnable parameters' derivatives (${exact.join(', ')}) are the finite differences of the drift`, () => {
      const { game, config, size, n, y, ctx, rng, t } = kernelSetting(c, 22);
      // kernels built from the same stream draw the same randomness at their first drift (El Farol's attendance)
      const fresh = () => game.kernels!(config, new RandomStream(1));
      const kernels = fresh();
      const p = kernels.parameters!;
      const v = Float64Array.from({ length: n * size }, () => rng.normal(0, 1));
      const g = new Float64Array(p.names.length);
      const mechanics = config.mechanics as Record<string, number>;
      // a parameter set: the kernels learn (they record what the derivatives read at each drift)
      p.set(exact[0], mechanics[exact[0]]);
      kernels.drift(t, y, n, ctx, new Float32Array(n * size), null);
      p.vjp(t, y, v, 1, n, ctx, g, null);
      for (const name of exact) {
        const theta = mechanics[name];
        const h = 1e-2 * Math.max(1, Math.abs(theta));
        const at = (value: number) => {
          const k = fresh();
          k.parameters!.set(name, value);
          const out = new Float32Array(n * size);
          k.drift(t, y, n, ctx, out, null);
          return dot(v, out);
        };
        const finite = (at(Math.fround(theta + h)) - at(Math.fround(theta - h))) / (Math.fround(theta + h) - Math.fround(theta - h));
        assertNear(g[p.names.indexOf(name)], finite, Math.abs(finite) + 1, 2e-3, `${c.name}: vᵀ∂b/∂${name}`);
      }
    });
  }

  test(`${c.name}: the loss's gradient (and a distributional loss's, where the game compares populations) is its finite differences`, () => {
    const { game, config, n, y, ctx, observations, rng } = kernelSetting(c, 23);
    const kernels = game.kernels!(config, new RandomStream(1));
    const pred = lossPrediction(c, config, y, n, ctx, kernels);
    const batch = observations.shape[0];
    const obs = Float32Array.from(observations.values);
    const d = Float64Array.from(pred, () => rng.normal(0, 1));
    const top = pred.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    const check = (what: string, loss: (pred: Float32Array, grad: Float64Array | null) => number) => {
      const grad = new Float64Array(pred.length);
      loss(pred, grad);
      // a step that float32 keeps exactly: the directional derivative along the rounded difference;
      // each value moved in proportion to itself (the epidemic's shares are 1e-4, arrival times 10),
      // a value near 0 in proportion to the largest
      const h = 1e-3;
      const step = (x: number, i: number) => h * d[i] * Math.max(Math.abs(x), 1e-3 * top);
      const plus = Float32Array.from(pred, (x, i) => x + step(x, i));
      const minus = Float32Array.from(pred, (x, i) => x - step(x, i));
      const finite = (loss(plus, null) - loss(minus, null)) / 1;
      const delta = Float64Array.from(plus, (x, i) => (x - minus[i]));
      assert.ok(Number.isFinite(finite) && grad.every(Number.isFinite), `${c.name}: ${what} is finite, and its gradient`);
      // on the scale of the terms that make the directional derivative (they may cancel)
      const terms = grad.reduce((sum, g, i) => sum + Math.abs(g * delta[i]), 0);
      assertNear(dot(grad, delta), finite, Math.abs(finite) + terms, 2e-3, `${c.name}: ${what}`);
    };
    check('the game\'s loss', (p, grad) => kernels.loss(p, n, obs, batch, grad));
    if (comparesPopulations(game, config) && lossKind(config) === 'mse' && game.observations.pairing !== 'paired') {
      const q = observedPopulation(game, config, { values: obs, shape: observations.shape });
      for (const kind of ['energy', 'sliced-wasserstein'] as const) check(kind, (p, grad) => distributionalLoss(kind, p, 1, p.length, q, grad));
    }
  });
}

// ---- short trainings ----

for (const game of Object.values(GAMES) as Game[]) {
  const training = game.checks?.training ?? { preset: game.defaultPresets.train, sets: [...(game.checks?.small?.[game.defaultPresets.train] ?? []), 'training.steps=5'] };
  test(`${game.name}: a short training run ends at the same losses on the fused and graph engines`, async () => {
    await assertSameTraining(game.name, training.preset, training.sets, 'fused', 'graph');
  });
  const config = game.parseConfig(applyOverrides(game.presets[training.preset], training.sets));
  if (game.gpuKernels && gpuUnsupported(game, config) === null) {
    testWith(test, webgpu)(`${game.name}: a short training run ends at the same losses on the GPU as on the CPU`, async () => {
      await assertSameTraining(game.name, training.preset, training.sets, 'gpu', 'fused');
    });
  }
}

test('every registered game is checked: each enters the engine, kernel and training checks by registering', () => {
  for (const name of Object.keys(GAMES)) {
    assert.ok(CASES.some((c) => c.game.name === name), `${name} has cases`);
  }
  assert.ok(CASES.length >= Object.values(GAMES).reduce((n, g) => n + Object.keys(g.presets).length, 0));
});

test.run();
