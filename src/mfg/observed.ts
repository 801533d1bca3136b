// What a game's loss reads of a solve (Game.observations.observes): the observed states at the last
// save time, or, for games whose data are time series (the epidemic's daily counts), each
// trajectory's whole path through every save time. Engines solve to [saves, trajectories, ...state];
// a path loss reads [trajectories, saves, ...state] (one trajectory's path contiguous, as one
// observed sample is [saves, ...]), and its gradient comes back the same way.
import type { ExperimentConfig } from '../config.ts';
import type { Game } from '../game.ts';

/** true when the game's data observe every save time (a time series), not the last one. */
export function observesPaths<C extends ExperimentConfig>(game: Game<C>): boolean {
  return game.observations.observes === 'trajectory';
}

/** The save times the loss reads: the last one, or every one for games that observe paths. */
export function lossTimes<C extends ExperimentConfig>(game: Game<C>, config: C): number[] {
  const { saveAt } = config.time;
  return observesPaths(game) ? saveAt.slice() : [saveAt[saveAt.length - 1]];
}

/**
 * Swaps the two leading axes of blocks of `size` values: [a, b, size] → [b, a, size] (saved
 * states [saves, n, size] into paths [n, saves, size], and a path gradient back).
 */
export function swapLeadingAxes<T extends Float32Array | Float64Array>(src: T, a: number, b: number, size: number): T {
  const out = new (src.constructor as { new (n: number): T })(src.length);
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < b; j++) out.set(src.subarray((i * b + j) * size, (i * b + j + 1) * size), (j * a + i) * size);
  }
  return out;
}

/**
 * What the loss of a solve compares with the observations, from its saved states [saves, n, size]
 * at lossTimes: the final states [n, size] as they are, or the paths [n, saves, size].
 */
export function lossInput<C extends ExperimentConfig>(game: Game<C>, states: Float32Array, saves: number, n: number, size: number): Float32Array {
  return observesPaths(game) && saves > 1 ? swapLeadingAxes(states, saves, n, size) : states;
}
