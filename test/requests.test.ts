// Run requests (src/run/requests.ts): checked once with errors that name the field, hashed the same
// whatever the order of their keys, and executed the same from the CLI and from the run layer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRequest, RequestError, requestKey, withoutOutput } from '../src/run/requests.ts';
import { execute } from '../src/run/execute.ts';
import { cli } from './helpers/cli.ts';

const tmp = () => mkdtemp(join(tmpdir(), 'nmfg-requests-'));
const json = async (file: string) => JSON.parse(await readFile(file, 'utf8'));

test('a request is checked once: its kind, each field and no unknown field, the error naming the field', () => {
  const ok = { kind: 'train', game: 'meeting', set: ['training.steps=2'], seed: 10, engine: 'fused', solver: 'heun' };
  assert.equal(parseRequest(ok), ok);
  const refused: [unknown, RegExp][] = [
    [{ ...ok, kind: 'fit' }, /field "kind": expected one of train, resume, simulate, generate, eval, forecast, analyze, got "fit"/],
    [{ ...ok, seed: -1 }, /field "seed": expected a whole number from 0 to 4294967295, got -1/],
    [{ ...ok, engine: 'gpu' }, /field "engine": expected one of fused, graph/],
    [{ ...ok, solver: 'midpoint' }, /field "solver": expected one of euler, euler-maruyama, heun, rk4/],
    [{ ...ok, set: 'training.steps=2' }, /field "set": expected a list of strings/],
    [{ ...ok, steps: 3 }, /field "steps": a train request has no such field/],
    [{ kind: 'eval', model: 'm', set: [] }, /field "data": missing/],
    [{ ...ok, validation: 'v.csv' }, /field "validation": needs "data" as well/],
    [[], /expected an object with a "kind"/],
  ];
  for (const [raw, message] of refused) assert.throws(() => parseRequest(raw, 'sweep.json job 3'), (e: Error) => e instanceof RequestError && message.test(e.message) && e.message.startsWith('sweep.json job 3'));
});

test('a request\'s key does not depend on the order of its fields, nor on where it writes', () => {
  const a = { kind: 'simulate' as const, game: 'lq', set: ['agents=5'], seed: 3, out: '/tmp/a' };
  const b = { out: '/tmp/b', seed: 3, set: ['agents=5'], game: 'lq', kind: 'simulate' as const };
  assert.is(requestKey(withoutOutput(a)), requestKey(withoutOutput(b)));
  assert.is.not(requestKey(withoutOutput(a)), requestKey(withoutOutput({ ...a, seed: 4 })));
});

test('the run layer executes a request as the CLI does: the same summary from execute() and from the command line', async () => {
  const dir = await tmp();
  const quiet = { out: () => {}, note: () => {} };
  const code = await execute({ kind: 'simulate', game: 'lq', set: ['agents=6'], seed: 4, out: join(dir, 'lib') }, quiet);
  assert.is(code, 0);
  const r = cli('simulate', 'lq', '--set', 'agents=6', '--seed', '4', '--out', join(dir, 'cli'));
  assert.is(r.code, 0, r.stderr);
  const [lib, fromCli] = [await json(join(dir, 'lib', 'summary.json')), await json(join(dir, 'cli', 'summary.json'))];
  assert.equal(lib.turns, fromCli.turns);
  assert.is(lib.engine, 'fused');
});

test('--solver heun trains on the fused engine (summary.json says which engine ran, and the solver)', async () => {
  const out = join(await tmp(), 'heun');
  const r = cli('train', 'meeting', '--solver', 'heun', '--set', 'training.steps=3', '--set', 'training.validationSamples=4', '--set', 'training.evaluationPopulations=4', '--quiet', '--out', out);
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stderr, /note:/, 'no fallback to another engine');
  const s = await json(join(out, 'summary.json'));
  assert.is(s.engine, 'fused');
  assert.is(s.config.solver, 'heun');
  const rk4 = cli('train', 'liars-dice', '--solver', 'rk4', '--out', join(out, 'x'));
  assert.is(rk4.code, 2);
  assert.match(rk4.stderr, /solver/);
});

test.run();
