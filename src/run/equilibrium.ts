// How far a population is from the game's equilibrium: the Nash gap, for games that define it
// (Game.equilibriumGap). Agent i's gap is C(x_i; m) − min_y C(y; m), how much it could lower its own
// cost by changing its own state alone with the population statistic held fixed; a population
// reports the mean and the largest gap over its agents, at the final turn and turn by turn.
import { join } from 'node:path';
import type { ExperimentConfig } from '../config.ts';
import type { Game } from '../game.ts';
import { linePlot, writeSvg } from '../plot/figures.ts';
import { streamOf } from '../streams.ts';

/** The mean and the largest equilibrium gap over the agents (of one or several populations). */
export interface NashGap {
  mean: number;
  max: number;
}

/** The gap at one save time. */
export interface NashGapTurn extends NashGap {
  t: number;
}

/**
 * The gap pooled over populations (each [agents]): the mean over every agent of every population
 * and the largest of them; null when the game defines no gap. Random statistics (El Farol) come
 * from the seed's own stream, so a report's gap does not depend on what ran before it.
 */
export function nashGap<C extends ExperimentConfig>(game: Game<C>, config: C, populations: ArrayLike<number>[], seed: number): NashGap | null {
  if (!game.equilibriumGap || populations.length === 0) return null;
  const rng = streamOf(seed, 'equilibriumGap');
  let sum = 0;
  let count = 0;
  let max = -Infinity;
  for (const population of populations) {
    const gaps = game.equilibriumGap(config, Float64Array.from(population), rng);
    for (const g of gaps) {
      sum += g;
      count++;
      if (g > max) max = g;
    }
  }
  return { mean: sum / count, max };
}

/** The gap of one trajectory at each save time (states[k]: the population at times[k]); null without a gap. */
export function nashGapTurns<C extends ExperimentConfig>(game: Game<C>, config: C, times: number[], states: ArrayLike<number>[], seed: number): NashGapTurn[] | null {
  if (!game.equilibriumGap) return null;
  return times.map((t, k) => ({ t, ...nashGap(game, config, [states[k]], seed)! }));
}

/**
 * What a training or evaluation report says about the equilibrium gap: `nashGap` of the trained
 * model and `mfgOnlyNashGap` of the MFG-only dynamics at the final turn, pooled over the evaluation
 * populations, and `nashGapTurns` of one trajectory of each, turn by turn (nash-gap.svg). Empty for
 * games that define no gap; `trajectories` is only run for games that do.
 */
export async function equilibriumReport<C extends ExperimentConfig>(
  dir: string,
  game: Game<C>,
  config: C,
  seed: number,
  r: {
    finals: { model: ArrayLike<number>[]; mfgOnly: ArrayLike<number>[] };
    /** one trajectory of each at the save times [saves][agents] */
    trajectories: () => { model: ArrayLike<number>[]; mfgOnly: ArrayLike<number>[] };
    title: string;
  },
): Promise<{ summary: Record<string, unknown>; files: string[] }> {
  if (!game.equilibriumGap) return { summary: {}, files: [] };
  const times = config.time.saveAt;
  const { model, mfgOnly } = r.trajectories();
  const turns = { model: nashGapTurns(game, config, times, model, seed)!, mfgOnly: nashGapTurns(game, config, times, mfgOnly, seed)! };
  const file = await writeNashGapFigure(dir, r.title, [
    { name: 'model', turns: turns.model },
    { name: 'MFG only', turns: turns.mfgOnly },
  ]);
  return {
    summary: {
      nashGap: nashGap(game, config, r.finals.model, seed),
      mfgOnlyNashGap: nashGap(game, config, r.finals.mfgOnly, seed),
      nashGapTurns: turns,
    },
    files: [file],
  };
}

/** nash-gap.svg: the mean (and largest) gap against the save time, one pair of lines per trajectory named. */
export async function writeNashGapFigure(dir: string, title: string, curves: { name: string; turns: NashGapTurn[] }[]): Promise<string> {
  const series = curves.flatMap(({ name, turns }) => [
    { name: `${name}: mean`, x: turns.map((g) => g.t), y: turns.map((g) => g.mean) },
    { name: `${name}: largest`, x: turns.map((g) => g.t), y: turns.map((g) => g.max) },
  ]);
  const file = 'nash-gap.svg';
  await writeSvg(join(dir, file), await linePlot({ title, xTitle: 't', yTitle: 'Equilibrium gap C(x_i; m) − min_y C(y; m)', series }));
  return file;
}
