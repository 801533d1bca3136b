// The edges a production user meets: pipes, signals and exceptions in the user's own process,
// output folders shared by mistake, raw internal errors, CLI consistency, and the package itself.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readModel } from '../src/io/model.ts';
import { loadModel, shippedModel } from '../src/index.ts';
import { GAMES } from '../games/index.ts';
import { describeConfig } from '../src/config-fields.ts';
import { BIN, cli } from './helpers/cli.ts';

const ROOT = join(import.meta.dirname, '..');
const tmp = () => mkdtemp(join(tmpdir(), 'neural-mfg-hard-'));

/**
 * A copy of the compiled package (bin, dist, the files it reads, node_modules) in a new folder that
 * every user can read, for commands run as another user: the checkout itself may sit in a private
 * folder (a clone under /root, or a mode 0700 folder). Returns the copy's bin/neural-mfg.js.
 */
async function packageReadableByAll(): Promise<string> {
  const dir = await tmp();
  const parts = ['bin', 'dist', 'games', 'models', 'data', 'package.json', 'node_modules'].filter((p) => existsSync(join(ROOT, p)));
  const copy = spawnSync('cp', ['-R', ...parts.map((p) => join(ROOT, p)), dir], { encoding: 'utf8' });
  assert.is(copy.status, 0, copy.stderr);
  assert.is(spawnSync('chmod', ['-R', 'a+rX', dir]).status, 0);
  return join(dir, 'bin', 'neural-mfg.js');
}

/** A short meeting training run's options. */
const SHORT = ['--set', 'training.evaluationPopulations=2', '--set', 'training.validationSamples=5', '--quiet'];

/** Runs a shell pipeline from the repository root; the status is the first command's. */
function pipeline(command: string) {
  const r = spawnSync('bash', ['-c', `${command}; exit \${PIPESTATUS[0]}`], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs an ES module script from the repository root (where `import 'neural-mfg'` resolves to this package). */
function script(source: string) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', source], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('a command piped into a reader that stops early ends quietly with status 0', async () => {
  const games = pipeline(`node ${BIN} games | head -1`);
  assert.is(games.code, 0, games.stderr);
  assert.is(games.stdout.split('\n').filter(Boolean).length, 1);
  assert.is(games.stderr, '');
  for (const backend of ['wasm', 'cpu']) {
    const out = await tmp();
    const sim = pipeline(`node ${BIN} simulate meeting --preset fig2a --backend ${backend} --engine graph --out ${out} | head -1`);
    assert.is(sim.code, 0, sim.stderr.slice(0, 400));
    assert.is(sim.stderr, '', 'no EPIPE stack, no bundled backend source');
  }
});

test("after a model runs on the wasm backend, the user's own uncaught errors reach Node unchanged", () => {
  const load = "import { loadModel } from 'neural-mfg'; const m = await loadModel('models/meeting-fig2b', { backend: 'wasm', engine: 'graph' }); m.simulate({ times: [15] });";
  const thrown = script(`${load} setTimeout(() => { throw new Error('the user own bug'); }, 10);`);
  assert.is(thrown.code, 1);
  assert.match(thrown.stderr, 'Error: the user own bug');
  assert.ok(thrown.stderr.length < 2000, `stderr holds ${thrown.stderr.length} characters: ${thrown.stderr.slice(0, 300)}`);
  const rejected = script(`${load} Promise.reject(new Error('rejected by the user'));`);
  assert.is(rejected.code, 1);
  assert.match(rejected.stderr, 'Error: rejected by the user');
  assert.ok(rejected.stderr.length < 2000, `stderr holds ${rejected.stderr.length} characters`);
  // a handler of the user's own still sees its errors, and is the only one that does
  const handled = script(`process.on('uncaughtException', (e) => { console.log('handled: ' + e.message); }); ${load} setTimeout(() => { throw new Error('mine'); }, 10);`);
  assert.is(handled.code, 0, handled.stderr.slice(0, 400));
  assert.is(handled.stdout.trim(), 'handled: mine');
});

test('two runs into one folder: the second is refused with the first one\'s process id, and the first finishes intact', async () => {
  const run = join(await tmp(), 'run');
  const first = spawn(process.execPath, [BIN, 'train', 'meeting', '--set', 'training.steps=100000', ...SHORT.slice(0, 4), '--out', run], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  await new Promise<void>((resolve) => first.stderr.on('data', (d) => {
    stderr += d;
    if (/step \d+\/100000 /.test(stderr)) resolve();
  }));
  const second = cli('train', 'meeting', '--set', 'training.steps=3', ...SHORT, '--seed', '2', '--out', run);
  assert.is(second.code, 2);
  assert.match(second.stderr, new RegExp(`is in use by another neural-mfg run: process ${first.pid} on .*train started`));
  const again = cli('train', '--resume', run);
  assert.is(again.code, 2, 'nor can it be resumed while it runs');
  assert.match(again.stderr, `process ${first.pid}`);
  const forced = cli('simulate', 'meeting', '--out', run, '--force');
  assert.is(forced.code, 2, '--force does not break a lock');
  first.kill('SIGINT');
  assert.is(await new Promise<number | null>((resolve) => first.on('exit', (c) => resolve(c))), 130);
  const { manifest } = await readModel(join(run, 'model'));
  assert.is(manifest.seed, 10, "the first run's model");
  assert.not.ok(existsSync(join(run, '.neural-mfg.lock')), 'the lock goes with its run');
});

test("a lock left by a killed run is taken over; a folder of another run's results is refused unless --force", async () => {
  const dir = await tmp();
  const train = join(dir, 'train');
  assert.is(cli('train', 'meeting', '--set', 'training.steps=2', ...SHORT, '--out', train).code, 0);
  const summary = await readFile(join(train, 'summary.json'), 'utf8');
  // simulate, eval and train into the finished train run: refused, the folder untouched
  const sim = cli('simulate', 'meeting', '--out', train);
  assert.is(sim.code, 2);
  assert.match(sim.stderr, /already holds the results of a train run of meeting \(checkpoint\.json, loss\.png, loss\.svg, metrics\.csv, … \(11 entries\)\); choose another --out, or pass --force to replace them/);
  const ev = cli('eval', train, '--data', 'data/meeting/validation.csv', '--out', train);
  assert.is(ev.code, 2);
  assert.is(await readFile(join(train, 'summary.json'), 'utf8'), summary);
  // a kill -9 leaves its lock behind: a process that no longer exists owns nothing
  const sims = join(dir, 'sim');
  await mkdir(sims);
  await writeFile(join(sims, '.neural-mfg.lock'), JSON.stringify({ pid: 2 ** 22 + 17, host: hostname(), command: 'simulate', started: '2026-01-01T00:00:00Z' }));
  assert.is(cli('simulate', 'meeting', '--out', sims).code, 0);
  assert.not.ok(existsSync(join(sims, '.neural-mfg.lock')));
  // --force replaces a run's files whole, and keeps files neural-mfg did not write
  await writeFile(join(train, 'notes.txt'), 'mine');
  const forced = cli('simulate', 'meeting', '--out', train, '--force');
  assert.is(forced.code, 0, forced.stderr);
  const left = (await readdir(train)).filter((e) => !e.startsWith('.')).sort();
  assert.equal(left, ['nash-gap.svg', 'notes.txt', 'summary.json', 'trajectory.csv', 'turns.svg'], 'no model, checkpoint or metrics of the old run');
  assert.is(JSON.parse(await readFile(join(train, 'summary.json'), 'utf8')).command, 'simulate');
  // a folder of the user's own files: refused, and with --force written among them
  const own = join(dir, 'own');
  await mkdir(own);
  await writeFile(join(own, 'paper.tex'), '%');
  const r = cli('simulate', 'meeting', '--out', own);
  assert.is(r.code, 2);
  assert.match(r.stderr, /already holds files of its own \(paper\.tex\).*--force to write among them/);
  assert.is(cli('simulate', 'meeting', '--out', own, '--force').code, 0);
  assert.ok(existsSync(join(own, 'paper.tex')));
});

test("sweep folders: analyze and sweep plan refuse another run's results unless --force; the same analysis goes on; train refuses a sweep's folder", async () => {
  const dir = await tmp();
  const train = join(dir, 'train');
  assert.is(cli('train', 'meeting', '--set', 'training.steps=2', ...SHORT, '--out', train).code, 0);
  const summary = await readFile(join(train, 'summary.json'), 'utf8');
  const QUICK = ['analyze', 'liars-dice', '--preset', 'bluff-sweep-fair', '--quick', '--set', 'sweep.values=[0,5]', '--set', 'training.steps=2', '--workers', '1'];
  const refused = cli(...QUICK, '--out', train);
  assert.is(refused.code, 2);
  assert.match(refused.stderr, /already holds the results of a train run of meeting .*--force to replace them/);
  const plan = cli('sweep', 'plan', 'meeting', '--seeds', '10-11', '--out', train);
  assert.is(plan.code, 2);
  assert.match(plan.stderr, /already holds the results of a train run of meeting/);
  assert.is(await readFile(join(train, 'summary.json'), 'utf8'), summary, 'the train run untouched');
  assert.not.ok(existsSync(join(train, 'sweep.json')));
  // the analysis into a folder of its own, then again: the finished points are kept
  const analysis = join(dir, 'analysis');
  const first = cli(...QUICK, '--out', analysis);
  assert.is(first.code, 0, first.stderr);
  const state = join(analysis, 'state');
  const records = async () => Promise.all((await readdir(state)).sort().map(async (f) => JSON.parse(await readFile(join(state, f), 'utf8')).finishedAt));
  const finished = await records();
  assert.is(finished.length, 2);
  const again = cli(...QUICK, '--out', analysis);
  assert.is(again.code, 0, again.stderr);
  assert.equal(await records(), finished, 'no point ran again');
  // a train into the analysis's folder is refused: everything there is the sweep's
  const into = cli('train', 'meeting', '--set', 'training.steps=2', ...SHORT, '--out', analysis);
  assert.is(into.code, 2);
  assert.match(into.stderr, /already holds the results of an analyze run of liars-dice/);
  // --force over the train run: its files go, the analysis takes the folder
  const forced = cli(...QUICK, '--out', train, '--force');
  assert.is(forced.code, 0, forced.stderr);
  assert.not.ok(existsSync(join(train, 'model')));
  assert.is(JSON.parse(await readFile(join(train, 'summary.json'), 'utf8')).command, 'analyze');
});

test('an --out that cannot be written fails before any work, in one line', async () => {
  const dir = await tmp();
  const locked = join(dir, 'locked');
  await mkdir(locked);
  let r;
  if (process.getuid?.() === 0) {
    // root writes anywhere: run the command as nobody instead, in a folder nobody cannot write,
    // from a copy of the package that nobody can read wherever this checkout lives
    const bin = await packageReadableByAll();
    const asNobody = spawnSync(process.execPath, [bin, 'train', 'meeting', ...SHORT, '--out', locked], { encoding: 'utf8', timeout: 60_000, uid: 65534, gid: 65534 });
    r = { code: asNobody.status, stderr: asNobody.stderr };
  } else {
    await chmod(locked, 0o555);
    r = cli('train', 'meeting', ...SHORT, '--out', locked);
  }
  assert.is(r.code, 2);
  assert.is(r.stderr.trim(), `neural-mfg: ${locked}: cannot write there (permission denied); choose another --out`);
  assert.is((await readdir(locked)).length, 0);
  // a file in the way of the folder, or given as the folder
  await writeFile(join(dir, 'file'), 'x');
  const under = cli('simulate', 'meeting', '--out', join(dir, 'file', 'run'));
  assert.is(under.code, 2);
  assert.match(under.stderr, /a file of that name is in the way; --out needs a folder/);
  const file = cli('simulate', 'meeting', '--out', join(dir, 'file'));
  assert.is(file.code, 2);
  assert.match(file.stderr, /is a file; --out needs a folder/);
  // a failed start leaves no folder behind
  const bad = cli('train', 'meeting', ...SHORT, '--data', join(dir, 'missing.csv'), '--out', join(dir, 'never'));
  assert.is(bad.code, 2);
  assert.not.ok(existsSync(join(dir, 'never')));
});

test('generate: a folder as --out, an existing file, and more samples than memory holds are one-line errors', async () => {
  const dir = await tmp();
  const asDir = cli('generate', 'meeting', '--samples', '3', '--out', dir);
  assert.is(asDir.code, 2);
  assert.match(asDir.stderr, /is a folder; generate --out needs a CSV file name/);
  const csv = join(dir, 'a.csv');
  assert.is(cli('generate', 'meeting', '--samples', '3', '--out', csv).code, 0);
  const exists = cli('generate', 'meeting', '--samples', '3', '--seed', '2', '--out', csv);
  assert.is(exists.code, 2);
  assert.match(exists.stderr, /a\.csv exists; choose another --out, or pass --force to replace it/);
  assert.is(cli('generate', 'meeting', '--samples', '3', '--seed', '2', '--out', csv, '--force').code, 0);
  const huge = cli('generate', 'meeting', '--samples', '1000000000', '--out', join(dir, 'huge.csv'));
  assert.is(huge.code, 2);
  assert.match(huge.stderr, /--samples 1000000000: 168\.0 GB of observations \(42 values each\) is more than generate holds in memory here \(.*\); use --samples \d+ or fewer/);
  assert.not.ok(existsSync(join(dir, 'huge.csv')));
});

test('--resume refuses what it would ignore; --set training.steps=N extends a finished run to the weights of a longer one', async () => {
  const dir = await tmp();
  const common = ['--set', 'training.evaluationPopulations=2', '--set', 'training.validationSamples=5', '--quiet'];
  assert.is(cli('train', 'meeting', '--set', 'training.steps=12', ...common, '--out', join(dir, 'long')).code, 0);
  const short = join(dir, 'short');
  assert.is(cli('train', 'meeting', '--set', 'training.steps=7', ...common, '--out', short).code, 0);
  for (const [flags, named] of [[['--seed', '3'], '--seed'], [['--preset', 'fig2a'], '--preset'], [['--data', 'data/meeting/train.csv'], '--data'], [['--noise', 'none'], '--noise'], [['--faithful'], '--faithful']] as const) {
    const r = cli('train', '--resume', short, ...flags);
    assert.is(r.code, 2, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, `--resume continues the run as it was configured, so ${named} would be ignored`);
  }
  const set = cli('train', '--resume', short, '--set', 'training.learningRate=0.1');
  assert.is(set.code, 2);
  assert.match(set.stderr, /--set training.learningRate=0.1 would be ignored \(only --set training.steps=N/);
  const out = cli('train', '--resume', short, '--out', join(dir, 'elsewhere'));
  assert.is(out.code, 2);
  assert.match(out.stderr, /continues the run in its own folder: drop --out/);
  const shorter = cli('train', '--resume', short, '--set', 'training.steps=5');
  assert.is(shorter.code, 2);
  assert.match(shorter.stderr, /has trained 7 steps already/);
  // resuming the finished run trains nothing and changes nothing
  const before = await readModel(join(short, 'model'));
  const again = cli('train', '--resume', short);
  assert.is(again.code, 0, again.stderr);
  assert.match(again.stderr, /had trained all 7 steps; nothing to train/);
  assert.equal(Array.from((await readModel(join(short, 'model'))).params), Array.from(before.params));
  // extended from its final state to 12 steps: the weights of the 12-step run
  const extend = cli('train', '--resume', short, '--set', 'training.steps=12', '--engine', 'fused');
  assert.is(extend.code, 0, extend.stderr);
  const extended = await readModel(join(short, 'model'));
  assert.is(extended.manifest.training.steps, 12);
  assert.is(extended.manifest.config.training.steps, 12);
  assert.equal(Array.from(extended.params), Array.from((await readModel(join(dir, 'long', 'model'))).params));
  // Liar's dice: --set reaches its own configuration (the engine's fields derive from it)
  const dice = ['--set', 'evaluation.games=5', '--quiet'];
  assert.is(cli('train', 'liars-dice', '--set', 'training.steps=3', ...dice, '--out', join(dir, 'd3')).code, 0);
  assert.is(cli('train', 'liars-dice', '--set', 'training.steps=6', ...dice, '--out', join(dir, 'd6')).code, 0);
  const d = cli('train', '--resume', join(dir, 'd3'), '--set', 'training.steps=6', '--quiet');
  assert.is(d.code, 0, d.stderr);
  const [d3, d6] = [await readModel(join(dir, 'd3', 'model')), await readModel(join(dir, 'd6', 'model'))];
  assert.is(d3.manifest.training.steps, 6);
  assert.equal(Array.from(d3.params), Array.from(d6.params));
});

test('eval takes a run folder for its model, and --set changes the evaluation but never the network', async () => {
  const dir = await tmp();
  const run = join(dir, 'run');
  assert.is(cli('train', 'meeting', '--set', 'training.steps=2', ...SHORT, '--out', run).code, 0);
  const r = cli('eval', run, '--data', 'data/meeting/validation.csv', '--set', 'training.evaluationPopulations=3', '--out', join(dir, 'ev'));
  assert.is(r.code, 0, r.stderr);
  const summary = JSON.parse(await readFile(join(dir, 'ev', 'summary.json'), 'utf8'));
  assert.is(summary.model, join(run, 'model'));
  assert.is(summary.populations, 3);
  const net = cli('eval', run, '--data', 'data/meeting/validation.csv', '--set', 'network.width=16', '--out', join(dir, 'ev2'));
  assert.is(net.code, 2);
  assert.match(net.stderr, /changes the network of the model/);
  assert.not.ok(existsSync(join(dir, 'ev2')));
  const model = await loadModel(run);
  assert.is(model.game, 'meeting', 'loadModel takes a run folder too');
  model.dispose();
});

test('the library checks its arguments: TypeError or RangeError naming the argument, never an error from inside an engine', async () => {
  const rejects = async (p: Promise<unknown>, type: typeof TypeError, pattern: RegExp) => {
    try {
      await p;
    } catch (err) {
      assert.instance(err, type, String(err));
      assert.match((err as Error).message, pattern);
      return;
    }
    assert.unreachable(`accepted: ${pattern}`);
  };
  await rejects(loadModel(42 as unknown as string), TypeError, /loadModel: dir must be the path of a model folder, got number 42/);
  await rejects(loadModel(shippedModel('meeting-fig2b'), { engine: 'fast' as 'fused' }), RangeError, /options.engine must be one of fused, graph, got "fast"/);
  await rejects(loadModel(shippedModel('meeting-fig2b'), { backend: 'tpu' }), RangeError, /options.backend must be one of .*got "tpu"/);
  await rejects(loadModel(shippedModel('meeting-fig2b'), { engnie: 'graph' } as object), TypeError, /unknown option options.engnie/);
  assert.throws(() => shippedModel('meeting'), (e: Error) => e instanceof RangeError && /no shipped model "meeting"; the package ships el-farol-fig3b, liars-dice-train, meeting-fig2b/.test(e.message));
  const meeting = await loadModel(shippedModel('meeting-fig2b'));
  const throwsWith = (f: () => unknown, type: typeof TypeError, pattern: RegExp) =>
    assert.throws(f, (e: Error) => e instanceof type && pattern.test(e.message), String(pattern));
  throwsWith(() => meeting.simulate({ times: 5 as unknown as number[] }), TypeError, /simulate: times must be an array of numbers, got number 5/);
  throwsWith(() => meeting.simulate({ times: [1, '2' as unknown as number] }), TypeError, /simulate: times\[1\] must be a number, got "2"/);
  throwsWith(() => meeting.simulate({ initialState: 'abc' as unknown as number[] }), TypeError, /initialState must be an array of numbers/);
  throwsWith(() => meeting.simulate({ seed: -1 }), RangeError, /seed must be a whole number/);
  throwsWith(() => meeting.simulate({ network: 'no' as unknown as boolean }), TypeError, /network must be true or false/);
  throwsWith(() => meeting.simulate({ time: [1] } as object), TypeError, /unknown option options.time \(known: initialState, times, seed, network, observation, agents, set\)/);
  throwsWith(() => meeting.simulate({ observation: { values: [1], shape: [1, 1] } }), TypeError, /meeting does not pair a trajectory with an observation/);
  const dice = await loadModel(shippedModel('liars-dice-train'));
  throwsWith(() => dice.simulate({ observation: { values: [1, 2, 3], shape: [3] } }), RangeError, /observation.shape must be \[1, \d+(, \d+)*\] \(one liars-dice observation: .*\), got \[3\]/);
  const ok = dice.simulate();
  assert.ok(ok.states.length > 0);
});

test("commander's own errors read like every other usage error: neural-mfg: …, exit 2", () => {
  for (const args of [['train', 'meeting', '--bogus'], ['train', 'meeting', '--backend', 'nope'], ['eval'], ['frobnicate'], ['simulate', 'meeting', '--seed', 'x']]) {
    const r = cli(...args);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^neural-mfg: /, args.join(' '));
    assert.not.match(r.stderr, /^error:/m);
  }
  assert.is(cli('--version').code, 0);
  assert.is(cli('train', '--help').code, 0);
});

test('every --help shows the defaults and an example; config lists every field with value, type and meaning', async () => {
  for (const command of ['simulate', 'generate', 'train', 'eval', 'analyze', 'doctor', 'games', 'config']) {
    const help = cli(command, '--help');
    assert.is(help.code, 0);
    assert.match(help.stdout, /Examples?:\n {2}\$ neural-mfg /, `${command} --help has an example`);
  }
  const train = cli('train', '--help').stdout.replace(/\s+/g, ' ');
  assert.match(train, 'default for train: meeting fig2b, el-farol fig3b, liars-dice train');
  assert.match(train, '(default: 10)', 'the seed');
  assert.match(train, 'neural-mfg config GAME lists the fields');
  for (const [game, preset, field, value, type] of [
    ['meeting', 'fig2a', 'mechanics.quantile', '0.8', 'a number ≥ 0 ≤ 1'],
    ['el-farol', 'fig3b', 'mechanics.attendance', '"frozen"', 'one of fresh, frozen'],
    ['liars-dice', 'train', 'initial.bluffRate', '0.1', 'a number'],
  ]) {
    const r = cli('config', game, '--preset', preset);
    assert.is(r.code, 0, r.stderr);
    const row = r.stdout.split('\n').find((l) => l.startsWith(`${field} `));
    assert.ok(row, `${game} ${field} listed`);
    const cells = row!.split(/ {2,}/);
    assert.is(cells[1], value, `${game} ${field}`);
    assert.is(cells[2], type);
    assert.ok(cells[3].length > 10, 'with its meaning');
    const json = JSON.parse(cli('config', game, '--preset', preset, '--json').stdout);
    assert.ok(json.fields.every((f: { meaning: string; type: string }) => f.meaning && f.type), 'every field described');
  }
  const set = cli('config', 'meeting', '--set', 'training.steps=7');
  assert.match(set.stdout, /^training\.steps +7 /m);
  assert.match(cli('config', 'meeting', '--set', 'training.stpes=7').stderr, /no configuration field "training.stpes"/);
  // a field a preset leaves to its default can be set all the same
  const out = join(await tmp(), 'v');
  const r = cli('train', 'meeting', '--set', 'training.steps=2', '--set', 'training.validationEvery=2', ...SHORT, '--out', out);
  assert.is(r.code, 0, r.stderr);
  assert.is(JSON.parse(await readFile(join(out, 'model', 'model.json'), 'utf8')).config.training.validationEvery, 2);
});

test('every field of every preset of every game has a description and a type', () => {
  for (const game of Object.values(GAMES)) {
    for (const [name, raw] of Object.entries(game.presets)) {
      const rows = describeConfig(game, game.parseConfig(raw));
      assert.ok(rows.length > 20, `${game.name} ${name}`);
      for (const r of rows) assert.ok(r.meaning.length > 0 && r.type.length > 0, `${game.name} ${name} ${r.field}`);
    }
  }
});

test.run();
