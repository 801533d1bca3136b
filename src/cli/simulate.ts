// `neural-mfg simulate GAME`: the MFG-only dynamics of a preset (no network), per-turn statistics,
// the trajectory as CSV and a box plot per turn.
import { randomStreams, type RandomStream, type StreamName } from '../random.ts';
import { MeanFieldModel, populationsAt } from '../mfg/model.ts';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic.ts';
import { formatValue, resolveExperiment, startEngine, UsageError, writePopulation, type CommonOptions, type Experiment } from './experiment.ts';

export async function simulateCommand(gameName: string, opts: CommonOptions): Promise<void> {
  const started = performance.now();
  if (!opts.out) throw new UsageError('simulate needs --out DIR');
  const exp = resolveExperiment(gameName, opts, 'simulate');
  const { game, config } = exp;
  const { engine, backend } = await startEngine(game, config, opts);
  const streams = randomStreams(opts.seed);
  const model = new MeanFieldModel(game, config, streams.dynamics, streams.parameters, { engine });
  const y0 = Float32Array.from(game.initialState(config, streams.initialState));
  if (game.describeRun) {
    await describedRun(opts.out, exp, model, y0, streams, { seed: opts.seed, backend, started });
    return;
  }
  const result = model.simulate({ y0, trajectories: 1, path: model.nextPath(1), network: false });
  const populations = populationsAt(result, 1);
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
    engine: model.engine.name,
    config,
    turns,
    wallSeconds: (performance.now() - started) / 1000,
  });
  process.stdout.write(`wrote ${opts.out}/summary.json, trajectory.csv, turns.svg\n`);
}

/**
 * Games that describe their own runs (Liar's dice): one trajectory — paired with one generated
 * observation when the game pairs them — printed by the game (the transcript) and recorded in
 * summary.json and transcript.txt.
 */
async function describedRun(
  out: string,
  exp: Experiment,
  model: MeanFieldModel,
  y0: Float32Array,
  streams: Record<StreamName, RandomStream>,
  facts: { seed: number; backend: string | null; started: number },
): Promise<void> {
  const { game, config } = exp;
  const observation = game.observations.pairing === 'paired' ? game.observations.generate(config, streams.data, 1) : null;
  const ctx = { observations: observation, keys: streams.dynamics.keys(1) };
  const result = model.simulate({ y0, trajectories: 1, path: model.nextPath(1), network: false, ctx });
  const states = populationsAt(result, 1);
  const endStep = result.endSteps?.[0] ?? null;
  const { text, summary } = game.describeRun!(config, states, endStep);
  process.stdout.write(text + '\n');
  await writeFileAtomic(`${out}/transcript.txt`, text + '\n');
  await writeJsonAtomic(`${out}/summary.json`, {
    command: 'simulate',
    game: game.name,
    preset: exp.preset,
    seed: facts.seed,
    backend: facts.backend,
    engine: model.engine.name,
    observation: observation ? Array.from(observation.values) : null,
    ...summary,
    wallSeconds: (performance.now() - facts.started) / 1000,
    config,
  });
  process.stdout.write(`wrote ${out}/summary.json, transcript.txt\n`);
}
