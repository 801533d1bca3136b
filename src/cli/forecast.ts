// `neural-mfg forecast RUN_DIR --days 28 [--data FILE] --out DIR`: the flags become a forecast
// request (src/run/requests.ts), checked with the flags' names in its errors, which the run layer
// executes (src/run/forecast.ts): a trained epidemic run projected past its window, with bands and
// baselines; progress on stderr, the scores on stdout.
import type { Command } from 'commander';
import { FORECAST_DEFAULTS, parseRequest } from '../run/requests.ts';
import { runRequest, UsageError } from './options.ts';

/** The flag of each field of the request: its errors name what was typed ("--days 0: the horizon …"). */
const FLAGS = { run: 'RUN_DIR', days: '--days', data: '--data', out: '--out', paths: '--paths', seed: '--seed', calibrate: '--no-calibration', force: '--force' };

/** A flag's text as a number where it is one; otherwise as typed, for the request's check to refuse by name. */
const numeric = (text: unknown) => (typeof text === 'string' && text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text);

/** Registers `forecast` on the program. */
export function registerForecast(program: Command): void {
  program
    .command('forecast')
    .argument('<run-dir>', 'a training run of the epidemic game (neural-mfg train epidemic --out DIR)')
    .description('project a fitted epidemic run past its window: forecast.csv (7-day mean of daily new confirmed cases: median, 50% and 90% bands), the baselines (SIR by least squares, naive growth, the game without the network), a figure and the errors where the data cover the horizon')
    .option('--days <n>', `days forecast after the window (default ${FORECAST_DEFAULTS.days})`)
    .option('--data <file.csv>', "observations to score against (the upstream Japanese file or the generic format date,confirmed[,fatal,severe,population]; default: the run's own)")
    .option('--out <dir>', 'output folder (forecast.csv, baselines.csv, forecast.svg/.png, summary.json, no-network/)')
    .option('--paths <n>', `noise paths behind the bands (default ${FORECAST_DEFAULTS.paths})`)
    .option('--seed <n>', "seed of the paths (default: the run's own)")
    .option('--no-calibration', "the model's own noise paths as they are: without the anchor on the last observed week and the dispersion fitted on the window")
    .option('--force', "write into an --out that holds another run's results (they are removed first)")
    .addHelpText('after', '\nExample:\n  $ neural-mfg train epidemic --out runs/japan\n  $ neural-mfg forecast runs/japan --days 28 --out runs/japan-forecast')
    .action(async (run: string, opts: Record<string, unknown>) => {
      if (!opts.out) throw new UsageError('forecast needs --out DIR');
      const raw = {
        kind: 'forecast',
        run,
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
