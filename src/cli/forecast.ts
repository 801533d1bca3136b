// `neural-mfg forecast RUN_DIR [MORE_RUNS...] --days 28 [--data FILE] --out DIR`: the flags become a forecast
// request (src/run/requests.ts), checked with the flags' names in its errors, which the run layer
// executes (src/run/forecast.ts): a trained epidemic run projected past its window, with bands and
// baselines; progress on stderr, the scores on stdout.
import type { Command } from 'commander';
import { FORECAST_DEFAULTS, parseRequest } from '../run/requests.ts';
import { runRequest, UsageError } from './options.ts';

/** The flag of each field of the request: its errors name what was typed ("--days 0: the horizon …"). */
const FLAGS = { run: 'RUN_DIR', members: 'MORE_RUNS', combine: '--combine', days: '--days', data: '--data', out: '--out', paths: '--paths', seed: '--seed', calibrate: '--no-calibration', force: '--force' };

/** A flag's text as a number where it is one; otherwise as typed, for the request's check to refuse by name. */
const numeric = (text: unknown) => (typeof text === 'string' && text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text);

/** Registers `forecast` on the program. */
export function registerForecast(program: Command): void {
  program
    .command('forecast')
    .argument('<run-dir>', 'a training run of the epidemic game (neural-mfg train epidemic --out DIR)')
    .argument('[more-runs...]', 'other runs fitted on the same window with other seeds (train --seed N): an ensemble with the first run, combined as --combine says')
    .description('project a fitted epidemic run past its window: forecast.csv (7-day mean of daily new confirmed cases: median, 50% and 90% bands), the baselines (SIR by least squares, naive growth, the game without the network), a figure and the errors where the data cover the horizon')
    .option('--days <n>', `days forecast after the window (default ${FORECAST_DEFAULTS.days})`)
    .option('--data <file.csv>', "observations to score against (the upstream Japanese file or the generic format date,confirmed[,fatal,severe,population]; default: the run's own)")
    .option('--out <dir>', 'output folder (forecast.csv, baselines.csv, forecast.svg/.png, summary.json, no-network/)')
    .option('--combine <how>', "with several runs (an ensemble): median (each band the median over the runs of that run's band, the COVID-19 Forecast Hubs' ensemble; default) or pool (the bands of all their paths together)")
    .option('--paths <n>', `noise paths behind the bands (default ${FORECAST_DEFAULTS.paths})`)
    .option('--seed <n>', "seed of the paths (default: the run's own)")
    .option('--no-calibration', "the model's own noise paths as they are: without the anchor on the last observed week and the dispersion fitted on the window")
    .option('--force', "write into an --out that holds another run's results (they are removed first)")
    .addHelpText('after', '\nExamples:\n  $ neural-mfg train epidemic --out runs/japan\n  $ neural-mfg forecast runs/japan --days 28 --out runs/japan-forecast\n  # an ensemble of three seeds (the rolling evaluation\'s forecast):\n  $ neural-mfg train epidemic --seed 11 --out runs/japan-11 && neural-mfg train epidemic --seed 12 --out runs/japan-12\n  $ neural-mfg forecast runs/japan runs/japan-11 runs/japan-12 --out runs/japan-forecast')
    .action(async (run: string, members: string[], opts: Record<string, unknown>) => {
      if (!opts.out) throw new UsageError('forecast needs --out DIR');
      const raw = {
        kind: 'forecast',
        run,
        ...(members.length > 0 ? { members } : {}),
        combine: opts.combine,
        days: numeric(opts.days),
        data: opts.data,
        paths: numeric(opts.paths),
        seed: numeric(opts.seed),
        ...(opts.calibration === false ? { calibrate: false } : {}),
        out: opts.out,
        force: opts.force === true,
      };
      await runRequest(parseRequest(raw, { flags: FLAGS }));
    });
}
