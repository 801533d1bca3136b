// A generate request: synthetic observations from the game's data generator, seeded, or simulated
// from its own mean-field dynamics (`generate --from-dynamics`), in place of the paper's generator: every sample is one initial population of the configuration,
// solved by the MFG dynamics alone (no network) to the last save time and observed as the game
// observes its states (Game.observations.fromStates; a time series: its path through every save
// time). The configuration's parameters are then the truth a recovery (train --learn) can be
// checked against.
import { access, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { ExperimentConfig } from '../config.ts';
import type { Dataset } from '../game.ts';
import type { EngineName } from '../mfg/engine.ts';
import { randomStreams } from '../streams.ts';
import { writeJsonAtomic } from '../io/atomic.ts';
import { buildModel, experimentOf, type Experiment } from './experiment.ts';
import { chooseEngine } from './engine.ts';
import { createFolder, OutputFolderError } from './folder.ts';
import { RequestError, type GenerateRequest } from './requests.ts';
import type { RunIO } from './io.ts';
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

/** Typed arrays hold at most this many values (V8), whatever the memory. */
const MAX_VALUES = 2 ** 31 - 1;

const gb = (bytes: number) => (bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.ceil(bytes / 1e6)} MB`);

/** The CSV file to write: not a folder, not a file of the user's unless force, in a writable folder. */
async function checkTarget(out: string, force: boolean): Promise<void> {
  const s = await stat(out).catch(() => null);
  if (s?.isDirectory()) throw new RequestError(`${out} is a folder; generate --out needs a CSV file name, e.g. ${join(out, 'observations.csv')}`);
  if (s && !force) throw new RequestError(`${out} exists; choose another --out, or pass --force to replace it`);
  const dir = dirname(resolve(out));
  await createFolder(dir).catch((err) => Promise.reject(err instanceof OutputFolderError ? new RequestError(err.message.replace(/--out needs a folder/, 'generate --out needs a CSV file name in a folder')) : err));
  try {
    await access(dir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RequestError(`${out}: cannot write there (${code === 'ENOTDIR' || code === 'EEXIST' ? 'a file is in the way of its folder' : 'permission denied'}); choose another --out`);
  }
}

/** `generate GAME`: the observations written to the CSV file `out`, with OUT.summary.json beside it. */
export async function runGenerate(r: GenerateRequest, io: RunIO): Promise<number> {
  if (!r.out) throw new RequestError('generate needs --out FILE.csv');
  const exp = experimentOf(r, 'generate');
  const samples = r.samples ?? exp.config.training.trainSamples;
  await checkTarget(r.out, r.force === true);
  // the observations are generated in memory, then written: refuse what cannot fit
  const perSample = exp.game.observations.generate(exp.config, randomStreams(r.seed).data, 1).values.length;
  const bytes = samples * perSample * Float32Array.BYTES_PER_ELEMENT;
  const budget = Math.min(totalmem() / 4, MAX_VALUES * Float32Array.BYTES_PER_ELEMENT);
  if (bytes > budget) {
    const most = Math.floor(budget / (perSample * Float32Array.BYTES_PER_ELEMENT));
    throw new RequestError(
      `--samples ${samples}: ${gb(bytes)} of observations (${perSample} values each) is more than generate holds in memory here (${gb(budget)}); ` +
        `use --samples ${most} or fewer`,
    );
  }
  let data;
  if (r.fromDynamics) {
    if (!exp.game.observations.fromStates) throw new RequestError(`--from-dynamics: the ${exp.game.name} game does not observe its own simulated states; drop it to use the game's data generator`);
    const choice = await chooseEngine(exp.game, exp.config, r);
    if (choice.note) io.note(`note: ${choice.note}`);
    data = generateFromDynamics(exp, r.seed, choice.name, samples);
  } else {
    data = exp.game.observations.generate(exp.config, randomStreams(r.seed).data, samples);
  }
  await exp.game.observations.write(r.out, data);
  const values = exp.game.observations.comparableValues?.(data, exp.config) ?? data.values;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  const mean = sum / values.length;
  const summaryPath = r.out.replace(/\.csv$/i, '') + '.summary.json';
  await writeJsonAtomic(summaryPath, {
    command: 'generate',
    game: exp.game.name,
    preset: exp.preset,
    seed: r.seed,
    samples,
    header: exp.game.observations.csvHeader,
    mean,
    // --from-dynamics: the mechanics (and noise) the observations were simulated with are the truth
    ...(r.fromDynamics ? { fromDynamics: true, mechanics: exp.config.mechanics, noise: exp.config.noise, time: exp.config.time } : { data: exp.config.data }),
  });
  io.out(`wrote ${samples} samples to ${r.out} (mean ${mean.toFixed(4)}); details in ${summaryPath}`);
  return 0;
}
