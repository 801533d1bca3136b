// `neural-mfg reproduce --quick`: the report pipeline end to end through the CLI (REPORT.md rows
// for T1–T14, the figures copied into the report folder, results.json), in the reduced setting.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './helpers/cli.ts';
import { testRow } from '../scripts/reproduce/check.ts';
import { checkBluffSweep, checkT12ReferenceGame } from '../scripts/reproduce/liars-dice.ts';
import type { CliRun } from '../scripts/reproduce/run-cli.ts';
import type { TestFileRun } from '../scripts/reproduce/unit-tests.ts';

test('reproduce fig2a fig3a --quick writes REPORT.md with a row per target, the figures and results.json', async () => {
  const out = await mkdtemp(join(tmpdir(), 'neural-mfg-reproduce-'));
  const r = cli('reproduce', 'fig2a', 'fig3a', '--quick', '--out', out);
  assert.is(r.code, 0, r.stderr);
  const report = await readFile(join(out, 'REPORT.md'), 'utf8');
  assert.match(report, 'QUICK RUN');
  assert.match(report, /Total wall time \d/);
  for (let k = 1; k <= 14; k++) assert.match(report, new RegExp(`^\\| T${k} \\|`, 'm'), `row T${k}`);
  // the selected targets were measured, with the reference and default settings side by side
  for (const id of ['T3', 'T4', 'T7']) assert.match(report, new RegExp(`^\\| ${id} \\| reference \\|.*\\| (pass|\\*\\*FAIL\\*\\*) \\|$`, 'm'));
  assert.match(report, /^\| T4 \| default \|.*--noise-path fresh/m);
  assert.match(report, /^\| T7 \| default \|.*--attendance fresh/m);
  assert.match(report, /^\| T5 \|.*not selected/m);
  for (const f of ['fig2a.svg', 'fig2a-no-noise.svg', 'fig2a-independent.svg', 'fig3a.svg', 'fig3a-fresh-attendance.svg']) {
    assert.ok(existsSync(join(out, f)), f);
    assert.match(await readFile(join(out, f), 'utf8'), /^<svg/);
  }
  assert.match(report, /PNG: /);
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
  assert.is(results.quick, true);
  assert.ok(results.experiments.every((e: { wallSeconds: number }) => e.wallSeconds > 0));
});

test('reproduce refuses an unknown figure by name', () => {
  const r = cli('reproduce', 'fig9', '--out', join(tmpdir(), 'neural-mfg-reproduce-unused'));
  assert.is(r.code, 2);
  assert.match(r.stderr, 'unknown figure "fig9"');
});

/** A finished analyze run as the reproduction reads it (only what the checks look at). */
const analyzeRun = (summary: Record<string, unknown>): CliRun => ({ argv: [], code: 0, wallSeconds: 1, stdout: '', stderr: '', dir: '', summary });
const mfgRows = (lengths: [number, number][], success: number[]) =>
  lengths.map(([lambda, length], k) => ({ model: 'mfg', lambda, bluff_mu: lambda, length_mu: length, challenge_ratio: success[k] }));
const T13 = { id: 'T13', variant: 'reference' as const, setting: 'Figs. 4/5', expected: '…' };

test('a target checked by tests passes only when tests named after it exist and each ran and passed, not when their file passes', () => {
  const run = (registered: string[], passed: string[]): TestFileRun => ({ file: 'meeting.test.ts', available: true, code: 0, passed: registered.length, total: registered.length, failures: [], registered, passedNames: passed, wallSeconds: 1 });
  const base = { id: 'T2', variant: 'reference' as const, setting: 's', expected: 'e' };
  // the file passes, but nothing in it is named after T2
  const none = testRow(base, run(['drift is +1 early'], ['drift is +1 early']));
  assert.is(none.status, 'fail');
  assert.match(none.measured, /no test named "T2…"/);
  assert.is(testRow(base, run(['T2: drift values', 'T20 is another target', 'T2 (graph): the same'], ['T2: drift values', 'T20 is another target'])).status, 'fail');
  const ok = testRow(base, run(['T2: drift values', 'T2 (graph): the same', 'other'], ['T2: drift values', 'T2 (graph): the same', 'other']));
  assert.is(ok.status, 'pass');
  assert.match(ok.measured, /the 2 tests named "T2…" ran and passed/);
});

test("T12's reference row is not applicable (its game was inferred from the target KL); the MFG bluff rows do not count λ = λ₀, which holds without training, and the faithful rows check the end points", () => {
  const t12 = checkT12ReferenceGame(analyzeRun({ rows: [{ dice: 2, kl_mean: 0.734, kl_std: 0.003 }] }), { ...T13, id: 'T12' });
  assert.is(t12.status, 'not applicable');
  assert.match(t12.measured, /KL 0\.734 .*inferred from the target KL/);
  const sweep = (seed: number, lengths: [number, number][]) => analyzeRun({ seed, rows: mfgRows(lengths, lengths.map(() => 0.8)) });
  const good: [number, number][] = [[0, 80], [1, 30], [2, 22], [5, 14], [10, 7.5]];
  assert.is(checkBluffSweep([sweep(10, good), sweep(11, good)], T13, 'bluff-sweep-fair', true).status, 'pass');
  // every trend met, λ = λ₀ exactly, the re-run's 7.2 inside the keys' range ± 25 % (9.5–10),
  // but the keys' mean length at λ₀ = 10 is 35 % above it
  const keys = [9.5, 10].map((end, k) => sweep(10 + k, [[0, 80], [1, 30], [2, 22], [5, 14], [10, end]]));
  const faithful = checkBluffSweep(keys, T13, 'bluff-sweep-fair', true);
  assert.is(faithful.status, 'fail');
  assert.match(faithful.measured, /λ₀ 10: 9\.8 against 7\.2 \(out of tolerance\)/);
  assert.not.match(faithful.measured, /outside/);
  assert.match(faithful.measured, /λ = λ₀ exactly, as it must without training/);
});

test.run();
