import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cp, mkdtemp, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { testBackend } from './helpers/backend.ts';
import { loadModel } from '../src/index.ts';
import { refusesToLoad } from './helpers/model-files.ts';
import { execute } from '../src/run/execute.ts';
import { tf } from '../src/tf.ts';

test.before(testBackend);

const SHIPPED = join(import.meta.dirname, '..', 'models', 'meeting-fig2b');

test('loadModel simulates a shipped model at the configuration\'s save times and at requested ones', async () => {
  const model = await loadModel(SHIPPED);
  assert.is(model.game, 'meeting');
  const full = model.simulate();
  assert.is(full.states.length, 15);
  assert.is(full.states[0].length, 42);
  const some = model.simulate({ times: [1, 7.5, 15] });
  assert.equal(some.times, [1, 7.5, 15]);
  assert.equal(some.states[2], full.states[14], 'same seed, same initial population and noise path');
  const mfg = model.simulate({ times: [15], network: false });
  assert.not.equal(mfg.states[0], full.states[14]);
  model.dispose();
  assert.throws(() => model.simulate(), /disposed/);
});

test('loadModel refuses bad simulate arguments with a clear message and leaks no tensors', async () => {
  const model = await loadModel(SHIPPED);
  const before = tf.memory().numTensors;
  assert.throws(() => model.simulate({ times: [0] }), /times\[0\] = 0 lies outside \[1, 15\]/);
  assert.throws(() => model.simulate({ initialState: [1, 2, 3] }), /initialState has 3 values, the game has 42 agents/);
  assert.throws(() => model.simulate({ initialState: Array(42).fill(NaN) }), /NaN/);
  model.simulate({ initialState: Array(42).fill(12) });
  assert.is(tf.memory().numTensors, before);
  model.dispose();
});

async function damaged(change: (dir: string) => Promise<void>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'neural-mfg-model-'));
  await cp(SHIPPED, dir, { recursive: true });
  await change(dir);
  return dir;
}


const editJson = (f: (m: any) => void) => async (dir: string) => {
  const p = join(dir, 'model.json');
  const m = JSON.parse(await readFile(p, 'utf8'));
  f(m);
  await writeFile(p, JSON.stringify(m));
};

test('bad model folders give clear errors, never a crash inside TF.js', async () => {
  await refusesToLoad(join(tmpdir(), 'no-such-model-dir'), /model.json: not found/);
  await refusesToLoad(await damaged((d) => rm(join(d, 'weights.bin'))), /weights.bin: not found/);
  await refusesToLoad(await damaged(async (d) => writeFile(join(d, 'weights.bin'), (await readFile(join(d, 'weights.bin'))).subarray(0, 64))), /holds 16 weights/);
  await refusesToLoad(await damaged(async (d) => {
    const w = await readFile(join(d, 'weights.bin'));
    w[10] ^= 0xff;
    await writeFile(join(d, 'weights.bin'), w);
  }), /checksum does not match/);
  await refusesToLoad(await damaged((d) => writeFile(join(d, 'model.json'), '{"format": "neural-mfg-model", ')), /not valid JSON/);
  await refusesToLoad(await damaged(editJson((m) => { m.game = 'chess'; })), /unknown game "chess"/);
  await refusesToLoad(await damaged(editJson((m) => { m.formatVersion = 99; })), /format version 99 is newer/);
  await refusesToLoad(await damaged(editJson((m) => { m.network.width = 16; m.config.network.width = 16; })), /needs \d+/);
  await refusesToLoad(await damaged(editJson((m) => { m.network.depth = 2; })), /does not match its configuration|needs/);
  await refusesToLoad(await damaged(editJson((m) => { m.config.training.steps = 'many'; })), /"training.steps"/);
  await refusesToLoad(await damaged(editJson((m) => { m.format = 'something-else'; })), /not a neural-mfg model/);
});

test('the example under examples/ loads every shipped model and prints a simulation', () => {
  const r = spawnSync(process.execPath, ['examples/simulate-models.mjs'], { cwd: join(import.meta.dirname, '..'), encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /meeting-fig2b: meeting/);
  assert.match(r.stdout, /el-farol-fig3b: el-farol/);
  assert.match(r.stdout, /liars-dice-train: liars-dice/);
  assert.match(r.stdout, /t=15/);
});

test('eval works for all three games on the bundled validation CSVs', async () => {
  const cases: [string, string, (s: Record<string, any>) => void][] = [
    ['models/el-farol-fig3b', 'data/el-farol/validation.csv', (s) => {
      assert.ok(Math.abs(s.predictedRate - s.observedRate) < 0.05, `rates ${s.predictedRate} vs ${s.observedRate}`);
    }],
    ['models/liars-dice-train', 'data/liars-dice/validation.csv', (s) => {
      assert.is(s.games, 20);
      assert.ok(s.klToObserved < 0.02, `KL to the observed frequencies ${s.klToObserved}`);
      assert.ok(s.klMfgOnlyToObserved > 10 * s.klToObserved);
      assert.type(s.meanRoundLength, 'number');
      // a file's true odds are unknown: nothing is reported against them
      assert.is(s.klToTrue, undefined);
      assert.is(s.trueOdds, undefined);
    }],
  ];
  for (const [model, data, check] of cases) {
    const out = await mkdtemp(join(tmpdir(), 'neural-mfg-eval-'));
    const r = spawnSync(process.execPath, ['bin/neural-mfg.js', 'eval', model, '--data', data, '--backend', 'cpu', '--out', out], { cwd: join(import.meta.dirname, '..'), encoding: 'utf8', timeout: 60_000 });
    assert.is(r.status, 0, r.stderr);
    const s = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    assert.type(s.loss, 'number');
    check(s);
  }
});

test('loadModel simulates a Liar\'s dice round on a given roll and reports when it ended', async () => {
  const model = await loadModel(join(import.meta.dirname, '..', 'models', 'liars-dice-train'));
  const roll = { values: Float64Array.from({ length: 150 }, (_, i) => 1 + (i % 6)), shape: [1, 5, 30], labels: ['g'] };
  const run = model.simulate({ observation: roll });
  assert.type(run.endStep, 'number');
  assert.is(run.states[0].length, 7 * 7);
  assert.throws(() => model.simulate({ initialState: [1, 2] }), /a state of 7 × 7 values/);
  model.dispose();
});

test('eval reports the loss and the meeting distances on the bundled validation set', async () => {
  const out = await mkdtemp(join(tmpdir(), 'neural-mfg-eval-'));
  const r = spawnSync(process.execPath, ['bin/neural-mfg.js', 'eval', 'models/meeting-fig2b', '--data', 'data/meeting/validation.csv', '--backend', 'cpu', '--out', out], { cwd: join(import.meta.dirname, '..'), encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 0, r.stderr);
  const s = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
  for (const k of ['loss', 'finalMean', 'finalStd', 'wasserstein1', 'observedMean']) assert.type(s[k], 'number', k);
  assert.ok(s.loss > 0.65, 'the loss is above the irreducible error 0.65');
  assert.ok(Math.abs(s.finalMean - 15) < 0.3);
  assert.ok(s.wasserstein1 > 0 && s.wasserstein1 < 0.5);
});

test('a model trained with the agent network at 420 agents simulates 1,000,002 agents from Node, as typed arrays with their shape', async () => {
  const dir = join(await mkdtemp(join(tmpdir(), 'neural-mfg-agents-')), 'run');
  const quiet = { out: () => {}, note: () => {} };
  const sets = ['agents=420', 'training.steps=2', 'training.validationSamples=2', 'training.evaluationPopulations=2', 'time.t1=5', 'time.saveAt=[1,2,3,4,5]'];
  assert.is(await execute({ kind: 'train', game: 'meeting', set: sets, options: { 'network.kind': 'agent' }, seed: 10, out: dir }, quiet), 0);
  const model = await loadModel(dir);
  assert.is(model.config.agents, 420);
  const big = model.simulate({ agents: 1000002 });
  assert.instance(big.array.data, Float32Array);
  assert.equal(big.array.shape, [5, 1000002]);
  assert.is(big.array.data.length, 5 * 1000002);
  let finite = true;
  for (const x of big.array.data) finite &&= Number.isFinite(x);
  assert.ok(finite, 'every state is finite');
  assert.throws(() => big.states, /too many for nested arrays.*\.array/);
  // small populations keep the nested form, the same numbers as the view
  const small = model.simulate({ agents: 42, seed: 3 });
  assert.is(small.states[2][41], small.array.get(2, 41));
  // the same overrides as the CLI's, refused the same way where they would change the network
  assert.throws(() => model.simulate({ set: ['network.width=4'] }), /changes the network of the model/);
  assert.throws(() => model.simulate({ agents: 0 }), /agents must be a positive whole number/);
  const population = await loadModel(SHIPPED);
  assert.throws(() => population.simulate({ agents: 84 }), /changes the network/);
  model.dispose();
});

test("what a simulation saves: given times, every step of the grid ('steps') or the final save time ('final'), on every engine alike", async () => {
  for (const engine of ['fused', 'graph'] as const) {
    const model = await loadModel(SHIPPED, { engine });
    const steps = model.simulate({ times: 'steps', seed: 2 });
    const { t0, t1, dt } = model.config.time;
    assert.is(steps.times.length, Math.round((t1 - t0) / dt) + 1);
    assert.equal(steps.array.shape, [steps.times.length, 42]);
    const final = model.simulate({ times: 'final', seed: 2 });
    assert.equal(final.times, [model.config.time.saveAt.at(-1)]);
    assert.equal(Array.from(final.array.data), Array.from(steps.array.data.subarray(steps.array.data.length - 42)), `${engine}: the final save is the last step`);
    model.dispose();
  }
});

test('observations read from CSV come as a typed array with its shape', async () => {
  const model = await loadModel(SHIPPED);
  const data = await model.readObservations(join(import.meta.dirname, '..', 'data', 'meeting', 'validation.csv'));
  assert.instance(data.array.data, Float64Array);
  assert.is(data.array.shape.length, 2);
  assert.is(data.array.shape[1], 42);
  assert.is(data.labels.length, data.array.shape[0]);
  await model.readObservations('nowhere.csv').then(() => assert.unreachable('a missing file was read'), (err: Error) => assert.match(err.message, /nowhere\.csv/));
});

test.run();
