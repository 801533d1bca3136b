// Targets that are statements about the mechanics (a drift's values, binomial tables) are checked
// by the unit tests named after them; the report runs the test file as a child process and reads
// which tests failed.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT, runNode } from './run-cli.ts';
import type { FigureId, ReproduceContext } from './types.ts';

export interface TestFileRun {
  file: string;
  /** false when the test file or uvu is not there (an installed package ships no tests) */
  available: boolean;
  code: number | null;
  passed: number;
  total: number;
  /** names of the failing tests */
  failures: string[];
  wallSeconds: number;
}

const ANSI = /\u001b\[[0-9;]*m/g;

/** `uvu -r tsx test "<file>$"`, e.g. runTestFile('meeting.test.ts'). */
export async function runTestFile(file: string): Promise<TestFileRun> {
  const uvu = join(PACKAGE_ROOT, 'node_modules', 'uvu', 'bin.js');
  if (!existsSync(join(PACKAGE_ROOT, 'test', file)) || !existsSync(uvu)) {
    return { file, available: false, code: null, passed: 0, total: 0, failures: [], wallSeconds: 0 };
  }
  const pattern = `${file.replace(/\./g, '\\.')}$`;
  const run = await runNode(uvu, ['-r', 'tsx', 'test', pattern]);
  const out = `${run.stdout}\n${run.stderr}`.replace(ANSI, '');
  const count = (label: string) => Number(out.match(new RegExp(`${label}:\\s+(\\d+)`))?.[1] ?? 0);
  // uvu prints each failure as `FAIL  <suite>  "<test name>"`
  const failures = [...out.matchAll(/FAIL\s+.*?"(.+)"/g)].map((m) => m[1]);
  return { file, available: true, code: run.code, passed: count('Passed'), total: count('Total'), failures, wallSeconds: run.wallSeconds };
}

/** Runs a test file for the report and records it as an experiment (id, figure) of the run. */
export async function runTargetTests(ctx: ReproduceContext, file: string, id: string, figure: FigureId): Promise<TestFileRun> {
  const tests = await runTestFile(file);
  ctx.record({
    id,
    figure,
    argv: ['uvu', '-r', 'tsx', 'test', `${file.replace(/\./g, '\\.')}$`],
    code: tests.code,
    backend: 'cpu (tests)',
    wallSeconds: tests.wallSeconds,
    commandSeconds: null,
    msPerStep: null,
  });
  return tests;
}

/** Whether the tests named after target `id` (e.g. "T2") passed in this run of the file. */
export function targetTestsPassed(run: TestFileRun, id: string): boolean {
  if (run.code === 0) return true;
  const mine = new RegExp(`^${id}\\b`);
  if (run.total === 0) return false; // the file did not load
  return !run.failures.some((name) => mine.test(name));
}
