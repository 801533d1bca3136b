// The epidemic game (docs/epidemic.md): the compartments keep their totals at every step on both
// engines, the noise reaches the contact levels alone, the fused engine agrees with the graph
// engine (loss, every gradient entry, states at every day) on every observed series, the
// learned parameters' gradients match finite differences, a short synthetic recovery finds β and w
// within 5%, and a projection without infection stays flat, against its closed form.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testBackend } from './helpers/backend.ts';
import { cli } from './helpers/cli.ts';
import { epidemic, epidemicInitialState, type EpidemicConfig } from '../games/epidemic/index.ts';
import { epidemicChecks } from '../games/epidemic/checks.ts';
import { applyOverrides } from '../src/config.ts';
import { overridable } from '../src/config-fields.ts';
import { MeanFieldModel } from '../src/mfg/model.ts';
import { randomStreams } from '../src/streams.ts';
import { RandomStream } from '../src/random.ts';
import { batchOf, type Dataset } from '../src/data/dataset.ts';
import type { EngineName, SolveRequest } from '../src/mfg/engine.ts';
import { COMPARTMENTS, CHANNEL, CHANNELS, ROW, ROWS } from '../games/epidemic/layout.ts';
import { generateFromDynamics } from '../src/run/generate.ts';
import { fitModel } from '../src/run/training.ts';
import { saveModel } from '../src/io/model.ts';
import { projectRun } from '../src/run/projection.ts';
import { networkSpec } from '../src/mfg/model.ts';
import { parameterCount } from '../src/nn/spec.ts';
import { blockWeights } from '../games/epidemic/observations.ts';
import { tf } from '../src/tf.ts';

test.before(testBackend);

const LOSS_TOLERANCE = 1e-5;
const GRADIENT_TOLERANCE = 1e-4;
const STATE_TOLERANCE = 1e-5;

/** The test preset with overrides, as --set applies them. */
function configOf(sets: string[] = []): EpidemicConfig {
  return epidemic.parseConfig(applyOverrides(overridable(epidemic, epidemic.parseConfig(epidemic.presets.test)), sets));
}

/** Random starts per trajectory (the game's own perturbation of the registry-driven checks, games/epidemic/checks.ts). */
function randomStarts(config: EpidemicConfig, n: number, rng: RandomStream): Float32Array {
  const out = new Float32Array(n * ROWS * config.agents);
  epidemicChecks.perturb!(config, out, rng);
  return out;
}

/** Observations with every series known: the MFG dynamics of other mechanics, observed as data, with block-bootstrap weights. */
function observationsFor(config: EpidemicConfig, seed: number): Dataset {
  const other = configOf(['mechanics.transmission=0.45', 'mechanics.infectionCost=0.5', 'noise.layout="none"', 'solver="euler"', 'network.kind="population"']);
  const data = generateFromDynamics({ game: epidemic, preset: 'test', config: { ...other, agents: config.agents } }, seed, 'fused', 2);
  const weights = blockWeights(data.shape[1] - 1, new RandomStream(seed));
  for (let d = 1; d < data.shape[1]; d++) data.values[d * CHANNELS + CHANNEL.weight] = weights[d];
  return data;
}

function outcome(config: EpidemicConfig, engine: EngineName, seed: number, random: boolean) {
  const s = randomStreams(seed);
  const train = observationsFor(config, seed);
  const model = new MeanFieldModel(epidemic, config, s.dynamics, s.parameters, { engine });
  const n = config.training.trajectories;
  const y0 = random ? randomStarts(config, n, new RandomStream(seed + 100)) : model.startStates(epidemic.initialState(config, s.initialState), n);
  const request = (): SolveRequest => ({ y0, trajectories: n, path: model.nextPath(n), network: true });
  const { loss, gradient } = model.lossAndGradient(request(), batchOf(train, [0, 1]));
  const run = model.simulate(request());
  return { loss, gradient, states: run.states };
}

// The network and noise settings, on the generator's observations (confirmed cases alone), are in
// the registry-driven checks (test/games.test.ts, games/epidemic/checks.ts); here every series is
// known (deaths and severe cases too) and the days carry block-bootstrap weights.
const CASES: string[][] = [
  [],
  ['data.weights.fatal=0', 'data.weights.severe=0', 'training.trajectories=3'],
  // the log perception of the risk, and the network's output bounded (tanh)
  ['mechanics.perception="log"', 'mechanics.infectionCost=3', 'network.outputActivation="tanh"', 'noise.layout="common"'],
];

for (const sets of CASES) {
  test(`fused = graph for epidemic/test${sets.length ? ` (${sets.join(' ')})` : ''} on every series with bootstrap weights: loss, every gradient entry, states at every day`, () => {
    const config = configOf(sets);
    for (const random of [false, true]) {
      const what = `${sets.join(' ')} ${random ? 'random' : 'preset'} starts`;
      const graph = outcome(config, 'graph', 4, random);
      const fused = outcome(config, 'fused', 4, random);
      const lossError = Math.abs(fused.loss - graph.loss) / Math.abs(graph.loss);
      assert.ok(graph.loss > 0.01, `${what}: a loss to compare (${graph.loss})`);
      assert.ok(lossError < LOSS_TOLERANCE, `${what}: loss fused ${fused.loss} vs graph ${graph.loss}`);
      const scale = Math.max(...graph.gradient.map(Math.abs));
      assert.ok(scale > 0, `${what}: a gradient to compare`);
      graph.gradient.forEach((g, i) => assert.ok(Math.abs(fused.gradient[i] - g) / scale < GRADIENT_TOLERANCE, `${what}: gradient ${i}: fused ${fused.gradient[i]} vs graph ${g}`));
      assert.is(fused.states.length, graph.states.length);
      graph.states.forEach((x, i) => assert.ok(Math.abs(fused.states[i] - x) < STATE_TOLERANCE, `${what}: state ${i}: fused ${fused.states[i]} vs graph ${x}`));
    }
  });
}

test('the compartments keep their totals at every solver step, on both engines, and the infections counted are the susceptible lost', () => {
  const config = configOf(['noise.sigma=0.3', 'mechanics.transmission=3']);
  const N = config.agents;
  const steps = Array.from({ length: 29 }, (_, k) => k * 0.5); // every step of dt = 0.5 over 14 days
  for (const engine of ['fused', 'graph'] as const) {
    const s = randomStreams(7);
    const model = new MeanFieldModel(epidemic, config, s.dynamics, s.parameters, { engine });
    const n = 3;
    const y0 = randomStarts(config, n, new RandomStream(8));
    const run = model.simulate({ y0, trajectories: n, path: model.nextPath(n), network: true, saveAt: steps });
    let worst = 0;
    let moved = 0;
    for (let k = 0; k < steps.length; k++) {
      for (let r = 0; r < n; r++) {
        const o = (k * n + r) * ROWS * N;
        const start = r * ROWS * N;
        for (let j = 0; j < N; j++) {
          const total = COMPARTMENTS.reduce((sum, row) => sum + run.states[o + row * N + j], 0);
          worst = Math.max(worst, Math.abs(total - 1));
          const lost = y0[start + ROW.susceptible * N + j] - run.states[o + ROW.susceptible * N + j];
          assert.ok(Math.abs(run.states[o + ROW.infections * N + j] - lost) < 1e-6, `${engine}: infections counted = susceptible lost`);
          moved = Math.max(moved, lost);
        }
      }
    }
    assert.ok(worst < 1e-6, `${engine}: the shares of a cohort drift from 1 by ${worst}`);
    assert.ok(moved > 0.01, `${engine}: the epidemic moved (${moved} of a cohort infected)`);
  }
});

test('the noise and the network reach the contact levels alone: without transfers the compartments stay exactly where they started', () => {
  const config = configOf(['noise.sigma=0.5', 'mechanics.transmission=0', 'mechanics.recovery=0', 'mechanics.fatality=0', 'network.kind="agent"', 'noise.diffusion="neural"']);
  for (const engine of ['fused', 'graph'] as const) {
    const s = randomStreams(9);
    const model = new MeanFieldModel(epidemic, config, s.dynamics, s.parameters, { engine });
    const y0 = randomStarts(config, 2, new RandomStream(10));
    const run = model.simulate({ y0, trajectories: 2, path: model.nextPath(2), network: true });
    const size = ROWS * config.agents;
    const last = run.states.subarray(run.states.length - 2 * size);
    for (let i = 0; i < 2 * size; i++) {
      if (i % size < config.agents) assert.ok(Math.abs(last[i] - y0[i]) > 1e-4, `${engine}: contact level ${i} moved`);
      else assert.is(last[i], y0[i], `${engine}: value ${i} (a compartment) moved`);
    }
  }
});

for (const perception of ['linear', 'log']) test(`the learned parameters' gradients (β, γ, δ, w, κ, x̄) match finite differences of the fused loss (perception ${perception})`, () => {
  // the MFG dynamics alone and w = 0: nothing held fixed then matters (the cost's Λ has no weight), so
  // the reverse pass is the loss's whole derivative; w itself by a one-sided difference from 0
  const fields = ['transmission', 'recovery', 'fatality', 'infectionCost', 'contactCost', 'normalContact'];
  const common = ['noise.layout="none"', 'solver="euler"', 'mechanics.infectionCost=0', `mechanics.perception="${perception}"`];
  const base = configOf(common);
  const train = observationsFor(base, 5);
  const y0 = randomStarts(base, 2, new RandomStream(6));
  const lossAt = (sets: string[], all: boolean) => {
    const config = configOf([...common, `inverse.learn=${JSON.stringify(all ? fields.map((f) => `mechanics.${f}`) : [])}`, ...sets]);
    const s = randomStreams(5);
    const model = new MeanFieldModel(epidemic, config, s.dynamics, s.parameters, { engine: 'fused' });
    return { model, r: model.lossAndGradient({ y0, trajectories: 2, path: null, network: false }, batchOf(train, [0, 1])) };
  };
  const { model, r } = lossAt([], true);
  // ∂L/∂u of each learned coordinate, back to ∂L/∂θ through the coordinate map's slope
  const u = model.params.subarray(model.networkCount);
  for (let j = 0; j < fields.length; j++) {
    const one = new Float64Array(fields.length);
    one[j] = 1;
    const slope = new Float64Array(fields.length);
    model.learned!.chain(u, one, slope, 0);
    const reverse = r.gradient[model.networkCount + j] / slope[j];
    const theta = (base.mechanics as unknown as Record<string, number>)[fields[j]];
    const h = theta === 0 ? 1e-3 : 1e-2 * theta;
    const low = theta === 0 ? 0 : theta - h;
    const fd = (lossAt([`mechanics.${fields[j]}=${theta + h}`], false).r.loss - lossAt([`mechanics.${fields[j]}=${low}`], false).r.loss) / (theta + h - low);
    assert.ok(Math.abs(reverse) > 1e-3, `${fields[j]}: a gradient to compare`);
    assert.ok(Math.abs(reverse - fd) <= 0.02 * Math.abs(fd), `${fields[j]}: reverse pass ${reverse} vs finite differences ${fd}`);
  }
});

test('a step that would infect more than the susceptible share stops at [s]₊: the states stay finite, the counts never fall, the totals are kept (both engines)', () => {
  // β = 40 with dt = 0.5: β·x·Λ·dt passes 1 once a few percent are infected, and s overshoots below 0
  const config = configOf(['mechanics.transmission=40', 'mechanics.infectionCost=0', 'noise.layout="none"', 'solver="euler"', 'initial.infected=0.01']);
  const N = config.agents;
  for (const engine of ['fused', 'graph'] as const) {
    const s = randomStreams(3);
    const model = new MeanFieldModel(epidemic, config, s.dynamics, s.parameters, { engine });
    const run = model.simulate({ y0: model.startStates(epidemicInitialState(config), 1), trajectories: 1, path: null, network: false });
    const saves = run.states.length / (ROWS * N);
    let lowest = 1;
    for (let k = 0; k < saves; k++) {
      const o = k * ROWS * N;
      for (let j = 0; j < N; j++) {
        const susceptible = run.states[o + ROW.susceptible * N + j];
        lowest = Math.min(lowest, susceptible);
        assert.ok(COMPARTMENTS.every((row) => Number.isFinite(run.states[o + row * N + j])), `${engine}: save ${k} finite`);
        assert.ok(Math.abs(COMPARTMENTS.reduce((sum, row) => sum + run.states[o + row * N + j], 0) - 1) < 1e-5, `${engine}: save ${k} totals`);
        if (k > 0) assert.ok(run.states[o + ROW.infections * N + j] >= run.states[o - ROWS * N + ROW.infections * N + j], `${engine}: the infections counted never fall`);
        // once below 0, the susceptible share stays where it is
        if (k > 0 && run.states[o - ROWS * N + ROW.susceptible * N + j] < 0) assert.is(susceptible, run.states[o - ROWS * N + ROW.susceptible * N + j]);
      }
    }
    assert.ok(lowest < 0, `${engine}: the step overshot (lowest susceptible share ${lowest})`);
  }
});

test('the graph engine leaves no tensor behind in a loss and gradient of the epidemic', () => {
  const config = configOf();
  const s = randomStreams(2);
  const model = new MeanFieldModel(epidemic, config, s.dynamics, s.parameters, { engine: 'graph' });
  const train = observationsFor(config, 2);
  const request = { y0: model.startStates(epidemicInitialState(config), 2), trajectories: 2, path: model.nextPath(2), network: true };
  model.lossAndGradient(request, batchOf(train, [0]));
  const before = tf.memory().numTensors;
  for (let k = 0; k < 3; k++) model.lossAndGradient(request, batchOf(train, [0]));
  assert.is(tf.memory().numTensors, before);
});

test('synthetic recovery (short): β and w learned back within 5% of the truth from other starting values', async () => {
  // the synthetic preset's truth on a shorter grid; scripts/epidemic-recovery.ts runs the full 56 days
  const sets = ['agents=4', 'time.dt=0.5', 'training.steps=150', 'training.learningRate=0.02', 'inverse.learningRate=0.02'];
  const truth = epidemic.parseConfig(applyOverrides(overridable(epidemic, epidemic.parseConfig(epidemic.presets.synthetic)), sets));
  const data = generateFromDynamics({ game: epidemic, preset: 'synthetic', config: truth }, 1, 'fused', 1);
  const start = epidemic.parseConfig(
    applyOverrides(overridable(epidemic, truth), ['mechanics.transmission=0.26', 'mechanics.infectionCost=1.1', 'inverse.learn=["mechanics.transmission","mechanics.infectionCost"]']),
  );
  const { model } = await fitModel({ game: epidemic, preset: 'synthetic', config: start }, 3, 'fused', { train: data, validation: null });
  const learned = model.learnedValues()!;
  const beta = learned['mechanics.transmission'];
  const w = learned['mechanics.infectionCost'];
  assert.ok(Math.abs(beta / truth.mechanics.transmission - 1) < 0.05, `β ${beta} vs ${truth.mechanics.transmission}`);
  assert.ok(Math.abs(w / truth.mechanics.infectionCost - 1) < 0.05, `w ${w} vs ${truth.mechanics.infectionCost}`);
});

test('a projection without transmission stays flat at no new cases; its severe cases and deaths follow the closed form of the Euler solve', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'epidemic-projection-'));
  const config = configOf(['mechanics.transmission=0', 'noise.sigma=0.2']);
  const spec = networkSpec(epidemic, config);
  // a network of zero weights adds nothing: the MFG dynamics alone
  await saveModel(join(dir, 'model'), { game: 'epidemic', preset: 'test', config, network: spec, seed: 3, backend: null, engine: 'fused', training: { steps: 0, finalTrainLoss: null, finalValidationLoss: null, interrupted: false } }, new Float32Array(parameterCount(spec)));
  const days = 20;
  const p = await projectRun({ run: dir, days, paths: 5, data: null });
  const D = 14;
  assert.is(p.dates.length, D + days);
  assert.equal([p.dates[0], p.dates[D], p.dates.at(-1)], ['2021-03-01', '2021-03-15', '2021-04-03']);
  const { infected } = config.initial;
  const { recovery, fatality } = config.mechanics;
  const { population, severeShare } = config.data;
  const h = config.time.dt;
  const perDay = 1 / h;
  const q = 1 - h * (recovery + fatality); // i_{k+1} = q·i_k
  for (let path = 0; path < 5; path++) {
    for (let d = 1; d <= D + days; d++) {
      assert.is(p.simulated.confirmed[path][d - 1], 0, `path ${path} day ${d}: new confirmed`);
      const severe = population * severeShare * infected * q ** (perDay * d);
      // deaths on day d: h·δ·Σ over its steps k of i_k
      const deaths = (population * h * fatality * infected * q ** (perDay * (d - 1)) * (1 - q ** perDay)) / (1 - q);
      const close = (a: number, b: number) => Math.abs(a - b) <= 2e-3 * Math.abs(b) + 1e-3;
      assert.ok(close(p.simulated.severe[path][d - 1], severe), `day ${d}: severe ${p.simulated.severe[path][d - 1]} vs ${severe}`);
      assert.ok(close(p.simulated.fatal[path][d - 1], deaths), `day ${d}: deaths ${p.simulated.fatal[path][d - 1]} vs ${deaths}`);
    }
  }
  assert.equal(p.fitted.confirmed, Array(D).fill(0));
  assert.is(p.observed, null);
});

test('a projection of a trained run: the window\'s observed series, the fitted median, paths that differ with the noise', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'epidemic-run-'));
  const file = join(dir, 'synthetic.csv');
  const gen = cli('generate', 'epidemic', '--preset', 'test', '--from-dynamics', '--out', file);
  assert.is(gen.code, 0, gen.stderr);
  const csv = await readFile(file, 'utf8');
  assert.match(csv, /^date,confirmed,fatal,severe,population\n2021-02-28,0,/);
  const out = join(dir, 'run');
  const train = cli('train', 'epidemic', '--preset', 'test', '--data', file, '--learn', 'transmission', '--bootstrap', '2', '--out', out, '--quiet');
  assert.is(train.code, 0, train.stderr);
  const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
  assert.is(summary.observations.from, '2021-03-01');
  assert.is(summary.fittedMean7.length, 14);
  assert.ok(summary.learned['mechanics.transmission'] > 0);
  const p = await projectRun({ run: out, days: 7, paths: 8, data: file });
  assert.is(p.observed!.confirmed.length, 14);
  assert.ok(p.observed!.confirmed.every((v) => v !== null && v > 0));
  assert.is(p.fitted.confirmed.length, 14);
  const last = p.simulated.confirmed.map((s) => s[20]);
  assert.ok(new Set(last).size > 1, 'the noise paths differ');
  // --bootstrap 2: the paths take the replicates' learned β in turn
  const betas = p.parameters.map((set) => set['mechanics.transmission']);
  assert.equal(betas.slice(2, 4), betas.slice(0, 2));
  assert.equal(betas.slice(0, 2), summary.bootstrap.estimates['mechanics.transmission']);
  assert.is(p.dates.at(-1), '2021-03-21');
  const ev = cli('eval', out, '--data', file, '--out', join(dir, 'eval'));
  assert.is(ev.code, 0, ev.stderr);
  assert.match(ev.stdout, /fitMale/);
});

test.run();
