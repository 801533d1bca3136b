// `neural-mfg analyze GAME --preset NAME`: one of the game's analyses (the sweeps of experiments
// behind a paper figure), run from the preset of the same name. Writes DIR/summary.json, one CSV
// per table and the SVG figures, prints one line per sweep point (stderr) and the final table.
import { join } from 'node:path';
import { gameByName } from '../../games/index.ts';
import { writeJsonAtomic } from '../io/atomic.ts';
import { writeCsv } from '../data/csv.ts';
import { writeSvg } from '../plot/figures.ts';
import { resolveExperiment, startEngine, UsageError, type CommonOptions } from './experiment.ts';

export interface AnalyzeCommandOptions extends CommonOptions {
  /** the analysis's reduced preview settings, applied before --set */
  quick?: boolean;
  /** training observations from a CSV file instead of generated ones */
  data?: string;
}

export async function analyzeCommand(gameName: string, opts: AnalyzeCommandOptions): Promise<void> {
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
  const data = opts.data ? await exp.game.observations.read(opts.data, exp.config) : undefined;
  const { engine, backend } = await startEngine(exp.game, exp.config, opts);
  process.stderr.write(`analyze ${game.name} ${exp.preset}${opts.quick ? ' (quick preview)' : ''}: ${analysis.description}\n`);

  const result = await analysis.run({
    game: exp.game,
    config: exp.config,
    seed: opts.seed,
    engine,
    ...(data ? { data, dataFile: opts.data } : {}),
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  const files: string[] = [];
  for (const [name, table] of Object.entries(result.tables)) {
    await writeCsv(join(dir, `${name}.csv`), table.header, table.rows);
    files.push(`${name}.csv`);
  }
  for (const [name, svg] of Object.entries(result.figures)) {
    await writeSvg(join(dir, `${name}.svg`), svg);
    files.push(`${name}.svg`);
  }
  const wallSeconds = (performance.now() - started) / 1000;
  await writeJsonAtomic(join(dir, 'summary.json'), {
    command: 'analyze',
    game: game.name,
    analysis: exp.preset,
    description: analysis.description,
    quick: opts.quick ?? false,
    overrides: [...quick, ...opts.set],
    seed: opts.seed,
    dataFile: opts.data ?? null,
    backend,
    engine,
    ...result.summary,
    wallSeconds,
    config: exp.config,
  });
  process.stdout.write(`${result.text}\n${wallSeconds.toFixed(1)} s in all (seed ${opts.seed}, ${engine} engine${backend ? ` on ${backend}` : ''})\n`);
  process.stdout.write(`wrote ${dir}/: summary.json, ${files.join(', ')}\n`);
}
