// `neural-mfg reproduce …`: the reproduction of the paper's figures lives in the source repository
// (scripts/reproduce.ts, run by `npm run reproduce`), not in the package, because it runs the
// tests named after targets too. From a checkout this command runs it; elsewhere it says where it is.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PACKAGE_ROOT as ROOT } from '../package.ts';
import type { Command } from 'commander';
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

export function registerReproduce(program: Command): void {
  program
    .command('reproduce')
    .description("from a checkout of the repository: run the paper's experiments with fixed seeds and write REPORT.md (targets T1-T14, pass/fail, wall times); the same as npm run reproduce (see its --help)")
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption(false)
    .argument('[args...]', 'passed to npm run reproduce: all (default) or fig2a … fig6, --quick, --out DIR, --backend NAME, --engine NAME')
    .action((args: string[]) => {
      const code = reproduceCommand(args);
      if (code !== 0) process.exitCode = code;
    });
}
