// The queue commands against a Redis that is not there, and against one that is (Debian's
// redis-server on a free port): one line per failed connection attempt with a back-off, a give-up
// after --connect-timeout, and a clean stop on SIGINT and SIGTERM (issue #22, item 4). Every
// command runs under a time limit, so that a process that ignores its signals fails the test.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, cli } from './helpers/cli.ts';
import { programNeed, testWith } from './helpers/requires.ts';

const tmp = () => mkdtemp(join(tmpdir(), 'neural-mfg-connect-'));
const redisServer = programNeed('redis-server', 'redis-server', 'apt-get install redis-server');

/** A port nothing listens on: taken from the system, then let go. */
async function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

async function plannedSweep(steps = 2): Promise<string> {
  const dir = join(await tmp(), 'sweep');
  const r = cli('sweep', 'plan', 'meeting', '--set', `training.steps=${steps}`, '--set', 'training.validationSamples=20', '--set', 'training.evaluationPopulations=2', '--seeds', '10', '--out', dir);
  assert.is(r.code, 0, r.stderr);
  return dir;
}

/** A neural-mfg process, its stderr collected; `until(pattern)` waits for a line, `exit` for its status. */
function start(args: string[]) {
  let stderr = '';
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (c: Buffer) => (stderr += String(c)));
  const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return {
    child,
    stderr: () => stderr,
    exit,
    async until(pattern: RegExp, ms = 60_000): Promise<void> {
      const end = Date.now() + ms;
      while (!pattern.test(stderr)) {
        if (Date.now() > end) throw new Error(`no line matching ${pattern} within ${ms / 1000} s; stderr:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

/** Waits for the exit status, or fails (and kills the process) after `ms`: a process that ignores its signals. */
async function exitWithin(p: { child: ChildProcess; exit: Promise<number | null>; stderr: () => string }, ms: number): Promise<number | null> {
  const timer = new Promise<'hung'>((done) => setTimeout(() => done('hung'), ms));
  const r = await Promise.race([p.exit, timer]);
  if (r === 'hung') {
    p.child.kill('SIGKILL');
    assert.unreachable(`still running ${ms / 1000} s after its signal; stderr:\n${p.stderr().slice(-2000)}`);
  }
  return r as number | null;
}

const ATTEMPT = /^queue: redis:\/\/127\.0\.0\.1:\d+ does not answer \(connect ECONNREFUSED 127\.0\.0\.1:\d+\), attempt (\d+); next in ([\d.]+) s, giving up [\d.]+ s from now \(--connect-timeout\)$/;

test('an unreachable Redis: one line per failed attempt, waits doubling from 0.5 s, then one line giving up after --connect-timeout, status 2 (was: endless stacks)', async () => {
  const port = await freePort();
  const dir = await plannedSweep();
  for (const args of [['sweep', 'run', dir], ['worker']]) {
    const r = spawnSync(process.execPath, [BIN, ...args, '--queue', `redis://127.0.0.1:${port}`, '--connect-timeout', '3'], { encoding: 'utf8', timeout: 30_000 });
    assert.is(r.status, 2, `${args[0]}: ${r.stderr}`);
    assert.not.match(r.stderr, /^\s+at /m, 'no stack');
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('queue: '));
    assert.ok(lines.length >= 2 && lines.length <= 4, `attempts:\n${r.stderr}`);
    const waits = lines.map((l) => {
      const m = ATTEMPT.exec(l);
      assert.ok(m, l);
      return Number(m![2]);
    });
    assert.equal(waits.slice(0, 2), [0.5, 1], 'the back-off');
    assert.match(r.stderr, new RegExp(`^neural-mfg: redis://127\\.0\\.0\\.1:${port}: no Redis answered within 3 s \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\); is redis-server running there and reachable\\? \\(--connect-timeout S waits longer\\)$`, 'm'));
  }
  assert.not.ok(existsSync(join(dir, '.neural-mfg.lock')), 'sweep run let go of its lock');
  // the default and the option are in --help
  assert.match(cli('sweep', 'run', '--help').stdout.replace(/\s+/g, ' '), /--connect-timeout <s> give up reaching Redis after S seconds .*\(default: 60\)/);
});

test('SIGINT and SIGTERM stop sweep run --queue (status 130, the jobs left to run, the lock released) and worker (status 0) while they wait for Redis (was: both ignored)', async () => {
  const url = `redis://127.0.0.1:${await freePort()}`;
  const dir = await plannedSweep();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const run = start(['sweep', 'run', dir, '--queue', url]);
    await run.until(/attempt 2;/);
    run.child.kill(signal);
    assert.is(await exitWithin(run, 10_000), 130, run.stderr());
    assert.not.ok(existsSync(join(dir, '.neural-mfg.lock')));
    const worker = start(['worker', '--queue', url]);
    await worker.until(/attempt 2;/);
    worker.child.kill(signal);
    assert.is(await exitWithin(worker, 10_000), 0, worker.stderr());
    assert.match(worker.stderr(), new RegExp(`worker: ${signal}: taking no new job`));
  }
});

let redis: ChildProcess | null = null;

testWith(test, redisServer)('with Redis there: SIGTERM stops a worker in the middle of a train job, which is checkpointed, marked interrupted and given back to the queue', async () => {
  const port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise<void>((ready) => redis!.stdout!.on('data', (c: Buffer) => /Ready to accept connections/.test(String(c)) && ready()));
  const url = `redis://127.0.0.1:${port}`;
  const dir = await plannedSweep(200000);
  const enqueuer = start(['sweep', 'run', dir, '--queue', url, '--queue-name', 'edge']);
  const worker = start(['worker', '--queue', url, '--queue-name', 'edge', '--workers', '1']);
  await worker.until(/job 0 of sweep \w+ .* started/);
  // the train has taken a step or more: its checkpoint is what the next worker resumes from
  const log = async () => (existsSync(join(dir, 'logs')) ? (await readdir(join(dir, 'logs'))).length : 0);
  while ((await log()) === 0) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 1500));
  worker.child.kill('SIGTERM');
  assert.is(await exitWithin(worker, 30_000), 0, worker.stderr());
  assert.match(worker.stderr(), /job 0 of sweep \w+ interrupted/, worker.stderr());
  const record = JSON.parse(await readFile(join(dir, 'state', (await readdir(join(dir, 'state')))[0]), 'utf8'));
  assert.is(record.state, 'interrupted');
  const jobDir = join(dir, 'jobs', (await readdir(join(dir, 'jobs')))[0]);
  assert.ok(existsSync(join(jobDir, 'checkpoint.json')), 'checkpointed');
  assert.not.ok(existsSync(join(jobDir, '.neural-mfg.lock')));
  // the enqueuer stops on SIGTERM too, with the job left to run
  enqueuer.child.kill('SIGTERM');
  assert.is(await exitWithin(enqueuer, 15_000), 130, enqueuer.stderr());
  assert.not.ok(existsSync(join(dir, '.neural-mfg.lock')));
  redis.kill('SIGTERM');
});

test.after(() => {
  redis?.kill('SIGKILL');
});

test.run();
