// `neural-mfg analyze GAME --preset NAME`: one of the game's analyses (the sweeps of experiments
// behind a paper figure), run from the preset of the same name. Several points or seeds run as a
// sweep (src/sweep/analysis.ts): a job per point and seed on every core, or `--plan-only` for a
// cluster. Writes DIR/summary.json, one CSV per table and the SVG figures, prints one line per
// sweep point (stderr) and the final table.
import { join } from 'node:path';
import { gameByName } from '../../games/index.ts';
import { combineAnalysis, analysisManifest, describePoint, writeAnalysis } from '../sweep/analysis.ts';
import { clearSweep, parseSeeds, writeManifest, type AnalysisPlan } from '../sweep/manifest.ts';
import { runSession, sessionVerdict } from '../sweep/session.ts';
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
  const points = analysis.sweep?.points(exp.config).length ?? 1;
  if (analysis.sweep && (opts.planOnly || points > 1 || seeds.length > 1)) {
    const manifest = analysisManifest(game, plan, shared, seeds);
    // the same analysis into the same folder goes on where it stopped; --force runs every point again
    if (opts.force) await clearSweep(dir);
    await writeManifest(dir, manifest, true);
    if (opts.planOnly) {
      process.stdout.write(`planned ${manifest.jobs.length} jobs (${points} points × ${seeds.length} seeds) in ${join(dir, 'sweep.json')}: ` +
        `run them with neural-mfg sweep run ${dir} (or sweep export ${dir} --to slurm|kubernetes), then neural-mfg sweep aggregate ${dir}\n`);
      return 0;
    }
    const run = await runSession(dir, manifest, { workers: opts.workers, retries: opts.retries, label: `analyze ${exp.preset}`, describe: (o) => describePoint(dir, manifest, o.job.index) });
    const verdict = sessionVerdict(dir, run);
    if (verdict.code !== 0) {
      process.stderr.write(`${verdict.line}\n`);
      return verdict.code;
    }
    const { result, files, facts } = await combineAnalysis(dir, manifest, started);
    process.stdout.write(`${result.text}\n${facts.wallSeconds.toFixed(1)} s in all (${manifest.jobs.length} jobs on ${Math.min(opts.workers, manifest.jobs.length)} processes; ${facts.engine} engine${facts.backend ? ` on ${facts.backend}` : ''})\n`);
    process.stdout.write(`wrote ${dir}/: summary.json, ${files.join(', ')}, sweep.json, jobs/\n`);
    return 0;
  }
  const data = opts.data ? await exp.game.observations.read(opts.data, exp.config) : undefined;
  const { engine, backend } = await startEngine(exp.game, exp.config, opts);
  const result = await analysis.run({ game: exp.game, config: exp.config, seed: seeds[0], engine, ...(data ? { data, dataFile: opts.data } : {}), progress: (line) => process.stderr.write(`${line}\n`) });
  const wallSeconds = (performance.now() - started) / 1000;
  const files = await writeAnalysis(dir, result, { plan, seed: seeds[0], backend, engine, wallSeconds });
  process.stdout.write(`${result.text}\n${wallSeconds.toFixed(1)} s in all (seed ${seeds[0]}, ${engine} engine${backend ? ` on ${backend}` : ''})\n`);
  process.stdout.write(`wrote ${dir}/: summary.json, ${files.join(', ')}\n`);
  return 0;
}
