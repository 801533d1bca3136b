// `neural-mfg generate GAME --samples N --out FILE.csv`: synthetic observations from the game's
// data generator, seeded.
import { randomStreams } from '../run/streams.ts';
import { resolveExperiment, startEngine, UsageError, type CommonOptions } from './experiment.ts';
import { generateFromDynamics } from '../run/generate.ts';
import { writeJsonAtomic } from '../io/atomic.ts';
import { access, stat } from 'node:fs/promises';
import { createFolder, OutputFolderError } from '../run/folder.ts';
import { constants } from 'node:fs';
import { totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** Typed arrays hold at most this many values (V8), whatever the memory. */
const MAX_VALUES = 2 ** 31 - 1;

const gb = (bytes: number) => (bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.ceil(bytes / 1e6)} MB`);

/** The CSV file to write: not a folder, not a file of the user's unless --force, in a writable folder. */
async function checkTarget(out: string, force: boolean): Promise<void> {
  const s = await stat(out).catch(() => null);
  if (s?.isDirectory()) throw new UsageError(`${out} is a folder; generate --out needs a CSV file name, e.g. ${join(out, 'observations.csv')}`);
  if (s && !force) throw new UsageError(`${out} exists; choose another --out, or pass --force to replace it`);
  const dir = dirname(resolve(out));
  await createFolder(dir).catch((err) => Promise.reject(err instanceof OutputFolderError ? new UsageError(err.message.replace(/--out needs a folder/, 'generate --out needs a CSV file name in a folder')) : err));
  try {
    await access(dir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`${out}: cannot write there (${code === 'ENOTDIR' || code === 'EEXIST' ? 'a file is in the way of its folder' : 'permission denied'}); choose another --out`);
  }
}

export async function generateCommand(gameName: string, opts: CommonOptions & { samples?: number; fromDynamics?: boolean }): Promise<void> {
  if (!opts.out) throw new UsageError('generate needs --out FILE.csv');
  const exp = resolveExperiment(gameName, opts, 'generate');
  const samples = opts.samples ?? exp.config.training.trainSamples;
  await checkTarget(opts.out, opts.force === true);
  // the observations are generated in memory, then written: refuse what cannot fit
  const perSample = exp.game.observations.generate(exp.config, randomStreams(opts.seed).data, 1).values.length;
  const bytes = samples * perSample * Float32Array.BYTES_PER_ELEMENT;
  const budget = Math.min(totalmem() / 4, MAX_VALUES * Float32Array.BYTES_PER_ELEMENT);
  if (bytes > budget) {
    const most = Math.floor(budget / (perSample * Float32Array.BYTES_PER_ELEMENT));
    throw new UsageError(
      `--samples ${samples}: ${gb(bytes)} of observations (${perSample} values each) is more than generate holds in memory here (${gb(budget)}); ` +
        `use --samples ${most} or fewer`,
    );
  }
  let data;
  if (opts.fromDynamics) {
    if (!exp.game.observations.fromStates) throw new UsageError(`--from-dynamics: the ${exp.game.name} game does not observe its own simulated states; drop it to use the game's data generator`);
    const { engine } = await startEngine(exp.game, exp.config, opts);
    data = generateFromDynamics(exp, opts.seed, engine, samples);
  } else {
    data = exp.game.observations.generate(exp.config, randomStreams(opts.seed).data, samples);
  }
  await exp.game.observations.write(opts.out, data);
  const values = exp.game.observations.comparableValues?.(data, exp.config) ?? data.values;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  const mean = sum / values.length;
  const summaryPath = opts.out.replace(/\.csv$/i, '') + '.summary.json';
  await writeJsonAtomic(summaryPath, {
    command: 'generate',
    game: exp.game.name,
    preset: exp.preset,
    seed: opts.seed,
    samples,
    header: exp.game.observations.csvHeader,
    mean,
    // --from-dynamics: the mechanics (and noise) the observations were simulated with are the truth
    ...(opts.fromDynamics ? { fromDynamics: true, mechanics: exp.config.mechanics, noise: exp.config.noise, time: exp.config.time } : { data: exp.config.data }),
  });
  process.stdout.write(`wrote ${samples} samples to ${opts.out} (mean ${mean.toFixed(4)}); details in ${summaryPath}\n`);
}
