// The fuzz suite's properties (issue #22), shared by test/fuzz.test.ts (seeded, a few hundred cases
// in seconds) and scripts/fuzz.ts (--long: thousands). Each says what the README promises: every
// input ends in a result or a one-line error, promptly; nothing outside --out is written, no lock
// is left. Inputs: the CSV readers of every game (random bytes, valid-looking rows with extreme
// numbers, valid files with one cell changed), loadModel on mutated model folders, and --set values
// of every field of every game, in-process and through the command line.
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { GAMES } from '../../games/index.ts';
import type { Game } from '../../src/game.ts';
import { ConfigError } from '../../src/config.ts';
import { describeConfig } from '../../src/config-fields.ts';
import { experimentOf } from '../../src/run/experiment.ts';
import { loadModel, ModelFileError } from '../../src/index.ts';
import { RandomStream } from '../../src/random.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'neural-mfg.js');

export interface FuzzRun {
  /** the property, e.g. "csv meeting" */
  name: string;
  /** cases it ran */
  cases: number;
  /** the shrunk counterexample and why it failed, when one did */
  failure: string | null;
  /** the slowest case, in ms */
  slowestMs: number;
}

/** fc.check with the suite's settings; a case slower than `limitMs` fails the property. */
async function check<T>(name: string, arb: fc.Arbitrary<T>, predicate: (value: T) => Promise<void>, o: { seed: number; runs: number; limitMs: number }): Promise<FuzzRun> {
  let slowest = 0;
  const property = fc.asyncProperty(arb, async (value) => {
    const started = performance.now();
    await predicate(value);
    const ms = performance.now() - started;
    slowest = Math.max(slowest, ms);
    if (ms > o.limitMs) throw new Error(`took ${Math.round(ms)} ms, more than the limit of ${o.limitMs} ms`);
  });
  const details = await fc.check(property, { seed: o.seed, numRuns: o.runs });
  const failure = details.failed
    ? `${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}\n  counterexample: ${fc.stringify(details.counterexample).slice(0, 600)}\n  replay: seed ${details.seed}, path ${details.counterexamplePath}`
    : null;
  return { name, cases: details.numRuns, failure, slowestMs: Math.round(slowest) };
}

/** One line, starting as the README promises ("<file>…" or "neural-mfg: …"). */
function assertOneLine(message: string, what: string): void {
  if (message.trim() === '' || message.trim().includes('\n')) throw new Error(`${what}: not one line: ${JSON.stringify(message.slice(0, 400))}`);
}

// ---- the numbers a user's file or --set might hold ----

const EXTREME_NUMBERS = ['0', '-0', '1', '-1', '0.5', '1e308', '-1e308', '1.8e308', '1e400', '-1e30', '1e30', '5e-324', '1e-320', '2e-308', '9007199254740993', '-9007199254740993', '4294967296', '1e21', '0.1e1', '.5', '5.', '+3', '1e+2', '15.5', '24', '24.0000001', '-3.5'];
const NOT_NUMBERS = ['NaN', 'Infinity', '-Infinity', 'inf', '0x1F', '0b11', '1_0', '1,5', '12:30', '', ' ', '"1"', '1e', 'e1', '--1', '١٢', 'null', 'true', '[1]', '\u0000', '\uFEFF1'];

/** A cell: a small whole number (an index), an extreme or broken number, any double, or any text. */
function cellArb(maxIndex: number): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: -1, max: maxIndex + 1 }).map(String) },
    { weight: 2, arbitrary: fc.constantFrom(...EXTREME_NUMBERS, ...NOT_NUMBERS) },
    { weight: 1, arbitrary: fc.double().map(String) },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  );
}

/** Joins cells as a CSV line, quoting some of them (a quote inside doubled). */
function csvLine(cells: string[], quote: boolean[]): string {
  return cells.map((c, i) => (quote[i] ? `"${c.replace(/"/g, '""')}"` : c)).join(',');
}

/** The training preset's configuration of a game (what `train GAME --data FILE` reads with). */
function trainConfig(game: Game) {
  return experimentOf({ game: game.name, set: [] }, 'train').config;
}

type CsvCase = { kind: 'bytes'; bytes: Uint8Array } | { kind: 'rows'; text: string } | { kind: 'mutated'; line: number; column: number; value: string; seed: number };

function csvCaseArb(game: Game): fc.Arbitrary<CsvCase> {
  const config = trainConfig(game);
  const header = game.observations.csvHeader;
  const maxIndex = Math.max(config.agents, 10);
  const rows = fc
    .record({
      order: fc.shuffledSubarray(header, { minLength: Math.max(1, header.length - 1), maxLength: header.length }),
      extra: fc.option(fc.constantFrom('note', '', 'sample'), { nil: undefined }),
      lines: fc.array(fc.tuple(fc.array(cellArb(maxIndex), { minLength: 0, maxLength: header.length + 2 }), fc.array(fc.boolean(), { maxLength: header.length + 2 })), { maxLength: 30 }),
      ending: fc.constantFrom('\n', '\r\n', '\r', ''),
      bom: fc.boolean(),
    })
    .map(({ order, extra, lines, ending, bom }) => {
      const head = extra === undefined ? order : [...order, extra];
      const text = [head.join(','), ...lines.map(([cells, quote]) => csvLine(cells, quote))].join(ending);
      return { kind: 'rows' as const, text: (bom ? '\uFEFF' : '') + text };
    });
  return fc.oneof(
    fc.uint8Array({ maxLength: 600 }).map((bytes) => ({ kind: 'bytes' as const, bytes })),
    rows,
    fc.record({ line: fc.nat(), column: fc.nat(), value: fc.oneof(fc.constantFrom(...EXTREME_NUMBERS, ...NOT_NUMBERS), cellArb(maxIndex)), seed: fc.nat() }).map((m) => ({ kind: 'mutated' as const, ...m })),
  );
}

/** The CSV reader of `game`: a dataset of finite values within the accepted range, or one line naming the file. */
export async function fuzzCsv(game: Game, o: { seed: number; runs: number; limitMs: number }): Promise<FuzzRun> {
  const config = trainConfig(game);
  const dir = await mkdtemp(join(tmpdir(), `neural-mfg-fuzz-csv-${game.name}-`));
  // a valid file of the game, to change one cell of
  const valid = join(dir, 'valid.csv');
  await game.observations.write(valid, game.observations.generate(config, new RandomStream(1), 2));
  const validLines = (await readFile(valid, 'utf8')).split('\n');
  let n = 0;
  try {
    return await check(`csv ${game.name}`, csvCaseArb(game), async (c) => {
      const file = join(dir, `case-${n++}.csv`);
      if (c.kind === 'bytes') await writeFile(file, c.bytes);
      else if (c.kind === 'rows') await writeFile(file, c.text);
      else {
        const lines = validLines.slice();
        const at = 1 + (c.line % Math.max(1, lines.length - 2));
        const cells = lines[at].split(',');
        cells[c.column % cells.length] = c.value;
        lines[at] = cells.join(',');
        await writeFile(file, lines.join('\n'));
      }
      try {
        const data = await game.observations.read(file, config);
        const size = data.shape.reduce((a, b) => a * b, 1);
        if (data.values.length !== size) throw new Error(`read: ${data.values.length} values for shape ${data.shape}`);
        if (data.labels.length !== data.shape[0]) throw new Error(`read: ${data.labels.length} labels for ${data.shape[0]} samples`);
        const range = game.observations.accepted?.(config);
        for (let i = 0; i < data.values.length; i++) {
          const v = data.values[i];
          if (!Number.isFinite(v)) throw new Error(`read: value ${i} is ${v}`);
          if (range && (v < range.min || v > range.max)) throw new Error(`read: value ${i} = ${v} outside [${range.min}, ${range.max}]`);
        }
      } catch (err) {
        if (!(err instanceof Error)) throw new Error(`read threw a non-Error: ${String(err)}`);
        if (/^read: /.test(err.message)) throw err;
        assertOneLine(err.message, 'the reader\'s error');
        if (!err.message.startsWith(file)) throw new Error(`the reader's error does not start with the file: ${err.message.slice(0, 300)}`);
      } finally {
        await rm(file, { force: true });
      }
    }, o);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ---- model folders ----

type ModelCase =
  | { kind: 'field'; path: number; action: 'delete' | 'replace'; value: unknown }
  | { kind: 'text'; at: number; cut: boolean; byte: number }
  | { kind: 'weights'; action: 'truncate' | 'append' | 'flip' | 'nan' | 'empty'; at: number }
  | { kind: 'file'; name: string; fixChecksum: boolean };

const WEIRD_FILES = ['../weights.bin', '../../../../etc/hostname', '/etc/hostname', '.', '..', '', 'sub/weights.bin', 'sub\\weights.bin', 'weights.bin\u0000', ' weights.bin', 'model.json', 'link.bin', 'dir.bin', 'weights.bin/.', '~/weights.bin'];

const EXTREME_VALUES: unknown[] = [null, true, 0, -1, 1.5, 1e308, -1e308, 2 ** 53, 1e12, '', 'float64', '../x', [], {}, [1, 2], { a: 1 }];

function modelCaseArb(): fc.Arbitrary<ModelCase> {
  return fc.oneof(
    fc.record({ kind: fc.constant('field' as const), path: fc.nat(), action: fc.constantFrom('delete' as const, 'replace' as const), value: fc.oneof(fc.constantFrom(...EXTREME_VALUES), fc.jsonValue({ maxDepth: 2 })) }),
    fc.record({ kind: fc.constant('text' as const), at: fc.nat(), cut: fc.boolean(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('weights' as const), action: fc.constantFrom('truncate' as const, 'append' as const, 'flip' as const, 'nan' as const, 'empty' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('file' as const), name: fc.oneof(fc.constantFrom(...WEIRD_FILES), fc.string({ maxLength: 12 })), fixChecksum: fc.boolean() }),
  );
}

/** Every path of a JSON value, as key lists. */
function jsonPaths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const key = Array.isArray(value) ? Number(k) : k;
      out.push([...prefix, key]);
      jsonPaths(v, [...prefix, key], out);
    }
  }
  return out;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A mutated copy of a shipped model in a folder of its own (a sibling file outside it, to be refused). */
async function mutatedModel(base: string, dir: string, c: ModelCase): Promise<string> {
  const model = join(dir, 'model');
  await cp(base, model, { recursive: true });
  await writeFile(join(dir, 'weights.bin'), await readFile(join(base, 'weights.bin'))); // outside the folder
  const manifestPath = join(model, 'model.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
  const weights = await readFile(join(model, 'weights.bin'));
  if (c.kind === 'field') {
    const paths = jsonPaths(manifest);
    const path = paths[c.path % paths.length];
    let node = manifest;
    for (const k of path.slice(0, -1)) node = node[k];
    const last = path[path.length - 1];
    if (c.action === 'delete') {
      if (Array.isArray(node)) node.splice(last as number, 1);
      else delete node[last];
    } else node[last] = c.value;
    await writeFile(manifestPath, JSON.stringify(manifest));
  } else if (c.kind === 'text') {
    const text = Buffer.from(await readFile(manifestPath));
    const at = c.at % text.length;
    await writeFile(manifestPath, c.cut ? text.subarray(0, at) : Buffer.concat([text.subarray(0, at), Buffer.from([c.byte]), text.subarray(at + 1)]));
  } else if (c.kind === 'weights') {
    let bytes: Buffer = Buffer.from(weights);
    if (c.action === 'truncate') bytes = bytes.subarray(0, c.at % bytes.length);
    else if (c.action === 'append') bytes = Buffer.concat([bytes, Buffer.alloc(1 + (c.at % 8))]);
    else if (c.action === 'flip') bytes[c.at % bytes.length] ^= 0xff;
    else if (c.action === 'empty') bytes = Buffer.alloc(0);
    else {
      new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)[c.at % (bytes.byteLength / 4)] = NaN;
      manifest.weights.sha256 = sha256(bytes);
      await writeFile(manifestPath, JSON.stringify(manifest));
    }
    await writeFile(join(model, 'weights.bin'), bytes);
  } else {
    if (c.name === 'link.bin') await symlink(join(dir, 'weights.bin'), join(model, 'link.bin'));
    if (c.name === 'dir.bin') await cp(model, join(model, 'dir.bin'), { recursive: true }).catch(() => {});
    manifest.weights.file = c.name;
    if (c.fixChecksum) manifest.weights.sha256 = sha256(weights);
    await writeFile(manifestPath, JSON.stringify(manifest));
  }
  return model;
}

/** The plain file names a loaded model may have read its weights from. */
const PLAIN = (name: unknown) => typeof name === 'string' && name !== '' && name !== '.' && name !== '..' && !/[\\/\0]/.test(name);

/** loadModel on mutated model folders: a model that simulates finite states, or one ModelFileError line. */
export async function fuzzModels(o: { seed: number; runs: number; limitMs: number }): Promise<FuzzRun> {
  const shipped = (await readdir(join(ROOT, 'models'))).map((name) => join(ROOT, 'models', name));
  const root = await mkdtemp(join(tmpdir(), 'neural-mfg-fuzz-model-'));
  let n = 0;
  try {
    return await check('loadModel', fc.tuple(fc.constantFrom(...shipped), modelCaseArb()), async ([base, c]) => {
      const dir = join(root, String(n++));
      const model = await mutatedModel(base, dir, c);
      try {
        const loaded = await loadModel(model);
        if (!PLAIN(loaded.manifest.weights.file)) throw new Error(`loaded weights from ${JSON.stringify(loaded.manifest.weights.file)}, not a plain name inside the folder`);
        if (loaded.config.agents <= 1000) {
          try {
            const sim = loaded.simulate({ times: [loaded.config.time.saveAt[loaded.config.time.saveAt.length - 1]] });
            for (const state of sim.states) for (const v of state) if (!Number.isFinite(v)) throw new Error(`simulate returned ${v}`);
          } catch (err) {
            if (!(err instanceof Error) || /^simulate returned/.test(err.message)) throw err;
            if (err.name !== 'NonFiniteError' && !(err instanceof RangeError)) throw new Error(`simulate of a loaded model threw ${err.name}: ${err.message.slice(0, 300)}`);
            assertOneLine(err.message, 'simulate');
          }
        }
        loaded.dispose();
      } catch (err) {
        if (!(err instanceof Error)) throw new Error(`loadModel threw a non-Error: ${String(err)}`);
        if (/^(loaded weights|simulate)/.test(err.message)) throw err;
        if (!(err instanceof ModelFileError)) throw new Error(`loadModel threw ${err.name}, not a ModelFileError: ${err.message.slice(0, 300)}`);
        assertOneLine(err.message, 'loadModel');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }, o);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

// ---- --set values ----

const SET_VALUES = ['1e400', '-1e400', '1e308', '-1e308', '0', '-0', '-1', '0.5', '1e-300', '2e9', '1e7', '9007199254740993', 'NaN', 'Infinity', 'null', 'true', '""', '"x"', '[]', '[1e400]', '[0,1]', '[-5,1e9]', '{}', '{"a":1}', 'fresh', '[[1]]', '1e', '[', '"'];

function setValueArb(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...SET_VALUES) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
    { weight: 1, arbitrary: fc.double().map(String) },
  );
}

/** Every field `--set` reaches in a game's training preset (what `neural-mfg config` lists). */
function fieldsOf(game: Game): string[] {
  return describeConfig(game, trainConfig(game)).map((row) => row.field).filter((f) => f !== 'game');
}

/** --set FIELD=VALUE in-process: a valid configuration (finite numbers) or one ConfigError line. */
export async function fuzzSet(o: { seed: number; runs: number; limitMs: number }): Promise<FuzzRun> {
  const games = Object.values(GAMES);
  const arb = fc.tuple(fc.constantFrom(...games), fc.nat(), setValueArb(), fc.option(fc.tuple(fc.nat(), setValueArb()), { nil: undefined }));
  return check('--set (in-process)', arb, async ([game, f, value, second]) => {
    const fields = fieldsOf(game);
    const set = [`${fields[f % fields.length]}=${value}`, ...(second ? [`${fields[second[0] % fields.length]}=${second[1]}`] : [])];
    try {
      const { config } = experimentOf({ game: game.name, set }, 'train');
      const bad = jsonPaths(config).find((p) => {
        let v: any = config;
        for (const k of p) v = v[k];
        return typeof v === 'number' && !Number.isFinite(v);
      });
      if (bad) throw new Error(`--set ${set.join(' ')}: the configuration holds a non-finite ${bad.join('.')}`);
      describeConfig(game, config);
    } catch (err) {
      if (!(err instanceof Error)) throw new Error(`threw a non-Error: ${String(err)}`);
      if (/the configuration holds a non-finite/.test(err.message)) throw err;
      if (!(err instanceof ConfigError)) throw new Error(`--set ${set.join(' ')}: ${err.name}, not a ConfigError: ${err.message.slice(0, 300)}`);
      assertOneLine(err.message, `--set ${set.join(' ')}`);
    }
  }, o);
}

/**
 * The command line with a random --set (simulate or a short train of a random game), run from an
 * empty folder: status 0, 2 or 3; one stderr line when not 0; nothing written but --out; no lock.
 */
export async function fuzzCli(o: { seed: number; runs: number; limitMs: number }): Promise<FuzzRun> {
  const games = Object.values(GAMES);
  const arb = fc.tuple(fc.constantFrom(...games), fc.constantFrom('simulate', 'train'), fc.nat(), setValueArb());
  return check('--set (command line)', arb, async ([game, command, f, value]) => {
    const fields = fieldsOf(game);
    const set = `${fields[f % fields.length]}=${value}`;
    const sandbox = await mkdtemp(join(tmpdir(), 'neural-mfg-fuzz-cli-'));
    try {
      const args = [command, game.name, '--set', set, '--out', 'out'];
      if (command === 'train') args.push('--set', 'training.steps=1', '--set', 'training.evaluationPopulations=2', '--quiet');
      const r = spawnSync(process.execPath, [BIN, ...args], { cwd: sandbox, encoding: 'utf8', timeout: o.limitMs, env: { ...process.env, HOME: sandbox } });
      const what = `neural-mfg ${args.join(' ')}`;
      if (r.status === null) throw new Error(`${what}: no exit within ${o.limitMs} ms (${r.signal})`);
      if (![0, 2, 3].includes(r.status)) throw new Error(`${what}: status ${r.status}: ${r.stderr.slice(0, 400)}`);
      if (r.status !== 0) {
        assertOneLine(r.stderr, what);
        if (!r.stderr.startsWith('neural-mfg: ')) throw new Error(`${what}: ${r.stderr.slice(0, 300)}`);
      }
      const left = (await readdir(sandbox)).filter((e) => e !== 'out');
      if (left.length > 0) throw new Error(`${what}: wrote outside --out: ${left.join(', ')}`);
      if (existsSync(join(sandbox, 'out', '.neural-mfg.lock'))) throw new Error(`${what}: left its lock`);
    } finally {
      await rm(sandbox, { recursive: true, force: true });
    }
  }, { ...o, limitMs: o.limitMs + 5000 });
}

/** Every property with these sizes, in order; the games from the registry. */
export async function fuzzAll(o: { seed: number; csv: number; models: number; set: number; cli: number; limitMs: number }): Promise<FuzzRun[]> {
  const runs: FuzzRun[] = [];
  for (const game of Object.values(GAMES)) runs.push(await fuzzCsv(game, { seed: o.seed, runs: o.csv, limitMs: o.limitMs }));
  runs.push(await fuzzModels({ seed: o.seed, runs: o.models, limitMs: o.limitMs }));
  runs.push(await fuzzSet({ seed: o.seed, runs: o.set, limitMs: o.limitMs }));
  if (o.cli > 0) runs.push(await fuzzCli({ seed: o.seed, runs: o.cli, limitMs: Math.max(o.limitMs, 30_000) }));
  return runs;
}
