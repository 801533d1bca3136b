// `neural-mfg eval MODEL_DIR --data FILE.csv --out DIR`: a trained model against new observations
// through the run layer (src/run/report.ts): the training loss and the game's own distances.
// MODEL_DIR is a model folder or a training run's folder (its model/ is used).
import { ConfigError } from '../config.ts';
import { withOverrides } from '../config-fields.ts';
import { diffusionSpec, networkSpec } from '../mfg/model.ts';
import { inspectModel } from '../run/models.ts';
import { evaluateOnData } from '../run/report.ts';
import { readEvaluationData } from '../run/eval-data.ts';
import { claimOutput } from '../run/folder.ts';
import { formatMetric } from './print.ts';
import { startEngine, UsageError, type CommonOptions } from './experiment.ts';

export interface EvalCommandOptions extends Pick<CommonOptions, 'out' | 'backend' | 'engine'> {
  data?: string;
  seed?: number;
  set?: string[];
  force?: boolean;
  allowSoftware?: boolean;
}

export async function evalCommand(modelDir: string, opts: EvalCommandOptions): Promise<void> {
  const started = performance.now();
  if (!opts.out) throw new UsageError('eval needs --out DIR');
  if (!opts.data) throw new UsageError('eval needs --data FILE.csv');
  const inspected = await inspectModel(modelDir);
  const { manifest, params, game } = inspected;
  // --set changes how the model is evaluated (populations, times, mechanics), never its network
  let config = inspected.config;
  if (opts.set && opts.set.length > 0) {
    try {
      config = withOverrides(game, config, opts.set);
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(err.message);
      throw err;
    }
    // the agent network's shape does not depend on the number of agents: --set agents=N runs it on N
    const networks = (c: typeof config) => JSON.stringify([networkSpec(game, c), diffusionSpec(c), c.network.kind, c.network.quantiles, c.noise.diffusion]);
    if (networks(config) !== networks(inspected.config)) {
      throw new UsageError(`--set ${opts.set.join(' ')}: that changes the network of the model in ${inspected.dir}, which eval cannot do (train a new model)`);
    }
  }
  const claim = await claimOutput(opts.out, { command: 'eval', game: game.name, force: opts.force === true });
  try {
    const { data, agents: dataAgents } = await readEvaluationData(game, config, inspected.config, opts.data);
    const engine = await startEngine(game, config, opts);
    const exp = { game, preset: manifest.preset ?? '', config };
    const seed = opts.seed ?? manifest.seed;
    const r = await evaluateOnData({ dir: opts.out, exp, params, seed, engine, data, dataAgents, dataPath: opts.data, modelDir: inspected.dir, started });
    const runs = r.paired ? ', one run each' : `, ${r.populations} initial populations`;
    process.stdout.write(`${game.title}: ${inspected.dir} on ${opts.data} (${data.shape[0]} samples${runs})\n`);
    process.stdout.write(r.summary.loss === null ? `  loss not computed: ${r.summary.lossNotComputed}\n` : `  loss ${r.summary.loss.toFixed(4)}\n`);
    for (const [k, v] of Object.entries(r.metrics)) process.stdout.write(`  ${k} ${formatMetric(v)}\n`);
    const gap = r.summary.nashGap as { mean: number; max: number } | undefined;
    const mfgGap = r.summary.mfgOnlyNashGap as { mean: number; max: number } | undefined;
    if (gap && mfgGap) process.stdout.write(`  equilibrium gap at the final turn: model mean ${gap.mean.toPrecision(3)} (largest ${gap.max.toPrecision(3)}), MFG only mean ${mfgGap.mean.toPrecision(3)} (largest ${mfgGap.max.toPrecision(3)})\n`);
    process.stdout.write(`wrote ${opts.out}/${r.files.join(', ')}\n`);
  } finally {
    await claim.release();
  }
}
