// A file's whole record as daily series (TimeSeries.history, src/game.ts): what `neural-mfg
// forecast` scores the days after the fitted window against, with the same repairs as the window
// itself (records.ts: a day whose cumulative count fell is not known).
import type { SeriesHistory } from '../../src/game.ts';
import type { EpidemicConfig } from './config.ts';
import { dateOf } from './dates.ts';
import { dailyCounts, readRecords } from './records.ts';

export async function epidemicHistory(file: string, config: EpidemicConfig): Promise<SeriesHistory> {
  const records = await readRecords(file, config.data.location);
  return {
    first: dateOf(records.firstDay),
    daily: { confirmed: dailyCounts(records.confirmed), fatal: dailyCounts(records.fatal), severe: Float64Array.from(records.severe) },
    cumulative: Float64Array.from(records.confirmed),
    population: records.population ?? config.data.population,
  };
}
