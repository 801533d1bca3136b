// Observations simulated from a game's own mean-field dynamics (`generate --from-dynamics`), in place
// of the paper's data generator: every sample is one initial population of the configuration,
// solved by the MFG dynamics alone (no network) to the last save time and observed as the game
// observes its states (Game.observations.fromStates; a time series: its path through every save
// time). The configuration's parameters are then the truth a recovery (train --learn) can be
// checked against.
import type { ExperimentConfig } from '../config.ts';
import type { Dataset } from '../game.ts';
import type { EngineName } from '../mfg/engine.ts';
import { buildModel, type Experiment } from './experiment.ts';
import { lossInput, lossTimes } from '../mfg/observed.ts';

/** samples solved at once (bounds the memory of a large request; the numbers do not depend on it) */
const BLOCK = 1024;

/**
 * `samples` observations of the MFG-only dynamics: initial populations from the seed's
 * initial-state stream (a fresh one per sample, whatever `training.initialState` says), noise from
 * its dynamics stream (`noise.path` frozen: one path shared by every sample; fresh: one each), the
 * observation's own randomness (El Farol's counts) from its data stream.
 */
export function generateFromDynamics<C extends ExperimentConfig>(exp: Experiment<C>, seed: number, engine: EngineName, samples: number): Dataset {
  const { game, config } = exp;
  const observe = game.observations.fromStates;
  if (!observe) throw new Error(`generate --from-dynamics: the ${game.name} game does not observe its own simulated states; use its data generator`);
  if (!Number.isInteger(samples) || samples < 1) throw new RangeError(`generate --from-dynamics: samples must be a positive whole number, got ${samples}`);
  const { model, streams } = buildModel(exp, seed, engine);
  // what the data observe: the last save time, or every one (a time series: each sample one path)
  const times = lossTimes(game, config);
  const per = times.length * model.size;
  const finals: Float32Array[] = [];
  for (let start = 0; start < samples; start += BLOCK) {
    const n = Math.min(BLOCK, samples - start);
    const y0 = new Float32Array(n * model.size);
    for (let s = 0; s < n; s++) y0.set(game.initialState(config, streams.initialState), s * model.size);
    const run = model.simulate({ y0, trajectories: n, path: model.nextPath(n), network: false, saveAt: times });
    const observed = lossInput(game, run.states, times.length, n, model.size);
    for (let s = 0; s < n; s++) finals.push(observed.subarray(s * per, (s + 1) * per));
  }
  return observe(finals, config, streams.data);
}
