// `neural-mfg analyze GAME --preset NAME`: one of the game's analyses (the sweeps of experiments
// behind a paper figure), run from the preset of the same name. Several points or seeds run as a
// sweep (src/sweep/analysis.ts): a job per point and seed on every core, or `--plan-only` for a
// cluster. Writes DIR/summary.json, one CSV per table and the figures, prints one line per
// sweep point (stderr) and the final table.
import { join } from 'node:path';
import { gameByName } from '../../games/index.ts';
import { claimSweepFolder } from '../run/folder.ts';
import { runAnalysisSweep, writeAnalysis } from '../sweep/analysis.ts';
import { parseSeeds, type AnalysisPlan } from '../sweep/manifest.ts';
import { bundleArgv, copyInputs } from '../sweep/inputs.ts';
import { resolveExperiment, startEngine, UsageError, type CommonOptions } from './experiment.ts';

export interface AnalyzeCommandOptions extends CommonOptions {
  /** the analysis's reduced preview settings, applied before --set */
  quick?: boolean;
  /** training observations from a CSV file instead of generated ones */
  data?: string;
  seeds?: string;
  workers: number;
  retries: number;
  planOnly?: boolean;
  force?: boolean;
}

/** `shared`: the command's own options as given, for the jobs of a sweep (without --out, --seed(s) and the sweep's options). */
export async function analyzeCommand(gameName: string, opts: AnalyzeCommandOptions, shared: string[] = []): Promise<number> {
  const started = performance.now();
  const game = gameByName(gameName);
  const names = Object.keys(game.analyses ?? {});
  if (names.length === 0) throw new UsageError(`game "${game.name}" has no analyses`);
  if (!opts.preset) throw new UsageError(`analyze ${game.name} needs --preset: one of ${names.join(', ')}`);
  const analysis = game.analyses?.[opts.preset];
  if (!analysis) throw new UsageError(`game "${game.name}" has no analysis "${opts.preset}": choose one of ${names.join(', ')}`);
  const quick = opts.quick ? analysis.quick : [];
  const exp = resolveExperiment(game.name, { ...opts, set: [...quick, ...opts.set] }, 'train');
  const dir = opts.out ?? join('runs', `${game.name}-${exp.preset}${opts.quick ? '-quick' : ''}`);
  const seeds = opts.seeds ? parseSeeds(opts.seeds) : [opts.seed];
  const plan: AnalysisPlan = { game: game.name, name: exp.preset, description: analysis.description, quick: opts.quick ?? false, overrides: [...quick, ...opts.set], dataFile: opts.data ?? null, config: exp.config };
  process.stderr.write(`analyze ${game.name} ${exp.preset}${opts.quick ? ' (quick preview)' : ''}: ${analysis.description}\n`);
  // the same analysis into its folder goes on where it stopped (--force: afresh); another run's results are refused
  const claim = await claimSweepFolder(dir, { command: 'analyze', game: game.name, force: opts.force === true });
  try {
    if (analysis.sweep && (opts.planOnly || analysis.sweep.points(exp.config).length > 1 || seeds.length > 1)) {
      const label = `analyze ${exp.preset}`;
      // the files the jobs read are copied into the sweep's folder (src/sweep/inputs.ts): it runs anywhere
      const bundled = await bundleArgv(shared);
      await copyInputs(dir, bundled.inputs);
      const r = await runAnalysisSweep(dir, game, plan, { shared: bundled.argv, seeds, label, workers: opts.workers, retries: opts.retries, planOnly: opts.planOnly === true, force: opts.force === true, started });
      (r.code === 0 ? process.stdout : process.stderr).write(r.text);
      return r.code;
    }
    const data = opts.data ? await exp.game.observations.read(opts.data, exp.config) : undefined;
    const { engine, backend } = await startEngine(exp.game, exp.config, opts);
    const result = await analysis.run({ game: exp.game, config: exp.config, seed: seeds[0], engine, ...(data ? { data, dataFile: opts.data } : {}), progress: (line) => process.stderr.write(`${line}\n`) });
    const wallSeconds = (performance.now() - started) / 1000;
    const files = await writeAnalysis(dir, result, { plan, seed: seeds[0], backend, engine, wallSeconds });
    process.stdout.write(`${result.text}\n${wallSeconds.toFixed(1)} s in all (seed ${seeds[0]}, ${engine} engine${backend ? ` on ${backend}` : ''})\n`);
    process.stdout.write(`wrote ${dir}/: summary.json, ${files.join(', ')}\n`);
    return 0;
  } finally {
    await claim.release();
  }
}
