// src/forecast/: the game-independent parts of a forecast (dates, 7-day means, bands, scores,
// baselines), against values worked out by hand or in closed form.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addDays, dateRange, dayNumber, dayOffset, sliceDates, trailingMean } from '../src/forecast/series.ts';
import { bandsOf, quantileSorted } from '../src/forecast/bands.ts';
import { coverage, scoreForecast, scorePoint } from '../src/forecast/scores.ts';
import { fitSir, naiveForecast, sirForecast, sirIncidence } from '../src/forecast/baselines.ts';
import { rollingWindows, summariseRolling, type WindowOutcome } from '../src/forecast/rolling.ts';
import { baselineTable, buildForecast, FORECAST_HEADER, forecastRows } from '../src/forecast/forecast.ts';
import { anchorTrend, windowDispersion } from '../src/forecast/calibration.ts';

const close = (a: number, b: number, tol: number, what = '') => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} against ${b} (±${tol})`);
const closeAll = (a: ArrayLike<number>, b: number[], tol: number) => {
  assert.is(a.length, b.length);
  for (let i = 0; i < b.length; i++) close(a[i], b[i], tol, `[${i}]`);
};

test('dates: leap days, month ends and year ends counted in UTC; no such day is an error', () => {
  assert.is(addDays('2020-02-28', 1), '2020-02-29');
  assert.is(addDays('2021-02-28', 1), '2021-03-01');
  assert.is(addDays('2020-12-31', 1), '2021-01-01');
  assert.is(addDays('2020-04-01', -1), '2020-03-31');
  assert.is(dayOffset('2020-01-01', '2021-01-01'), 366);
  assert.is(dayNumber('1970-01-02'), 1);
  assert.equal(dateRange('2022-12-30', 3), ['2022-12-30', '2022-12-31', '2023-01-01']);
  assert.throws(() => dayNumber('2021-02-30'), /no such day/);
  assert.throws(() => dayNumber('2021/02/03'), /YYYY-MM-DD/);
});

test('the 7-day trailing mean averages the last 7 days, and the days there are at the start', () => {
  closeAll(trailingMean([7, 0, 0, 0, 0, 0, 0, 14, 7]), [7, 3.5, 7 / 3, 1.75, 1.4, 7 / 6, 1, 2, 3], 1e-12);
  closeAll(trailingMean([1, 2, 3, 4], 2), [1, 1.5, 2.5, 3.5], 1e-12);
  // a day not known (NaN) is left out of the means that read it
  closeAll(trailingMean([2, NaN, 4, 6], 2), [2, 2, 4, 5], 1e-12);
  assert.ok(Number.isNaN(trailingMean([NaN, NaN, 1], 2)[1]));
});

test('sliceDates cuts a series by dates, inclusive, and refuses days it does not hold', () => {
  const s = { dates: dateRange('2020-04-01', 5), values: Float64Array.from([1, 2, 3, 4, 5]) };
  const part = sliceDates(s, '2020-04-02', '2020-04-04');
  assert.equal(part.dates, ['2020-04-02', '2020-04-03', '2020-04-04']);
  assert.equal(Array.from(part.values), [2, 3, 4]);
  assert.throws(() => sliceDates(s, '2020-03-31', '2020-04-02'), /not all in the series/);
});

test('quantiles interpolate between order statistics (type 7)', () => {
  const v = [1, 2, 3, 4, 5];
  assert.is(quantileSorted(v, 0.5), 3);
  assert.is(quantileSorted(v, 0.25), 2);
  close(quantileSorted(v, 0.05), 1.2, 1e-12);
  close(quantileSorted(v, 0.95), 4.8, 1e-12);
  assert.is(quantileSorted([7], 0.95), 7);
});

test('bands from paths: per day the median, 50% and 90% bands, whatever the paths\' order', () => {
  const paths = [[3, 30], [1, 50], [5, 10], [2, 40], [4, 20]];
  const b = bandsOf(paths);
  closeAll(b.median, [3, 30], 1e-12);
  closeAll(b.low50, [2, 20], 1e-12);
  closeAll(b.high50, [4, 40], 1e-12);
  closeAll(b.low90, [1.2, 12], 1e-12);
  closeAll(b.high90, [4.8, 48], 1e-12);
  assert.throws(() => bandsOf([[1, NaN]]), /day 1 is NaN/);
});

test('MALE, peak date and height of a point forecast over the covered days only', () => {
  // day 0: |log10(1 + 9999) − log10(1 + 99)| = 2; day 1: |log10(1 + 9) − log10(1 + 99)| = 1; day 2 not observed
  const s = scorePoint([99, 99, NaN], [9999, 9, 5])!;
  assert.is(s.days, 2);
  close(s.male, 1.5, 1e-12);
  // the first day is the forecast's peak (9999), the observed peak is day 0 too (first of the ties)
  assert.is(s.peakDateError, 0);
  close(s.peakHeightError, 100, 1e-12);
  const late = scorePoint([10, 50, 20], [10, 20, 60])!;
  assert.is(late.peakDateError, 1);
  close(late.peakHeightError, 0.2, 1e-12);
  assert.is(scorePoint([NaN, NaN], [1, 2]), null);
});

test('coverage counts the covered days inside the band, ends included', () => {
  close(coverage([1, 2, 3, 4, NaN], [0, 3, 3, 5, 0], [1, 4, 3, 6, 0]), 0.5, 1e-12);
  const b = bandsOf([[1, 1, 1], [3, 3, 3], [2, 2, 2], [2.5, 2.5, 2.5], [1.5, 1.5, 1.5]]);
  // low90 1.1, low50 1.5, median 2, high50 2.5, high90 2.9
  const s = scoreForecast([2.2, 2.7, 3.5], b)!;
  close(s.coverage50, 1 / 3, 1e-12);
  close(s.coverage90, 2 / 3, 1e-12);
});

test('the naive forecast continues the last week\'s growth rate; flat where the week starts at 0', () => {
  const window = [5, 5, 10, 11, 12, 13, 14, 15, 16, 20];
  // the last week: 10 → 20, doubling in 7 days
  closeAll(naiveForecast(window, 14).filter((_, h) => h === 6 || h === 13), [40, 80], 1e-9);
  closeAll(naiveForecast([0, 1, 2, 3, 4, 5, 6, 7], 3), [7, 7, 7], 0);
});

test('the SIR\'s daily incidence is the closed form N β i0 (e^{r(k+1)} − e^{rk}) / r while S stays near 1', () => {
  const p = { beta: 0.3, gamma: 0.1, infectedShare: 1e-7 };
  const setting = { population: 1e8, removedShare: 0 };
  const inc = sirIncidence(p, setting, 20);
  const r = p.beta - p.gamma;
  for (let k = 0; k < 20; k++) {
    const exact = (1e8 * p.beta * p.infectedShare * (Math.exp(r * (k + 1)) - Math.exp(r * k))) / r;
    close(inc[k] / exact, 1, 1e-4, `day ${k}`);
  }
});

test('the SIR\'s epidemic ends at its final size z = 1 − exp(−R0 z) (R0 = 2: z = 0.7968)', () => {
  const inc = sirIncidence({ beta: 0.2, gamma: 0.1, infectedShare: 1e-7 }, { population: 1e6, removedShare: 0 }, 2000);
  const total = inc.reduce((a, b) => a + b, 0) / 1e6;
  let z = 0.5;
  for (let i = 0; i < 200; i++) z = 1 - Math.exp(-2 * z);
  close(z, 0.7968, 1e-4);
  close(total, z, 1e-4);
  // nothing infected: no cases, ever
  assert.equal(Array.from(sirIncidence({ beta: 0.5, gamma: 0.1, infectedShare: 0 }, { population: 1e6, removedShare: 0.1 }, 5)), [0, 0, 0, 0, 0]);
});

test('the least-squares SIR recovers β, γ and the infected share of a wave it generated, and continues it', () => {
  const setting = { population: 1.25e8, removedShare: 0.01 };
  const truth = { beta: 0.3, gamma: 0.2, infectedShare: 1e-3 };
  const all = sirIncidence(truth, setting, 84);
  const fit = fitSir(all.slice(0, 56), setting);
  close(fit.beta / truth.beta, 1, 1e-4, 'β');
  close(fit.gamma / truth.gamma, 1, 1e-4, 'γ');
  close(fit.infectedShare / truth.infectedShare, 1, 1e-4, 'i0');
  assert.ok(fit.rmsLogError < 1e-6);
  const ahead = sirForecast(fit, setting, 28);
  for (let h = 0; h < 28; h++) close(ahead[h] / all[56 + h], 1, 1e-3, `day ${h}`);
});

test('the least-squares SIR of a noisy growing window fits it to its noise and grows on', () => {
  const setting = { population: 1.25e8, removedShare: 0.002 };
  const truth = { beta: 0.25, gamma: 1 / 7, infectedShare: 2e-5 };
  const clean = sirIncidence(truth, setting, 56);
  // ±10% multiplicative noise of a fixed pattern
  const noisy = clean.map((v, k) => v * (1 + 0.1 * Math.sin(2.7 * k)));
  const fit = fitSir(noisy, setting);
  assert.ok(fit.rmsLogError < 0.08, `rms ${fit.rmsLogError}`);
  close(fit.beta * (1 - 0.002) - fit.gamma, truth.beta * (1 - 0.002) - truth.gamma, 0.01, 'growth rate β S0 − γ');
  const ahead = sirForecast(fit, setting, 7);
  assert.ok(ahead[6] > fit.fitted[55]);
});

test('the Japanese rolling plan: 33 windows of 56 days every 4 weeks from 2020-04-01, each forecast 28 days, the last ending by 2022-12-31', () => {
  const w = rollingWindows({ first: '2020-04-01', last: '2022-12-31', fitDays: 56, horizon: 28, every: 28 });
  assert.is(w.length, 33);
  assert.equal(w[0], { index: 0, from: '2020-04-01', to: '2020-05-26', forecastFrom: '2020-05-27', forecastTo: '2020-06-23' });
  assert.equal(w[1].from, '2020-04-29');
  assert.equal(w[32], { index: 32, from: '2022-09-14', to: '2022-11-08', forecastFrom: '2022-11-09', forecastTo: '2022-12-06' });
});

test('a quick rolling plan: 14 days fitted, 7 forecast, every week within January 2021', () => {
  const w = rollingWindows({ first: '2021-01-01', last: '2021-01-31', fitDays: 14, horizon: 7, every: 7 });
  assert.equal(w.map((x) => [x.from, x.to, x.forecastTo]), [['2021-01-01', '2021-01-14', '2021-01-21'], ['2021-01-08', '2021-01-21', '2021-01-28']]);
  assert.throws(() => rollingWindows({ first: '2021-01-01', last: '2021-01-10', fitDays: 14, horizon: 7, every: 7 }), /shorter than one window/);
  assert.throws(() => rollingWindows({ first: '2021-01-01', last: '2021-03-10', fitDays: 14, horizon: 0, every: 7 }), /"horizon"/);
});

test('the rolling summary: medians over the scored windows, the best baseline, the improvement and the coverage pooled over days', () => {
  const w = rollingWindows({ first: '2021-01-01', last: '2021-03-31', fitDays: 14, horizon: 7, every: 7 });
  const outcome = (i: number, male: Record<string, number | null>, days: number, c90: number | null): WindowOutcome => ({ window: w[i], male, coveredDays: days, coverage50: c90 === null ? null : c90 / 2, coverage90: c90 });
  const s = summariseRolling(
    [
      outcome(0, { model: 0.1, sir: 0.4, naive: 0.2 }, 7, 1),
      outcome(1, { model: 0.3, sir: 0.2, naive: 0.3 }, 7, 0.5),
      outcome(2, { model: 0.2, sir: 0.6, naive: 0.25 }, 14, 0.75),
      outcome(3, { model: null, sir: null, naive: null }, 0, null),
    ],
    ['model', 'sir', 'naive'],
  );
  assert.is(s.windowsScored, 3);
  assert.equal(s.medianMale, { model: 0.2, sir: 0.4, naive: 0.25 });
  assert.equal(s.bestBaseline, { name: 'naive', medianMale: 0.25 });
  close(s.improvement!, 0.2, 1e-12);
  // (7·1 + 7·0.5 + 14·0.75) / 28
  close(s.coverage90!, 0.75, 1e-12);
  close(s.coverage50!, 0.375, 1e-12);
});

/** 70 days of 70 cases a day from 2021-01-01; the window is its first 56 days. */
function flatInput(paths: number[][], days = 14) {
  return {
    daily: { dates: dateRange('2021-01-01', 70), values: new Float64Array(70).fill(70) },
    window: { from: '2021-01-01', to: '2021-02-25' },
    days,
    paths,
    sir: { population: 1e6, removedShare: 0.01 },
  };
}

test('a forecast with no infection after the window: its 7-day mean falls by a seventh a day to 0, against the data\'s 70', () => {
  const path = [...new Array(56).fill(70), ...new Array(14).fill(0)];
  const f = buildForecast(flatInput([path, path, path]));
  assert.equal(f.dates.slice(0, 2), ['2021-02-26', '2021-02-27']);
  const expected = Array.from({ length: 14 }, (_, h) => (70 * Math.max(0, 6 - h)) / 7);
  closeAll(f.bands.median, expected, 1e-9);
  closeAll(f.bands.low90, expected, 1e-9);
  closeAll(f.observed, new Array(14).fill(70), 1e-9);
  closeAll(f.window.fitted, new Array(56).fill(70), 1e-9);
  const male = expected.reduce((a, v) => a + Math.abs(Math.log10(1 + v) - Math.log10(71)), 0) / 14;
  close(f.scores.model!.male, male, 1e-12);
  assert.is(f.scores.model!.coverage90, 0);
  // the naive forecast of a flat week is flat; so is the fitted SIR, to its fit
  closeAll(f.baselines.naive!, new Array(14).fill(70), 1e-9);
  close(f.scores.baselines.naive!.male, 0, 1e-12);
  assert.ok(f.scores.baselines.sir!.male < 0.02, `SIR MALE ${f.scores.baselines.sir!.male}`);
});

test('an ensemble\'s bands: pooled, the quantiles of all the members\' paths; combined by the median, each band the median over the members of theirs', () => {
  // three members of constant paths (daily counts, so the 7-day means are the same constants): 10, 20 | 30, 40 | 1000
  const member = (v: number) => new Array(56 + 14).fill(v);
  const paths = [member(10), member(20), member(30), member(40), member(1000)];
  const sizes = [2, 2, 1];
  const pooled = buildForecast({ ...flatInput(paths), ensemble: { sizes, combine: 'pool' } });
  // type-7 quantiles of {10, 20, 30, 40, 1000}: median 30, 25% 20, 75% 40, 5% 12, 95% 808
  closeAll(pooled.bands.median, new Array(14).fill(30), 1e-9);
  closeAll(pooled.bands.low90, new Array(14).fill(12), 1e-9);
  closeAll(pooled.bands.high90, new Array(14).fill(808), 1e-9);
  const median = buildForecast({ ...flatInput(paths), ensemble: { sizes, combine: 'median' } });
  // members' medians 15, 35, 1000 → 35; their 95% quantiles 19.5, 39.5, 1000 → 39.5: the far member moves nothing
  closeAll(median.bands.median, new Array(14).fill(35), 1e-9);
  closeAll(median.bands.high90, new Array(14).fill(39.5), 1e-9);
  closeAll(median.bands.low90, new Array(14).fill(30.5), 1e-9);
  // one member: the ensemble is the model
  closeAll(buildForecast({ ...flatInput(paths), ensemble: { sizes: [5], combine: 'median' } }).bands.median, new Array(14).fill(30), 1e-9);
  assert.throws(() => buildForecast({ ...flatInput(paths), ensemble: { sizes: [2, 2], combine: 'median' } }), /ensemble sizes 2\+2 do not share out 5 paths/);
});

test('forecast.csv rows: the exact header, one row per horizon day, observed empty after the data ends', () => {
  assert.equal([...FORECAST_HEADER], ['date', 'observed', 'median', 'low50', 'high50', 'low90', 'high90']);
  const path = new Array(56 + 20).fill(70);
  const f = buildForecast(flatInput([path], 20));
  const rows = forecastRows(f);
  assert.is(rows.length, 20);
  assert.equal(rows[0], ['2021-02-26', 70, 70, 70, 70, 70, 70]);
  assert.is(rows[13][1], 70);
  assert.is(rows[14][0], '2021-03-12');
  assert.is(rows[14][1], '');
  // scores over the 14 covered days only
  assert.is(f.scores.model!.days, 14);
  assert.is(f.scores.model!.coverage90, 1);
  const table = baselineTable(f);
  assert.equal(table.header, ['date', 'observed', 'sir', 'naive']);
  assert.is(table.rows.length, 20);
  assert.throws(() => buildForecast(flatInput([path.slice(1)], 20)), /path 0 holds 75 days, expected 76/);
});

test('anchored on the trend, a path keeps the data\'s last level and weekly growth and adds its own change of growth', () => {
  // the data: 7-day means growing 10% a week to 1000 (on the 1 + y scale); 14 window days
  const rObs = Math.log(1.1) / 7;
  const observed = Array.from({ length: 14 }, (_, k) => 1001 * Math.exp(rObs * (k - 13)) - 1);
  // a path that grows 3%/day in the window, then slows by 0.01/day each day after it
  const log = Array.from({ length: 14 }, (_, k) => Math.log(50) + 0.03 * k);
  for (let h = 1; h <= 3; h++) log.push(log[log.length - 1] + 0.03 - 0.01 * h);
  const [path] = anchorTrend([log.map((v) => Math.expm1(v))], 14, observed);
  const expected = [1, 2, 3].map((h) => 1001 * Math.exp(h * rObs - 0.01 * ((h * (h + 1)) / 2)) - 1);
  closeAll(path, expected, 1e-6);
  // a path without dynamics of its own (no infection: 0 a day) forecasts the naive growth
  closeAll(anchorTrend([new Array(17).fill(0)], 14, observed)[0], [1, 2, 3].map((h) => 1001 * Math.exp(h * rObs) - 1), 1e-6);
  // a path that dies out below 1 a day forecasts 0, never a negative count
  const fading = anchorTrend([[...new Array(14).fill(0), 0, 0, 0]], 14, Array.from({ length: 14 }, (_, k) => Math.expm1(1 - 0.5 * k / 7)));
  assert.equal(Array.from(fading[0]), [0, 0, 0]);
});

test('the window\'s dispersion: the RMS of the log residuals and the spread of the weekly growth rates', () => {
  // residuals ±0.1 on the log(1 + y) scale; growth rates of a straight log line: no spread
  const fitted = Array.from({ length: 21 }, (_, k) => Math.expm1(5 + 0.02 * k));
  const observed = fitted.map((f, k) => Math.expm1(Math.log1p(f) + (k % 2 ? 0.1 : -0.1)));
  const d = windowDispersion(observed, fitted);
  close(d.level, 0.1, 1e-12);
  // weekly growth over 7 days: an odd number of days apart, ±0.2/7 around 0.02
  close(d.growth, Math.sqrt((14 * (0.2 / 7) ** 2) / 13), 1e-12);
});

test.run();
