// `neural-mfg eval MODEL_DIR --data FILE.csv --out DIR`: a trained model against new observations
// through the run layer (src/run/report.ts): the training loss and the game's own distances.
import { inspectModel } from '../run/models.ts';
import { evaluateOnData } from '../run/report.ts';
import { formatMetric } from './print.ts';
import { startEngine, UsageError, type CommonOptions } from './experiment.ts';

export interface EvalCommandOptions extends Pick<CommonOptions, 'out' | 'backend' | 'engine'> {
  data?: string;
  seed?: number;
  allowSoftware?: boolean;
}

export async function evalCommand(modelDir: string, opts: EvalCommandOptions): Promise<void> {
  const started = performance.now();
  if (!opts.out) throw new UsageError('eval needs --out DIR');
  if (!opts.data) throw new UsageError('eval needs --data FILE.csv');
  const { manifest, params, game, config } = await inspectModel(modelDir);
  const data = await game.observations.read(opts.data, config);
  const engine = await startEngine(game, config, opts);
  const exp = { game, preset: manifest.preset ?? '', config };
  const seed = opts.seed ?? manifest.seed;
  const r = await evaluateOnData({ dir: opts.out, exp, params, seed, engine, data, dataPath: opts.data, modelDir, started });
  const runs = r.paired ? ', one run each' : `, ${r.populations} initial populations`;
  process.stdout.write(`${game.title}: ${modelDir} on ${opts.data} (${data.shape[0]} samples${runs})\n`);
  process.stdout.write(`  loss ${r.summary.loss?.toFixed(4)}\n`);
  for (const [k, v] of Object.entries(r.metrics)) process.stdout.write(`  ${k} ${formatMetric(v)}\n`);
  process.stdout.write(`wrote ${opts.out}/${r.files.join(', ')}\n`);
}
