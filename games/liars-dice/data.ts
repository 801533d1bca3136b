// Liar's dice observations (docs/liars-dice.md §10): one datum is one game's complete roll X, P × D faces
// drawn iid from Categorical(y_true). CSV schema: one row per die, `game,player,die,face` with
// 0-based player and die indices and faces 1..F.
import type { Dataset } from '../../src/game.ts';
import { readLongTable, writeLongTable } from '../../src/data/csv.ts';
import type { RandomStream } from '../../src/random.ts';
import { randomStreams } from '../../src/streams.ts';
import type { CarryLayout } from './carry.ts';
import { sampleFace } from './rules.ts';

export const CSV_HEADER = ['game', 'player', 'die', 'face'];

/** y_true of the training scripts: (0.1, 0.2, 0.0, 0.4, 0.1, 0.2) (docs/liars-dice.md §10) */
export const REFERENCE_ODDS = [0.1, 0.2, 0.0, 0.4, 0.1, 0.2];

/** `games` rolls [games, P, D] with faces 1..F drawn iid from Categorical(odds) (the data stream). */
export function rollDice(rng: RandomStream, odds: number[], layout: CarryLayout, games: number): Dataset {
  if (odds.length !== layout.faces) throw new Error(`rollDice: odds has ${odds.length} entries, expected ${layout.faces} faces`);
  const n = games * layout.players * layout.dice;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = sampleFace(rng, odds);
  return { values, shape: [games, layout.players, layout.dice], labels: Array.from({ length: games }, (_, g) => String(g)) };
}

/** The rolls of a dataset as integer faces [games, P, D]. */
export function rollsOf(data: Dataset): Int32Array {
  return Int32Array.from(data.values);
}

/**
 * Reads `game,player,die,face` (columns by name, any order). Errors name the file, line and
 * column: a face outside 1..F, a player or die index out of range (a player with more dice), a
 * game in which some player lacks a die (reported on the game's first line), a duplicate die.
 */
export async function readRolls(file: string, layout: CarryLayout): Promise<Dataset> {
  const { labels, values, shape } = await readLongTable(file, {
    label: 'game',
    indices: [
      { name: 'player', size: layout.players },
      { name: 'die', size: layout.dice },
    ],
    value: { name: 'face', kind: 'integer', min: 1, max: layout.faces },
  });
  return { labels, values, shape };
}

/** Writes a dataset [games, P, D] as `game,player,die,face`, one row per die. */
export async function writeRolls(file: string, data: Dataset): Promise<void> {
  await writeLongTable(file, CSV_HEADER, data);
}

export interface DataFileSpec {
  file: string;
  games: number;
  /** the experiment seed whose `data` stream rolls the dice */
  seed: number;
}

/**
 * Writes the shipped data files (data/liars-dice/{train,validation}.csv): 5 players × 30 dice,
 * odds y_true, each file from the data stream of its own seed. Run once by hand:
 * `npx tsx -e "import('./games/liars-dice/data.ts').then((m) => m.writeDataFiles())"`.
 */
export async function writeDataFiles(
  layout: CarryLayout = { players: 5, dice: 30, faces: 6 },
  odds: number[] = REFERENCE_ODDS,
  files: DataFileSpec[] = [
    { file: 'data/liars-dice/train.csv', games: 100, seed: 1 },
    { file: 'data/liars-dice/validation.csv', games: 20, seed: 2 },
  ],
): Promise<void> {
  for (const spec of files) {
    await writeRolls(spec.file, rollDice(randomStreams(spec.seed).data, odds, layout, spec.games));
  }
}

