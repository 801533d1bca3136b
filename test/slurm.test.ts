// The Slurm route for real: a one-node cluster of Debian's slurm-wlm started here
// (test/helpers/slurm.ts), a sweep exported with `sweep export --to slurm`, its job array submitted
// with sbatch and waited for, and `sweep aggregate` on it against the same sweep run by the local
// pool. Reported skipped where Slurm is not installed or this is not root; CI installs it and runs as root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, cli } from './helpers/cli.ts';
import { testWith } from './helpers/requires.ts';
import { slurm, startSlurm, type SlurmCluster } from './helpers/slurm.ts';

let cluster: SlurmCluster | null = null;

test.before(async () => {
  if (!slurm.missing) cluster = await startSlurm();
});

test.after(async () => {
  await cluster?.stop();
});

/** The same small sweep (2 learning rates × 2 seeds, 2 training steps each) planned into a new folder. */
async function plannedSweep(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'neural-mfg-slurm-sweep-'));
  const r = cli('sweep', 'plan', 'meeting', '--set', 'training.steps=2', '--set', 'training.validationSamples=20', '--grid', 'training.learningRate=0.001,0.01', '--seeds', '10-11', '--out', dir);
  assert.is(r.code, 0, r.stderr);
  return dir;
}

const states = async (dir: string) =>
  Promise.all((await readdir(join(dir, 'state'))).sort().map(async (f) => JSON.parse(await readFile(join(dir, 'state', f), 'utf8')).state as string));

/** aggregate.csv without the timings (wall time, ms per step), which differ from run to run. */
const aggregateTable = async (dir: string) =>
  (await readFile(join(dir, 'aggregate.csv'), 'utf8'))
    .trim()
    .split('\n')
    .filter((line) => !/,(wallSeconds|msPerStep|lastStep\.ms)[,.]/.test(line));

testWith(test, slurm)('sweep export --to slurm, sbatch the array on a real Slurm, wait: every job done, and sweep aggregate gives the local pool\'s table', async () => {
  const viaSlurm = await plannedSweep();
  const exported = cli('sweep', 'export', viaSlurm, '--to', 'slurm', '--time', '00:10:00', '--command', `${process.execPath} ${BIN}`);
  assert.is(exported.code, 0, exported.stderr);
  const script = join(viaSlurm, 'sweep.sbatch');
  // --wait: sbatch returns when every task of the array has ended, with the highest exit status
  const submitted = spawnSync('sbatch', ['--wait', '--parsable', script], { env: cluster!.env, encoding: 'utf8', timeout: 300_000 });
  const logs = await readdir(join(viaSlurm, 'slurm')).catch(() => []);
  const tail = async () => (await Promise.all(logs.map((f) => readFile(join(viaSlurm, 'slurm', f), 'utf8')))).join('\n').slice(-2000);
  assert.is(submitted.status, 0, `sbatch: ${submitted.stderr}\n${await tail()}`);
  const jobId = submitted.stdout.trim().split(';')[0];
  assert.match(jobId, /^\d+$/);
  // one log per array task (the script's --output=DIR/slurm/%A_%a.out), each saying its job finished
  assert.equal(logs.sort(), [0, 1, 2, 3].map((i) => `${jobId}_${i}.out`));
  assert.equal(await states(viaSlurm), ['done', 'done', 'done', 'done']);
  // the same sweep on the local pool
  const local = await plannedSweep();
  const pool = cli('sweep', 'run', local, '--workers', '2');
  assert.is(pool.code, 0, pool.stderr);
  for (const dir of [viaSlurm, local]) {
    const r = cli('sweep', 'aggregate', dir);
    assert.is(r.code, 0, r.stderr);
  }
  const [fromSlurm, fromPool] = [await aggregateTable(viaSlurm), await aggregateTable(local)];
  assert.ok(fromSlurm.length > 10, `${fromSlurm.length} rows`);
  assert.ok(fromSlurm.some((l) => l.startsWith('0.01,finalMean,2,')), 'finalMean over 2 seeds at learning rate 0.01');
  assert.equal(fromSlurm, fromPool);
});

test.run();
