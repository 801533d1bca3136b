// `neural-mfg forecast RUN_DIR --days 28 [--data FILE] --out DIR`: a trained epidemic run
// projected past its window, with bands and baselines (src/run/forecast.ts); progress on stderr,
// the scores on stdout.
import type { Command } from 'commander';
import { forecastRequest, forecastRun, ForecastRequestError } from '../run/forecast.ts';
import { FORECAST_DEFAULTS } from '../run/forecast-request.ts';
import { UsageError } from './options.ts';

const fmt = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? '—' : v.toFixed(digits));

export async function forecastCommand(run: string, members: string[], opts: Record<string, unknown>): Promise<void> {
  let req;
  try {
    req = forecastRequest({ run, members, combine: opts.combine, days: opts.days, data: opts.data, out: opts.out, paths: opts.paths, seed: opts.seed, calibrate: opts.calibration !== false, force: opts.force === true });
  } catch (err) {
    if (err instanceof ForecastRequestError) throw new UsageError(err.message);
    throw err;
  }
  const { summary } = await forecastRun(req, { progress: (line) => process.stderr.write(`${line}\n`) });
  const s = summary.scores;
  const who = summary.members.length === 0 ? summary.run : `${summary.run} and ${summary.members.length} more run${summary.members.length === 1 ? '' : 's'} (an ensemble)`;
  process.stdout.write(`forecast of ${who}: fitted ${summary.window.from} to ${summary.window.to}, ${summary.horizon.days} days ahead (${summary.horizon.from} to ${summary.horizon.to}), ${summary.paths} paths\n`);
  if (summary.coveredDays === 0) {
    process.stdout.write(`  the data end before the horizon: nothing to score (${summary.data})\n`);
  } else {
    process.stdout.write(`  ${summary.coveredDays} held-out days with data; MALE (mean |log10 error| of the 7-day mean), peak date error (days), peak height error:\n`);
    const row = (name: string, p: { male: number; peakDateError: number; peakHeightError: number } | null | undefined) =>
      `  ${name.padEnd(26)}${fmt(p?.male).padStart(8)}${(p ? String(p.peakDateError) : '—').padStart(8)}${(p ? `${(100 * p.peakHeightError).toFixed(0)}%` : '—').padStart(9)}\n`;
    process.stdout.write(row('model (median)', s.model));
    process.stdout.write(row('SIR (least squares)', s.sir));
    process.stdout.write(row('naive (last week\'s growth)', s.naive));
    process.stdout.write(row('game without the network', s.no_network));
    process.stdout.write(`  band coverage of the held-out days: 50% band ${fmt(summary.coverage50, 2)}, 90% band ${fmt(summary.coverage90, 2)}\n`);
  }
  process.stdout.write(`wrote ${req.out}/: ${summary.files.join(', ')}, summary.json (${summary.wallSeconds.toFixed(1)} s)\n`);
}

/** Registers `forecast` on the program. */
export function registerForecast(program: Command): void {
  program
    .command('forecast')
    .argument('<run-dir>', 'a training run of the epidemic game (neural-mfg train epidemic --out DIR)')
    .argument('[more-runs...]', 'other runs fitted on the same window with other seeds (train --seed N): an ensemble, its paths pooled with the first run\'s')
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
      await forecastCommand(run, members, opts);
    });
}
