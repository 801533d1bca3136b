// `neural-mfg simulate GAME`: the MFG-only dynamics of a preset (no network), per-turn statistics,
// the trajectory as CSV and a box plot per turn.
import { tf } from '../tf.ts';
import { randomStreams } from '../random.ts';
import { MeanFieldModel, populationsAt } from '../mfg/model.ts';
import { writeJsonAtomic } from '../io/atomic.ts';
import { formatValue, resolveExperiment, startBackend, UsageError, writePopulation, type CommonOptions } from './experiment.ts';

export async function simulateCommand(gameName: string, opts: CommonOptions): Promise<void> {
  const started = performance.now();
  if (!opts.out) throw new UsageError('simulate needs --out DIR');
  const exp = resolveExperiment(gameName, opts, 'simulate');
  const backend = await startBackend(opts, opts.backend !== 'wasm');
  const { game, config } = exp;
  const streams = randomStreams(opts.seed);
  const model = new MeanFieldModel(game, config, streams.dynamics, streams.parameters);
  try {
    const y0 = tf.tensor2d(Float32Array.from(game.initialState(config, streams.initialState)), [1, config.agents]);
    const path = model.nextPath(1);
    const ys = model.simulate(y0, path, { network: false });
    const populations = populationsAt(ys);
    tf.dispose([y0, ys]);
    if (path && !model.isFrozen(path)) path.dispose();
    const turns = await writePopulation(opts.out, exp, populations, {
      title: `${game.title}: MFG only (${exp.preset})`,
    });
    const style = game.figureStyle?.(config).yFormat ?? 'number';
    for (const s of turns) {
      process.stdout.write(
        `t=${String(s.t).padStart(3)}  mean ${formatValue(s.mean, style)}  std ${s.std.toFixed(3)}  min ${formatValue(s.min, style)}  max ${formatValue(s.max, style)}\n`,
      );
    }
    await writeJsonAtomic(`${opts.out}/summary.json`, {
      command: 'simulate',
      game: game.name,
      preset: exp.preset,
      seed: opts.seed,
      backend,
      config,
      turns,
      wallSeconds: (performance.now() - started) / 1000,
    });
    process.stdout.write(`wrote ${opts.out}/summary.json, trajectory.csv, turns.svg\n`);
  } finally {
    model.dispose();
  }
}
