// An eval request: a trained model (a model folder, or a training run's folder holding model/) on a
// file of observations: the training loss and the game's own distances (report.ts), and what it
// printed. `set` changes how the model is evaluated (populations, times, mechanics), never its network.
import { ConfigError } from '../config.ts';
import { withOverrides } from '../config-fields.ts';
import { diffusionSpec, networkSpec } from '../mfg/model.ts';
import { inspectModel } from './models.ts';
import { evaluateOnData } from './report.ts';
import { claimOutput } from './folder.ts';
import { chooseEngine } from './engine.ts';
import { formatMetric } from './text.ts';
import { RequestError, type EvalRequest } from './requests.ts';
import type { RunIO } from './io.ts';

export async function runEval(r: EvalRequest, io: RunIO): Promise<number> {
  const started = performance.now();
  if (!r.out) throw new RequestError('eval needs --out DIR');
  const inspected = await inspectModel(r.model);
  const { manifest, params, game } = inspected;
  let config = inspected.config;
  if (r.set.length > 0) {
    try {
      config = withOverrides(game, config, r.set);
    } catch (err) {
      if (err instanceof ConfigError) throw new RequestError(err.message);
      throw err;
    }
    // the agent network's shape does not depend on the number of agents: --set agents=N runs it on N
    const networks = (c: typeof config) => JSON.stringify([networkSpec(game, c), diffusionSpec(c), c.network.kind, c.network.quantiles, c.noise.diffusion]);
    if (networks(config) !== networks(inspected.config)) {
      throw new RequestError(`--set ${r.set.join(' ')}: that changes the network of the model in ${inspected.dir}, which eval cannot do (train a new model)`);
    }
  }
  const claim = await claimOutput(r.out, { command: 'eval', game: game.name, force: r.force === true });
  try {
    const data = await game.observations.read(r.data, config);
    const engine = await chooseEngine(game, config, r);
    if (engine.note) io.note(`note: ${engine.note}`);
    const exp = { game, preset: manifest.preset ?? '', config };
    const seed = r.seed ?? manifest.seed;
    const e = await evaluateOnData({ dir: r.out, exp, params, seed, engine, data, dataPath: r.data, modelDir: inspected.dir, started });
    const runs = e.paired ? ', one run each' : `, ${e.populations} initial populations`;
    const lines = [`${game.title}: ${inspected.dir} on ${r.data} (${data.shape[0]} samples${runs})`, `  loss ${e.summary.loss?.toFixed(4)}`];
    for (const [k, v] of Object.entries(e.metrics)) lines.push(`  ${k} ${formatMetric(v)}`);
    const gap = e.summary.nashGap as { mean: number; max: number } | undefined;
    const mfgGap = e.summary.mfgOnlyNashGap as { mean: number; max: number } | undefined;
    if (gap && mfgGap) lines.push(`  equilibrium gap at the final turn: model mean ${gap.mean.toPrecision(3)} (largest ${gap.max.toPrecision(3)}), MFG only mean ${mfgGap.mean.toPrecision(3)} (largest ${mfgGap.max.toPrecision(3)})`);
    lines.push(`wrote ${r.out}/${e.files.join(', ')}`);
    io.out(lines.join('\n'));
    return 0;
  } finally {
    await claim.release();
  }
}
