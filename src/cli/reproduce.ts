// `neural-mfg reproduce …`: the reproduction of the paper's figures lives in the source repository
// (scripts/reproduce.ts, run by `npm run reproduce`), not in the package, because it runs the
// tests named after targets too. From a checkout this command runs it; elsewhere it says where it is.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PACKAGE_ROOT as ROOT } from '../package.ts';
import { UsageError } from './options.ts';

/** Runs scripts/reproduce.ts with the same arguments; returns its exit status. */
export function reproduceCommand(args: string[]): number {
  const script = join(ROOT, 'scripts', 'reproduce.ts');
  if (!existsSync(script)) {
    throw new UsageError(
      'the reproduction of the paper is part of the source repository, not of the package: clone it, then run npm ci && npm run reproduce',
    );
  }
  const tsx = createRequire(import.meta.url).resolve('tsx');
  const run = spawnSync(process.execPath, ['--import', tsx, script, ...args], { cwd: ROOT, stdio: 'inherit' });
  return run.status ?? 1;
}
