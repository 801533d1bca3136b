// The job-queue route against a real Redis: Debian's redis-server, started here on a free port and
// stopped after. Where it is not installed (`apt-get install redis-server`), the runner reports the
// tests skipped.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, cli } from './helpers/cli.ts';
import { programNeed, testWith } from './helpers/requires.ts';

const tmp = () => mkdtemp(join(tmpdir(), 'neural-mfg-queue-'));
const json = async (file: string) => JSON.parse(await readFile(file, 'utf8'));
const redisServer = programNeed('redis-server', 'redis-server', 'apt-get install redis-server');
const redisTest = testWith(test, redisServer);

async function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

let redis: ChildProcess | null = null;
let url = '';

async function startRedis(): Promise<void> {
  const port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((ready, fail) => {
    redis!.stdout!.on('data', (chunk: Buffer) => /Ready to accept connections/.test(String(chunk)) && ready());
    redis!.on('exit', (code) => fail(new Error(`redis-server exited with ${code}`)));
  });
  url = `redis://127.0.0.1:${port}`;
}

/** `neural-mfg worker` processes until `stop`; stopped by SIGTERM (their own process id). */
function worker(...args: string[]): { stop(): Promise<number | null>; log: () => string } {
  let log = '';
  const child = spawn(process.execPath, [BIN, 'worker', '--queue', url, '--workers', '2', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (c: Buffer) => (log += String(c)));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return {
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
    log: () => log,
  };
}

async function plannedSweep(...extra: string[]) {
  const dir = await tmp();
  const r = cli('sweep', 'plan', 'meeting', '--set', 'training.steps=2', '--set', 'training.validationSamples=20', '--grid', 'training.learningRate=0.001,0.01', '--seeds', '10-11', '--out', dir, ...extra);
  assert.is(r.code, 0, r.stderr);
  return dir;
}

const states = async (dir: string) => Promise.all((await readdir(join(dir, 'state'))).sort().map(async (f) => (await json(join(dir, 'state', f))).state));

test.before(async () => {
  if (!redisServer.missing) await startRedis();
});

test.after(async () => {
  // the Redis this file started (none where redis-server is missing: its tests were skipped)
  if (redis) {
    const gone = new Promise((done) => redis!.on('exit', done));
    redis.kill('SIGTERM');
    await gone;
  }
});

redisTest('sweep run --queue: the jobs go through BullMQ to a worker that writes into the shared sweep folder', async () => {
  const dir = await plannedSweep();
  const w = worker();
  const r = cli('sweep', 'run', dir, '--queue', url);
  assert.is(await w.stop(), 0, w.log());
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /4 jobs: 4 done/);
  assert.equal(await states(dir), ['done', 'done', 'done', 'done']);
  assert.match(w.log(), /job 3 of sweep \w+ done/);
  assert.ok((await json(join(dir, 'jobs', 'training.learningRate=0.01,seed=11', 'summary.json'))).finalMean > 0);
  // finished jobs are not queued again
  assert.match(cli('sweep', 'run', dir, '--queue', url).stdout, /4 already done/);
});

redisTest('a worker that does not see the sweep folder sends the files back through the queue', async () => {
  const dir = await plannedSweep();
  const w = worker('--results', 'queue');
  const r = cli('sweep', 'run', dir, '--queue', url);
  assert.is(await w.stop(), 0, w.log());
  assert.is(r.code, 0, r.stderr);
  assert.match(w.log(), /results through the queue/);
  assert.equal(await states(dir), ['done', 'done', 'done', 'done']);
  const job = join(dir, 'jobs', 'training.learningRate=0.001,seed=10');
  assert.ok((await readdir(job)).includes('summary.json'));
  assert.ok((await readFile(join(job, 'model', 'weights.bin'))).length > 0);
  assert.match(await readFile(join(dir, 'logs', 'training.learningRate=0.001,seed=10.log'), 'utf8'), /exit 0 \(done\)/);
});

redisTest("a failing job is retried by BullMQ, then reported failed with the worker's reason", async () => {
  const dir = await tmp();
  // a file the jobs cannot read (sweep plan refuses a missing one: it copies the files into the sweep)
  const bad = join(await tmp(), 'bad.csv');
  await writeFile(bad, 'sample,agent,arrival\n0,0,noon\n');
  assert.is(cli('sweep', 'plan', 'meeting', '--data', bad, '--out', dir).code, 0);
  const w = worker();
  const r = cli('sweep', 'run', dir, '--queue', url, '--retries', '1');
  await w.stop();
  assert.is(r.code, 1);
  assert.match(r.stdout, /1 failed/);
  const [record] = await Promise.all((await readdir(join(dir, 'state'))).map((f) => json(join(dir, 'state', f))));
  assert.is(record.state, 'failed');
  assert.is(record.attempts, 2);
  assert.match(record.error, /bad\.csv line 2, column "arrival"/);
});

test.run();
