// Files a run writes about a population over time: trajectory.csv (turn, t, agent, value) and the
// box plot per turn (for games whose state is one number per agent), plus the per-turn statistics
// that summary.json reports.
import { join } from 'node:path';
import { writeCsv } from '../data/csv.ts';
import { turnStats, type TurnStats } from '../mfg/model.ts';
import { populationBoxPlot, writeSvg } from '../plot/figures.ts';
import type { Experiment } from './experiment.ts';

/**
 * Large populations (a million agents): trajectory.csv holds the first TRAJECTORY_AGENTS agents
 * (the agents are exchangeable), and each box plot is drawn from FIGURE_POINTS evenly spaced order
 * statistics of its turn (its quartiles, whiskers and extremes as the whole population's, up to
 * the spacing); summary.json's per-turn statistics are always of every agent.
 */
export const TRAJECTORY_AGENTS = 10_000;
const FIGURE_POINTS = 10_000;

/** `points` evenly spaced order statistics of v (min and max included), or v itself when it is small. */
function orderStatistics(v: number[], points: number): number[] {
  if (v.length <= points) return v;
  const sorted = Float64Array.from(v).sort();
  return Array.from({ length: points }, (_, j) => sorted[Math.round((j * (sorted.length - 1)) / (points - 1))]);
}

export async function writePopulation(
  dir: string,
  exp: Experiment,
  populations: number[][],
  opts: { title: string; observedMean?: number; file?: string },
): Promise<TurnStats[]> {
  const ts = exp.config.time.saveAt;
  const rows: (number | string)[][] = [];
  populations.forEach((pop, k) => {
    for (let i = 0; i < Math.min(pop.length, TRAJECTORY_AGENTS); i++) rows.push([k + 1, ts[k], i, pop[i]]);
  });
  await writeCsv(join(dir, 'trajectory.csv'), ['turn', 't', 'agent', 'value'], rows, { digits: 7 });
  const style = exp.game.figureStyle?.(exp.config, opts.observedMean);
  if (!style) return turnStats(ts, populations);
  const svg = await populationBoxPlot({
    title: opts.title,
    turns: ts.map((_, k) => k + 1),
    values: populations.map((pop) => orderStatistics(pop, FIGURE_POINTS)),
    yTitle: style.yTitle,
    yFormat: style.yFormat,
    referenceLines: style.referenceLines,
    yDomain: style.yDomain,
    lastTurnHistogram: style.lastTurnHistogram,
  });
  await writeSvg(join(dir, opts.file ?? 'turns.svg'), svg);
  return turnStats(ts, populations);
}
