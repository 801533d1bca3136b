// Files a run writes about a population over time: trajectory.csv (turn, t, agent, value) and the
// box plot per turn (for games whose state is one number per agent), plus the per-turn statistics
// that summary.json reports.
import { join } from 'node:path';
import { writeCsv } from '../data/csv.ts';
import { turnStats, type TurnStats } from '../mfg/model.ts';
import { populationBoxPlot, writeSvg } from '../plot/figures.ts';
import type { Experiment } from './experiment.ts';

export async function writePopulation(
  dir: string,
  exp: Experiment,
  populations: number[][],
  opts: { title: string; observedMean?: number; file?: string },
): Promise<TurnStats[]> {
  const ts = exp.config.time.saveAt;
  const rows: (number | string)[][] = [];
  populations.forEach((pop, k) => pop.forEach((v, i) => rows.push([k + 1, ts[k], i, v])));
  await writeCsv(join(dir, 'trajectory.csv'), ['turn', 't', 'agent', 'value'], rows, { digits: 7 });
  const style = exp.game.figureStyle?.(exp.config, opts.observedMean);
  if (!style) return turnStats(ts, populations);
  const svg = await populationBoxPlot({
    title: opts.title,
    turns: ts.map((_, k) => k + 1),
    values: populations,
    yTitle: style.yTitle,
    yFormat: style.yFormat,
    referenceLines: style.referenceLines,
    yDomain: style.yDomain,
    lastTurnHistogram: style.lastTurnHistogram,
  });
  await writeSvg(join(dir, opts.file ?? 'turns.svg'), svg);
  return turnStats(ts, populations);
}
