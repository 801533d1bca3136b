// `neural-mfg simulate GAME`: the MFG-only dynamics of a preset (no network) through the run layer
// (src/run/simulate.ts): per-turn statistics, or the game's own description of the run.
import { simulate, saveSimulation } from '../run/simulate.ts';
import { claimOutput } from '../run/folder.ts';
import { formatValue, valueUnit } from './print.ts';
import { resolveExperiment, startEngine, UsageError, type CommonOptions } from './experiment.ts';

export async function simulateCommand(gameName: string, opts: CommonOptions): Promise<void> {
  const started = performance.now();
  if (!opts.out) throw new UsageError('simulate needs --out DIR');
  const exp = resolveExperiment(gameName, opts, 'simulate');
  const claim = await claimOutput(opts.out, { command: 'simulate', game: exp.game.name, force: opts.force === true });
  let saved;
  try {
    const { engine, backend } = await startEngine(exp.game, exp.config, opts);
    const req = { exp, seed: opts.seed, engine, network: false };
    saved = await saveSimulation(opts.out, req, simulate(req), { backend, started });
  } finally {
    await claim.release();
  }
  if (saved.kind === 'described') process.stdout.write(saved.text + '\n');
  else {
    const style = exp.game.figureStyle?.(exp.config).yFormat ?? 'number';
    if (style === 'clock') process.stdout.write(`${exp.game.title}${valueUnit(style)}\n`);
    for (const s of saved.turns) {
      process.stdout.write(
        `t=${String(s.t).padStart(3)}  mean ${formatValue(s.mean)}  std ${formatValue(s.std)}  min ${formatValue(s.min)}  max ${formatValue(s.max)}\n`,
      );
    }
    if (saved.nashGap) process.stdout.write(`equilibrium gap at the last turn: mean ${saved.nashGap.mean.toPrecision(4)}, largest ${saved.nashGap.max.toPrecision(4)}\n`);
  }
  process.stdout.write(`wrote ${opts.out}/${saved.files.join(', ')}\n`);
}
