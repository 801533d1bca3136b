import { test } from 'uvu';
import { analysisTools } from '../src/run/analysis.ts';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GAMES } from '../games/index.ts';
import { applyOverrides } from '../src/config.ts';
import { cli } from './helpers/cli.ts';

const tmp = () => mkdtemp(join(tmpdir(), 'neural-mfg-sweep-analyze-'));
const json = async (file: string) => JSON.parse(await readFile(file, 'utf8'));

/** A bluff sweep small enough for a test: 5 players × 3 dice, 2 steps on 8 games, 10 test games, λ₀ = 0 and 5. */
const TINY = ['--set', 'layout.players=5', '--set', 'layout.dice=3', '--set', 'sweep.values=[0,5]', '--set', 'training.steps=2',
  '--set', 'training.batchSize=4', '--set', 'data.trainGames=8', '--set', 'evaluation.games=10'];

test('analyze runs its points as jobs of a sweep and puts them together: the same rows as the whole analysis in one process', async () => {
  const out = await tmp();
  const r = cli('analyze', 'liars-dice', '--preset', 'bluff-sweep-fair', ...TINY, '--workers', '2', '--out', out);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /λ₀ = 0 \(1\/2\)/);
  assert.match(r.stderr, /λ₀ = 5 \(2\/2\)/);
  const s = await json(join(out, 'summary.json'));
  assert.is(s.command, 'analyze');
  assert.is(s.seed, 10);
  assert.is(s.jobs, 2);
  const m = await json(join(out, 'sweep.json'));
  assert.equal(m.jobs.map((j: { request: { set: string[]; seed: number } }) => [j.request.set.at(-1), j.request.seed]), [['sweep.values=[0]', 10], ['sweep.values=[5]', 10]]);

  const game = GAMES['liars-dice'];
  const sets = TINY.filter((_, i) => i % 2 === 1);
  const config = game.parseConfig(applyOverrides(game.presets['bluff-sweep-fair'], sets));
  const whole = await game.analyses!['bluff-sweep-fair'].run({ game, config, seed: 10, ...analysisTools({ game, preset: 'bluff-sweep-fair', config }, { name: 'fused', backend: null, note: null }), progress: () => {} });
  assert.equal(s.rows, (whole.summary as { rows: unknown }).rows);
  const csv = (await readFile(join(out, 'bluff-sweep-fair.csv'), 'utf8')).trim().split('\n');
  assert.equal(csv, [whole.tables['bluff-sweep-fair'].header.join(','), ...whole.tables['bluff-sweep-fair'].rows.map((row) => row.join(','))]);
});

test('analyze --seeds: the mean over seeds with its 95% CI, every seed\'s rows, and figures of the spread over seeds', async () => {
  const out = await tmp();
  const r = cli('analyze', 'liars-dice', '--preset', 'bluff-sweep-unfair', ...TINY, '--seeds', '10-12', '--out', out);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /mean over 3 seeds \(10, 11, 12\) ± 95% CI/);
  const s = await json(join(out, 'summary.json'));
  assert.equal(s.seeds, [10, 11, 12]);
  assert.is(s.seedRows.length, 3 * 4);
  // the main table: the mean over seeds of each seed's row
  const net5 = (rows: { lambda: number; model: string; length_mu: number }[]) => rows.find((x) => x.lambda === 5 && x.model === 'network')!;
  const perSeed = [10, 11, 12].map((seed) => net5(s.seedRows.filter((x: { seed: number }) => x.seed === seed)).length_mu);
  assert.ok(Math.abs(net5(s.rows).length_mu - (perSeed[0] + perSeed[1] + perSeed[2]) / 3) < 1e-12);
  const over = s.overSeeds.find((x: { lambda: number; model: string }) => x.lambda === 5 && x.model === 'network');
  assert.is(over.seeds, 3);
  assert.ok(over.length_ci95 >= 0 && Math.abs(over.length_mean - net5(s.rows).length_mu) < 1e-12);
  // the MFG mechanics never change the bluff rate: learned λ = λ₀ for every seed, so no spread
  assert.is(s.overSeeds.find((x: { lambda: number; model: string }) => x.lambda === 5 && x.model === 'mfg').bluff_ci95, 0);
  assert.is((await readFile(join(out, 'bluff-sweep-unfair.csv'), 'utf8')).split('\n')[0], 'lambda,model,length_mu,length_s,bluff_mu,bluff_s,challenge_ratio');
  assert.match((await readFile(join(out, 'bluff-sweep-unfair-seeds.csv'), 'utf8')).split('\n')[0], /^seed,lambda,model,/);
  assert.match((await readFile(join(out, 'bluff-sweep-unfair-over-seeds.csv'), 'utf8')).split('\n')[0], /^lambda,model,seeds,length_mean,length_std,length_ci95,/);
  assert.match(await readFile(join(out, 'initial-bluff-vs-game-length.svg'), 'utf8'), /mean of 3 seeds ± 95% CI/);
});

test('analyze --plan-only writes the sweep for a cluster; sweep run and sweep aggregate then give the analysis itself', async () => {
  const planned = await tmp();
  const r = cli('analyze', 'liars-dice', '--preset', 'data-efficiency', '--quick', '--set', 'sweep.values=[1,3]', '--set', 'training.steps=3',
    '--set', 'evaluation.games=20', '--plan-only', '--out', planned);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /planned 2 jobs/);
  const m = await json(join(planned, 'sweep.json'));
  assert.is(m.analysis.name, 'data-efficiency');
  assert.is(cli('sweep', 'run', planned).code, 0);
  const agg = cli('sweep', 'aggregate', planned);
  assert.is(agg.code, 0, agg.stderr);
  const direct = await tmp();
  assert.is(cli('analyze', 'liars-dice', '--preset', 'data-efficiency', '--quick', '--set', 'sweep.values=[1,3]', '--set', 'training.steps=3',
    '--set', 'evaluation.games=20', '--out', direct).code, 0);
  const [a, b] = [await json(join(planned, 'summary.json')), await json(join(direct, 'summary.json'))];
  for (const k of ['rows', 'draws', 'mfgOnlyKl', 'uniformKl', 'sweep', 'analysis', 'overrides']) assert.equal(a[k], b[k], k);
  assert.match(await readFile(join(planned, 'data-efficiency-2-dice.svg'), 'utf8'), /^<svg/);
});

test.run();
