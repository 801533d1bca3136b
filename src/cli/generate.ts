// `neural-mfg generate GAME --samples N --out FILE.csv`: synthetic observations from the game's data
// generator (or its own dynamics, --from-dynamics), seeded, through the run layer (src/run/generate.ts).
import type { Command } from 'commander';
import { GAMES } from '../../games/index.ts';
import { engineAsk, experimentSpec, parsePositiveInt, runRequest, UsageError, withCommonOptions, type CommonOptions } from './options.ts';

export function registerGenerate(program: Command): void {
  withCommonOptions(
    program.command('generate').argument('<game>', `one of: ${Object.keys(GAMES).join(', ')}`).description("draw synthetic observations from the game's data generator"),
    'CSV file to write',
  )
    .option('--samples <n>', "number of samples (default: the preset's training.trainSamples)", parsePositiveInt('--samples'))
    .option('--from-dynamics', "simulate the observations from the game's own MFG dynamics under the configuration (its --set values are the truth a recovery checks) instead of drawing them from its data generator")
    .action(async (game: string, opts: CommonOptions & { samples?: number; fromDynamics?: boolean }) => {
      if (!opts.out) throw new UsageError('generate needs --out FILE.csv');
      await runRequest({
        kind: 'generate',
        ...experimentSpec(game, opts),
        ...engineAsk(opts),
        seed: opts.seed,
        ...(opts.samples !== undefined ? { samples: opts.samples } : {}),
        ...(opts.fromDynamics ? { fromDynamics: true } : {}),
        out: opts.out,
        force: opts.force === true,
      });
    });
}
