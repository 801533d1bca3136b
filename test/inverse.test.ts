// The inverse mean-field game (train --learn, src/mfg/learned.ts): learned mechanics stay in their
// ranges, their gradients are the solve's (finite differences where the drift is smooth in them,
// the smoothed delta of src/fused/surrogate.ts where it is an indicator's threshold), training
// recovers the parameters of data simulated from the game's own dynamics (generate
// --from-dynamics), and --bootstrap reports intervals.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile } from 'node:fs/promises';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GAMES } from '../games/index.ts';
import type { ExperimentConfig } from '../src/config.ts';
import { ConfigError } from '../src/config.ts';
import { withOverrides } from '../src/config-fields.ts';
import { batchOfAll, type Dataset } from '../src/data/dataset.ts';
import { MeanFieldModel } from '../src/mfg/model.ts';
import { EngineError } from '../src/mfg/engine.ts';
import { LearnedMechanics } from '../src/mfg/learned.ts';
import { smoothedDelta } from '../src/fused/surrogate.ts';
import { randomStreams } from '../src/streams.ts';
import { generateFromDynamics } from '../src/run/generate.ts';
import { fitModel, saveTrainedRun, trainRun } from '../src/run/training.ts';
import { percentile, studentQuantile } from '../src/run/inverse.ts';
import { readModel } from '../src/io/model.ts';
import type { TrainState } from '../src/train/loop.ts';
import { SURROGATE_WIDTH } from '../games/meeting/kernels.ts';
import { trainingWarnings } from '../src/run/warnings.ts';
import { BIN } from './helpers/cli.ts';

function configOf(game: string, preset: string, sets: string[] = []): ExperimentConfig {
  const g = GAMES[game];
  return withOverrides(g, g.parseConfig(g.presets[preset]), sets);
}

const learnOnly = (...fields: string[]) => [`inverse.learn=${JSON.stringify(fields)}`, 'network.kind="none"'];

test('a learned parameter stays in its declared range, starts at its configured value, and chains its gradient', () => {
  const config = configOf('meeting', 'fig2b', [...learnOnly('mechanics.quantile', 'mechanics.alpha', 'mechanics.scheduledTime')]);
  const learned = new LearnedMechanics(GAMES.meeting, config);
  assert.equal(learned.fields, ['mechanics.quantile', 'mechanics.alpha', 'mechanics.scheduledTime']);
  const start = learned.values([0, 0, 0]);
  assert.ok(Math.abs(start[0] - 0.8) < 1e-12 && Math.abs(start[1] - 1) < 1e-12 && Math.abs(start[2] - 15) < 1e-12, `${start}`);
  for (const u of [-1e6, -50, 50, 1e6]) {
    const [q, alpha, s] = learned.values([u, u, u]);
    assert.ok(q >= 0 && q <= 1, `quantile ${q} at u = ${u}`);
    assert.ok(alpha >= 0, `alpha ${alpha} at u = ${u}`);
    assert.ok(s >= 0 && s <= 24, `scheduled time ${s} at u = ${u}`);
  }
  // ∂θ/∂u by the chain rule against a finite difference of values(u)
  const u = [0.3, -0.2, 0.1];
  const out = new Float64Array(3);
  learned.chain(u, [1, 1, 1], out, 0);
  for (let j = 0; j < 3; j++) {
    const up = [...u];
    const down = [...u];
    up[j] += 1e-4;
    down[j] -= 1e-4;
    const fd = (learned.values(up)[j] - learned.values(down)[j]) / 2e-4;
    assert.ok(Math.abs(fd - out[j]) < 1e-6 * Math.max(1, Math.abs(fd)), `coordinate ${j}: ${out[j]} vs ${fd}`);
  }
  // one optimiser-sized step in u moves θ by about inverse.learningRate at the start
  const step = config.training.learningRate;
  const moved = learned.values([step, step, step]).map((v, j) => Math.abs(v - start[j]));
  moved.forEach((m) => assert.ok(Math.abs(m - config.inverse!.learningRate) < 0.1 * config.inverse!.learningRate, `moved ${m}`));
});

test('--learn names are checked against the game: unknown fields and games without learnable mechanics are refused', () => {
  assert.throws(() => new LearnedMechanics(GAMES.meeting, configOf('meeting', 'fig2b', learnOnly('mechanics.sigma'))), (e: Error) => e instanceof ConfigError && /cannot learn "mechanics.sigma" \(one of mechanics.scheduledTime, mechanics.quantile/.test(e.message));
  assert.throws(() => configOf('meeting', 'fig2b', ['network.kind="none"']), /inverse.learn/);
  assert.throws(() => configOf('meeting', 'fig2b', ['inverse.learn=["mechanics.alpha","mechanics.alpha"]']), /named once each/);
});

test('learned mechanics run on the fused engine only; the graph engine refuses them with a message', () => {
  const game = GAMES.lq;
  const config = configOf('lq', 'train', learnOnly('mechanics.target'));
  const s = randomStreams(1);
  assert.throws(() => new MeanFieldModel(game, config, s.dynamics, s.parameters, { engine: 'graph' }), (e: Error) => e instanceof EngineError && /fused engine does/.test(e.message));
});

/** ∂L/∂θ of the learned fields from the engine, and the central finite difference of the loss in θ. */
function gradientAndDifference(game: string, preset: string, sets: string[], fields: string[], eps: number, data: Dataset) {
  const g = GAMES[game];
  const base = configOf(game, preset, [...sets, ...learnOnly(...fields)]);
  const lossAt = (values: number[], wantGradient: boolean) => {
    const config = withOverrides(g, base, fields.map((f, j) => `${f}=${values[j]}`));
    const s = randomStreams(4);
    const model = new MeanFieldModel(g, config, s.dynamics, s.parameters, { engine: 'fused' });
    const y0 = model.startStates(g.initialState(config, s.initialState), 2);
    const req = { y0, trajectories: 2, path: model.nextPath(2), network: true };
    return wantGradient ? model.engine.lossAndGradient(req, batchOfAll(data)) : { loss: model.loss(req, batchOfAll(data)), gradient: new Float32Array() };
  };
  const theta = fields.map((f) => (base.mechanics as Record<string, number>)[f.slice('mechanics.'.length)]);
  const analytic = Array.from(lossAt(theta, true).mechanicsGradient!);
  const difference = fields.map((_, j) => {
    const up = [...theta];
    const down = [...theta];
    up[j] += eps;
    down[j] -= eps;
    return (lossAt(up, false).loss - lossAt(down, false).loss) / (2 * eps);
  });
  return { analytic, difference };
}

test('LQ: ∂L/∂(target, targetWeight, meanWeight) of the fused reverse pass equals finite differences of the loss', () => {
  // The reverse pass holds the mean fixed, as every gradient of the engine does (docs/framework.md §2.2).
  // Without the mean term (b = 0) nothing is held, so ξ and a match the loss's finite differences;
  // b moves no agent's mean (Σ_i (x_i − m̄) = 0), so its held-fixed derivative is the loss's own.
  const sets = ['noise.layout="none"', 'solver="euler"', 'time.t1=2', 'time.saveAt=[2]'];
  const data = GAMES.lq.observations.generate(configOf('lq', 'relax', sets), randomStreams(2).data, 3);
  const alone = gradientAndDifference('lq', 'relax', [...sets, 'mechanics.meanWeight=0'], ['mechanics.target', 'mechanics.targetWeight'], 1e-2, data);
  const coupled = gradientAndDifference('lq', 'relax', sets, ['mechanics.meanWeight'], 1e-2, data);
  const analytic = [...alone.analytic, ...coupled.analytic];
  const difference = [...alone.difference, ...coupled.difference];
  analytic.forEach((g, j) => assert.ok(Math.abs(g - difference[j]) < 2e-3 * Math.max(1, Math.abs(difference[j])), `parameter ${j}: reverse pass ${g} vs finite difference ${difference[j]}`));
  assert.ok(analytic.every((g) => Math.abs(g) > 1e-3), `every parameter moves the loss: ${analytic}`);
  // with the mean term, ∂L/∂ξ is the held-fixed one: each agent follows ξ at rate a/(a + b) of the true one here
  const held = gradientAndDifference('lq', 'relax', sets, ['mechanics.target'], 1e-2, data);
  assert.ok(Math.abs(held.analytic[0]) < 0.9 * Math.abs(held.difference[0]) && held.analytic[0] * held.difference[0] > 0, `held fixed ${held.analytic[0]} vs ${held.difference[0]}`);
});

test('meeting and El Farol: ∂L/∂(α, β, γ) equals finite differences (the indicators do not move for a small change)', () => {
  const meeting = configOf('meeting', 'fig2b', ['noise.layout="independent"']);
  const mData = GAMES.meeting.observations.generate(meeting, randomStreams(2).data, 3);
  const m = gradientAndDifference('meeting', 'fig2b', ['noise.layout="independent"'], ['mechanics.alpha', 'mechanics.beta', 'mechanics.gamma'], 1e-4, mData);
  m.analytic.forEach((g, j) => assert.ok(Math.abs(g - m.difference[j]) < 1e-2 * Math.max(0.1, Math.abs(m.difference[j])), `meeting ${j}: ${g} vs ${m.difference[j]}`));
  // El Farol with the frozen attendance (the same draws in every solve) and no clipped agent passing a gradient
  const farolSets = ['mechanics.clipGradient="zero"', 'mechanics.threshold=0.6', 'time.t1=6', 'time.saveAt=[6]'];
  const fData = GAMES['el-farol'].observations.generate(configOf('el-farol', 'fig3a', farolSets), randomStreams(2).data, 3);
  // (a step small enough that no agent's attendance flips: at 1e-4 one does)
  const f = gradientAndDifference('el-farol', 'fig3a', farolSets, ['mechanics.alpha', 'mechanics.beta', 'mechanics.gamma'], 1e-5, fData);
  f.analytic.forEach((g, j) => assert.ok(Math.abs(g - f.difference[j]) < 5e-2 * Math.max(0.01, Math.abs(f.difference[j])), `El Farol ${j}: ${g} vs ${f.difference[j]}`));
  assert.ok(f.analytic.every((g) => g !== 0), `every weight moves the loss: ${f.analytic}`);
});

test('meeting: ∂L/∂s over one Euler step is Σ_i ∂L/∂x₁ᵢ · h · α · φ(x₀ᵢ − s), the smoothed delta of the indicator', () => {
  const sets = ['time.t1=2', 'time.saveAt=[2]', 'noise.layout="none"', ...learnOnly('mechanics.scheduledTime'), 'mechanics.scheduledTime=12.2'];
  const config = configOf('meeting', 'fig2b', sets);
  const game = GAMES.meeting;
  const s = randomStreams(5);
  const model = new MeanFieldModel(game, config, s.dynamics, s.parameters, { engine: 'fused' });
  const x0 = Float32Array.from(game.initialState(config, s.initialState));
  const data = game.observations.generate(config, s.data, 2);
  const req = { y0: x0, trajectories: 1, path: null, network: true };
  const { mechanicsGradient } = model.engine.lossAndGradient(req, batchOfAll(data));
  const x1 = model.simulate({ ...req, saveAt: [2] }).states;
  const agents = config.agents;
  let expected = 0;
  for (let i = 0; i < agents; i++) {
    // L = mean over samples b and agents i of (x₁ᵢ − y_bᵢ)²
    const dL = (2 * ((x1[i] - data.values[i]) + (x1[i] - data.values[agents + i]))) / (2 * agents);
    expected += dL * 1 * 1 * smoothedDelta(x0[i] - 12.2, SURROGATE_WIDTH);
  }
  assert.ok(Math.abs(mechanicsGradient![0] - expected) < 1e-6 + 1e-4 * Math.abs(expected), `${mechanicsGradient![0]} vs ${expected}`);
  assert.ok(Math.abs(expected) > 1e-3, 'agents near s feel it');
});

test('LQ: learning the target alone (network none) from observations simulated with target 2 finds 2', async () => {
  const truth = { game: GAMES.lq, preset: 'train', config: configOf('lq', 'train', ['mechanics.target=2']) };
  const data = generateFromDynamics(truth, 1, 'fused', 10);
  const exp = { game: GAMES.lq, preset: 'train', config: configOf('lq', 'train', [...learnOnly('mechanics.target'), 'inverse.learningRate=0.02']) };
  const { model } = await fitModel(exp, 10, 'fused', { train: data, validation: null });
  const learned = model.learnedValues()!['mechanics.target'];
  assert.ok(Math.abs(learned - 2) < 0.01, `learned target ${learned}`);
});

test("Student's t quantiles: t(0.95, 9) = 1.8331, t(0.975, 9) = 2.2622, t(0.975, 1) = 12.706, t(0.5, 4) = 0", () => {
  assert.ok(Math.abs(studentQuantile(0.95, 9) - 1.8331) < 1e-4);
  assert.ok(Math.abs(studentQuantile(0.975, 9) - 2.2622) < 1e-4);
  assert.ok(Math.abs(studentQuantile(0.975, 1) - 12.706) < 1e-3);
  assert.ok(Math.abs(studentQuantile(0.05, 9) + 1.8331) < 1e-4);
  assert.ok(Math.abs(studentQuantile(0.5, 4)) < 1e-6);
});

test('a run that learns mechanics resumes from its checkpoint to the same learned value and weights', async () => {
  const truth = { game: GAMES.lq, preset: 'train', config: configOf('lq', 'train', ['mechanics.target=2']) };
  const data = generateFromDynamics(truth, 1, 'fused', 10);
  const exp = { game: GAMES.lq, preset: 'train', config: configOf('lq', 'train', ['inverse.learn=["mechanics.target","mechanics.meanWeight"]', 'training.steps=40']) };
  const whole = await fitModel(exp, 10, 'fused', { train: data, validation: null });
  let halfway: TrainState | null = null;
  const save = async (state: TrainState) => {
    if (state.step === 20) halfway = structuredClone(state);
  };
  await fitModel(exp, 10, 'fused', { train: data, validation: null, checkpoint: { every: 20, save } });
  assert.ok(halfway, 'a checkpoint at step 20');
  const resumed = await fitModel(exp, 10, 'fused', { train: data, validation: null, resume: halfway! });
  assert.equal(resumed.model.learnedValues(), whole.model.learnedValues());
  assert.equal(Array.from(resumed.model.params), Array.from(whole.model.params));
  assert.is(whole.model.params.length, whole.model.networkCount + 2);
});

test('meeting: the scheduled time of observations simulated with s = 13.5 is recovered within 2% from s = 15', async () => {
  const noise = ['noise.layout="independent"', 'noise.path="fresh"'];
  const truth = { game: GAMES.meeting, preset: 'fig2b', config: configOf('meeting', 'fig2b', [...noise, 'mechanics.scheduledTime=13.5']) };
  const data = generateFromDynamics(truth, 1, 'fused', 10);
  const sets = [...noise, ...learnOnly('mechanics.scheduledTime'), 'inverse.learningRate=0.02', 'training.optimizer="adam"', 'training.steps=400'];
  const exp = { game: GAMES.meeting, preset: 'fig2b', config: configOf('meeting', 'fig2b', sets) };
  const { model } = await fitModel(exp, 10, 'fused', { train: data, validation: null });
  const s = model.learnedValues()!['mechanics.scheduledTime'];
  assert.ok(Math.abs(s / 13.5 - 1) < 0.02, `learned s = ${s}`);
});

test('train --learn --bootstrap: summary.json has learned and intervals; the saved model holds the learned value and only the networks\' weights', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nmfg-inverse-'));
  const truth = { game: GAMES.lq, preset: 'train', config: configOf('lq', 'train', ['mechanics.target=1']) };
  const exp = { game: GAMES.lq, preset: 'train', config: configOf('lq', 'train', [...learnOnly('mechanics.target'), 'inverse.learningRate=0.02', 'inverse.bootstrap=4', 'training.steps=150']) };
  const data = generateFromDynamics(truth, 3, 'fused', 10);
  const csv = join(dir, 'data.csv');
  await GAMES.lq.observations.write(csv, data);
  const replicates: number[] = [];
  const run = await trainRun({ exp, seed: 10, engine: { name: 'fused', backend: null, note: null }, data: csv, validation: null, dir }, { onBootstrap: (r) => replicates.push(r) });
  assert.equal(replicates, [1, 2, 3, 4]);
  await saveTrainedRun(run);
  const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8'));
  const learned = summary.learned['mechanics.target'];
  assert.ok(Math.abs(learned - 1) < 0.05, `learned ${learned}`);
  const [low, high] = summary.intervals['mechanics.target'];
  assert.ok(low <= high && summary.bootstrap.replicates === 4 && summary.bootstrap.level === 0.9);
  const estimates = summary.bootstrap.estimates['mechanics.target'];
  assert.is(estimates.length, 4);
  assert.equal(summary.bootstrap.percentile['mechanics.target'], [percentile(estimates, 0.05), percentile(estimates, 0.95)]);
  // learned ± t(0.95, 9)·√(10/9)·sd of the replicates
  const mean = estimates.reduce((a: number, b: number) => a + b, 0) / 4;
  const sd = Math.sqrt(estimates.reduce((a: number, b: number) => a + (b - mean) ** 2, 0) / 3);
  assert.ok(Math.abs(high - learned - 1.8331 * Math.sqrt(10 / 9) * sd) < 1e-3 * sd, `half-width ${high - learned} vs sd ${sd}`);
  assert.ok(Math.abs(learned - low - (high - learned)) < 1e-12, 'centred on the estimate');
  const { manifest, params } = await readModel(join(dir, 'model'));
  assert.is((manifest.config.mechanics as { target: number }).target, learned);
  assert.is(params.length, 0, 'network none: no weights');
});

test('generate --from-dynamics: El Farol observes attendance counts of the simulated populations, meeting their arrival times', () => {
  const farol = { game: GAMES['el-farol'], preset: 'fig3a', config: configOf('el-farol', 'fig3a', ['mechanics.threshold=0.6', 'time.t1=8', 'time.saveAt=[8]']) };
  const counts = generateFromDynamics(farol, 1, 'fused', 5);
  assert.equal(counts.shape, [5, 10]);
  assert.ok(counts.values.every((c) => Number.isInteger(c) && c >= 0 && c <= 42));
  const rate = counts.values.reduce((a, b) => a + b, 0) / counts.values.length / 42;
  assert.ok(Math.abs(rate - 0.6) < 0.05, `attendance rate ${rate} near the threshold 0.6`);
  const meeting = { game: GAMES.meeting, preset: 'fig2b', config: configOf('meeting', 'fig2b', ['noise.layout="none"']) };
  const arrivals = generateFromDynamics(meeting, 1, 'fused', 3);
  assert.equal(arrivals.shape, [3, 42]);
  assert.throws(() => generateFromDynamics({ game: GAMES['liars-dice'], preset: 'demo', config: GAMES['liars-dice'].parseConfig(GAMES['liars-dice'].presets.demo) }, 1, 'fused', 1), /does not observe its own simulated states/);
});

test('trainingWarnings: a validation loss far above the training loss, an estimate at the edge of its range, an interval without the estimate; none for a sound fit', () => {
  const meeting = configOf('meeting', 'fig2b', [...learnOnly('mechanics.scheduledTime', 'mechanics.alpha'), 'noise.path="fresh"']);
  const sound = trainingWarnings(GAMES.meeting, meeting, { learned: { 'mechanics.scheduledTime': 13.4, 'mechanics.alpha': 0.8 } }, { trainLoss: 1, validationLoss: 1.9 });
  assert.equal(sound, []);
  const far = trainingWarnings(GAMES.meeting, meeting, {}, { trainLoss: 0.67, validationLoss: 7 });
  assert.is(far.length, 1);
  assert.match(far[0], /the validation loss 7\.000 is 10\.45 times the training loss 0\.6700/);
  // s in [0, 24]: within 0.24 h of a bound; α ≥ 0 from 1: within 0.01 of 0
  for (const [field, value, bound] of [['mechanics.scheduledTime', 23.9, 'upper bound is 24'], ['mechanics.scheduledTime', 0.1, 'lower bound is 0'], ['mechanics.alpha', 0.004, 'lower bound is 0']] as const) {
    const w = trainingWarnings(GAMES.meeting, meeting, { learned: { [field]: value } }, { trainLoss: 1, validationLoss: null });
    assert.is(w.length, 1, `${field} = ${value}`);
    assert.match(w[0], `${field} = ${value.toPrecision(4)} is at the edge of its range (its ${bound})`);
  }
  assert.equal(trainingWarnings(GAMES.meeting, meeting, { learned: { 'mechanics.scheduledTime': 23.5, 'mechanics.alpha': 0.02 } }, { trainLoss: 1, validationLoss: null }), []);
  const bootstrap = { replicates: 4, level: 0.9, samples: 10, standardErrors: {}, estimates: {}, percentile: { 'mechanics.scheduledTime': [14.1, 14.9] as [number, number] } };
  const outside = trainingWarnings(GAMES.meeting, meeting, { learned: { 'mechanics.scheduledTime': 13.4 }, intervals: { 'mechanics.scheduledTime': [13.0, 13.8] }, bootstrap }, { trainLoss: 1, validationLoss: null });
  assert.is(outside.length, 1);
  assert.match(outside[0], /the bootstrap percentile interval \[14\.10, 14\.90\] of mechanics\.scheduledTime does not contain the estimate 13\.40/);
  const frozen = trainingWarnings(GAMES.meeting, configOf('meeting', 'fig2b', learnOnly('mechanics.scheduledTime')), { learned: { 'mechanics.scheduledTime': 13.4 } }, { trainLoss: 1, validationLoss: null });
  assert.match(frozen.join(), /learned on a frozen noise path/);
});

test('train --learn on data simulated from the dynamics: fresh noise paths by default (a note says so), and a frozen path asked for gets warnings on the terminal and in summary.json', () => {
  // docs: README § Learning the game's parameters. The case: s = 13.5, the default common noise
  const dir = mkdtempSync(join(tmpdir(), 'nmfg-warn-'));
  const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  const summaryOf = (run: string) => JSON.parse(readFileSync(join(dir, run, 'summary.json'), 'utf8'));
  try {
    for (const [file, seed, samples] of [['train.csv', 1, 10], ['validation.csv', 2, 100]] as const) {
      const r = cli('generate', 'meeting', '--preset', 'fig2b', '--from-dynamics', '--set', 'mechanics.scheduledTime=13.5', '--samples', String(samples), '--seed', String(seed), '--out', join(dir, file));
      assert.is(r.status, 0, r.stderr);
    }
    const learn = ['train', 'meeting', '--preset', 'fig2b', '--neural', 'none', '--learn', 'mechanics.scheduledTime', '--data', join(dir, 'train.csv'), '--validation', join(dir, 'validation.csv'), '--quiet'];
    const byDefault = cli(...learn, '--out', join(dir, 'default'));
    assert.is(byDefault.status, 0, byDefault.stderr);
    assert.match(byDefault.stderr, /note: --learn draws a fresh noise path for every solve/);
    assert.is(summaryOf('default').config.noise.path, 'fresh');
    assert.ok(Array.isArray(summaryOf('default').warnings));
    // one frozen path, as before: the fit explains that path (a training loss far below the validation's)
    const frozen = cli(...learn, '--noise-path', 'frozen', '--out', join(dir, 'frozen'));
    assert.is(frozen.status, 0, frozen.stderr);
    assert.not.match(frozen.stderr, /note: --learn/);
    const s = summaryOf('frozen');
    assert.is(s.config.noise.path, 'frozen');
    assert.ok(s.validationLoss > 2 * s.trainLoss, `train ${s.trainLoss}, validation ${s.validationLoss}`);
    assert.is(s.warnings.length, 2, s.warnings.join('\n'));
    assert.match(s.warnings[0], /^the validation loss .* times the training loss/);
    assert.match(s.warnings[1], /learned on a frozen noise path/);
    for (const w of s.warnings) assert.ok(frozen.stderr.includes(`warning: ${w}`), w);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
