// The edges a production user meets: pipes, signals and exceptions in the user's own process,
// output folders shared by mistake, raw internal errors, CLI consistency, and the package itself.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'neural-mfg.js');
const tmp = () => mkdtemp(join(tmpdir(), 'neural-mfg-hard-'));

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

test.run();
