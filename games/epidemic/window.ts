// The fitted window of a location's records as one observed sample (docs/epidemic.md §5-§6): row 0
// the window's eve (cumulative confirmed and fatal so far, severe on the day), rows 1..D the days
// of the window (new confirmed, new deaths, severe), −1 where unknown; what the days before the
// window say about its start (for the initial compartments: §4); and every repair, named.
import { CsvInputError } from '../../src/data/csv.ts';
import type { Dataset } from '../../src/game.ts';
import type { EpidemicConfig } from './config.ts';
import { dateOf, dayOf } from './dates.ts';
import { CHANNEL, CHANNELS, UNKNOWN } from './layout.ts';
import { dailyCounts, type EpidemicRecords, type Repairs } from './records.ts';

/** Days before the window whose new confirmed cases set the infected share at its start (§4). */
export const HISTORY_DAYS = 60;

/** What the days before a window say about its start (Dataset.about.start). */
export interface WindowStart {
  /** cumulative confirmed cases and deaths at the end of the eve (null: not known) */
  confirmed: number | null;
  fatal: number | null;
  /** new confirmed cases on the HISTORY_DAYS days up to the eve, the eve last (null: not known) */
  recent: (number | null)[];
}

/** Dataset.about of an epidemic window: where it comes from and what was repaired. */
export interface WindowAbout {
  file: string;
  format: 'upstream' | 'generic';
  location: string | null;
  from: string;
  to: string;
  days: number;
  /** the population the file gives (generic format), or null */
  population: number | null;
  start: WindowStart;
  /** every repair of the location's series, counted and named */
  repairs: Repairs & { count: number };
  /** the days of the window without a known new-confirmed count */
  unknownDays: string[];
}

const known = (v: number) => (Number.isNaN(v) ? UNKNOWN : v);

/** The window data.from..data.to of the records as a dataset of one sample [D + 1, CHANNELS]. */
export function windowSample(records: EpidemicRecords, config: EpidemicConfig): Dataset {
  const { from, to } = config.data;
  const first = records.firstDay;
  const last = first + records.confirmed.length - 1;
  const start = dayOf(from)!;
  const end = dayOf(to)!;
  const where = records.location === null ? '' : ` for ${records.location}`;
  if (start < first || end > last) {
    throw new CsvInputError(records.file, `the window ${from} to ${to} (--from/--to) is not inside the data${where}, which run from ${dateOf(first)} to ${dateOf(last)}`);
  }
  const days = end - start + 1;
  const newConfirmed = dailyCounts(records.confirmed);
  const newFatal = dailyCounts(records.fatal);
  const values = new Float64Array((days + 1) * CHANNELS);
  // row 0: the eve (the day before the window), when the data reach it
  const eve = start - 1 - first;
  const inside = (k: number) => k >= 0 && k < records.confirmed.length;
  values[CHANNEL.confirmed] = inside(eve) ? known(records.confirmed[eve]) : UNKNOWN;
  values[CHANNEL.fatal] = inside(eve) ? known(records.fatal[eve]) : UNKNOWN;
  values[CHANNEL.severe] = inside(eve) ? known(records.severe[eve]) : UNKNOWN;
  values[CHANNEL.weight] = 0;
  const unknownDays: string[] = [];
  for (let d = 1; d <= days; d++) {
    const k = start - first + d - 1;
    const o = d * CHANNELS;
    values[o + CHANNEL.confirmed] = known(newConfirmed[k]);
    values[o + CHANNEL.fatal] = known(newFatal[k]);
    values[o + CHANNEL.severe] = known(records.severe[k]);
    values[o + CHANNEL.weight] = 1;
    if (Number.isNaN(newConfirmed[k])) unknownDays.push(dateOf(first + k));
  }
  if (unknownDays.length === days && config.data.weights.confirmed > 0) {
    throw new CsvInputError(records.file, `no day of the window ${from} to ${to}${where} has a known count of new confirmed cases (column "${records.columns.confirmed}")`);
  }
  const recent: (number | null)[] = [];
  for (let k = eve - HISTORY_DAYS + 1; k <= eve; k++) recent.push(inside(k) && !Number.isNaN(newConfirmed[k]) ? newConfirmed[k] : null);
  const r = records.repairs;
  const count = r.missingDates.length + Object.values(r.emptyCells).reduce((a, b) => a + b.length, 0) + r.falls.length + r.stopped.length + r.started.length;
  const about: WindowAbout = {
    file: records.file,
    format: records.format,
    location: records.location,
    from,
    to,
    days,
    population: records.population,
    start: {
      confirmed: inside(eve) && !Number.isNaN(records.confirmed[eve]) ? records.confirmed[eve] : null,
      fatal: inside(eve) && !Number.isNaN(records.fatal[eve]) ? records.fatal[eve] : null,
      recent,
    },
    repairs: { ...r, count },
    unknownDays,
  };
  return { values, shape: [1, days + 1, CHANNELS], labels: [`${records.location ?? 'series'} ${from}..${to}`], about: about as unknown as Record<string, unknown> };
}
