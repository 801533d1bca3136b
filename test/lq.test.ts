// The linear-quadratic game against its closed forms (games/lq/README.md): the MFG-only solve follows
// the analytic mean and spread to each solver's order, its exact step recursion to float32, the
// Ornstein–Uhlenbeck variance with independent noise; the analytic equilibrium has zero gap; and a
// model trained on data simulated with another target finds that target.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { testBackend } from './helpers/backend.ts';
import { need, testWith } from './helpers/requires.ts';
import { isInstalled } from '../src/backend.ts';
import { startGpu } from '../src/gpu/device.ts';
import { gpuUnsupported } from '../src/gpu/support.ts';
import { GAMES } from '../games/index.ts';
import { applyOverrides } from '../src/config.ts';
import { MeanFieldModel } from '../src/mfg/model.ts';
import type { EngineName } from '../src/mfg/engine.ts';
import { randomStreams } from '../src/streams.ts';
import { RandomStream } from '../src/random.ts';
import { nashGapTurns } from '../src/run/equilibrium.ts';
import { generateFromDynamics } from '../src/run/generate.ts';
import { fitModel } from '../src/run/training.ts';
import { evaluateModel, evaluationStarts } from '../src/train/evaluate.ts';
import { analyticMean, analyticMeanVariance, analyticVariance, meanEquilibriumGap, stepFactor } from '../games/lq/analytic.ts';
import type { LqConfig } from '../games/lq/index.ts';

const webgpu = need('webgpu', () => (isInstalled('webgpu') ? null : 'the webgpu package is not installed (npm install --no-save webgpu@0.6.2)'));

test.before(async () => {
  await testBackend();
  if (webgpu.missing === null) await startGpu({ allowSoftware: true });
});

/** The engines every order test runs on, each with the solvers it integrates (the GPU engine: src/gpu/support.ts). */
const ENGINES: EngineName[] = ['graph', 'fused', 'gpu'];
const integrates = (engine: EngineName, solver: string) => engine !== 'gpu' || gpuUnsupported(lq, configOf('relax', [`solver="${solver}"`, 'noise.layout="none"'])) === null;
const registrar = (engine: EngineName) => (engine === 'gpu' ? testWith(test, webgpu) : test);

const lq = GAMES.lq;

function configOf(preset: string, sets: string[]): LqConfig {
  return lq.parseConfig(applyOverrides(lq.presets[preset], sets)) as LqConfig;
}

const meanOf = (v: ArrayLike<number>) => Array.from(v).reduce((a, b) => a + b, 0) / v.length;
const varianceOf = (v: ArrayLike<number>) => {
  const m = meanOf(v);
  return Array.from(v).reduce((a, b) => a + (b - m) ** 2, 0) / v.length;
};

/**
 * One noiseless MFG-only solve of the relax preset from seed 1's population, started far from the
 * target (x₀ ~ N(−5, 3²)) so that the solvers' errors stand well above float32 rounding: the start
 * and the end state.
 */
function solveOnce(solver: string, dt: number, engine: EngineName, t1 = 2) {
  const sets = ['noise.layout="none"', `solver="${solver}"`, `time.dt=${dt}`, `time.t1=${t1}`, `time.saveAt=[${t1}]`, 'initial.mean=-5', 'initial.std=3'];
  const config = configOf('relax', sets);
  const s = randomStreams(1);
  const model = new MeanFieldModel(lq, config, s.dynamics, s.parameters, { engine });
  const x0 = lq.initialState(config, s.initialState);
  const end = model.simulate({ y0: Float32Array.from(x0), trajectories: 1, path: null, network: false }).states;
  return { config, x0, end, t1 };
}

for (const [solver, order, steps, engine] of ENGINES.flatMap((engine) => ([
  ['euler', 1, [0.1, 0.05, 0.025, 0.0125]],
  ['heun', 2, [0.2, 0.1, 0.05, 0.025]],
  ['rk4', 4, [0.4, 0.2, 0.1]],
] as const).map(([solver, order, steps]) => [solver, order, steps, engine] as const)).filter(([solver, , , engine]) => integrates(engine, solver))) {
  registrar(engine)(`${solver} on the ${engine} engine: the MFG-only mean and spread converge to the Ornstein–Uhlenbeck solution at order ${order}`, () => {
    const errors = steps.map((dt) => {
      const { config, x0, end, t1 } = solveOnce(solver, dt, engine);
      const m = config.mechanics;
      const meanError = Math.abs(meanOf(end) - analyticMean(m, meanOf(x0), t1));
      const spreadError = Math.abs(Math.sqrt(varianceOf(end)) - Math.sqrt(analyticVariance(m, varianceOf(x0), t1, { layout: 'none', sigma: 0, agents: config.agents })));
      return { meanError, spreadError };
    });
    // every halving shrinks the error by about 2^order (a coarse step a little more), the finest one to within 0.3
    for (let k = 1; k < errors.length; k++) {
      for (const key of ['meanError', 'spreadError'] as const) {
        const observed = Math.log2(errors[k - 1][key] / errors[k][key]);
        const what = `${solver} ${key}: halving dt from ${steps[k - 1]} gave order ${observed.toFixed(2)}, expected ${order}`;
        assert.ok(observed > order - 0.3 && observed < order + 0.6, what);
        if (k === errors.length - 1) assert.ok(Math.abs(observed - order) < 0.3, what);
      }
    }
  });

  registrar(engine)(`${solver} on the ${engine} engine: the solve is the solver's own recursion (1 − ah + …)^k of the mean and (… (a + b)h …)^k of the spread, to float32`, () => {
    const dt = steps[0];
    const { config, x0, end, t1 } = solveOnce(solver, dt, engine);
    const m = config.mechanics;
    const k = Math.round(t1 / dt);
    const mean = m.target + (meanOf(x0) - m.target) * stepFactor(solver, m.targetWeight * dt) ** k;
    const spread = Math.sqrt(varianceOf(x0)) * Math.abs(stepFactor(solver, (m.targetWeight + m.meanWeight) * dt)) ** k;
    assert.ok(Math.abs(meanOf(end) - mean) < 2e-6, `mean ${meanOf(end)} vs ${mean}`);
    assert.ok(Math.abs(Math.sqrt(varianceOf(end)) - spread) < 2e-6, `spread ${Math.sqrt(varianceOf(end))} vs ${spread}`);
  });
}

test('the fused engine integrates the same Euler, Heun and RK4 recursions as the graph engine', () => {
  for (const solver of ['euler', 'heun', 'rk4']) {
    const graph = solveOnce(solver, 0.05, 'graph');
    const fused = solveOnce(solver, 0.05, 'fused');
    fused.end.forEach((x, i) => assert.ok(Math.abs(x - graph.end[i]) < 1e-5, `${solver}, agent ${i}: ${x} vs ${graph.end[i]}`));
  }
});

test('with independent noise, the spread and the mean follow the Euler–Maruyama recursions of the Ornstein–Uhlenbeck moments', () => {
  // V_{k+1} = (1 − (a+b)h)² V_k + σ²h(1 − 1/N) for E[S²];  W_{k+1} = (1 − ah)² W_k + σ²h/N for Var[m̄]
  const config = configOf('relax', ['time.t1=2', 'time.saveAt=[2]', 'initial.std=0']);
  const { agents, mechanics: m, noise } = config;
  const h = config.time.dt;
  const s = randomStreams(4);
  const model = new MeanFieldModel(lq, config, s.dynamics, s.parameters, { engine: 'fused' });
  const populations = 400;
  const end = model.simulate({ y0: model.startStates(lq.initialState(config, s.initialState), populations), trajectories: populations, path: model.nextPath(populations), network: false }).states;
  let V = 0;
  let W = 0;
  for (let k = 0; k < Math.round(2 / h); k++) {
    V = (1 - (m.targetWeight + m.meanWeight) * h) ** 2 * V + noise.sigma ** 2 * h * (1 - 1 / agents);
    W = (1 - m.targetWeight * h) ** 2 * W + (noise.sigma ** 2 * h) / agents;
  }
  const variances: number[] = [];
  const means: number[] = [];
  for (let p = 0; p < populations; p++) {
    const row = end.subarray(p * agents, (p + 1) * agents);
    variances.push(varianceOf(row));
    means.push(meanOf(row));
  }
  // standard errors: S² of N normal deviations has variance ≈ 2V²/N; the mean of the means is ±√(W/populations)
  const spreadTolerance = 4 * V * Math.sqrt(2 / agents / populations);
  assert.ok(Math.abs(meanOf(variances) - V) < spreadTolerance, `E[S²] ${meanOf(variances)} vs ${V} ± ${spreadTolerance}`);
  assert.ok(Math.abs(meanOf(variances) - analyticVariance(m, 0, 2, { layout: 'independent', sigma: noise.sigma, agents })) < 0.06 * V, 'and the continuous-time law, within the Euler–Maruyama bias');
  const expected = analyticMean(m, config.initial.mean, 0) + (config.initial.mean - m.target) * ((1 - m.targetWeight * h) ** 40 - 1);
  assert.ok(Math.abs(meanOf(means) - expected) < 4 * Math.sqrt(W / populations), `E[m̄] ${meanOf(means)} vs ${expected}`);
  const meanVariance = varianceOf(means);
  assert.ok(Math.abs(meanVariance - W) < 4 * W * Math.sqrt(2 / populations), `Var[m̄] ${meanVariance} vs ${W}`);
  assert.ok(Math.abs(W - analyticMeanVariance(m, 2, { layout: 'independent', sigma: noise.sigma, agents })) < 0.06 * W, 'the recursion is near the continuous-time law');
});

test('the analytic equilibrium (every agent at the target) has zero equilibrium gap', () => {
  const config = configOf('relax', ['mechanics.target=1.7', 'mechanics.meanWeight=3']);
  const gaps = lq.equilibriumGap!(config, new Float64Array(config.agents).fill(1.7), new RandomStream(1));
  assert.ok(gaps.every((g) => Math.abs(g) < 1e-12), `largest gap ${Math.max(...gaps)}`);
  // and the relaxed noiseless population is there to float32
  const { end } = solveOnce('euler', 0.05, 'fused', 20);
  const relaxed = lq.equilibriumGap!(configOf('relax', []), Float64Array.from(end), new RandomStream(1));
  assert.ok(Math.max(...relaxed) < 1e-10, `after t = 20: largest gap ${Math.max(...relaxed)}`);
});

test('the equilibrium gap by hand: agents at ξ ± 1 around a mean at ξ pay (a + b)/2 more than the best response', () => {
  // a = 1, b = 3: y* = (ξ + 3·m̄)/4 = ξ, gap = 2·1² for everyone
  const config = configOf('relax', ['mechanics.target=0', 'mechanics.meanWeight=3', 'agents=2']);
  assert.equal(Array.from(lq.equilibriumGap!(config, Float64Array.of(-1, 1), new RandomStream(1))), [2, 2]);
  // all agents at 1 with ξ = 0: y* = (0 + 3·1)/4 = 0.75, gap = 2·0.25² = 0.125
  assert.equal(Array.from(lq.equilibriumGap!(config, Float64Array.of(1, 1), new RandomStream(1))), [0.125, 0.125]);
});

test('the mean equilibrium gap along the noiseless solve follows ((a + b)/2)S² + (a²/(2(a + b)))(m̄ − ξ)²', () => {
  const config = configOf('relax', ['noise.layout="none"', 'solver="euler"']);
  const s = randomStreams(2);
  const model = new MeanFieldModel(lq, config, s.dynamics, s.parameters, { engine: 'fused' });
  const run = model.simulate({ y0: Float32Array.from(lq.initialState(config, s.initialState)), trajectories: 1, path: null, network: false });
  const states = config.time.saveAt.map((_, k) => run.states.subarray(k * config.agents, (k + 1) * config.agents));
  const turns = nashGapTurns(lq, config, config.time.saveAt, states, 1)!;
  turns.forEach((g, k) => {
    const expected = meanEquilibriumGap(config.mechanics, meanOf(states[k]), varianceOf(states[k]));
    assert.ok(Math.abs(g.mean - expected) < 1e-9 + 1e-9 * expected, `t = ${g.t}: ${g.mean} vs ${expected}`);
  });
  assert.ok(turns[turns.length - 1].mean < 1e-3 * turns[0].mean, 'the gap vanishes as the population relaxes');
});

test('a model trained on observations simulated with another target reproduces that target\'s final population', async () => {
  // the truth: target 2 (final mean 2 − 3e^{−3} ≈ 1.85 at t = 3); the model's mechanics say target 0
  const truth = { game: lq, preset: 'train', config: configOf('train', ['mechanics.target=2']) };
  const train = generateFromDynamics(truth, 1, 'fused', 10);
  const validation = generateFromDynamics(truth, 2, 'fused', 20);
  const dataMean = meanOf(train.values);
  assert.ok(Math.abs(dataMean - (2 - 3 * Math.exp(-3))) < 0.05, `data mean ${dataMean}`);
  const exp = { game: lq, preset: 'train', config: configOf('train', []) };
  const { model } = await fitModel(exp, 10, 'fused', { train, validation });
  const starts = evaluationStarts(exp.config, 10, new Float64Array(exp.config.agents));
  const finals = evaluateModel(model, null, starts, 32, { network: true }).finalPopulations.flat();
  const mfgOnly = evaluateModel(model, null, evaluationStarts(exp.config, 10, new Float64Array(exp.config.agents)), 32, { network: false }).finalPopulations.flat();
  assert.ok(Math.abs(meanOf(mfgOnly) - dataMean) > 1.5, `the MFG-only dynamics (target 0) end at ${meanOf(mfgOnly)}`);
  assert.ok(Math.abs(meanOf(finals) - dataMean) < 0.1, `trained: final mean ${meanOf(finals)} vs data ${dataMean}`);
});

test.run();
