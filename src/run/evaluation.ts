// An eval request: a trained model (a model folder, or a training run's folder holding model/) on a
// file of observations: the training loss and the game's own distances (report.ts), and what it
// printed. `set` changes how the model is evaluated (populations, times, mechanics), never its network.
import { inspectModel, overriddenConfig } from './models.ts';
import { evaluateOnData } from './report.ts';
import { readEvaluationData } from './eval-data.ts';
import { claimOutput } from './folder.ts';
import { chooseEngine } from './engine.ts';
import { formatMetric, valueUnit } from './text.ts';
import { RequestError, type EvalRequest } from './requests.ts';
import type { RunIO } from './io.ts';

export async function runEval(r: EvalRequest, io: RunIO): Promise<number> {
  const started = performance.now();
  if (!r.out) throw new RequestError('eval needs --out DIR');
  const inspected = await inspectModel(r.model);
  const { manifest, params, game } = inspected;
  const config = overriddenConfig(inspected, r.set, `--set ${r.set.join(' ')}`, 'eval');
  const claim = await claimOutput(r.out, { command: 'eval', game: game.name, force: r.force === true });
  try {
    const { data, agents: dataAgents } = await readEvaluationData(game, config, inspected.config, r.data);
    const engine = await chooseEngine(game, config, r);
    if (engine.note) io.note(`note: ${engine.note}`);
    const exp = { game, preset: manifest.preset ?? '', config };
    const seed = r.seed ?? manifest.seed;
    const e = await evaluateOnData({ dir: r.out, exp, params, seed, engine, data, dataAgents, dataPath: r.data, modelDir: inspected.dir, started });
    const runs = e.paired ? ', one run each' : `, ${e.populations} initial populations`;
    const unit = valueUnit(game.figureStyle?.(config).yFormat ?? 'number');
    const lines = [`${game.title}: ${inspected.dir} on ${r.data} (${data.shape[0]} samples${runs})${unit}`, e.summary.loss === null ? `  loss not computed: ${e.summary.lossNotComputed}` : `  loss ${e.summary.loss.toFixed(4)}`];
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
