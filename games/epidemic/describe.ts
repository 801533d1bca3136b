// What `simulate epidemic` prints and records of one simulated path: day by day, the mean contact
// level, the compartments' shares over the cohorts, and the new confirmed cases the data would show.
import type { EpidemicConfig } from './config.ts';
import { dateOf, dayOf } from './dates.ts';
import { ROW, ROWS } from './layout.ts';
import { pathSeries } from './series.ts';
import { seriesScale } from './kernels.ts';

export interface EpidemicDay {
  date: string;
  contact: number;
  susceptible: number;
  infected: number;
  recovered: number;
  fatal: number;
  /** new confirmed cases on the day (null on the eve) */
  confirmed: number | null;
}

/** The days of one path (states[k]: the state at save k = the end of day k of the window). */
export function epidemicDays(config: EpidemicConfig, states: number[][]): EpidemicDay[] {
  const N = config.agents;
  const saves = states.length;
  const path = new Float32Array(saves * ROWS * N);
  states.forEach((s, k) => path.set(s, k * ROWS * N));
  const series = pathSeries(path, saves, N, seriesScale(config));
  const eve = dayOf(config.data.from)! - 1;
  const mean = (s: number[], row: number) => s.slice(row * N, (row + 1) * N).reduce((a, b) => a + b, 0) / N;
  return states.map((s, k) => ({
    date: dateOf(eve + k),
    contact: mean(s, ROW.contact),
    susceptible: mean(s, ROW.susceptible),
    infected: mean(s, ROW.infected),
    recovered: mean(s, ROW.recovered),
    fatal: mean(s, ROW.fatal),
    confirmed: k === 0 ? null : series[k * 3],
  }));
}

export function describeEpidemic(config: EpidemicConfig, states: number[][]): { text: string; summary: Record<string, unknown> } {
  const days = epidemicDays(config, states);
  const lines = ['date        contact  susceptible  infected   recovered  fatal      new confirmed'];
  for (const d of days) {
    lines.push(
      `${d.date}  ${d.contact.toFixed(3)}    ${d.susceptible.toFixed(6)}     ${d.infected.toExponential(3)}  ${d.recovered.toExponential(3)}  ${d.fatal.toExponential(3)}  ${d.confirmed === null ? '' : d.confirmed.toFixed(1)}`,
    );
  }
  return { text: lines.join('\n'), summary: { location: config.data.location, population: config.data.population, days } };
}
