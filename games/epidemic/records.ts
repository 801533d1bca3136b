// Epidemic records read from a file as it is (docs/epidemic.md §6): the upstream Japanese national
// file (one row per day and location class: cumulative Positive and Fatal, Hosp_severe on the day)
// or the generic long format (date, cumulative confirmed, optional cumulative fatal, severe on the
// day, population, location). The upstream file's quirks are repaired, counted and named, never
// fatal: `.0` values, empty cells, columns that stop, missing dates, cumulative counts that fall.
// What cannot be a record (a bad date, dates out of order or repeated, a negative count) is refused
// with the file, line and column, as every CSV error of the project is.
import { CsvInputError, readCsvTable, type CsvTable } from '../../src/data/csv.ts';
import { dateOf, dayOf } from './dates.ts';

/** The upstream file's columns this game reads (covid_jpn_total.csv, data/epidemic/japan/SOURCE.md). */
export const UPSTREAM_COLUMNS = { date: 'Date', location: 'Location', confirmed: 'Positive', fatal: 'Fatal', severe: 'Hosp_severe' } as const;
/** The generic long format's columns: date and confirmed required, the others optional. */
export const GENERIC_COLUMNS = { date: 'date', location: 'location', confirmed: 'confirmed', fatal: 'fatal', severe: 'severe', population: 'population' } as const;

/** One day's cumulative count that fell below the day before (an upstream revision). */
export interface Fall {
  date: string;
  column: string;
  /** the count the day before, and on the day */
  from: number;
  to: number;
}

/** What was repaired in the series of a location, each case named (kept in summary.json). */
export interface Repairs {
  /** dates with no row between the first and the last: cumulative counts interpolated across them */
  missingDates: string[];
  /** per column, the dates whose cell is empty */
  emptyCells: Record<string, string[]>;
  /** cumulative counts below the day before: that day's count is unknown, the next days count from the new level */
  falls: Fall[];
  /** columns whose last value comes before the last date (the days after are unknown) */
  stopped: { column: string; lastDate: string }[];
  /** columns whose first value comes after the first date (the days before are unknown) */
  started: { column: string; firstDate: string }[];
}

/** Every day of one location, first to last date, gaps included (NaN: not known). */
export interface EpidemicRecords {
  file: string;
  format: 'upstream' | 'generic';
  /** the location read (null: a generic file without a location column) */
  location: string | null;
  /** the file's population column (generic format), or null */
  population: number | null;
  /** the day number of the first date (dates[k] = firstDay + k) */
  firstDay: number;
  /** cumulative confirmed cases at the end of each day (interpolated across missing dates and empty cells) */
  confirmed: Float64Array;
  /** cumulative deaths (same repairs) */
  fatal: Float64Array;
  /** severe cases on the day (not interpolated) */
  severe: Float64Array;
  /** the column names behind confirmed, fatal and severe, as the file calls them */
  columns: { confirmed: string; fatal: string | null; severe: string | null };
  repairs: Repairs;
}

export function recordDates(records: EpidemicRecords): string[] {
  return Array.from(records.confirmed, (_, k) => dateOf(records.firstDay + k));
}

/** A count cell: a non-negative number (`16` and `16.0` alike), or NaN for an empty cell. */
function count(file: string, line: number, column: string, text: string): number {
  if (text === '') return NaN;
  const value = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(value)) throw new CsvInputError(file, `expected a count, got ${JSON.stringify(text)}`, line, column);
  if (value < 0) throw new CsvInputError(file, `a count cannot be negative, got ${JSON.stringify(text)}`, line, column);
  return value;
}

/** The names in the file's header (read once to tell the formats apart). */
async function headerOf(file: string): Promise<string[]> {
  return (await readCsvTable(file, [])).header;
}

/**
 * Reads the records of one location from the upstream Japanese file or a generic file (told
 * apart by their headers). `location`: the upstream file's location class, or the value of a
 * generic file's location column (ignored when it has none).
 */
export async function readRecords(file: string, location: string): Promise<EpidemicRecords> {
  const header = await headerOf(file);
  const has = (name: string) => header.includes(name);
  const upstream = has(UPSTREAM_COLUMNS.date) && has(UPSTREAM_COLUMNS.location) && has(UPSTREAM_COLUMNS.confirmed);
  if (!upstream && !(has(GENERIC_COLUMNS.date) && has(GENERIC_COLUMNS.confirmed))) {
    throw new CsvInputError(
      file,
      `neither the upstream Japanese format (Date,Location,Positive,…,Fatal,…) nor the generic format (date,confirmed[,fatal,severe,population,location]); the header has ${header.map((h) => JSON.stringify(h)).join(', ')}`,
      1,
    );
  }
  const names = upstream
    ? { date: UPSTREAM_COLUMNS.date, location: UPSTREAM_COLUMNS.location, confirmed: UPSTREAM_COLUMNS.confirmed, fatal: UPSTREAM_COLUMNS.fatal, severe: UPSTREAM_COLUMNS.severe, population: null }
    : GENERIC_COLUMNS;
  const optional = (name: string | null) => (name !== null && has(name) ? name : null);
  const wanted = {
    location: optional(names.location),
    fatal: optional(names.fatal),
    severe: optional(names.severe),
    population: optional(names.population),
  };
  const specs = [names.date, names.confirmed, wanted.location, wanted.fatal, wanted.severe, wanted.population]
    .filter((n): n is string => n !== null)
    .map((name) => ({ name, kind: 'string' as const }));
  const table = await readCsvTable(file, specs);
  return recordsOf(table, upstream ? 'upstream' : 'generic', location, { date: names.date, confirmed: names.confirmed, ...wanted });
}

function recordsOf(
  table: CsvTable,
  format: 'upstream' | 'generic',
  location: string,
  names: { date: string; confirmed: string; location: string | null; fatal: string | null; severe: string | null; population: string | null },
): EpidemicRecords {
  const { file, lines } = table;
  const cell = (name: string | null, row: number) => (name === null ? '' : (table.columns[name][row] as string));
  // the rows of the location, in the file's order
  const rows: number[] = [];
  const locations = new Set<string>();
  for (let r = 0; r < lines.length; r++) {
    const here = names.location === null ? null : cell(names.location, r);
    if (here !== null) locations.add(here);
    if (here === null || here === location) rows.push(r);
  }
  if (rows.length === 0) {
    throw new CsvInputError(file, `no rows for location "${location}" (column "${names.location}"; the file has ${[...locations].map((l) => JSON.stringify(l)).join(', ')}): choose one with --location`);
  }
  // dates: real calendar dates, strictly increasing within the location (a repeat names both lines)
  const days: number[] = [];
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k];
    const text = cell(names.date, r);
    const day = dayOf(text);
    if (day === null) throw new CsvInputError(file, `expected a date YYYY-MM-DD, got ${JSON.stringify(text)}`, lines[r], names.date);
    if (k > 0 && day <= days[k - 1]) {
      const before = `${dateOf(days[k - 1])} (line ${lines[rows[k - 1]]})`;
      const where = names.location === null ? '' : ` for ${location}`;
      const why = day === days[k - 1] ? `${text} appears twice${where}: lines ${lines[rows[k - 1]]} and ${lines[r]}` : `${text} comes after ${before}${where}: the dates must increase`;
      throw new CsvInputError(file, why, lines[r], names.date);
    }
    days.push(day);
  }
  const firstDay = days[0];
  const length = days[days.length - 1] - firstDay + 1;
  const repairs: Repairs = { missingDates: [], emptyCells: {}, falls: [], stopped: [], started: [] };
  const present = new Uint8Array(length);
  for (const day of days) present[day - firstDay] = 1;
  for (let k = 0; k < length; k++) if (!present[k]) repairs.missingDates.push(dateOf(firstDay + k));

  /** one column over every day: NaN where missing or empty (empty cells named) */
  const column = (name: string | null): Float64Array => {
    const out = new Float64Array(length).fill(NaN);
    if (name === null) return out;
    for (let k = 0; k < rows.length; k++) {
      const r = rows[k];
      const value = count(file, lines[r], name, cell(name, r));
      if (Number.isNaN(value)) (repairs.emptyCells[name] ??= []).push(dateOf(days[k]));
      out[days[k] - firstDay] = value;
    }
    return out;
  };
  const confirmed = column(names.confirmed);
  const fatal = column(names.fatal);
  const severe = column(names.severe);
  let population: number | null = null;
  if (names.population !== null) {
    const values = column(names.population);
    for (let k = 0; k < rows.length; k++) {
      const v = values[days[k] - firstDay];
      if (Number.isNaN(v)) continue;
      if (!(v > 0)) throw new CsvInputError(file, `the population must be more than 0, got ${v}`, lines[rows[k]], names.population);
      if (population !== null && v !== population) {
        throw new CsvInputError(file, `the population must be the same on every row of a location: ${v} here, ${population} above`, lines[rows[k]], names.population);
      }
      population = v;
    }
    delete repairs.emptyCells[names.population];
  }
  for (const [name, values] of [[names.confirmed, confirmed], [names.fatal, fatal], [names.severe, severe]] as const) {
    if (name === null) continue;
    noteEnds(name, values, firstDay, repairs);
  }
  for (const [name, values] of [[names.confirmed, confirmed], [names.fatal, fatal]] as const) {
    if (name === null) continue;
    interpolate(values);
    noteFalls(name, values, firstDay, repairs);
  }
  return {
    file,
    format,
    location: names.location === null ? null : location,
    population,
    firstDay,
    confirmed,
    fatal,
    severe,
    columns: { confirmed: names.confirmed, fatal: names.fatal, severe: names.severe },
    repairs,
  };
}

/** Columns that start after the first date or stop before the last one (what is unknown there). */
function noteEnds(name: string, values: Float64Array, firstDay: number, repairs: Repairs): void {
  let first = -1;
  let last = -1;
  for (let k = 0; k < values.length; k++) {
    if (Number.isNaN(values[k])) continue;
    if (first < 0) first = k;
    last = k;
  }
  if (first < 0) {
    repairs.stopped.push({ column: name, lastDate: '' });
    return;
  }
  if (first > 0) repairs.started.push({ column: name, firstDate: dateOf(firstDay + first) });
  if (last < values.length - 1) repairs.stopped.push({ column: name, lastDate: dateOf(firstDay + last) });
}

/** Linear interpolation of a cumulative series across unknown days between two known ones (in place). */
function interpolate(values: Float64Array): void {
  let last = -1;
  for (let k = 0; k < values.length; k++) {
    if (Number.isNaN(values[k])) continue;
    if (last >= 0 && k - last > 1) {
      for (let j = last + 1; j < k; j++) values[j] = values[last] + ((values[k] - values[last]) * (j - last)) / (k - last);
    }
    last = k;
  }
}

function noteFalls(name: string, values: Float64Array, firstDay: number, repairs: Repairs): void {
  for (let k = 1; k < values.length; k++) {
    if (values[k] < values[k - 1]) repairs.falls.push({ date: dateOf(firstDay + k), column: name, from: values[k - 1], to: values[k] });
  }
}

/**
 * The count on each day of a cumulative series: its difference from the day before, NaN where
 * either is unknown or the count fell (a revision: the true count of that day is not known).
 */
export function dailyCounts(cumulative: Float64Array): Float64Array {
  const out = new Float64Array(cumulative.length).fill(NaN);
  for (let k = 1; k < cumulative.length; k++) {
    const d = cumulative[k] - cumulative[k - 1];
    if (d >= 0) out[k] = d;
  }
  return out;
}
