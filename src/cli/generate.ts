// `neural-mfg generate GAME --samples N --out FILE.csv`: synthetic observations from the game's
// data generator, seeded.
import { randomStreams } from '../run/streams.ts';
import { resolveExperiment, UsageError, type CommonOptions } from './experiment.ts';
import { writeJsonAtomic } from '../io/atomic.ts';

export async function generateCommand(gameName: string, opts: CommonOptions & { samples?: number }): Promise<void> {
  if (!opts.out) throw new UsageError('generate needs --out FILE.csv');
  const exp = resolveExperiment(gameName, opts, 'generate');
  const samples = opts.samples ?? exp.config.training.trainSamples;
  const rng = randomStreams(opts.seed).data;
  const data = exp.game.observations.generate(exp.config, rng, samples);
  await exp.game.observations.write(opts.out, data);
  const values = exp.game.observations.comparableValues?.(data, exp.config) ?? Array.from(data.values);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const summaryPath = opts.out.replace(/\.csv$/i, '') + '.summary.json';
  await writeJsonAtomic(summaryPath, {
    command: 'generate',
    game: exp.game.name,
    preset: exp.preset,
    seed: opts.seed,
    samples,
    header: exp.game.observations.csvHeader,
    mean,
    data: exp.config.data,
  });
  process.stdout.write(`wrote ${samples} samples to ${opts.out} (mean ${mean.toFixed(4)}); details in ${summaryPath}\n`);
}
