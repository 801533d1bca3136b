// `neural-mfg reproduce --quick`: the report pipeline end to end through the CLI (REPORT.md rows
// for T1–T14, the figures copied into the report folder, results.json), in the reduced setting.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './helpers/cli.ts';

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

test.run();
