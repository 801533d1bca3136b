// `neural-mfg reproduce [all|fig2a|…|fig6]`: runs the paper's experiments through this CLI with
// fixed seeds and writes the figures and REPORT.md (targets of GAMES.md §8) to one folder.
import { reproduce } from '../report/reproduce.ts';

export interface ReproduceCommandOptions {
  out: string;
  quick?: boolean;
  backend: string;
}

/** Returns the exit code: 0 when every experiment ran (failed targets are in the report), 1 otherwise. */
export async function reproduceCommand(figures: string[], opts: ReproduceCommandOptions): Promise<number> {
  const result = await reproduce({ figures, out: opts.out, quick: opts.quick ?? false, backend: opts.backend });
  const ref = result.rows.filter((r) => r.variant === 'reference');
  const n = (status: string) => ref.filter((r) => r.status === status).length;
  process.stdout.write(
    `${opts.quick ? 'QUICK run (targets not expected to pass): ' : ''}` +
      `${n('pass')} pass, ${n('fail')} fail, ${n('error')} error, ${n('not run')} not run (reference settings); ` +
      `${result.figures.length} figures; ${result.totalSeconds.toFixed(1)} s. See ${result.reportPath}\n`,
  );
  return result.exitCode;
}
