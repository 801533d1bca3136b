// The `neural-mfg` command as users run it (the compiled bin; `npm test` builds first), for the
// tests that spawn it.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'neural-mfg.js');

/** Runs `neural-mfg ARGS…` to its end (2 minutes at most): exit code, stdout and stderr. */
export function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
