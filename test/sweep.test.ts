import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { buildManifest, gridPoints, parseGridAxis, parseSeeds } from '../src/sweep/manifest.ts';
import { seedStats } from '../src/data/seed-stats.ts';
import { requestKey, type RunRequest } from '../src/run/requests.ts';
import { EXIT_INTERRUPTED } from '../src/run/exit.ts';
import { JobPool } from '../src/sweep/pool.ts';
import { aggregateTable, summaryMetrics } from '../src/sweep/aggregate.ts';
import { BIN, cli } from './helpers/cli.ts';

const tmp = () => mkdtemp(join(tmpdir(), 'neural-mfg-sweep-'));
const json = async (file: string) => JSON.parse(await readFile(file, 'utf8'));

/** A tiny meeting sweep: 2 learning rates × 2 seeds, 2 training steps each. */
async function plannedSweep(...extra: string[]) {
  const dir = await tmp();
  const r = cli('sweep', 'plan', 'meeting', '--set', 'training.steps=2', '--set', 'training.validationSamples=20',
    '--grid', 'training.learningRate=0.001,0.01', '--seeds', '10-11', '--out', dir, ...extra);
  assert.is(r.code, 0, r.stderr);
  return dir;
}

/** One sweep planned and run for the tests that only read it. */
let finished: Promise<string> | null = null;
const finishedSweep = () =>
  (finished ??= plannedSweep().then((dir) => {
    const r = cli('sweep', 'run', dir, '--workers', '2');
    assert.is(r.code, 0, r.stderr);
    return dir;
  }));

const records = async (dir: string) => Promise.all((await readdir(join(dir, 'state'))).sort().map((f) => json(join(dir, 'state', f))));

test('seeds and grid values: ranges, lists, and commas inside brackets belong to a value', () => {
  assert.equal(parseSeeds('10-12,20'), [10, 11, 12, 20]);
  assert.throws(() => parseSeeds('12-10'), /runs backwards/);
  assert.throws(() => parseSeeds('10,10'), /listed twice/);
  assert.equal(parseGridAxis('sweep.values=[0,1],[2]'), { field: 'sweep.values', values: ['[0,1]', '[2]'] });
  assert.throws(() => parseGridAxis('training.steps=1,,2'), /empty value/);
  const points = gridPoints([parseGridAxis('a=1,2'), parseGridAxis('b=x,y,z')]);
  assert.is(points.length, 6);
  assert.equal(points[1], { values: { a: '1', b: 'y' }, set: ['a=1', 'b=y'] });
});

test('a job is one request, its folder named by point and seed, its key the hash of its request', () => {
  const base = { kind: 'train' as const, game: 'meeting', preset: 'fig2b', set: [], seed: 10 };
  const m = buildManifest({ target: 'meeting', base, seeds: [3, 4], points: gridPoints([parseGridAxis('training.steps=5')]), grid: [] });
  assert.equal(m.jobs.map((j) => j.dir), ['jobs/training.steps=5,seed=3', 'jobs/training.steps=5,seed=4']);
  assert.equal(m.jobs[1].request, { kind: 'train', game: 'meeting', preset: 'fig2b', set: ['training.steps=5'], seed: 4 });
  assert.is(m.jobs[1].key, requestKey(m.jobs[1].request));
  assert.is.not(m.jobs[0].key, m.jobs[1].key);
  // the same plan has the same id: planning again changes nothing
  assert.is(buildManifest({ target: 'meeting', base, seeds: [3, 4], points: gridPoints([parseGridAxis('training.steps=5')]), grid: [] }).id, m.id);
});

test('a manifest of command lines (version 1) is refused with what to do', async () => {
  const dir = await tmp();
  await writeFile(join(dir, 'sweep.json'), JSON.stringify({ format: 'neural-mfg-sweep', version: 1, id: 'x', command: 'train', target: 'meeting', jobs: [{ index: 0, dir: 'jobs/seed=10', argv: ['train', 'meeting'] }] }));
  const r = cli('sweep', 'run', dir);
  assert.is(r.code, 2);
  assert.match(r.stderr, /manifest version 1: each job a command line.*Plan it again .*--force/);
});

test("95% confidence interval over seeds from Student's t: [1, 2, 3] gives 2 ± 4.303/√3", () => {
  const s = seedStats([1, 2, 3]);
  assert.is(s.mean, 2);
  assert.is(s.std, 1);
  assert.ok(Math.abs(s.ci95! - 4.303 / Math.sqrt(3)) < 1e-12);
  assert.is(seedStats([5]).ci95, null);
});

test('metrics of a summary.json: its numbers by dotted name, short lists element by element, the final turn, the configuration left out', () => {
  const turns = [{ t: 1, mean: 9 }, { t: 2, mean: 10 }];
  const m = summaryMetrics({ seed: 3, trainLoss: 1.5, lastStep: { step: 4, trainLoss: 2 }, learnedOdds: [0.5, 0.5], config: { a: 1 }, interrupted: false, turns });
  assert.equal(m, { 'finalTurn.t': 2, 'finalTurn.mean': 10, trainLoss: 1.5, 'lastStep.step': 4, 'lastStep.trainLoss': 2, 'learnedOdds[0]': 0.5, 'learnedOdds[1]': 0.5 });
});

test('sweep plan checks every point before writing, and refuses to plan over another sweep', async () => {
  const bad = await tmp();
  const r = cli('sweep', 'plan', 'meeting', '--grid', 'training.bogus=1,2', '--out', bad);
  assert.is(r.code, 2);
  assert.match(r.stderr, /grid point training\.bogus=1: .*bogus/);
  assert.not.ok(existsSync(join(bad, 'sweep.json')));
  const dir = await plannedSweep();
  const m = await json(join(dir, 'sweep.json'));
  assert.is(m.jobs.length, 4);
  assert.equal(m.seeds, [10, 11]);
  assert.match(cli('sweep', 'plan', 'meeting', '--set', 'training.steps=2', '--set', 'training.validationSamples=20',
    '--grid', 'training.learningRate=0.001,0.01', '--seeds', '10-11', '--out', dir).stdout, /already planned/);
  const other = cli('sweep', 'plan', 'meeting', '--seeds', '1', '--out', dir);
  assert.is(other.code, 2);
  assert.match(other.stderr, /holds another sweep/);
});

test('sweep run: every job on the pool, each the same result as train alone; a second run skips them all', async () => {
  const dir = await finishedSweep();
  assert.equal((await records(dir)).map((x) => [x.state, x.attempts]), [['done', 1], ['done', 1], ['done', 1], ['done', 1]]);
  const alone = join(await tmp(), 'alone');
  assert.is(cli('train', 'meeting', '--set', 'training.steps=2', '--set', 'training.validationSamples=20', '--set', 'training.learningRate=0.01', '--seed', '11', '--quiet', '--out', alone).code, 0);
  const a = await json(join(alone, 'summary.json'));
  const b = await json(join(dir, 'jobs', 'training.learningRate=0.01,seed=11', 'summary.json'));
  for (const k of ['finalMean', 'trainLoss', 'validationLoss', 'dataMean']) assert.is(b[k], a[k], k);
  const again = cli('sweep', 'run', dir);
  assert.is(again.code, 0);
  assert.match(again.stdout, /0 done .*4 already done/);
  assert.equal((await records(dir)).map((x) => x.attempts), [1, 1, 1, 1]);
});

test('a sweep planned again with another seed (--force) runs only the new jobs: the others keep their results', async () => {
  const dir = await plannedSweep();
  const first = cli('sweep', 'run-one', dir, '--index', '0');
  assert.is(first.code, 0, first.stderr);
  const r = cli('sweep', 'plan', 'meeting', '--set', 'training.steps=2', '--set', 'training.validationSamples=20',
    '--grid', 'training.learningRate=0.001', '--seeds', '10,12', '--out', dir, '--force');
  assert.is(r.code, 0, r.stderr);
  const s = JSON.parse(cli('sweep', 'status', dir, '--json').stdout);
  assert.equal(s.jobs.map((j: { id: string; state: string }) => [j.id, j.state]), [['training.learningRate=0.001 seed 10', 'done'], ['training.learningRate=0.001 seed 12', 'pending']]);
});

test('the aggregate table: a metric per row and a point per column, or beyond 6 points a point per row with the first metrics', () => {
  const point = (lr: string, mean: number, ci: number | null) => ({ point: { 'training.learningRate': lr }, seeds: [10, 11], metrics: { trainLoss: { n: 2, mean, std: 0, ci95: ci, values: [] }, finalMean: { n: 2, mean: 15, std: 0, ci95: null, values: [] } } });
  const few = aggregateTable({ metrics: ['finalMean', 'trainLoss'], points: [point('0.001', 0.87126, 0.0213), point('0.003', 1.5, null)] }, ['training.learningRate']);
  assert.equal(few.split('\n').map((l) => l.split(/\s{2,}/)), [
    ['metric \\ training.learningRate', '0.001', '0.003'],
    ['finalMean', '15.00', '15.00'],
    ['trainLoss', '0.8713 ± 0.021', '1.500'],
  ]);
  const many = aggregateTable({ metrics: ['finalMean', 'trainLoss'], points: Array.from({ length: 7 }, (_, i) => point(String(i), i, 0.5)) }, ['training.learningRate']);
  const lines = many.split('\n').map((l) => l.trim().split(/\s{2,}/));
  assert.equal(lines[0], ['training.learningRate', 'seeds', 'trainLoss', 'finalMean'], 'the losses first');
  assert.equal(lines[7], ['6', '2', '6.000 ± 0.50', '15.00']);
});

test('a second sweep run of a folder that is being run is refused, naming the first; run-one is not locked', async () => {
  const dir = await plannedSweep();
  // the lock of a live neural-mfg process (this test's runner stands for it)
  await writeFile(join(dir, '.neural-mfg.lock'), JSON.stringify({ pid: process.pid, host: hostname(), command: 'sweep run', started: new Date().toISOString() }));
  const r = cli('sweep', 'run', dir, '--workers', '1');
  assert.is(r.code, 2);
  assert.match(r.stderr, new RegExp(`is in use by another neural-mfg run: process ${process.pid} on .*sweep run`));
  assert.not.ok(existsSync(join(dir, 'state')), 'no job started');
  const one = cli('sweep', 'run-one', dir, '--index', '0');
  assert.is(one.code, 0, one.stderr);
  await rm(join(dir, '.neural-mfg.lock'));
  const rest = cli('sweep', 'run', dir, '--workers', '1');
  assert.is(rest.code, 0, rest.stderr);
  assert.not.ok(existsSync(join(dir, '.neural-mfg.lock')), 'the lock goes with the run');
});

test('sweep run-one runs the job its index selects (and only it); a finished one is skipped', async () => {
  const dir = await plannedSweep();
  const r = cli('sweep', 'run-one', dir, '--index', '2');
  assert.is(r.code, 0, r.stderr);
  const status = await json(join(dir, 'state', 'training.learningRate=0.01,seed=10.json'));
  assert.is(status.state, 'done');
  const s = JSON.parse(cli('sweep', 'status', dir, '--json').stdout);
  assert.equal(s.jobs.map((j: { state: string }) => j.state), ['pending', 'pending', 'done', 'pending']);
  assert.match(cli('sweep', 'run-one', dir, '--index', '2').stderr, /done before, skipped/);
  const out = cli('sweep', 'run-one', dir, '--index', '4');
  assert.is(out.code, 2);
  assert.match(out.stderr, /no job 4: this sweep has jobs 0 to 3/);
});

test('a failing job is retried, then reported failed with its reason; the exit status says so', async () => {
  const dir = await tmp();
  // a file the jobs cannot read (sweep plan refuses a missing one: it copies the files into the sweep)
  const bad = join(await tmp(), 'bad.csv');
  await writeFile(bad, 'sample,agent,arrival\n0,0,noon\n');
  assert.is(cli('sweep', 'plan', 'meeting', '--data', bad, '--out', dir).code, 0);
  const r = cli('sweep', 'run', dir, '--retries', '1');
  assert.is(r.code, 1);
  assert.match(r.stdout, /1 failed/);
  const [record] = await records(dir);
  assert.equal([record.state, record.attempts], ['failed', 2]);
  assert.match(record.error, /bad\.csv line 2, column "arrival": expected a number/);
  assert.match(cli('sweep', 'status', dir).stdout, /1 failed[\s\S]*seed 10 +failed +2 .*bad\.csv/);
});

test('a stop reaches a train job from the moment the pool hands it out: before its process has read it, and after a stop', async () => {
  const pool = new JobPool({ size: 1 });
  const base = await tmp();
  const request = (out: string): RunRequest => ({ kind: 'train', game: 'meeting', set: ['training.steps=8000', 'training.validationSamples=0', 'training.checkpointEvery=0'], seed: 3, out });
  try {
    // the process is still starting: it has read neither the job nor the stop that follows it
    const first = pool.run(request(join(base, 'first')), join(base, 'first.log'));
    pool.interrupt();
    assert.is(await first, EXIT_INTERRUPTED);
    // a job handed out after the stop carries it
    assert.is(await pool.run(request(join(base, 'after')), join(base, 'after.log')), EXIT_INTERRUPTED);
    for (const name of ['first', 'after']) {
      const checkpoint = await json(join(base, name, 'checkpoint.json'));
      assert.is(checkpoint.state.step, 0, `${name}: stopped before its first step, with a checkpoint`);
    }
  } finally {
    await pool.close();
  }
});

test('Ctrl-C leaves every job finished or resumable, and the next run ends with the weights of an uninterrupted train', async () => {
  const dir = await tmp();
  const train = ['--set', 'training.steps=8000', '--set', 'training.validationSamples=0', '--set', 'training.checkpointEvery=0'];
  assert.is(cli('sweep', 'plan', 'meeting', ...train, '--seeds', '10-11', '--out', dir).code, 0);
  const child = spawn(process.execPath, [BIN, 'sweep', 'run', dir, '--workers', '2'], { stdio: 'ignore' });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  // both jobs started (their records written): wherever each one is — its process starting, its job
  // on the way, training — the stop reaches it (the test above), however loaded the machine is
  for (let k = 0; k < 1200 && !(existsSync(join(dir, 'state')) && (await readdir(join(dir, 'state'))).length === 2); k++) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGINT');
  assert.is(await exited, 130);
  const states = (await records(dir)).map((x) => x.state);
  assert.ok(states.every((s) => s === 'done' || s === 'interrupted'), String(states));
  assert.ok(states.includes('interrupted'), String(states));
  for (const name of ['seed=10', 'seed=11']) {
    const rec = await json(join(dir, 'state', `${name}.json`));
    if (rec.state === 'interrupted') assert.ok(existsSync(join(dir, 'jobs', name, 'checkpoint.json')), name);
  }
  const again = cli('sweep', 'run', dir);
  assert.is(again.code, 0, again.stderr);
  assert.ok((await records(dir)).some((x) => x.resumed));
  const alone = join(await tmp(), 'alone');
  assert.is(cli('train', 'meeting', ...train, '--seed', '11', '--quiet', '--out', alone).code, 0);
  assert.equal(await readFile(join(dir, 'jobs', 'seed=11', 'model', 'weights.bin')), await readFile(join(alone, 'model', 'weights.bin')));
});

test('sweep aggregate: every metric against the grid, mean and 95% CI over seeds, as CSV, figures and summary.json', async () => {
  const dir = await finishedSweep();
  const r = cli('sweep', 'aggregate', dir);
  assert.is(r.code, 0, r.stderr);
  const csv = (await readFile(join(dir, 'aggregate.csv'), 'utf8')).trim().split('\n');
  assert.is(csv[0], 'training.learningRate,metric,seeds,mean,std,ci95_low,ci95_high');
  const row = csv.find((l) => l.startsWith('0.01,finalMean,'))!.split(',').map(Number);
  assert.is(row[2], 2);
  assert.ok(row[5] < row[3] && row[3] < row[6]);
  const s = await json(join(dir, 'summary.json'));
  assert.equal(s.jobs, { total: 4, done: 4, failed: 0, pending: 0 });
  assert.ok(s.metrics.includes('finalMean'));
  assert.ok('steps' in s.constants);
  const p = s.points.find((q: { point: Record<string, string> }) => q.point['training.learningRate'] === '0.01');
  assert.equal(p.seeds, [10, 11]);
  assert.match(await readFile(join(dir, 'figures', 'finalMean.svg'), 'utf8'), /^<svg/);
  assert.is((await readFile(join(dir, 'jobs.csv'), 'utf8')).trim().split('\n').length, 5);
});

test('sweep export --to slurm: bash -n passes, and SLURM_ARRAY_TASK_ID selects the job', async () => {
  const dir = await plannedSweep();
  const r = cli('sweep', 'export', dir, '--to', 'slurm', '--time', '00:10:00', '--parallelism', '2');
  assert.is(r.code, 0, r.stderr);
  const script = join(dir, 'sweep.sbatch');
  const text = await readFile(script, 'utf8');
  assert.match(text, /^#SBATCH --array=0-3%2$/m);
  assert.match(text, /^#SBATCH --time=00:10:00$/m);
  assert.is(spawnSync('bash', ['-n', script]).status, 0);
  const dry = spawnSync('bash', [script], { encoding: 'utf8', env: { ...process.env, SLURM_ARRAY_TASK_ID: '3', NEURAL_MFG: 'echo' } });
  assert.is(dry.status, 0, dry.stderr);
  assert.is(dry.stdout.trim(), `sweep run-one ${dir} --index 3`);
  assert.is(spawnSync('bash', [script], { env: { ...process.env, SLURM_ARRAY_TASK_ID: '4', NEURAL_MFG: 'echo' } }).status, 2);
  // the script as an array task runs its job
  const task = spawnSync('bash', [script], { encoding: 'utf8', env: { ...process.env, SLURM_ARRAY_TASK_ID: '1' } });
  assert.is(task.status, 0, task.stderr);
  assert.is((await json(join(dir, 'state', 'training.learningRate=0.001,seed=11.json'))).state, 'done');
});

test('sweep export --to kubernetes: an Indexed Job that the batch/v1 schema accepts, JOB_COMPLETION_INDEX selecting the job', async () => {
  const dir = await finishedSweep();
  assert.match(cli('sweep', 'export', dir, '--to', 'kubernetes').stderr, /needs --image/);
  const r = cli('sweep', 'export', dir, '--to', 'kubernetes', '--image', 'registry.example/neural-mfg:0.1.0', '--claim', 'sweeps', '--parallelism', '3', '--cpus', '2');
  assert.is(r.code, 0, r.stderr);
  // the file as kubectl reads it: one YAML document, parsed by a YAML library, then the API's schema
  const documents = parseAllDocuments(await readFile(join(dir, 'sweep-job.yaml'), 'utf8'));
  assert.is(documents.length, 1);
  assert.equal(documents[0].errors, []);
  const job = documents[0].toJS() as Record<string, any>;
  const { Job } = await import('kubernetes-models/batch/v1');
  new Job(job as never).validate(); // throws on any field the API does not define or of the wrong type
  assert.is(job.apiVersion, 'batch/v1');
  assert.is(job.kind, 'Job');
  const m = await json(join(dir, 'sweep.json'));
  assert.is(job.metadata.name, `neural-mfg-sweep-${m.id}`);
  const spec = job.spec;
  assert.is(spec.completionMode, 'Indexed');
  assert.is(spec.completions, 4);
  assert.is(spec.parallelism, 3);
  assert.is(spec.backoffLimitPerIndex, 2);
  assert.equal(spec.podFailurePolicy.rules, [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }]);
  assert.is(spec.template.spec.restartPolicy, 'Never');
  const container = spec.template.spec.containers[0];
  assert.is(container.image, 'registry.example/neural-mfg:0.1.0');
  assert.equal(container.args, ['sweep', 'run-one', '/sweep', '--index', '$(JOB_COMPLETION_INDEX)']);
  assert.equal(container.env, [
    { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } },
    { name: 'NEURAL_MFG_THREADS', value: '2' },
  ]);
  assert.equal(container.resources, { requests: { cpu: '2', memory: '2Gi' }, limits: { cpu: '2', memory: '2Gi' } });
  assert.equal(container.volumeMounts, [{ name: 'sweep', mountPath: '/sweep' }]);
  assert.equal(spec.template.spec.volumes, [{ name: 'sweep', persistentVolumeClaim: { claimName: 'sweeps' } }]);
  // and a broken manifest is refused by the same check
  assert.throws(() => new Job({ ...job, spec: { ...spec, completionMode: 7 } } as never).validate());
});

test.run();
