// The package as a consumer gets it: compiled JavaScript (dist/, built by npm run build before the
// tests), import and require() without side effects on the consumer's process, and type
// declarations that a consumer's strict tsc checks without skipLibCheck.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

/** A consumer project in a temporary folder, with this package (and @types/node) in its node_modules. */
async function consumer(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'neural-mfg-consumer-'));
  await mkdir(join(dir, 'node_modules', '@types'), { recursive: true });
  await symlink(ROOT, join(dir, 'node_modules', 'neural-mfg'), 'dir');
  await symlink(join(ROOT, 'node_modules', '@types', 'node'), join(dir, 'node_modules', '@types', 'node'), 'dir');
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  return dir;
}

function node(dir: string, file: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  const r = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 60_000, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the package points at compiled JavaScript and declarations, and ships a LICENSE', () => {
  assert.ok(existsSync(join(ROOT, pkg.main)), `${pkg.main} is missing: run npm run build`);
  assert.ok(existsSync(join(ROOT, pkg.types)), `${pkg.types} is missing`);
  assert.not.ok(/\.ts$/.test(pkg.main));
  assert.not.ok('tsx' in pkg.dependencies, 'tsx is for development only');
  assert.ok(pkg.files.includes('LICENSE') && existsSync(join(ROOT, 'LICENSE')));
  assert.match(readFileSync(join(ROOT, 'LICENSE'), 'utf8'), /^MIT License/);
  // the bundled Japanese COVID-19 records are CC BY 4.0, not MIT: the LICENSE and the data's README say so, the package ships both
  assert.match(readFileSync(join(ROOT, 'LICENSE'), 'utf8'), /data\/epidemic\/japan\/[\s\S]*CC BY 4\.0[\s\S]*Hirokazu Takaya/);
  assert.ok(pkg.files.includes('data') && existsSync(join(ROOT, 'data', 'epidemic', 'japan', 'README.md')) && existsSync(join(ROOT, 'data', 'epidemic', 'japan', 'covid_jpn_total.csv')));
  assert.is(pkg.license, 'MIT');
  const bin = readFileSync(join(ROOT, pkg.bin['neural-mfg']), 'utf8');
  assert.not.match(bin, 'tsx');
});

test('require() and import both load the library, with no side effect on the process', async () => {
  const dir = await consumer();
  await writeFile(join(dir, 'use.cjs'), `
const before = { exit: process.listenerCount('exit'), uncaught: process.listenerCount('uncaughtException'), rejection: process.listenerCount('unhandledRejection'), warning: process.listenerCount('warning'), execArgv: process.execArgv.length };
const { loadModel, shippedModel, shippedModels, GAMES } = require('neural-mfg');
const after = { exit: process.listenerCount('exit'), uncaught: process.listenerCount('uncaughtException'), rejection: process.listenerCount('unhandledRejection'), warning: process.listenerCount('warning'), execArgv: process.execArgv.length };
const loaded = Object.keys(require('node:module')._cache);
console.log(JSON.stringify({ same: JSON.stringify(before) === JSON.stringify(after), tfjs: loaded.some((k) => k.includes('@tensorflow') && !k.endsWith('package.json')), tsx: loaded.some((k) => /node_modules[\\\\/](tsx|esbuild)/.test(k)), games: Object.keys(GAMES), models: shippedModels() }));
loadModel(shippedModel('meeting-fig2b')).then((m) => {
  const s = m.simulate({ times: [15] });
  console.log(s.states[0].length, Object.keys(require('node:module')._cache).some((k) => k.includes('@tensorflow') && !k.endsWith('package.json')));
});
`);
  const r = node(dir, 'use.cjs');
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, '', 'no warning either');
  const [facts, sim] = r.stdout.trim().split('\n');
  const f = JSON.parse(facts);
  assert.ok(f.same, 'no process listeners and no loader added by loading the package');
  assert.not.ok(f.tfjs, 'TF.js is not loaded by the import');
  assert.not.ok(f.tsx, 'no tsx or esbuild at run time');
  assert.equal(f.games, ['meeting', 'el-farol', 'liars-dice', 'lq', 'epidemic']);
  assert.equal(f.models, ['el-farol-fig3b', 'liars-dice-train', 'meeting-fig2b']);
  assert.is(sim, '42 false', 'the fused engine simulates without TF.js');
  await writeFile(join(dir, 'use.mjs'), `
import { loadModel, shippedModel, VERSION } from 'neural-mfg';
const m = await loadModel(shippedModel('el-farol-fig3b'));
console.log(VERSION, m.game, m.simulate().states.length);
`);
  const e = node(dir, 'use.mjs');
  assert.is(e.code, 0, e.stderr);
  assert.is(e.stdout.trim(), `${pkg.version} el-farol ${JSON.parse(readFileSync(join(ROOT, 'models', 'el-farol-fig3b', 'model.json'), 'utf8')).config.time.saveAt.length}`);
});

test("a consumer's strict tsc checks the declarations without skipLibCheck", async () => {
  const dir = await consumer();
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', skipLibCheck: false, noEmit: true, types: ['node'] },
    include: ['main.ts'],
  }));
  await writeFile(join(dir, 'main.ts'), `
import { loadModel, shippedModel, GAMES, gameByName, inspectModel, useBackend, BACKEND_NAMES, ModelFileError, type LoadedModel, type Simulation, type GameInfo, type ModelInfo } from 'neural-mfg';
const model: LoadedModel = await loadModel(shippedModel('meeting-fig2b'), { engine: 'fused' });
const run: Simulation = model.simulate({ times: [1, 15], initialState: new Array(42).fill(12), network: false });
const last: number[] = run.states[1];
const info: ModelInfo = await inspectModel('models/meeting-fig2b');
const game: GameInfo = gameByName(info.manifest.game);
const header: readonly string[] = GAMES.meeting.observations.csvHeader;
const backends: string[] = BACKEND_NAMES;
console.log(last.length, game.title, header, backends, info.params.length, model.config.agents, ModelFileError.name, typeof useBackend);
// @ts-expect-error: simulate's times are numbers
model.simulate({ times: ['1'] });
`);
  const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
  const r = spawnSync(tsc, ['-p', dir], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.is(r.stdout + r.stderr, '');
});

test.run();
