// `neural-mfg analyze GAME --preset NAME`: one of the game's analyses (the sweeps of experiments
// behind a paper figure), run from the preset of the same name through the run layer
// (src/run/analysis.ts). Several points or seeds run as a sweep (src/sweep/analysis.ts): a job per
// point and seed on every core, or `--plan-only` for a cluster.
import type { Command } from 'commander';
import { GAMES } from '../../games/index.ts';
import { analysisFolder, analysisOf } from '../run/analysis.ts';
import { claimSweepFolder } from '../run/folder.ts';
import type { AnalyzeRequest } from '../run/requests.ts';
import { runAnalysisSweep } from '../sweep/analysis.ts';
import { parseSeeds } from '../sweep/manifest.ts';
import { engineAsk, experimentSpec, parseCount, runRequest, UsageError, withCommonOptions, workersOption, type CommonOptions } from './options.ts';

export interface AnalyzeCommandOptions extends CommonOptions {
  quick?: boolean;
  data?: string;
  seeds?: string;
  workers: number;
  retries: number;
  planOnly?: boolean;
}

export function registerAnalyze(program: Command): void {
  const cmd = withCommonOptions(
    program
      .command('analyze')
      .argument('<game>', `one of: ${Object.keys(GAMES).join(', ')}`)
      .description("run one of the game's analyses (the sweeps behind a paper figure) from the preset of the same name, e.g. analyze liars-dice --preset data-efficiency"),
    'output folder (summary.json, one CSV per table, SVG figures; default runs/GAME-PRESET)',
  )
    .option('--quick', "a reduced preview (fewer sweep points, steps and test games), not the paper's setting")
    .option('--data <csv>', "training observations from a CSV file instead of generated ones (the game's schema; see its README)")
    .option('--seeds <list>', 'run every point with each of these seeds (e.g. 10-14): the tables and figures show the mean and 95% CI over seeds')
    .addOption(workersOption('processes that run the points at once'))
    .option('--retries <n>', 'extra attempts for a point that fails', parseCount('--retries'), 1)
    .option('--plan-only', 'write the sweep (DIR/sweep.json, a job per point and seed) without running it: for sweep run, sweep export or a queue');
  cmd.action(async (game: string, opts: AnalyzeCommandOptions) => {
    const started = performance.now();
    const spec = experimentSpec(game, opts);
    const names = Object.keys(GAMES[spec.game].analyses ?? {});
    if (names.length === 0) throw new UsageError(`game "${spec.game}" has no analyses`);
    if (!opts.preset) throw new UsageError(`analyze ${spec.game} needs --preset: one of ${names.join(', ')}`);
    const seeds = opts.seeds ? parseSeeds(opts.seeds) : [opts.seed];
    const req: AnalyzeRequest = { kind: 'analyze', ...spec, preset: opts.preset, ...engineAsk(opts), seed: seeds[0], ...(opts.quick ? { quick: true } : {}), ...(opts.data ? { data: opts.data } : {}), out: opts.out, force: opts.force === true };
    const { analysis, exp } = analysisOf(req);
    process.stderr.write(`analyze ${spec.game} ${exp.preset}${opts.quick ? ' (quick preview)' : ''}: ${analysis.description}\n`);
    if (!(analysis.sweep && (opts.planOnly || analysis.sweep.points(exp.config).length > 1 || seeds.length > 1))) return runRequest(req);
    // the same analysis into its folder goes on where it stopped (--force: afresh); another run's results are refused
    const dir = analysisFolder(req);
    const claim = await claimSweepFolder(dir, { command: 'analyze', game: spec.game, force: opts.force === true });
    try {
      const r = await runAnalysisSweep(dir, req, { seeds, label: `analyze ${exp.preset}`, workers: opts.workers, retries: opts.retries, planOnly: opts.planOnly === true, force: opts.force === true, started });
      (r.code === 0 ? process.stdout : process.stderr).write(r.text);
      if (r.code !== 0) process.exitCode = r.code;
    } finally {
      await claim.release();
    }
  });
}
