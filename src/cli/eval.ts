// `neural-mfg eval MODEL_DIR --data FILE.csv --out DIR`: a trained model against new observations —
// the training loss and the game's own distances, over many initial populations, with a figure.
import { inspectModel } from '../api.ts';
import { MeanFieldModel, populationsAt } from '../mfg/model.ts';
import { randomStreams } from '../random.ts';
import { evaluateModel, evaluationStarts } from '../train/evaluate.ts';
import { writeJsonAtomic } from '../io/atomic.ts';
import { mean } from '../data/stats.ts';
import { formatMetric, startEngine, UsageError, writePopulation, type CommonOptions } from './experiment.ts';

export interface EvalCommandOptions extends Pick<CommonOptions, 'out' | 'backend' | 'engine'> {
  data?: string;
  seed?: number;
}

export async function evalCommand(modelDir: string, opts: EvalCommandOptions): Promise<void> {
  const started = performance.now();
  if (!opts.out) throw new UsageError('eval needs --out DIR');
  if (!opts.data) throw new UsageError('eval needs --data FILE.csv');
  const { manifest, params, game, config } = await inspectModel(modelDir);
  const data = await game.observations.read(opts.data, config);
  const { engine, backend } = await startEngine(game, config, opts);
  const seed = opts.seed ?? manifest.seed;
  const streams = randomStreams(seed);
  const model = new MeanFieldModel(game, config, streams.dynamics, params, { engine });
  {
    // the training's own first initial population (what a fixed-start model was trained from)
    const firstStart = game.initialState(config, streams.initialState);
    const K = config.training.evaluationPopulations;
    const paired = game.observations.pairing === 'paired';
    const ev = evaluateModel(model, data, evaluationStarts(config, seed, firstStart), K, { network: true });
    // games that end (Liar's dice) also get the MFG-only dynamics on the same observations
    const mfgOnly = paired ? evaluateModel(model, data, evaluationStarts(config, seed, firstStart), K, { network: false }) : null;
    const metrics = game.observations.metrics(ev.finalPopulations, data, config, {
      endSteps: ev.endSteps,
      mfgOnlyFinals: mfgOnly?.finalPopulations,
    });
    const files = ['summary.json'];
    if (game.figureStyle) {
      const run = model.simulate({ y0: Float32Array.from(firstStart), trajectories: 1, path: model.nextPath(1), network: true });
      const populations = populationsAt(run, 1);
      const comparable = game.observations.comparableValues?.(data, config);
      const observedMean = comparable ? mean(comparable) : undefined;
      await writePopulation(
        opts.out,
        { game, preset: manifest.preset ?? '', config },
        populations,
        { title: `${game.title}: model ${modelDir} on ${opts.data}`, observedMean },
      );
      files.push('turns.svg', 'trajectory.csv');
    }
    const summary = {
      command: 'eval',
      game: game.name,
      model: modelDir,
      data: opts.data,
      samples: data.shape[0],
      seed,
      backend,
      engine: model.engine.name,
      populations: paired ? data.shape[0] : K,
      loss: ev.loss,
      ...metrics,
      wallSeconds: (performance.now() - started) / 1000,
    };
    await writeJsonAtomic(`${opts.out}/summary.json`, summary);
    process.stdout.write(
      `${game.title}: ${modelDir} on ${opts.data} (${data.shape[0]} samples${paired ? ', one run each' : `, ${K} initial populations`})\n`,
    );
    process.stdout.write(`  loss ${ev.loss?.toFixed(4)}\n`);
    for (const [k, v] of Object.entries(metrics)) process.stdout.write(`  ${k} ${formatMetric(v)}\n`);
    process.stdout.write(`wrote ${opts.out}/${files.join(', ')}\n`);
  }
}
