// The registry of games: the CLI finds games here. Adding a game = one folder + one line.
import type { Game } from '../src/game.ts';
import { meeting } from './meeting/index.ts';
import { elFarol } from './el-farol/index.ts';
import { liarsDice } from './liars-dice/index.ts';
import { lq } from './lq/index.ts';
import { epidemic } from './epidemic/index.ts';

export const GAMES: Record<string, Game<any>> = {
  [meeting.name]: meeting,
  [elFarol.name]: elFarol,
  [liarsDice.name]: liarsDice,
  [lq.name]: lq,
  [epidemic.name]: epidemic,
};

export function gameByName(name: string): Game<any> {
  const g = GAMES[name];
  if (!g) throw new Error(`unknown game "${name}": choose one of ${Object.keys(GAMES).join(', ')}`);
  return g;
}
