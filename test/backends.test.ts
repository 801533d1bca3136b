// Backend selection: a missing optional backend is refused with the exact command that installs
// it, before any work starts; `doctor` lists every backend with what it found.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKENDS, BACKEND_NAMES, BackendError, checkBackend, missingPackages, useBackend } from '../src/backend.ts';
import { doctorReport, formatDoctor } from '../src/cli/doctor.ts';
import { buildProgram } from '../src/cli/main.ts';
import { need, testWith } from './helpers/requires.ts';
import { webgpu } from './helpers/webgpu.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'neural-mfg.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
// the tests of a missing tensorflow backend need it absent (as in CI): where @tensorflow/tfjs-node
// is installed they are reported skipped
const tensorflowAbsent = need('tensorflow-absent', () =>
  missingPackages(BACKENDS.find((b) => b.name === 'tensorflow')!).length === 0 ? '@tensorflow/tfjs-node is installed here' : null,
);

test('the backends are wasm, cpu, tensorflow, cuda and webgpu, and --backend offers exactly those', () => {
  assert.equal(BACKEND_NAMES, ['wasm', 'cpu', 'tensorflow', 'cuda', 'webgpu']);
  // the table of how each loads holds every name once (src/backend-names.ts, read without TF.js)
  assert.equal(BACKENDS.map((b) => b.name), BACKEND_NAMES);
  const train = buildProgram().commands.find((c) => c.name() === 'train')!;
  const option = train.options.find((o) => o.long === '--backend')!;
  assert.equal(option.argChoices, BACKEND_NAMES);
});

test('every optional backend names its install command with pinned versions', () => {
  const install = Object.fromEntries(BACKENDS.map((b) => [b.name, b.install]));
  assert.is(install.tensorflow, 'npm install @tensorflow/tfjs-node@4.22.0');
  assert.is(install.cuda, 'npm install @tensorflow/tfjs-node-gpu@4.22.0');
  assert.is(install.webgpu, 'npm install @tensorflow/tfjs-backend-webgpu@4.22.0 webgpu@0.6.2');
  const cuda = BACKENDS.find((b) => b.name === 'cuda')!;
  assert.match(cuda.requirements, 'CUDA 11.2');
  assert.match(cuda.requirements, 'cuDNN 8.1');
  for (const name of ['tensorflow', 'cuda']) {
    const r = BACKENDS.find((b) => b.name === name)!.requirements;
    for (const s of ['storage.googleapis.com', 'TFJS_NODE_BASE_URI', 'npm_config_tfjs_binding_binary_host_mirror']) assert.match(r, s);
  }
});

testWith(test, tensorflowAbsent)("useBackend('tensorflow', {explicit: true}) rejects with a BackendError that says what to install", async () => {
  try {
    await useBackend('tensorflow', { explicit: true });
    assert.unreachable('tensorflow started without its package');
  } catch (err) {
    assert.instance(err, BackendError);
    const e = err as BackendError;
    assert.is(e.backend, 'tensorflow');
    assert.is(e.install, 'npm install @tensorflow/tfjs-node@4.22.0');
    assert.match(e.message, 'npm install @tensorflow/tfjs-node@4.22.0');
    assert.match(e.message, 'TFJS_NODE_BASE_URI');
  }
});

testWith(test, tensorflowAbsent)('train --backend tensorflow exits non-zero with the install command and writes nothing', async () => {
  const out = join(await mkdtemp(join(tmpdir(), 'neural-mfg-backend-')), 'run');
  const r = cli('train', 'meeting', '--backend', 'tensorflow', '--set', 'training.steps=1', '--out', out);
  assert.is.not(r.status, 0);
  assert.match(r.stderr, 'npm install @tensorflow/tfjs-node@4.22.0');
  assert.is(existsSync(out), false, 'the output folder was created');
});

test('an unknown backend is refused with the list of backends', async () => {
  try {
    await useBackend('metal', { explicit: true });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, BackendError);
    assert.match((err as Error).message, 'wasm, cpu, tensorflow, cuda, webgpu');
  }
});

test('doctor: wasm and cpu work; every backend whose packages are missing is listed with its install command', async () => {
  const reports = await doctorReport();
  assert.equal(reports.map((r) => r.name), BACKEND_NAMES);
  for (const name of ['wasm', 'cpu']) {
    const r = reports.find((x) => x.name === name)!;
    assert.ok(r.installed && r.starts, `${name}: ${r.problem}`);
    assert.match(r.device ?? '', 'CPU');
  }
  const text = formatDoctor(reports);
  for (const r of reports) {
    const missing = missingPackages(BACKENDS.find((b) => b.name === r.name)!);
    assert.is(r.installed, missing.length === 0, r.name);
    if (missing.length > 0) {
      assert.is(r.starts, false);
      assert.match(text, `install: ${r.install}`);
    }
  }
});

test('neural-mfg doctor prints every backend and exits 0', () => {
  const r = cli('doctor');
  assert.is(r.status, 0, r.stderr);
  for (const name of BACKEND_NAMES) assert.match(r.stdout, new RegExp(`^${name}\\s`, 'm'));
  assert.match(r.stdout, /^wasm\s+works/m);
  assert.match(r.stdout, /^cpu\s+works/m);
  const json = JSON.parse(cli('doctor', '--json').stdout);
  assert.is(json.length, BACKEND_NAMES.length);
});

test('--allow-software sits next to --backend on the commands that train and simulate', () => {
  const program = buildProgram();
  for (const name of ['train', 'simulate', 'analyze']) {
    const cmd = program.commands.find((c) => c.name() === name)!;
    assert.ok(cmd.options.some((o) => o.long === '--allow-software'), `${name} has --allow-software`);
  }
});

testWith(test, webgpu)('doctor names the webgpu adapter (vendor, device, driver, limits), says whether it is a GPU, and checks the fused GPU engine', async () => {
  const r = await checkBackend('webgpu');
  assert.ok(r.adapter, `no adapter: ${r.gpuEngine?.problem}`);
  assert.type(r.adapter.software, 'boolean');
  assert.ok(r.adapter.device || r.adapter.vendor, 'the adapter has a name');
  assert.ok(r.adapter.limits.maxStorageBufferBindingSize > 0);
  assert.is(r.gpuEngine?.works, true, r.gpuEngine?.problem ?? '');
  const text = formatDoctor([r]);
  for (const line of ['adapter: vendor', 'driver:', 'limits: maxBufferSize', 'fused GPU engine: works']) assert.match(text, line);
  assert.match(text, r.adapter.software ? 'kind: SOFTWARE RENDERING on the CPU, not a GPU' : 'kind: a GPU');
});

test.run();
