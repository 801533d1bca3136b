// `neural-mfg train GAME` (or `train --resume DIR`): fit the neural term to observations (CSV, or
// generated from the seed) through the run layer (src/run/training.ts), with progress on stderr and
// the report on stdout. Ctrl-C stops after the current step and still saves everything trained so far.
import type { Command } from 'commander';
import { GAMES } from '../../games/index.ts';
import { engineAsk, experimentSpec, givenOptions, parseCount, runRequest, withCommonOptions } from './options.ts';
import { checkResumeOptions, freshRunSets, noisePathChosen, resumeSteps, type TrainCommandOptions } from './train-options.ts';

export type { TrainCommandOptions } from './train-options.ts';

export function registerTrain(program: Command): void {
  withCommonOptions(
    program.command('train').argument('[game]', `one of: ${Object.keys(GAMES).join(', ')}`).description('train the neural term on observations and save the model (checkpoints as it goes; --resume DIR continues)'),
    'output folder (model/, summary.json, metrics.csv, figures)',
  )
    .option('--data <file.csv>', 'training observations (default: generated from the seed as in the paper)')
    .option('--validation <file.csv>', 'validation observations (needs --data)')
    .option('--quiet', 'no progress output')
    .option('--resume <dir>', 'continue the interrupted run in DIR from DIR/checkpoint.json (to the same result as an uninterrupted run)')
    .option('--learn <fields>', "learn these mechanics parameters from the data (inverse MFG), e.g. --learn scheduledTime,quantile; they start at their configured values and stay in the game's range (inverse.learn)")
    .option('--bootstrap <K>', 'with --learn: retrain on K resamples of the training data and report a confidence interval per learned parameter (inverse.bootstrap)', parseCount('--bootstrap'))
    .action(async (game: string | undefined, opts: TrainCommandOptions, cmd: Command) => {
      const given = { ...opts, given: givenOptions(cmd) };
      // usage errors first (nothing touched); the run layer then claims the folder before any work
      if (opts.resume) {
        checkResumeOptions(given);
        const steps = resumeSteps(opts.set);
        await runRequest({ kind: 'resume', run: opts.resume, ...(game ? { game } : {}), ...(steps !== null ? { steps } : {}), ...engineAsk(opts) }, { quiet: opts.quiet });
        return;
      }
      const set = freshRunSets(game, given);
      if (opts.learn !== undefined && !noisePathChosen(given)) {
        process.stderr.write('note: --learn draws a fresh noise path for every solve (a frozen path would fit one realisation of the noise); --noise-path frozen keeps one\n');
      }
      const fresh = { ...experimentSpec(game!, { ...opts, set }), ...engineAsk(opts), seed: opts.seed, out: opts.out, force: opts.force === true };
      await runRequest({ kind: 'train', ...fresh, ...(opts.data ? { data: opts.data } : {}), ...(opts.validation ? { validation: opts.validation } : {}) }, { quiet: opts.quiet });
    });
}
