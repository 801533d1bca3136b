import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readModel, ModelFileError } from '../src/io/model.ts';
import { BIN, cli } from './helpers/cli.ts';


const tmp = () => mkdtemp(join(tmpdir(), 'neural-mfg-cli-'));

test('--help lists the commands and the common options', () => {
  const r = cli('--help');
  assert.is(r.code, 0);
  for (const c of ['simulate', 'generate', 'train']) assert.match(r.stdout, c);
  const t = cli('train', '--help');
  for (const o of ['--out', '--seed', '--backend', '--set', '--data', '--validation', '--noise']) assert.match(t.stdout, o);
});

test("--faithful sets each game's reference behaviour, and --set still applies on top", async () => {
  const out = await tmp();
  const r = cli('analyze', 'liars-dice', '--preset', 'data-efficiency', '--quick', '--faithful', '--set', 'variant.keys=per-turn',
    '--set', 'sweep.values=[1]', '--set', 'evaluation.games=5', '--set', 'training.steps=2', '--backend', 'cpu', '--out', out);
  assert.is(r.code, 0, r.stderr);
  const variant = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')).config.scenario.variant;
  assert.equal(variant, {
    tail: 'faithful', keys: 'per-turn', gradient: 'probabilities', initialLogits: 'odds-as-logits', networkPlayer: 'clamped-turn', loader: 'reference',
  });
  const ef = await tmp();
  const e = cli('simulate', 'el-farol', '--faithful', '--set', 'time.t1=3', '--set', 'time.saveAt=[1,2,3]', '--backend', 'cpu', '--out', ef);
  assert.is(e.code, 0, e.stderr);
  const mechanics = JSON.parse(await readFile(join(ef, 'summary.json'), 'utf8')).config.mechanics;
  assert.is(mechanics.clipGradient, 'zero');
  assert.is(mechanics.attendance, 'frozen');
  // `games` says what --faithful sets for each game
  assert.match(cli('games').stdout, /--faithful sets: mechanics\.attendance="frozen", mechanics\.clipGradient="zero", training\.lastBatch="reference"/);
});

test('simulate meeting --noise none writes summary.json with per-turn statistics, trajectory.csv and the box plot', async () => {
  const out = await tmp();
  const r = cli('simulate', 'meeting', '--preset', 'fig2a', '--noise', 'none', '--backend', 'cpu', '--out', out);
  assert.is(r.code, 0, r.stderr);
  const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
  assert.is(summary.turns.length, 15);
  for (const key of ['t', 'mean', 'std', 'min', 'max']) assert.type(summary.turns[0][key], 'number');
  assert.ok(Math.abs(summary.turns[14].mean - 11.99) < 0.03);
  const csv = (await readFile(join(out, 'trajectory.csv'), 'utf8')).trim().split('\n');
  assert.is(csv[0], 'turn,t,agent,value');
  assert.is(csv.length, 1 + 15 * 42);
  assert.match(await readFile(join(out, 'turns.svg'), 'utf8'), /^<svg/);
});

test('generate then train on the files: model, metrics, figures and summary fields', async () => {
  const out = await tmp();
  assert.is(cli('generate', 'meeting', '--samples', '6', '--seed', '1', '--out', join(out, 'train.csv')).code, 0);
  assert.is(cli('generate', 'meeting', '--samples', '20', '--seed', '2', '--out', join(out, 'val.csv')).code, 0);
  const run = join(out, 'run');
  const r = cli('train', 'meeting', '--data', join(out, 'train.csv'), '--validation', join(out, 'val.csv'),
    '--set', 'training.steps=15', '--set', 'training.evaluationPopulations=4', '--backend', 'cpu', '--out', run);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /data \(training set\)/);
  const s = JSON.parse(await readFile(join(run, 'summary.json'), 'utf8'));
  for (const key of ['finalMean', 'finalStd', 'trainLoss', 'validationLoss', 'steps', 'msPerStep', 'wallSeconds']) {
    assert.type(s[key], 'number', key);
  }
  assert.is(s.steps, 15);
  const metrics = (await readFile(join(run, 'metrics.csv'), 'utf8')).trim().split('\n');
  assert.is(metrics[0], 'step,train_loss,validation_loss,ms');
  assert.is(metrics.length, 16);
  for (const f of ['loss.svg', 'turns.svg', 'trajectory.csv']) assert.ok(existsSync(join(run, f)), f);
  const { manifest, params } = await readModel(join(run, 'model'));
  assert.is(manifest.game, 'meeting');
  assert.is(params.length, manifest.weights.count);
  // no temporary files are left behind
  assert.equal((await readdir(run)).filter((f) => f.includes('.tmp-')), []);
});

test("train on the user's own Liar's dice files reports its metrics on the validation file, not on generated games", async () => {
  // data whose true odds differ from the preset's: the report must speak of the file's faces
  const dir = await tmp();
  const odds = '[0.3,0.05,0.15,0.1,0.1,0.3]';
  const small = ['--set', 'layout.players=3', '--set', 'layout.dice=6'];
  for (const [file, seed] of [['train.csv', '1'], ['validation.csv', '2']]) {
    const g = cli('generate', 'liars-dice', '--samples', '12', '--seed', seed, '--set', `data.odds=${odds}`, ...small, '--out', join(dir, file));
    assert.is(g.code, 0, g.stderr);
  }
  const out = await tmp();
  const r = cli('train', 'liars-dice', '--data', join(dir, 'train.csv'), '--validation', join(dir, 'validation.csv'), ...small,
    '--set', 'training.steps=3', '--set', 'training.batchSize=4', '--quiet', '--out', out);
  assert.is(r.code, 0, r.stderr);
  const s = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
  assert.match(s.evaluatedOn, 'validation.csv');
  assert.is(s.testGames, 12);
  // the observed frequencies are the validation file's own
  const text = await readFile(join(dir, 'validation.csv'), 'utf8');
  const faces = text.trim().split('\n').slice(1).map((line) => Number(line.split(',')[3]));
  const expected = [1, 2, 3, 4, 5, 6].map((f) => faces.filter((x) => x === f).length / faces.length);
  s.observedOdds.forEach((p: number, k: number) => assert.ok(Math.abs(p - expected[k]) < 1e-12, `face ${k + 1}: ${p} vs ${expected[k]}`));
  // a file's true odds are unknown: nothing is reported against the preset's
  assert.is(s.klToTrue, undefined);
  assert.is(s.trueOdds, undefined);
  // generated data: fresh games from the generator, against its true odds
  const gen = await tmp();
  const q = cli('train', 'liars-dice', ...small, '--set', 'training.steps=2', '--set', 'data.trainGames=8', '--set', 'evaluation.games=10', '--quiet', '--out', gen);
  assert.is(q.code, 0, q.stderr);
  const g = JSON.parse(await readFile(join(gen, 'summary.json'), 'utf8'));
  assert.match(g.evaluatedOn, 'fresh games from the generator');
  assert.equal(g.trueOdds, [0.1, 0.2, 0.0, 0.4, 0.1, 0.2]);
  assert.type(g.klToTrue, 'number');
});

test('a damaged weights file is detected with a clear message', async () => {
  const out = await tmp();
  const run = join(out, 'run');
  assert.is(cli('train', 'meeting', '--set', 'training.steps=2', '--set', 'training.evaluationPopulations=2', '--set', 'training.validationSamples=5', '--backend', 'cpu', '--out', run).code, 0);
  const weights = join(run, 'model', 'weights.bin');
  const bytes = await readFile(weights);
  await writeFile(weights, bytes.subarray(0, 100));
  try {
    await readModel(join(run, 'model'));
    assert.unreachable('accepted a truncated weights file');
  } catch (err) {
    assert.instance(err, ModelFileError);
    assert.match((err as Error).message, /weights.bin: holds 25 weights/);
  }
});

test('bad input exits non-zero with a message that names the problem', async () => {
  const out = await tmp();
  const bad = join(out, 'bad.csv');
  await writeFile(bad, 'sample,agent,arrival\n0,0,abc\n');
  const r = cli('train', 'meeting', '--data', bad, '--out', join(out, 'run'));
  assert.is(r.code, 2);
  assert.match(r.stderr, /bad.csv line 2, column "arrival"/);
  assert.not.ok(existsSync(join(out, 'run', 'model')), 'no model is written');
  const s = cli('simulate', 'meeting', '--set', 'training.stesp=3', '--out', out);
  assert.is(s.code, 2);
  assert.match(s.stderr, /training.stesp/);
  const g = cli('simulate', 'chess', '--out', out);
  assert.match(g.stderr, /unknown game "chess"/);
});

test('a model folder is replaced whole: a second run (with --force) swaps in a complete new model', async () => {
  const out = await tmp();
  const run = join(out, 'run');
  const args = ['train', 'meeting', '--set', 'training.steps=2', '--set', 'training.evaluationPopulations=2', '--set', 'training.validationSamples=5', '--backend', 'cpu', '--out', run];
  assert.is(cli(...args, '--seed', '1').code, 0);
  const first = await readModel(join(run, 'model'));
  const refused = cli(...args, '--seed', '2');
  assert.is(refused.code, 2, 'a second run into the folder is refused without --force');
  assert.match(refused.stderr, /already holds the results of a train run of meeting .*--force/);
  assert.is((await readModel(join(run, 'model'))).manifest.seed, 1);
  assert.is(cli(...args, '--seed', '2', '--force').code, 0);
  const second = await readModel(join(run, 'model'));
  assert.is(second.manifest.seed, 2);
  assert.not.equal(Array.from(first.params), Array.from(second.params));
});

test('SIGINT stops training after the current step and still saves the model (exit 130)', async () => {
  const out = await tmp();
  const run = join(out, 'run');
  const child = spawn(process.execPath, [BIN, 'train', 'meeting', '--set', 'training.steps=1000', '--set', 'training.evaluationPopulations=2', '--set', 'training.validationSamples=5', '--backend', 'cpu', '--out', run], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    // the first progress line means training is under way
    if (/step \d+\/1000 /.test(stderr) && !child.killed) child.kill('SIGINT');
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.is(code, 130, stderr);
  const { manifest } = await readModel(join(run, 'model'));
  assert.ok(manifest.training.interrupted);
  assert.ok(manifest.training.steps < 1000);
  const summary = JSON.parse(await readFile(join(run, 'summary.json'), 'utf8'));
  assert.is(summary.interrupted, true);
});

test('train --resume after an interruption ends with the same weights as an uninterrupted run', async () => {
  const out = await tmp();
  const common = ['--set', 'training.steps=60', '--set', 'training.evaluationPopulations=2', '--set', 'training.validationSamples=5', '--backend', 'cpu'];
  assert.is(cli('train', 'meeting', ...common, '--out', join(out, 'straight')).code, 0);
  const child = spawn(process.execPath, [BIN, 'train', 'meeting', ...common, '--out', join(out, 'cut')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    if (/step \d+\/60 /.test(stderr) && !child.killed) child.kill('SIGTERM');
  });
  assert.is(await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c))), 130, stderr);
  const cut = await readModel(join(out, 'cut', 'model'));
  assert.ok(cut.manifest.training.steps < 60);
  const r = cli('train', '--resume', join(out, 'cut'), '--backend', 'cpu');
  assert.is(r.code, 0, r.stderr);
  const straight = await readModel(join(out, 'straight', 'model'));
  const resumed = await readModel(join(out, 'cut', 'model'));
  assert.is(resumed.manifest.training.steps, 60);
  assert.equal(Array.from(resumed.params), Array.from(straight.params));
  const metrics = (await readFile(join(out, 'cut', 'metrics.csv'), 'utf8')).trim().split('\n');
  assert.is(metrics.length, 61, 'metrics of both parts of the run');
});

test('a diverging run exits 3 with the step in the message and saves no model', async () => {
  const out = await tmp();
  const r = cli('train', 'meeting', '--set', 'training.learningRate=1e30', '--set', 'training.steps=20', '--backend', 'cpu', '--quiet', '--out', join(out, 'run'));
  assert.is(r.code, 3);
  assert.match(r.stderr, /diverged at step \d+/);
  assert.not.ok(existsSync(join(out, 'run', 'model')));
});

test('train --resume on a folder without a checkpoint says so', async () => {
  const out = await tmp();
  const r = cli('train', '--resume', out);
  assert.is(r.code, 2);
  assert.match(r.stderr, /no checkpoint here/);
});

test.run();
