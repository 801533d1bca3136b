// neural-mfg forecast (src/run/forecast.ts, src/cli/forecast.ts) and the rolling evaluation's plan
// (games/epidemic/analyses.ts): the files' contract, a model without infection against its closed
// form, malformed requests (one line, status 2), forecast requests as a sweep's jobs, and the rolling
// evaluation's use of what it is handed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './helpers/cli.ts';
import { fitAndForecast, forecastRun } from '../src/run/forecast.ts';
import { parseRequest, RequestError } from '../src/run/requests.ts';
import { buildManifest, readManifest, writeManifest } from '../src/sweep/manifest.ts';
import { gameByName } from '../games/index.ts';
import { withOverrides } from '../src/config-fields.ts';
import { windowsOf } from '../games/epidemic/analyses.ts';
import { buildForecast } from '../src/forecast/forecast.ts';
import { addDays, dateRange } from '../src/forecast/series.ts';
import { DivergenceError } from '../src/train/loop.ts';
import type { AnalysisInput, FittedForecast, ForecastAsk } from '../src/game.ts';
import type { EpidemicConfig } from '../games/epidemic/config.ts';

const JAPAN = join(import.meta.dirname, '..', 'data', 'epidemic', 'japan', 'covid_jpn_total.csv');
const tmp = () => mkdtemp(join(tmpdir(), 'neural-mfg-forecast-'));

/** A small epidemic run (the test preset: 4 cohorts, 14 days, 5 steps) on the bundled records, 2021-03-01 to 2021-03-14. */
async function smallRun(...set: string[]): Promise<string> {
  const dir = await tmp();
  const r = cli('train', 'epidemic', '--preset', 'test', '--data', JAPAN, '--quiet', '--out', dir, '--learn', 'transmission', ...set.flatMap((s) => ['--set', s]));
  assert.is(r.code, 0, r.stderr);
  return dir;
}

const csvRows = async (file: string) => (await readFile(file, 'utf8')).trimEnd().split('\n').map((line) => line.split(','));

test('forecast writes forecast.csv (exact header, a row per day after the window, observed where the data go), baselines.csv, the figure and summary.json', async () => {
  const run = await smallRun();
  const out = await tmp();
  const r = cli('forecast', run, '--days', '10', '--paths', '20', '--out', out);
  assert.is(r.code, 0, r.stderr);
  const rows = await csvRows(join(out, 'forecast.csv'));
  assert.equal(rows[0], ['date', 'observed', 'median', 'low50', 'high50', 'low90', 'high90']);
  assert.is(rows.length, 11);
  assert.equal(rows.slice(1).map((row) => row[0]), ['2021-03-15', '2021-03-16', '2021-03-17', '2021-03-18', '2021-03-19', '2021-03-20', '2021-03-21', '2021-03-22', '2021-03-23', '2021-03-24']);
  for (const row of rows.slice(1)) {
    const [observed, median, low50, high50, low90, high90] = row.slice(1).map(Number);
    // the 7-day mean of Japan's new confirmed cases in mid-March 2021: about a thousand a day
    assert.ok(observed > 500 && observed < 3000, `observed ${observed}`);
    assert.ok(low90 <= low50 && low50 <= median && median <= high50 && high50 <= high90, row.join(','));
  }
  const baselines = await csvRows(join(out, 'baselines.csv'));
  assert.equal(baselines[0], ['date', 'observed', 'sir', 'naive', 'no_network']);
  assert.is(baselines.length, 11);
  const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.window, { from: '2021-03-01', to: '2021-03-14', days: 14 });
  assert.equal(summary.horizon, { from: '2021-03-15', to: '2021-03-24', days: 10 });
  assert.is(summary.coveredDays, 10);
  for (const k of ['male', 'peakDateError', 'peakHeightError', 'coverage50', 'coverage90']) assert.type(summary[k], 'number', k);
  for (const k of ['sir', 'naive', 'no_network']) assert.type(summary.scores[k].male, 'number', k);
  assert.ok(existsSync(join(out, 'forecast.svg')));
  assert.ok(existsSync(join(out, 'no-network', 'model', 'model.json')));
  assert.match(r.stdout, /model \(median\)/);
});

test('a model without infection forecasts no new case (its own paths, --no-calibration): its 7-day mean is 0 every day, bands included, against data that go on', async () => {
  // no one infected at the start and no transmission: the closed form is 0 new cases a day
  const run = await smallRun('initial.source=given', 'initial.infected=0', 'mechanics.transmission=0');
  const out = await tmp();
  const { forecast, summary } = await forecastRun({ kind: 'forecast', run, days: 7, paths: 5, out, calibrate: false });
  for (const band of [forecast.bands.median, forecast.bands.low90, forecast.bands.high90]) assert.equal(Array.from(band), [0, 0, 0, 0, 0, 0, 0]);
  assert.equal(Array.from(forecast.window.fitted), new Array(14).fill(0));
  // against about a thousand cases a day: log10(1 + 0) − log10(1 + y) for every day
  const expected = Array.from(forecast.observed).reduce((a, y) => a + Math.log10(1 + y), 0) / 7;
  assert.ok(Math.abs(summary.male! - expected) < 1e-12);
  assert.is(summary.coverage90, 0);
  const rows = await csvRows(join(out, 'forecast.csv'));
  assert.equal(rows[1].slice(2), ['0', '0', '0', '0', '0']);
  // calibrated (the default), the forecast starts from the last observed week and says so
  const lifted = await tmp();
  const r = cli('forecast', run, '--days', '7', '--paths', '5', '--out', lifted);
  assert.is(r.code, 0, r.stderr);
  const calibration = JSON.parse(await readFile(join(lifted, 'summary.json'), 'utf8')).calibration;
  assert.is(calibration.anchor, 'trend');
  assert.ok(calibration.dispersion.level > 0 && calibration.dispersion.growth > 0, JSON.stringify(calibration));
});

test('train, eval and forecast on a file in the generic format (date,confirmed,population)', async () => {
  // Japan's Domestic rows of 2021 January to April, rewritten in the generic long format
  const upstream = (await readFile(JAPAN, 'utf8')).split('\n').map((line) => line.split(','));
  const rows = upstream.filter((c) => c[1] === 'Domestic' && c[0] >= '2021-01-01' && c[0] <= '2021-04-30');
  const dir = await tmp();
  const generic = join(dir, 'generic.csv');
  await writeFile(generic, ['date,confirmed,population', ...rows.map((c) => `${c[0]},${c[2]},126708000`)].join('\n') + '\n');
  const run = join(dir, 'run');
  const t = cli('train', 'epidemic', '--preset', 'test', '--data', generic, '--learn', 'transmission', '--quiet', '--out', run);
  assert.is(t.code, 0, t.stderr);
  const e = cli('eval', run, '--data', generic, '--out', join(dir, 'eval'));
  assert.is(e.code, 0, e.stderr);
  const out = join(dir, 'forecast');
  const f = cli('forecast', run, '--days', '7', '--paths', '10', '--out', out);
  assert.is(f.code, 0, f.stderr);
  const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
  assert.is(summary.data, generic);
  assert.is(summary.coveredDays, 7);
  // the same days as the upstream file's: the observed 7-day means agree
  const upstreamForecast = await tmp();
  assert.is(cli('forecast', run, '--days', '7', '--paths', '10', '--data', JAPAN, '--out', upstreamForecast).code, 0);
  const a = await csvRows(join(out, 'forecast.csv'));
  const b = await csvRows(join(upstreamForecast, 'forecast.csv'));
  assert.equal(a.map((r) => r.slice(0, 2)), b.map((r) => r.slice(0, 2)));
});

test('an ensemble combines its members: a run without infection and a run with it, one path each; pooled, the median halfway between 0 and the second run\'s path, the 90% band from 5% to 95% of it; the median of the members\' bands, every band halfway', async () => {
  const none = await smallRun('initial.source=given', 'initial.infected=0', 'mechanics.transmission=0');
  const some = await smallRun();
  // the second member projects from seed + 1: alone with that seed and one path, it gives its own path
  const alone = await forecastRun({ kind: 'forecast', run: some, days: 7, paths: 1, seed: 6, out: await tmp(), calibrate: false });
  const pooled = await forecastRun({ kind: 'forecast', run: none, members: [some], combine: 'pool', days: 7, paths: 2, seed: 5, out: await tmp(), calibrate: false });
  assert.equal(pooled.summary.members, [some]);
  const own = Array.from(alone.forecast.bands.median);
  assert.ok(own.every((v) => v > 0.5), own.join(','));
  // type-7 quantiles of {0, a}: the median a/2, the 5% quantile a/20, the 95% quantile 0.95 a
  assert.equal(Array.from(pooled.forecast.bands.median), own.map((a) => a / 2));
  assert.equal(Array.from(pooled.forecast.bands.high90).map((v, k) => Math.abs(v - 0.95 * own[k]) < 1e-9 * own[k]), new Array(7).fill(true));
  assert.equal(Array.from(pooled.forecast.bands.low90).map((v, k) => Math.abs(v - 0.05 * own[k]) < 1e-9 * own[k]), new Array(7).fill(true));
  // the median of the members' bands: each member's bands have no width (one path), their median is halfway
  const median = await forecastRun({ kind: 'forecast', run: none, members: [some], days: 7, paths: 2, seed: 5, out: await tmp(), calibrate: false });
  assert.is(median.summary.combine, 'median');
  for (const band of [median.forecast.bands.median, median.forecast.bands.low90, median.forecast.bands.high50]) assert.equal(Array.from(band), own.map((a) => a / 2));
  // a member fitted on another window is refused (one line, status 2)
  const shifted = await smallRun('data.from=2021-03-02', 'data.to=2021-03-15');
  const r = cli('forecast', some, shifted, '--days', '7', '--paths', '4', '--out', await tmp());
  assert.is(r.code, 2, r.stderr);
  // (after the progress line) the last line names both windows
  assert.match(r.stderr, /\nneural-mfg: \S+: fitted from 2021-03-02 to 2021-03-15 \(game epidemic\), the ensemble's first run \S+ from 2021-03-01 to 2021-03-14 \(game epidemic\): every member must be fitted on the same window of the same game\n$/);
  const few = cli('forecast', some, some, some, '--paths', '2', '--out', await tmp());
  assert.is(few.code, 2);
  assert.match(few.stderr, /--paths 2: an ensemble of 3 runs needs at least one path each/);
});

test("fitAndForecast's ensemble: fits from seeds seed and seed + 1, forecast as `forecast RUN MORE_RUN` forecasts the two runs trained by `train --seed`", async () => {
  const game = gameByName('epidemic');
  const config = game.parseConfig(game.presets.test) as EpidemicConfig;
  const [five, six] = [await tmp(), await tmp()];
  for (const [seed, dir] of [[5, five], [6, six]] as const) {
    const r = cli('train', 'epidemic', '--preset', 'test', '--data', JAPAN, '--seed', String(seed), '--engine', 'fused', '--quiet', '--out', dir);
    assert.is(r.code, 0, r.stderr);
  }
  const fitted = await fitAndForecast({ game, preset: 'test', config }, { name: 'fused', backend: null, note: null }, config, 5, { data: JAPAN, days: 7, paths: 6, ensemble: 2, combine: 'pool' });
  assert.equal(fitted.members.map((m) => m.seed), [5, 6]);
  const { forecast } = await forecastRun({ kind: 'forecast', run: five, members: [six], combine: 'pool', days: 7, paths: 6, seed: 5, out: await tmp() });
  for (const band of ['median', 'low90', 'high90'] as const) assert.equal(Array.from(fitted.forecast.bands[band]), Array.from(forecast.bands[band]), band);
  // one fit: a different forecast (the second member's paths are gone)
  const alone = await fitAndForecast({ game, preset: 'test', config }, { name: 'fused', backend: null, note: null }, config, 5, { data: JAPAN, days: 7, paths: 6 });
  assert.equal(alone.members.map((m) => m.seed), [5]);
  assert.not.equal(Array.from(alone.forecast.bands.high90), Array.from(forecast.bands.high90));
});

test('malformed forecast requests get one line and status 2: bad --days, a folder that is no run, a run of another game', async () => {
  const out = await tmp();
  for (const days of ['0', '-3', '2.5', 'x', '400']) {
    const r = cli('forecast', 'models/meeting-fig2b', '--days', days, '--out', out);
    assert.is(r.code, 2, `--days ${days}`);
    assert.match(r.stderr, new RegExp(`^neural-mfg: --days ${days.replace('.', '\\.')}: the horizon in days must be a whole number from 1 to 366\\n$`));
  }
  const empty = await tmp();
  const none = cli('forecast', empty, '--out', out);
  assert.is(none.code, 2);
  assert.match(none.stderr, /^neural-mfg: .*not a training run's folder .*\n$/);
  const meeting = cli('forecast', 'models/meeting-fig2b', '--out', out);
  assert.is(meeting.code, 2);
  assert.match(meeting.stderr, /^neural-mfg: models\/meeting-fig2b: a meeting run; forecast projects runs of a game fitted to a time series .*\n$/);
  assert.is(meeting.stderr.split('\n').length, 2);
  const noOut = cli('forecast', 'models/meeting-fig2b');
  assert.is(noOut.code, 2);
  assert.match(noOut.stderr, /--out/);
});

test('a forecast request is plain data, checked field by field by parseRequest; from flags, its errors name the flag as typed', () => {
  const bare = { kind: 'forecast', run: 'runs/x', out: 'o' };
  assert.equal(parseRequest(bare), bare);
  const full = { kind: 'forecast', run: 'r', out: 'o', days: 14, paths: 50, seed: 3, data: 'd.csv', calibrate: false, force: true };
  assert.equal(parseRequest(full), full);
  const refused = (raw: unknown, message: string, source?: { flags: Record<string, string> }) =>
    assert.throws(() => parseRequest(raw, source), (e: Error) => e instanceof RequestError && e.message === message);
  refused({ ...bare, paths: 0 }, 'request field "paths": the number of noise paths must be a whole number from 1 to 10000, got 0');
  refused({ ...bare, paths: 0 }, '--paths 0: the number of noise paths must be a whole number from 1 to 10000', { flags: { paths: '--paths' } });
  refused({ ...bare, days: 'x' }, '--days x: the horizon in days must be a whole number from 1 to 366', { flags: { days: '--days' } });
  // a request holds numbers: text is for the command line to read
  refused({ ...bare, days: '14' }, 'request field "days": the horizon in days must be a whole number from 1 to 366, got "14"');
  refused({ ...bare, run: ' ' }, 'RUN_DIR " ": the run folder must be a path', { flags: { run: 'RUN_DIR' } });
  refused({ kind: 'forecast', out: 'o' }, 'request field "run": missing (a forecast request needs it)');
  refused({ ...bare, horizon: 3 }, 'request field "horizon": a forecast request has no such field');
  // an ensemble: the other runs and how their forecasts are combined
  const ensemble = { ...bare, members: ['b', 'c'], combine: 'pool' };
  assert.equal(parseRequest(ensemble), ensemble);
  refused({ ...bare, members: 'b' }, 'request field "members": the other runs of the ensemble must be a list of paths, got "b"');
  refused({ ...bare, members: ['b', ''] }, 'MORE_RUNS ["b",""]: the other runs of the ensemble must be a list of paths', { flags: { members: 'MORE_RUNS' } });
  refused({ ...bare, combine: 'mean' }, "--combine mean: how the ensemble's forecasts are combined must be one of pool, median", { flags: { combine: '--combine' } });
});

test('a sweep manifest holds forecast requests: a job per seed of the paths, run through the run layer (sweep run-one)', async () => {
  const run = await smallRun();
  const dir = await tmp();
  const base = { kind: 'forecast' as const, run, days: 5, paths: 5 };
  assert.throws(() => buildManifest({ target: run, base, seeds: [3], points: [{ values: { agents: '4' }, set: ['agents=4'] }], grid: [] }), /a forecast request has no configuration to override/);
  await writeManifest(dir, buildManifest({ target: run, base, seeds: [3, 4], points: [{ values: {}, set: [] }], grid: [] }));
  const manifest = await readManifest(dir);
  assert.is(manifest.command, 'forecast');
  assert.equal(manifest.jobs.map((j) => j.request), [{ ...base, seed: 3 }, { ...base, seed: 4 }]);
  const r = cli('sweep', 'run-one', dir, '--index', '1');
  assert.is(r.code, 0, r.stderr);
  const out = join(dir, manifest.jobs[1].dir);
  const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
  assert.is(summary.command, 'forecast');
  assert.is(summary.seed, 4);
  assert.is(summary.horizon.days, 5);
  assert.equal((await csvRows(join(out, 'forecast.csv')))[0], ['date', 'observed', 'median', 'low50', 'high50', 'low90', 'high90']);
});

test('the rolling plan of japan-rolling: 33 windows from 2020-04-01; its quick setting 3 windows, one sweep point each', () => {
  const game = gameByName('epidemic');
  const config = game.parseConfig(game.presets['japan-rolling']) as EpidemicConfig;
  const all = windowsOf(config);
  assert.is(all.length, 33);
  assert.equal([all[0].from, all[0].to, all[0].forecastTo], ['2020-04-01', '2020-05-26', '2020-06-23']);
  const analysis = game.analyses!['japan-rolling'];
  const quick = withOverrides(game, config, analysis.quick) as EpidemicConfig;
  const points = analysis.sweep!.points(quick);
  assert.equal(points.map((p) => p.values['rolling.windows']), ['2021-06-01', '2021-06-29', '2021-07-27']);
  assert.equal(points.map((p) => p.set), [['rolling.windows=[0]'], ['rolling.windows=[1]'], ['rolling.windows=[2]']]);
  // a point restricted to its window runs that window alone
  const one = withOverrides(game, quick, points[2].set) as EpidemicConfig;
  assert.equal(windowsOf(one).map((w) => [w.from, w.to, w.forecastFrom, w.forecastTo]), [['2021-07-27', '2021-09-20', '2021-09-21', '2021-10-18']]);
  assert.throws(() => windowsOf(withOverrides(game, quick, ['rolling.windows=[7]']) as EpidemicConfig), /window 7 is not in the plan \(3 windows/);
});

test('the rolling evaluation fits and forecasts each window through what it is handed (AnalysisInput.fitAndForecast); a window whose fit diverged is not scored', async () => {
  const game = gameByName('epidemic');
  const analysis = game.analyses!['japan-rolling'];
  const config = withOverrides(game, game.parseConfig(game.presets['japan-rolling']), analysis.quick) as EpidemicConfig;
  const asked: { from: string; to: string; seed: number; ask: ForecastAsk }[] = [];
  // a steady 1000 cases a day; the model's paths say 1000 as well, the fit of window 1 diverges
  const fitAndForecast = async (c: EpidemicConfig, seed: number, ask: ForecastAsk): Promise<FittedForecast> => {
    asked.push({ from: c.data.from, to: c.data.to, seed, ask });
    if (asked.length === 1) ask.onRetry?.('the loss stopped being finite', 0.5, seed + 1);
    if (asked.length === 2) throw new DivergenceError('the loss stopped being finite');
    const first = addDays(c.data.from, -10);
    const days = 10 + 56 + ask.days;
    const forecast = buildForecast({
      daily: { dates: dateRange(first, days), values: new Float64Array(days).fill(1000) },
      window: { from: c.data.from, to: c.data.to },
      days: ask.days,
      paths: [new Float64Array(56 + ask.days).fill(1000)],
      sir: { population: 1e8, removedShare: 0 },
    });
    const learned = { 'mechanics.transmission': 0.3 };
    return { forecast, learned, members: [{ seed, learned }, { seed: seed + 2, learned: { 'mechanics.transmission': 0.4 } }], learningRateFactor: 1, fitSeconds: 0.5 };
  };
  const unused = () => {
    throw new Error('the rolling evaluation fits through fitAndForecast alone');
  };
  const progress: string[] = [];
  const input: AnalysisInput<EpidemicConfig> = { game: game as never, config, seed: 7, dataFile: JAPAN, fit: unused, evaluate: unused, fitAndForecast, progress: (line) => progress.push(line) };
  const result = await analysis.run(input);
  const windows = windowsOf(config);
  assert.equal(asked.map((a) => [a.from, a.to, a.seed]), windows.map((w) => [w.from, w.to, 7]));
  assert.equal(asked[0].ask.data, JAPAN);
  assert.equal([asked[0].ask.days, asked[0].ask.paths], [28, 50]);
  // japan-rolling forecasts each window from an ensemble of 3 fits (seeds 7, 8, 9), the median of their bands
  assert.equal([asked[0].ask.ensemble, asked[0].ask.combine], [3, 'median']);
  assert.is(progress[0], `window ${windows[0].from} to ${windows[0].to}, seed 8: the loss stopped being finite; again with the learning rates × 0.5`);
  const rows = result.tables.rolling.rows;
  const male = result.tables.rolling.header.indexOf('model_male');
  // the model's paths are the data: no error; the window that diverged has no score
  assert.equal(rows.map((r) => r[male]), [0, '', 0, 0]);
  assert.equal((result.summary.failedWindows as { from: string }[]).map((w) => w.from), [windows[1].from]);
  const first = (result.summary.runs as { learned: unknown; members: unknown }[])[0];
  assert.equal(first.learned, { 'mechanics.transmission': 0.3 });
  assert.equal(first.members, [{ seed: 7, learned: { 'mechanics.transmission': 0.3 } }, { seed: 9, learned: { 'mechanics.transmission': 0.4 } }]);
});

test.run();
