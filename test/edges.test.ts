// The edges a new user meets (issue #22): inputs that once hung the tool, crashed Node or read
// outside a model folder. Each ends in a result or one line with status 2 or 3, promptly, with no
// lock left behind. Every command here is guarded by a time limit, so that a hang fails the test
// instead of stopping the suite.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wasserstein1 } from '../src/data/stats.ts';
import { linePlot, populationBoxPlot } from '../src/plot/figures.ts';
import { samplePoisson } from '../games/liars-dice/rules.ts';
import { RandomStream } from '../src/random.ts';
import { loadModel } from '../src/index.ts';
import { refusesToLoad } from './helpers/model-files.ts';
import { BIN } from './helpers/cli.ts';
import { buildProgram } from '../src/cli/main.ts';
import { need, testWith } from './helpers/requires.ts';
import { isInstalled } from '../src/backend.ts';
import { parse } from 'yaml';

const ROOT = join(import.meta.dirname, '..');
const SHIPPED = join(ROOT, 'models', 'meeting-fig2b');
const tmp = () => mkdtemp(join(tmpdir(), 'neural-mfg-edge-'));

/** `neural-mfg ARGS…` with a time limit: a hang ends as status null, which no test accepts. */
function run(args: string[], timeoutMs = 60_000) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The one line a refused input gets: "neural-mfg: …", nothing else on stderr. */
function oneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  assert.is(lines.length, 1, `one line expected, got:\n${stderr.slice(0, 1500)}`);
  assert.match(lines[0], /^neural-mfg: /);
  assert.match(lines[0], pattern);
}

/** Everything under `dir` (relative paths), to find a lock or stray file left behind. */
async function tree(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

// ---- 1. no statistic loops on NaN or ±Infinity; eval stops with status 3 ----

test('eval of states that overflow to NaN stops with status 3 and one line, and leaves no lock or folder (was: a hang at 100% CPU)', async () => {
  const dir = await tmp();
  for (const set of ['noise.sigma=1e200', 'mechanics.alpha=1e300']) {
    const out = join(dir, set);
    const r = run(['eval', SHIPPED, '--data', 'data/meeting/validation.csv', '--set', set, '--out', out]);
    assert.is(r.code, 3, `${set}: ${r.stderr}`);
    oneLine(r.stderr, /the simulated states are not finite \(NaN .* at t = 15\)/);
    assert.equal(await tree(out), [], 'nothing written, no lock');
  }
  // simulate says the same with the same status (it used to end in writeCsv's internal message, status 2)
  const sim = run(['simulate', 'meeting', '--set', 'noise.sigma=1e200', '--out', join(dir, 'sim')]);
  assert.is(sim.code, 3, sim.stderr);
  oneLine(sim.stderr, /the simulated states are not finite/);
  assert.not.ok(existsSync(join(dir, 'sim')));
});

test('wasserstein1 ends on NaN and ±Infinity (NaN or Infinity, never a loop), and is unchanged on finite samples', () => {
  assert.ok(Number.isNaN(wasserstein1([1, NaN, 3], [2, 4])));
  assert.ok(Number.isNaN(wasserstein1([1, 2], [NaN])));
  assert.ok(Number.isNaN(wasserstein1([NaN, NaN], [NaN])));
  assert.is(wasserstein1([1, Infinity], [1, 2]), Infinity);
  assert.ok(!Number.isFinite(wasserstein1([-Infinity, 0], [Infinity])));
  // ties walk as before: ∫|F_a − F_b| of {0, 1} against {0, 1, 1, 2} is 0.25 on [0, 1) and on [1, 2)
  assert.is(wasserstein1([0, 1], [0, 1, 1, 2]), 0.5);
  assert.is(wasserstein1([3], [3]), 0);
  assert.ok(Math.abs(wasserstein1([0, 0, 5], [0, 5, 5]) - 5 / 3) < 1e-12);
});

test("Liar's dice bluffs: a huge or overflowing λ is drawn at once, capped at the bid's limit (was: λ/30 pieces, minutes at λ = 1e9)", () => {
  const r = new RandomStream(3);
  assert.is(samplePoisson(r, 1e12, 42), 42);
  assert.is(samplePoisson(r, Infinity, 42), 42);
  assert.is(samplePoisson(r, 1e300, 5), 5);
  assert.throws(() => samplePoisson(r, Infinity), /λ must be a finite number/);
  assert.throws(() => samplePoisson(r, NaN, 5), /λ must be/);
  // below the cap, the same draws as uncapped
  const a = new RandomStream(9);
  const b = new RandomStream(9);
  for (let i = 0; i < 200; i++) assert.is(samplePoisson(a, 3.7, 1000), samplePoisson(b, 3.7));
  const sim = run(['simulate', 'liars-dice', '--set', 'initial.bluffRate=1e9', '--out', join(tmpdir(), `neural-mfg-edge-dice-${process.pid}`)], 20_000);
  assert.is(sim.code, 0, sim.stderr);
});

// ---- 3. a model folder is data from someone else ----

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

/** Writes `bytes` where the manifest's weights file points, with a matching count and checksum. */
function pointWeightsAt(file: string) {
  return async (dir: string) => {
    const bytes = await readFile(join(dir, 'weights.bin'));
    await editJson((m) => {
      m.weights.file = file;
      m.weights.sha256 = createHash('sha256').update(bytes).digest('hex');
    })(dir);
  };
}


test('the weights file is a plain name inside the model folder: no separator, no "..", no symbolic link leaving it (was: read ../../outside.bin)', async () => {
  const outside = await tmp();
  // a copy of the real weights outside the folder, with a checksum that matches: still refused
  const model = await damaged(async (d) => {
    await writeFile(join(outside, 'outside.bin'), await readFile(join(d, 'weights.bin')));
    await pointWeightsAt(join('..', outside.split('/').pop()!, 'outside.bin'))(d);
  });
  await refusesToLoad(model, /field "weights.file": expected a plain file name inside the model folder .*got "\.\.\//);
  await refusesToLoad(await damaged(pointWeightsAt('../../../../etc/hostname')), /weights.file.*plain file name/);
  await refusesToLoad(await damaged(pointWeightsAt('/etc/hostname')), /weights.file.*plain file name/);
  await refusesToLoad(await damaged(pointWeightsAt('sub\\weights.bin')), /weights.file.*plain file name/);
  await refusesToLoad(await damaged(pointWeightsAt('.')), /weights.file.*plain file name.*got "\."/);
  await refusesToLoad(await damaged(pointWeightsAt('..')), /weights.file.*plain file name/);
  // a symbolic link inside the folder that leads out of it
  const linked = await damaged(async (d) => {
    await writeFile(join(outside, 'real.bin'), await readFile(join(d, 'weights.bin')));
    await rm(join(d, 'weights.bin'));
    await symlink(join(outside, 'real.bin'), join(d, 'weights.bin'));
  });
  await refusesToLoad(linked, /weights.bin: a symbolic link to .*real\.bin, outside the model folder/);
  // a link that stays inside is a file of the folder
  const inside = await damaged(async (d) => {
    await cp(join(d, 'weights.bin'), join(d, 'w-real.bin'));
    await rm(join(d, 'weights.bin'));
    await symlink('w-real.bin', join(d, 'weights.bin'));
  });
  assert.is((await loadModel(inside)).game, 'meeting');
  // a folder or a FIFO in place of the weights: refused, never read (a FIFO would block)
  await refusesToLoad(await damaged(async (d) => { await rm(join(d, 'weights.bin')); await cp(outside, join(d, 'weights.bin'), { recursive: true }); }), /weights.bin: not a regular file/);
  const fifo = await damaged(async (d) => {
    await rm(join(d, 'weights.bin'));
    spawnSync('mkfifo', [join(d, 'weights.bin')]);
  });
  if (existsSync(join(fifo, 'weights.bin'))) await refusesToLoad(fifo, /weights.bin: not a regular file/);
  // eval names the same rule, in one line, status 2
  const r = run(['eval', model, '--data', 'data/meeting/validation.csv', '--out', join(outside, 'eval')]);
  assert.is(r.code, 2);
  oneLine(r.stderr, /weights.file/);
});

test('model.json: dtype, file, count and sha256 are each checked for presence and type, each with its own message', async () => {
  await refusesToLoad(await damaged(editJson((m) => { delete m.weights.sha256; })), /field "weights.sha256": expected the sha256 of the weights file.*got nothing \(the field is missing\)/);
  await refusesToLoad(await damaged(editJson((m) => { m.weights.sha256 = 42; })), /field "weights.sha256".*got 42/);
  await refusesToLoad(await damaged(editJson((m) => { m.weights.count = 865; })), /weights.count is 865, but the network in model.json needs 866 weights/);
  await refusesToLoad(await damaged(editJson((m) => { m.weights.count = '866'; })), /field "weights.count": expected a whole number ≥ 0, got "866"/);
  await refusesToLoad(await damaged(editJson((m) => { delete m.weights.count; })), /field "weights.count".*missing/);
  await refusesToLoad(await damaged(editJson((m) => { m.weights.dtype = 'float64'; })), /field "weights.dtype": expected "float32".*got "float64"/);
  await refusesToLoad(await damaged(editJson((m) => { delete m.weights.dtype; })), /field "weights.dtype".*missing/);
  await refusesToLoad(await damaged(editJson((m) => { delete m.weights.file; })), /field "weights.file".*missing/);
  await refusesToLoad(await damaged(editJson((m) => { m.weights.file = ['weights.bin']; })), /field "weights.file"/);
  await refusesToLoad(await damaged(editJson((m) => { delete m.weights; })), /field "weights": expected an object/);
  await refusesToLoad(await damaged(editJson((m) => { m.network.depth = 1e12; })), /field "network.depth": expected a whole number from 0 to 1000, got 1000000000000/);
  await refusesToLoad(await damaged(editJson((m) => { m.network.width = -1; })), /field "network.width": expected a whole number from 0 to 100000000, got -1/);
  await refusesToLoad(await damaged(editJson((m) => { m.network.inputSize = 1.5; })), /field "network.inputSize"/);
  await refusesToLoad(await damaged(editJson((m) => { m.network.activation = 'gelu'; })), /field "network.activation": expected one of softplus/);
  await refusesToLoad(await damaged(editJson((m) => { m.seed = 'ten'; })), /field "seed"/);
  await refusesToLoad(await damaged((d) => writeFile(join(d, 'model.json'), '[1, 2]')), /not a neural-mfg model file/);
  await refusesToLoad(await damaged((d) => writeFile(join(d, 'model.json'), 'null')), /not a neural-mfg model file/);
});

test('weights holding a NaN with a matching checksum are refused, naming the weight', async () => {
  const dir = await damaged(async (d) => {
    const bytes = await readFile(join(d, 'weights.bin'));
    const w = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    w[7] = NaN;
    await writeFile(join(d, 'weights.bin'), bytes);
    await editJson((m) => { m.weights.sha256 = createHash('sha256').update(bytes).digest('hex'); })(d);
  });
  await refusesToLoad(dir, /weights.bin: weight 7 is NaN; a model's weights are finite numbers/);
});

// ---- 2. any finite observation: a figure, or the game's range refused in one line ----

/** A copy of the bundled meeting training file with line 51 (sample 1, agent 7) set to `value`. */
async function meetingFileWith(value: string): Promise<string> {
  const dir = await tmp();
  const lines = (await readFile(join(ROOT, 'data', 'meeting', 'train.csv'), 'utf8')).split('\n');
  assert.match(lines[50], /^1,7,/);
  lines[50] = `1,7,${value}`;
  await writeFile(join(dir, 'train.csv'), lines.join('\n'));
  return join(dir, 'train.csv');
}

const QUICK_TRAIN = ['--set', 'training.steps=2', '--set', 'training.evaluationPopulations=2', '--quiet'];

test('box plots draw any finite range: clock ticks give way to plain numbers, values near the float64 limit are drawn in units of 1e10 (was: a V8 fatal error at −1e30)', async () => {
  const draw = (values: number[], yFormat: 'clock' | 'number') =>
    populationBoxPlot({ turns: [1, 2], values: [values, values], yTitle: 'Arrival time', yFormat, referenceLines: [{ y: values[1], label: 'μ' }] });
  const huge = await draw([-1e30, 15, 16, 14], 'clock');
  assert.match(huge, /1e\+30/, 'a readable label for −1e30');
  assert.not.match(huge, /\d\d:\d\d/, 'no clock labels over 10^30 hours');
  const limit = await draw([-1.7e308, 1.7e308, 0, 3], 'clock');
  assert.match(limit, /Arrival time \(×1e10\)/);
  assert.not.match(limit, /NaN/);
  // a day still reads as clock times
  assert.match(await draw([12.5, 15, 14, 13], 'clock'), /15:00/);
  // and error bars that would overflow are drawn to the limit
  await linePlot({ xTitle: 'x', yTitle: 'y', series: [{ name: 's', x: [0, 1], y: [1.7e308, 1], spread: [1e308, 0] }] });
});

test("an observation outside the game's range is one line naming file, line, column, the range and the field that widens it (was: a crash with status 133)", async () => {
  const file = await meetingFileWith('-1e30');
  const out = join(await tmp(), 'run');
  const r = run(['train', 'meeting', '--data', file, ...QUICK_TRAIN, '--out', out]);
  assert.is(r.code, 2, r.stderr);
  oneLine(r.stderr, /train\.csv line 51, column "arrival": expected a number in \[0, 24\], got "-1e30" \(an arrival time in hours; widen the accepted range with --set data.range=\[lo,hi\] if you mean it\)/);
  assert.not.ok(existsSync(out), 'no folder, no lock');
  // LQ's positions likewise
  const lq = join(await tmp(), 'lq.csv');
  await writeFile(lq, 'sample,agent,position\n0,0,1e30\n');
  const l = run(['train', 'lq', '--data', lq, '--set', 'agents=1', ...QUICK_TRAIN, '--out', join(await tmp(), 'lq')]);
  assert.is(l.code, 2, l.stderr);
  oneLine(l.stderr, /lq\.csv line 2, column "position": expected a number in \[-1000000, 1000000\], got "1e30" \(a position; .*data.range/);
  // `config` lists the field, with its default
  const config = run(['config', 'meeting', '--json']);
  const field = (JSON.parse(config.stdout).fields as { field: string; value: unknown }[]).find((f) => f.field === 'data.range');
  assert.equal(field?.value, [0, 24]);
});

test('with the range widened, a training on −1e30 h finishes with its figures and summary; on 1e308 h it stops with status 3 naming the data as the likely cause', async () => {
  const out = join(await tmp(), 'run');
  const wide = run(['train', 'meeting', '--data', await meetingFileWith('-1e30'), '--set', 'data.range=[-1e31,24]', ...QUICK_TRAIN, '--out', out]);
  assert.is(wide.code, 0, wide.stderr);
  for (const f of ['summary.json', 'turns.svg', 'loss.svg', 'model']) assert.ok(existsSync(join(out, f)), f);
  assert.not.ok(existsSync(join(out, '.neural-mfg.lock')));
  const dataMean = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')).dataMean;
  assert.ok(dataMean < -1e27, `dataMean ${dataMean}`);
  const out2 = join(await tmp(), 'run');
  const huge = run(['train', 'meeting', '--data', await meetingFileWith('1e308'), '--set', 'data.range=[0,1e308]', ...QUICK_TRAIN, '--out', out2]);
  assert.is(huge.code, 3, huge.stderr);
  oneLine(huge.stderr, /training diverged at step \d+: the loss is Infinity\..*The likely cause is the data: the observations range from 12\.83 to 1\.000e\+308, far outside the \[0, 24\] the meeting game is made for \(an arrival time in hours; data\.range\)\.$/);
  assert.not.match(huge.stderr, /learningRate/);
  assert.equal((await tree(out2)).filter((f) => f.includes('lock')), []);
});

// ---- 5. a sweep's folder holds what its jobs read ----

test('sweep plan copies the files its jobs read into the sweep folder: moved elsewhere without the originals, it runs (was: absolute paths, "file not found" in the pods)', async () => {
  const home = await tmp();
  const mine = join(home, 'x.csv');
  await cp(join(ROOT, 'data', 'meeting', 'train.csv'), mine);
  const model = join(home, 'model');
  await cp(SHIPPED, model, { recursive: true });
  const dir = join(home, 'sweep');
  const plan = run(['sweep', 'plan', 'meeting', '--data', mine, '--validation', mine, '--set', 'training.steps=1', '--set', 'training.evaluationPopulations=2', '--seeds', '10-11', '--out', dir]);
  assert.is(plan.code, 0, plan.stderr);
  const manifest = JSON.parse(await readFile(join(dir, 'sweep.json'), 'utf8'));
  const data = manifest.jobs[0].request.data;
  assert.match(data, /^inputs\/[0-9a-f]{12}-x\.csv$/);
  assert.is(manifest.jobs[0].request.validation, data, 'the same file is copied once');
  assert.not.match(JSON.stringify(manifest), new RegExp(home), 'no path outside the folder');
  assert.equal(await readFile(join(dir, data)), await readFile(mine));
  // an eval sweep carries its model folder
  const evalDir = join(home, 'eval');
  assert.is(run(['sweep', 'plan', model, '--command', 'eval', '--data', mine, '--set', 'training.evaluationPopulations=2', '--out', evalDir]).code, 0);
  const evalJob = JSON.parse(await readFile(join(evalDir, 'sweep.json'), 'utf8')).jobs[0].request;
  assert.match(evalJob.model, /^inputs\/[0-9a-f]{12}-model$/);
  assert.ok(existsSync(join(evalDir, evalJob.model, 'weights.bin')));
  // moved, the originals gone: both run
  const moved = join(await tmp(), 'elsewhere');
  await cp(home, moved, { recursive: true });
  await rm(home, { recursive: true });
  for (const sweep of ['sweep', 'eval']) {
    const r = run(['sweep', 'run', join(moved, sweep), '--workers', '1'], 120_000);
    assert.is(r.code, 0, `${sweep}: ${r.stdout} ${r.stderr}`);
  }
  // a file that is not there is refused when planning, before anything is written
  const missing = run(['sweep', 'plan', 'meeting', '--data', join(moved, 'nope.csv'), '--out', join(moved, 'never')]);
  assert.is(missing.code, 2);
  oneLine(missing.stderr, /--data .*nope\.csv: not found; a sweep copies the files its jobs read into its folder when it is planned/);
  assert.not.ok(existsSync(join(moved, 'never')));
});

test('sweep export checks that the folder is self-contained (kubernetes refuses one that reads outside it, slurm notes it) and writes the --memory defaults', async () => {
  const dir = join(await tmp(), 'sweep');
  assert.is(run(['sweep', 'plan', 'meeting', '--data', 'data/meeting/train.csv', '--set', 'training.steps=1', '--out', dir]).code, 0);
  const k8s = run(['sweep', 'export', dir, '--to', 'kubernetes', '--image', 'img:1', '--claim', 'sweeps']);
  assert.is(k8s.code, 0, k8s.stderr);
  const job = parse(await readFile(join(dir, 'sweep-job.yaml'), 'utf8'));
  assert.equal(job.spec.template.spec.containers[0].resources, { requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '1', memory: '2Gi' } });
  assert.is(run(['sweep', 'export', dir, '--to', 'slurm']).code, 0);
  assert.match(await readFile(join(dir, 'sweep.sbatch'), 'utf8'), /^#SBATCH --mem=2G$/m);
  // a manifest that names a file outside its folder (planned before inputs were copied)
  const manifest = JSON.parse(await readFile(join(dir, 'sweep.json'), 'utf8'));
  manifest.jobs[0].request.data = join(ROOT, 'data', 'meeting', 'train.csv');
  await writeFile(join(dir, 'sweep.json'), JSON.stringify(manifest));
  const refused = run(['sweep', 'export', dir, '--to', 'kubernetes', '--image', 'img:1', '--claim', 'sweeps']);
  assert.is(refused.code, 2);
  oneLine(refused.stderr, /is not self-contained, and the pods see only its volume: job 0 reads .*train\.csv, outside the sweep's folder; plan the sweep again/);
  const slurm = run(['sweep', 'export', dir, '--to', 'slurm']);
  assert.is(slurm.code, 0);
  assert.match(slurm.stdout, /note: job 0 reads .*train\.csv, outside the sweep's folder: every compute node must see it at that path/);
  // a copy that went missing
  await rm(join(dir, 'inputs'), { recursive: true });
  manifest.jobs[0].request.data = 'inputs/0123456789ab-train.csv';
  await writeFile(join(dir, 'sweep.json'), JSON.stringify(manifest));
  oneLine(run(['sweep', 'export', dir, '--to', 'kubernetes', '--image', 'img:1', '--claim', 'sweeps']).stderr, /reads inputs\/0123456789ab-train\.csv, which is not in/);
});

test('the Dockerfile the Kubernetes route needs installs the packed package on the Node the package supports, and copies only what exists', async () => {
  const text = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
  const engines = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')).engines.node as string;
  const major = Number(/(\d+)/.exec(engines)![1]);
  for (const from of text.matchAll(/^FROM node:(\d+)/gm)) assert.ok(Number(from[1]) >= major, `FROM node:${from[1]} satisfies ${engines}`);
  assert.match(text, /npm ci\b/);
  assert.match(text, /npm pack\b/);
  assert.match(text, /npm install --global .*neural-mfg-\*\.tgz/);
  assert.match(text, /^ENTRYPOINT \["neural-mfg"\]$/m);
  for (const copy of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) for (const src of copy[1].split(' ')) assert.ok(existsSync(join(ROOT, src)), src);
  assert.match(await readFile(join(ROOT, '.dockerignore'), 'utf8'), /^node_modules$/m);
});

// ---- 6. kernel file systems are no places for files ----

test('--out on /proc, /sys or /dev, or under a file, is refused in one line before anything is created (was: /proc/x spun forever)', async () => {
  const cases: [string[], RegExp][] = [
    [['simulate', 'meeting', '--out', '/proc/x'], /^neural-mfg: \/proc\/x: \/proc is on the proc file system, a kernel interface, not a place for files; choose another --out$/],
    [['simulate', 'meeting', '--out', '/proc/self/x'], /\/proc\/self\/x: \/proc\/\d+ is on the proc file system/],
    [['train', 'meeting', '--set', 'training.steps=1', '--out', '/sys/x/y'], /\/sys\/x\/y: \/sys is on the sysfs file system/],
    [['simulate', 'meeting', '--out', '/dev/x'], /^neural-mfg: \/dev\/x: \/dev holds the kernel's devices, not files; choose another --out$/],
    [['sweep', 'plan', 'meeting', '--out', '/proc/sweep'], /proc file system/],
    [['generate', 'meeting', '--samples', '2', '--out', '/proc/x/data.csv'], /\/proc\/x: \/proc is on the proc file system/],
    [['simulate', 'meeting', '--out', '/dev/null/x'], /a file of that name is in the way; --out needs a folder/],
  ];
  for (const [args, pattern] of cases) {
    const r = run(args, 20_000);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    oneLine(r.stderr, pattern);
  }
  assert.not.ok(existsSync('/dev/x'));
});

// ---- 7. one-line errors, as promised ----

test("commander's errors are one line, suggestion included; --set with a number out of float64's range says so (was: two lines; \"got null\")", () => {
  const cases: [string[], RegExp][] = [
    [['train', 'meeting', '--bogus'], /^neural-mfg: unknown option '--bogus' \(see --help\)$/],
    [['train', 'meeting', '--sed', '3'], /^neural-mfg: unknown option '--sed' \(Did you mean one of --seed, --set\?\) \(see --help\)$/],
    [['sweep', 'plan'], /^neural-mfg: missing required argument 'game' \(see --help\)$/],
    [['frobnicate'], /^neural-mfg: unknown command 'frobnicate' \(see --help\)$/],
    [['train', 'meeting', '--backend', 'nope'], /^neural-mfg: option '--backend <name>' argument 'nope' is invalid\. Allowed choices are .* \(see --help\)$/],
    [['train', 'meeting', '--set', 'training.learningRate=1e400', '--out', '/tmp/never'], /^neural-mfg: --set training\.learningRate=1e400: the number is out of range \(numbers go up to about 1\.8e308 in magnitude\)$/],
    [['config', 'meeting', '--set', 'time.saveAt=[1,-1e999]'], /--set time\.saveAt=\[1,-1e999\]: a number in it is out of range/],
  ];
  for (const [args, pattern] of cases) {
    const r = run(args, 30_000);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    oneLine(r.stderr, pattern);
  }
});

const softwareWebgpu = need('webgpu on software rendering', () => {
  if (!isInstalled('webgpu')) return 'the webgpu package is not installed (npm install --no-save webgpu@0.6.2)';
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', "const { probeAdapter } = await import('./src/gpu/dawn.ts'); console.log(JSON.stringify((await probeAdapter()).report.software));"], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) return `no WebGPU adapter (${(r.stderr || '').trim().split('\n').at(-1)})`;
  return r.stdout.trim() === 'true' ? null : 'the WebGPU adapter here is a GPU, not software rendering';
});

testWith(test, softwareWebgpu)('the webgpu refusal of software rendering is the only line on stderr: no Dawn or Mesa warnings before it', () => {
  for (const engine of ['fused', 'graph']) {
    const r = run(['train', 'meeting', '--backend', 'webgpu', '--engine', engine, '--set', 'training.steps=1', '--out', join(tmpdir(), `neural-mfg-edge-wg-${process.pid}`)], 90_000);
    assert.is(r.code, 2, r.stderr);
    oneLine(r.stderr, /--backend webgpu found only software rendering: .* Add --allow-software/);
  }
});

// ---- 8. small truths ----

test('every --help of every command and subcommand shows an example', () => {
  const program = buildProgram();
  const commands: string[][] = [];
  for (const c of program.commands) {
    commands.push([c.name()]);
    for (const sub of c.commands) commands.push([c.name(), sub.name()]);
  }
  assert.ok(commands.length >= 17, `${commands.length} commands`);
  for (const words of commands) {
    const r = run([...words, '--help'], 30_000);
    assert.is(r.code, 0, `${words.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /Examples?:\n {2}\$ neural-mfg /, `${words.join(' ')} --help shows an example`);
  }
});

test('train prints decimal hours, as eval and summary.json do; writes a PNG beside every SVG figure; Ctrl-C ends with the --resume command', async () => {
  const out = join(await tmp(), 'with space');
  const train = run(['train', 'meeting', '--set', 'training.steps=2', '--set', 'training.evaluationPopulations=2', '--quiet', '--out', out]);
  assert.is(train.code, 0, train.stderr);
  assert.match(train.stdout, /\(decimal hours: 15\.500 = 15:30\)/);
  const model = train.stdout.split('\n').find((l) => l.startsWith('model '))!;
  assert.match(model, /^model( +\d+\.\d{3}){5} +mean \d+\.\d{3}$/, model);
  assert.not.match(train.stdout.replace('15.500 = 15:30', ''), /\d\d:\d\d/, 'no clock times but the heading\'s example');
  const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
  assert.ok(model.endsWith(`mean ${summary.finalMean.toFixed(3)}`), 'the same number as summary.json');
  const ev = run(['eval', out, '--data', 'data/meeting/validation.csv', '--set', 'training.evaluationPopulations=2', '--out', join(out, '..', 'eval')]);
  assert.is(ev.code, 0, ev.stderr);
  assert.match(ev.stdout, /\(decimal hours: 15\.500 = 15:30\)\n {2}loss \d+\.\d{4}\n {2}finalMean \d+\.\d{4}/);
  const files = await readdir(out);
  for (const svg of files.filter((f) => f.endsWith('.svg'))) {
    const png = svg.replace(/\.svg$/, '.png');
    assert.ok(files.includes(png), `${png} beside ${svg}`);
    assert.equal([...(await readFile(join(out, png))).subarray(1, 4)].map((b) => String.fromCharCode(b)).join(''), 'PNG');
  }
  assert.match(train.stdout, /wrote .*loss\.png, turns\.png, nash-gap\.png/);
  // interrupted: the last line says how to continue, the path quoted for the shell
  const long = join(await tmp(), 'long run');
  const child = spawn(process.execPath, [BIN, 'train', 'meeting', '--set', 'training.steps=100000', '--set', 'training.evaluationPopulations=2', '--out', long], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  await new Promise<void>((resolve) => child.stderr.on('data', (d) => {
    stderr += d;
    if (/step \d+\/100000 /.test(stderr)) resolve();
  }));
  child.kill('SIGINT');
  assert.is(await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c))), 130);
  const last = stderr.trim().split('\n').at(-1)!;
  assert.match(last, new RegExp(`^stopped after step \\d+ of 100000; continue it with: neural-mfg train --resume '${long.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}'$`));
  assert.ok(existsSync(join(long, 'checkpoint.json')));
});

test('doctor says first that the default engine (fused) needs no backend', () => {
  const r = run(['doctor'], 120_000);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^fused engine \(the default for every game\): plain typed-array code on the CPU; it needs no backend, and every command runs on it as installed\./);
});

test("El Farol's README gives the bundled files' mean rates as their summaries do", async () => {
  const readme = await readFile(join(ROOT, 'games', 'el-farol', 'README.md'), 'utf8');
  const train = JSON.parse(await readFile(join(ROOT, 'data', 'el-farol', 'train.summary.json'), 'utf8')).mean;
  const validation = JSON.parse(await readFile(join(ROOT, 'data', 'el-farol', 'validation.summary.json'), 'utf8')).mean;
  const rates = [...readme.matchAll(/mean rate (0\.\d{4})/g)].map((m) => Number(m[1]));
  assert.equal(rates, [Number(train.toFixed(4)), Number(validation.toFixed(4))]);
});

test('the README has a table of contents that links every section, and every dependency installs on the Node the README names', async () => {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const toc = /^## Contents\n([\s\S]*?)\n(?:---|## )/m.exec(readme);
  assert.ok(toc, 'a "## Contents" section');
  const slug = (h: string) => h.toLowerCase().replace(/[^\w\- ]/g, '').trim().replace(/ /g, '-');
  const headings = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1]).filter((h) => h !== 'Contents');
  for (const h of headings) assert.ok(toc![1].includes(`](#${slug(h)})`), `the contents link "${h}" as #${slug(h)}`);
  const anchors = new Set([...readme.matchAll(/^#{2,4} (.+)$/gm)].map((m) => slug(m[1])));
  for (const link of toc![1].matchAll(/\]\(#([^)]+)\)/g)) assert.ok(anchors.has(link[1]), `#${link[1]} is a heading`);
  // "Node ≥ 20.19": no dependency, development ones included, asks for more (npm ci warned for kubernetes-models 5)
  const stated = Number(/Node ≥ (\d+)\.\d+/.exec(readme)![1]);
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
  assert.is(Number(/>=\s*(\d+)/.exec(pkg.engines.node)![1]), stated);
  for (const name of Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })) {
    const engines = JSON.parse(await readFile(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).engines?.node as string | undefined;
    const least = engines ? /^\s*>=?\s*v?(\d+)/.exec(engines) : null;
    if (least) assert.ok(Number(least[1]) <= stated, `${name} wants Node ${engines}`);
  }
});

test.run();
