// `neural-mfg simulate GAME`: the MFG-only dynamics of a preset (no network) through the run layer
// (src/run/simulate.ts): per-turn statistics, or the game's own description of the run.
import type { Command } from 'commander';
import { GAMES } from '../../games/index.ts';
import { engineAsk, experimentSpec, runRequest, UsageError, withCommonOptions, type CommonOptions } from './options.ts';

export function registerSimulate(program: Command): void {
  withCommonOptions(
    program.command('simulate').argument('<game>', `one of: ${Object.keys(GAMES).join(', ')}`).description('run the MFG dynamics alone (no network) and report each turn'),
    'output folder (summary.json, trajectory.csv, turns.svg)',
  ).action(async (game: string, opts: CommonOptions) => {
    if (!opts.out) throw new UsageError('simulate needs --out DIR');
    await runRequest({ kind: 'simulate', ...experimentSpec(game, opts), ...engineAsk(opts), seed: opts.seed, out: opts.out, force: opts.force === true });
  });
}
