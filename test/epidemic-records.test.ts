// The epidemic's records read as they are (docs/epidemic.md §6): every quirk of the upstream
// Japanese file (data/epidemic/japan/SOURCE.md) as a small fixture, repaired, counted and named;
// the generic long format; the window; every malformed input refused with its file, line and
// column and exit status 2; the bundled file's own quirks; the population behind the preset.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { readRecords, dailyCounts, recordDates, type EpidemicRecords } from '../games/epidemic/records.ts';
import { windowSample, type WindowAbout } from '../games/epidemic/window.ts';
import { epidemic } from '../games/epidemic/index.ts';
import { applyOverrides } from '../src/config.ts';
import { CsvInputError, readCsvTable } from '../src/data/csv.ts';
import { CHANNEL, CHANNELS, UNKNOWN } from '../games/epidemic/layout.ts';
import { cli } from './helpers/cli.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'epidemic');
const BUNDLED = join(import.meta.dirname, '..', 'data', 'epidemic', 'japan');
const fixture = (name: string) => join(FIXTURES, name);

/** The test preset's configuration with the window (and location) given. */
function configFor(from: string, to: string, location = 'Domestic') {
  return epidemic.parseConfig(applyOverrides(epidemic.parseConfig(epidemic.presets.test), [`data.from="${from}"`, `data.to="${to}"`, `data.location="${location}"`]));
}

/** New confirmed cases per day of a record (NaN unknown), from its second day. */
const newConfirmed = (r: EpidemicRecords) => Array.from(dailyCounts(r.confirmed)).slice(1);

/** The fixtures' Positive is 100 + 10·k(k+1)/2 on day k: 10·k new cases on day k. */
const CLEAN = Array.from({ length: 11 }, (_, k) => 10 * (k + 1));

async function rejects(file: string, pattern: RegExp, line: number | null, column: string | null, location = 'Domestic') {
  try {
    await readRecords(file, location);
  } catch (err) {
    assert.instance(err, CsvInputError);
    const e = err as CsvInputError;
    assert.match(e.message, pattern);
    assert.is(e.line, line ?? undefined, `line of: ${e.message}`);
    assert.is(e.column, column ?? undefined, `column of: ${e.message}`);
    return e;
  }
  assert.unreachable(`${file} was read`);
}

test('a clean upstream file: cumulative Positive gives 10·k new cases on day k, severe and fatal as written', async () => {
  const r = await readRecords(fixture('upstream-clean.csv'), 'Domestic');
  assert.is(r.format, 'upstream');
  assert.equal(newConfirmed(r), CLEAN);
  assert.equal(Array.from(r.severe), Array.from({ length: 12 }, (_, k) => 5 + k));
  assert.equal(Array.from(dailyCounts(r.fatal)).slice(1), Array(11).fill(1));
  assert.equal(recordDates(r).slice(0, 2), ['2021-03-01', '2021-03-02']);
  assert.is(r.repairs.falls.length + r.repairs.missingDates.length + r.repairs.stopped.length, 0);
});

test('quirk ".0" values: Positive, Fatal and Hosp_severe written as 16.0 read as the same numbers', async () => {
  const clean = await readRecords(fixture('upstream-clean.csv'), 'Domestic');
  const dotZero = await readRecords(fixture('upstream-dot-zero.csv'), 'Domestic');
  assert.equal(Array.from(dotZero.confirmed), Array.from(clean.confirmed));
  assert.equal(Array.from(dotZero.fatal), Array.from(clean.fatal));
  assert.equal(Array.from(dotZero.severe), Array.from(clean.severe));
});

test('quirk empty cells: an empty cumulative cell is interpolated, an empty severe cell unknown; both named', async () => {
  const r = await readRecords(fixture('upstream-empty-cells.csv'), 'Domestic');
  assert.equal(r.repairs.emptyCells, { Positive: ['2021-03-06'], Hosp_severe: ['2021-03-04'] });
  // Positive on day 5 (empty) is interpolated between days 4 and 6: 100 + 100 and 100 + 210 → 255
  assert.is(r.confirmed[5], 255);
  assert.equal(newConfirmed(r), [10, 20, 30, 40, 55, 55, 70, 80, 90, 100, 110]);
  assert.ok(Number.isNaN(r.severe[3]));
  assert.is(r.severe[4], 9);
});

test('quirk missing dates: the days without a row are interpolated and named', async () => {
  const r = await readRecords(fixture('upstream-missing-dates.csv'), 'Domestic');
  assert.equal(r.repairs.missingDates, ['2021-03-05', '2021-03-06']);
  assert.is(r.confirmed.length, 12);
  // the 40 + 50 + 60 new cases of days 4..6 spread evenly over the three days
  assert.equal(newConfirmed(r), [10, 20, 30, 50, 50, 50, 70, 80, 90, 100, 110]);
});

test('quirk columns that stop: Hosp_severe after its last day is unknown, the stop named; a column not read is ignored', async () => {
  const r = await readRecords(fixture('upstream-stopped-column.csv'), 'Domestic');
  assert.equal(r.repairs.stopped, [{ column: 'Hosp_severe', lastDate: '2021-03-08' }]);
  assert.ok(Number.isNaN(r.severe[8]) && r.severe[7] === 12);
  assert.equal(newConfirmed(r), CLEAN);
  // the window past the stop keeps the confirmed cases; its severe days are unknown (−1)
  const sample = windowSample(r, configFor('2021-03-05', '2021-03-12'));
  const severe = Array.from({ length: 8 }, (_, d) => sample.values[(d + 1) * CHANNELS + CHANNEL.severe]);
  assert.equal(severe, [9, 10, 11, 12, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN]);
});

test('quirk cumulative counts that fall: that day is unknown, the next ones count from the new level, each fall named', async () => {
  const r = await readRecords(fixture('upstream-falling.csv'), 'Domestic');
  assert.equal(r.repairs.falls, [
    { date: '2021-03-07', column: 'Positive', from: 250, to: 110 },
    { date: '2021-03-10', column: 'Fatal', from: 18, to: 5 },
  ]);
  const daily = newConfirmed(r);
  assert.ok(Number.isNaN(daily[5]), 'the day of the fall');
  assert.equal(daily.slice(6), [270, 80, 90, 100, 110]);
  const sample = windowSample(r, configFor('2021-03-02', '2021-03-12'));
  assert.is(sample.values[6 * CHANNELS + CHANNEL.confirmed], UNKNOWN);
  assert.is((sample.about as unknown as WindowAbout).repairs.count, 2);
});

test('quirk location classes: Domestic, Airport (starting late) and Returnee (falling to 0) read apart; an unknown one refused', async () => {
  const domestic = await readRecords(fixture('upstream-locations.csv'), 'Domestic');
  assert.equal(newConfirmed(domestic), CLEAN);
  const airport = await readRecords(fixture('upstream-locations.csv'), 'Airport');
  assert.is(recordDates(airport)[0], '2021-03-04');
  assert.equal(newConfirmed(airport), Array(8).fill(1));
  const returnee = await readRecords(fixture('upstream-locations.csv'), 'Returnee');
  assert.equal(returnee.repairs.falls, [{ date: '2021-03-09', column: 'Positive', from: 15, to: 0 }]);
  await rejects(fixture('upstream-locations.csv'), /no rows for location "Tokyo" \(column "Location"; the file has "Domestic", "Returnee", "Airport"\): choose one with --location/, null, null, 'Tokyo');
});

test('quirk vaccination columns (per day, then cumulative, dipping): not read, the series are the clean ones', async () => {
  const clean = await readRecords(fixture('upstream-clean.csv'), 'Domestic');
  const r = await readRecords(fixture('upstream-vaccination.csv'), 'Domestic');
  assert.equal(Array.from(r.confirmed), Array.from(clean.confirmed));
  assert.is(r.repairs.falls.length, 0);
});

test('the generic long format: cumulative confirmed and fatal, severe, the population column; locations', async () => {
  const r = await readRecords(fixture('generic.csv'), 'Domestic');
  assert.is(r.format, 'generic');
  assert.is(r.population, 5_800_000);
  assert.equal(newConfirmed(r), CLEAN);
  const south = await readRecords(fixture('generic-locations.csv'), 'South');
  assert.equal(newConfirmed(south), Array.from({ length: 11 }, (_, k) => 2 * k + 1));
  await rejects(fixture('generic-locations.csv'), /no rows for location "Domestic"/, null, null);
  await rejects(fixture('neither-format.csv'), /neither the upstream Japanese format .* nor the generic format/, 1, null);
});

test('the window: its eve holds the cumulative counts, its days the new ones; its start is remembered', async () => {
  const r = await readRecords(fixture('upstream-clean.csv'), 'Domestic');
  const sample = windowSample(r, configFor('2021-03-04', '2021-03-10'));
  assert.equal(sample.shape, [1, 8, CHANNELS]);
  const row = (d: number) => Array.from(sample.values.subarray(d * CHANNELS, (d + 1) * CHANNELS));
  assert.equal(row(0), [130, 12, 7, 0]); // 2021-03-03: Positive 130, Fatal 12, Hosp_severe 7, no weight
  assert.equal(row(1), [30, 1, 8, 1]);
  assert.equal(row(7), [90, 1, 14, 1]);
  const about = sample.about as unknown as WindowAbout;
  assert.is(about.start.confirmed, 130);
  assert.equal(about.start.recent.slice(-3), [null, 10, 20]);
  // a window that starts on the first date has no eve: its first day's count is unknown
  const first = windowSample(r, configFor('2021-03-01', '2021-03-05'));
  assert.is(first.values[CHANNELS + CHANNEL.confirmed], UNKNOWN);
});

test('malformed input: bad date, unsorted and repeated dates, negative counts name the line and column', async () => {
  await rejects(fixture('bad-date.csv'), /expected a date YYYY-MM-DD, got "2021-02-30"/, 8, 'Date');
  await rejects(fixture('unsorted-dates.csv'), /2021-03-06 comes after 2021-03-07 \(line 7\) for Domestic: the dates must increase/, 8, 'Date');
  await rejects(fixture('duplicated-date.csv'), /2021-03-06 appears twice for Domestic: lines 7 and 8/, 8, 'Date');
  await rejects(fixture('negative-count.csv'), /a count cannot be negative, got "-3"/, 9, 'Positive');
  const r = await readRecords(fixture('upstream-clean.csv'), 'Domestic');
  assert.throws(() => windowSample(r, configFor('2021-03-05', '2021-03-20')), /the window 2021-03-05 to 2021-03-20 \(--from\/--to\) is not inside the data for Domestic, which run from 2021-03-01 to 2021-03-12/);
  assert.throws(() => epidemic.parseConfig(applyOverrides(epidemic.presets.test, ['data.from="2021-3-1"'])), /configuration field "data.from": expected a date YYYY-MM-DD/);
});

test('the command line: one line with the line number and exit status 2 for malformed input and for a window outside the data', async () => {
  const out = join(await mkdtemp(join(tmpdir(), 'epidemic-records-')), 'run');
  for (const [file, sets, message] of [
    ['negative-count.csv', [], /^neural-mfg: .*negative-count\.csv line 9, column "Positive": a count cannot be negative, got "-3"\n$/],
    ['bad-date.csv', [], /^neural-mfg: .*bad-date\.csv line 8, column "Date": expected a date YYYY-MM-DD, got "2021-02-30"\n$/],
    ['upstream-clean.csv', ['--from', '2021-03-05', '--to', '2021-04-20'], /^neural-mfg: .*upstream-clean\.csv: the window 2021-03-05 to 2021-04-20 \(--from\/--to\) is not inside the data/],
  ] as const) {
    const r = cli('train', 'epidemic', '--preset', 'test', '--data', fixture(file), '--from', '2021-03-02', '--to', '2021-03-10', ...sets, '--out', out);
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
  }
});

test('the bundled upstream file: its quirks as SOURCE.md lists them, named for Domestic, never fatal', async () => {
  const r = await readRecords(join(BUNDLED, 'covid_jpn_total.csv'), 'Domestic');
  assert.is(recordDates(r)[0], '2020-02-06');
  assert.is(recordDates(r).at(-1), '2023-05-08');
  assert.equal(r.repairs.missingDates, ['2020-02-08', '2020-02-09', '2020-02-11', '2020-02-15', '2020-02-16']);
  const falls = (column: string) => r.repairs.falls.filter((f) => f.column === column).map((f) => f.date);
  assert.equal(falls('Positive'), ['2022-03-17', '2023-03-13', '2023-05-02']);
  assert.equal(falls('Fatal'), ['2021-06-09', '2022-03-17', '2023-01-19', '2023-04-22']);
  assert.equal(r.repairs.falls.find((f) => f.date === '2021-06-09'), { date: '2021-06-09', column: 'Fatal', from: 13641, to: 12739 });
  const airport = await readRecords(join(BUNDLED, 'covid_jpn_total.csv'), 'Airport');
  // SOURCE.md names the largest Airport fall; the file has three smaller ones too, each named
  assert.ok(airport.repairs.falls.some((f) => f.column === 'Positive' && f.date === '2023-01-06' && f.from === 22962 && f.to === 22036));
  const returnee = await readRecords(join(BUNDLED, 'covid_jpn_total.csv'), 'Returnee');
  assert.equal(returnee.repairs.falls.filter((f) => f.column === 'Positive').map((f) => [f.date, f.from, f.to]), [['2022-09-27', 15, 0]]);
});

test("the japan preset's population is the bundled metadata's sum of the prefectures (CRLF lines, the misspelt Captial, trailing spaces)", async () => {
  const table = await readCsvTable(join(BUNDLED, 'covid_jpn_metadata.csv'), [
    { name: 'Prefecture', kind: 'string' },
    { name: 'Category', kind: 'string' },
    { name: 'Item', kind: 'string' },
    { name: 'Value', kind: 'string' },
  ]);
  const { Category, Item, Value, Prefecture } = table.columns as Record<string, string[]>;
  let thousands = 0;
  let prefectures = 0;
  Category.forEach((c, k) => {
    if (c === 'Population' && Item[k] === 'Total') {
      thousands += Number(Value[k]);
      prefectures++;
    }
  });
  assert.is(prefectures, 47);
  assert.ok(Item.includes('Captial'));
  assert.is(Value[Item.findIndex((it, k) => it === 'Longitude' && Prefecture[k] === 'Hokkaido')], '141.347644', 'the trailing space trimmed');
  assert.is(thousands * 1000, epidemic.parseConfig(epidemic.presets.japan).data.population);
});

test.run();
