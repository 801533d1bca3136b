import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './helpers/cli.ts';

const tmp = () => mkdtemp(join(tmpdir(), 'neural-mfg-analyze-'));

const lines = async (file: string) => (await readFile(file, 'utf8')).trim().split('\n');
const isSvg = async (file: string) => /^<svg/.test(await readFile(file, 'utf8'));

test('analyze data-efficiency --quick: one CSV row per dataset size (x = games × P × D), summary and the Fig. 6 figure', async () => {
  const out = await tmp();
  const r = cli('analyze', 'liars-dice', '--preset', 'data-efficiency', '--quick', '--set', 'sweep.values=[1,3]',
    '--set', 'training.steps=5', '--backend', 'cpu', '--out', out);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /1 game = 2 dice \(1\/2\): KL/);
  assert.match(r.stderr, /3 games = 6 dice \(2\/2\): KL/);
  const csv = await lines(join(out, 'data-efficiency.csv'));
  assert.is(csv[0], 'dice,kl_mean,kl_std,kl_draw_std,draws');
  assert.equal(csv.slice(1).map((l) => Number(l.split(',')[0])), [2, 6]);
  assert.equal(csv.slice(1).map((l) => Number(l.split(',')[4])), [2, 2]);
  const s = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
  assert.is(s.command, 'analyze');
  assert.is(s.analysis, 'data-efficiency');
  assert.is(s.quick, true);
  assert.is(s.testGames, 200);
  // docs/liars-dice.md §15: the untrained uniform belief has KL(y_true ‖ uniform) = 0.321
  assert.ok(Math.abs(s.uniformKl - 0.321) < 5e-4, String(s.uniformKl));
  for (const row of s.rows) assert.ok(row.kl_mean > 0 && row.kl_std >= 0);
  // two draws of the training set: the row's mean is the mean of the draws' means
  assert.is(s.draws.length, 2);
  assert.is(s.draws[0].seed, 10);
  s.rows.forEach((row: { kl_mean: number }, i: number) =>
    assert.ok(Math.abs(row.kl_mean - (s.draws[0].klMeans[i] + s.draws[1].klMeans[i]) / 2) < 1e-12));
  assert.ok(await isSvg(join(out, 'data-efficiency-2-dice.svg')));
});

test("T12 at one game: trained on the single game {5, 1} (the reference's, inferred), KL is the reference's 0.733 ± 0.003", async () => {
  // A fully fitted network moves player 0's beliefs onto the game's faces: p̄ = (θ̂ + uniform) / 2,
  // and KL(y_true ‖ p̄) = 0.740 for faces {1, 5}; no other pair of faces comes near 0.733.
  const out = await tmp();
  const data = join(import.meta.dirname, '..', 'data', 'liars-dice', 'fig6-reference-first-game.csv');
  const r = cli('analyze', 'liars-dice', '--preset', 'data-efficiency', '--data', data, '--set', 'sweep.values=[1]',
    '--set', 'sweep.draws=1', '--set', 'evaluation.games=300', '--out', join(out, 'run'));
  assert.is(r.code, 0, r.stderr);
  const s = JSON.parse(await readFile(join(out, 'run', 'summary.json'), 'utf8'));
  assert.is(s.dataFile, data);
  assert.ok(Math.abs(s.rows[0].kl_mean - 0.733) < 0.015, String(s.rows[0].kl_mean));
  assert.ok(s.rows[0].kl_std < 0.01, String(s.rows[0].kl_std));
  // a sweep value larger than the file is refused with the file named
  const big = cli('analyze', 'liars-dice', '--preset', 'data-efficiency', '--data', data, '--set', 'sweep.values=[2]', '--out', join(out, 'big'));
  assert.is.not(big.code, 0);
  assert.match(big.stderr, /fig6-reference-first-game\.csv: holds 1 games, but the analysis needs 2/);
});

test('analyze bluff-sweep-unfair --quick: an MFG and a network row per λ₀ with the docs/liars-dice.md §14 columns, and the three Fig. 4/5 panels', async () => {
  const out = await tmp();
  const r = cli('analyze', 'liars-dice', '--preset', 'bluff-sweep-unfair', '--quick', '--set', 'layout.players=5', '--set', 'layout.dice=3',
    '--set', 'sweep.values=[0,5]', '--set', 'training.steps=2', '--set', 'data.trainGames=8', '--set', 'evaluation.games=10', '--backend', 'cpu', '--out', out);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /λ₀ = 5 \(2\/2\)/);
  const csv = await lines(join(out, 'bluff-sweep-unfair.csv'));
  assert.is(csv[0], 'lambda,model,length_mu,length_s,bluff_mu,bluff_s,challenge_ratio');
  assert.equal(csv.slice(1).map((l) => l.split(',').slice(0, 2).join(',')), ['0,mfg', '0,network', '5,mfg', '5,network']);
  const s = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
  // the MFG mechanics never change the bluff rate (docs/liars-dice.md §8, T13): learned λ = λ₀ exactly
  const mfg = s.rows.filter((row: { model: string }) => row.model === 'mfg');
  assert.equal(mfg.map((row: { bluff_mu: number; bluff_s: number }) => [row.bluff_mu, row.bluff_s]), [[0, 0], [5, 0]]);
  for (const row of s.rows) assert.ok(row.challenge_ratio >= 0 && row.challenge_ratio <= 1 && row.length_mu >= 1);
  for (const f of ['initial-bluff-vs-game-length', 'initial-bluff-vs-learned-bluff', 'initial-bluff-vs-challenge-ratio']) {
    assert.ok(await isSvg(join(out, `${f}.svg`)), f);
  }
});

test('analyze names the analyses when the preset is missing or is not one', () => {
  const r = cli('analyze', 'liars-dice', '--preset', 'demo', '--backend', 'cpu');
  assert.is(r.code, 2);
  assert.match(r.stderr, /no analysis "demo": choose one of bluff-sweep-fair, bluff-sweep-unfair, data-efficiency/);
  assert.match(cli('analyze', 'meeting', '--preset', 'fig2a').stderr, /game "meeting" has no analyses/);
});

test.run();
