// Targets that are statements about the mechanics (a drift's values, binomial tables) are checked
// by the unit tests named after them; the report runs the test file as a child process and reads
// which tests were registered and which passed (test/helpers/record-tests.cjs records them): a
// target passes when tests named after it exist, and every one of them ran and passed.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
  /** names of the tests the file registered, and of those that ran and passed */
  registered: string[];
  passedNames: string[];
  wallSeconds: number;
}

const ANSI = /\u001b\[[0-9;]*m/g;

/** `uvu -r tsx test "<file>$"`, e.g. runTestFile('meeting.test.ts'). */
export async function runTestFile(file: string): Promise<TestFileRun> {
  const uvu = join(PACKAGE_ROOT, 'node_modules', 'uvu', 'bin.js');
  if (!existsSync(join(PACKAGE_ROOT, 'test', file)) || !existsSync(uvu)) {
    return { file, available: false, code: null, passed: 0, total: 0, failures: [], registered: [], passedNames: [], wallSeconds: 0 };
  }
  const pattern = `${file.replace(/\./g, '\\.')}$`;
  const dir = mkdtempSync(join(tmpdir(), 'neural-mfg-tests-'));
  const log = join(dir, 'tests.jsonl');
  const recorder = join(PACKAGE_ROOT, 'test', 'helpers', 'record-tests.cjs');
  const run = await runNode(uvu, ['-r', 'tsx', '-r', recorder, 'test', pattern], undefined, { NEURAL_MFG_TEST_RECORD: log });
  const entries = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { registered?: string; passed?: string; skipped?: boolean }) : [];
  rmSync(dir, { recursive: true, force: true });
  const registered = entries.filter((e) => e.registered !== undefined && !e.skipped).map((e) => e.registered!);
  const passedNames = entries.filter((e) => e.passed !== undefined).map((e) => e.passed!);
  const out = `${run.stdout}\n${run.stderr}`.replace(ANSI, '');
  const count = (label: string) => Number(out.match(new RegExp(`${label}:\\s+(\\d+)`))?.[1] ?? 0);
  // uvu prints each failure as `FAIL  <suite>  "<test name>"`
  const failures = [...out.matchAll(/FAIL\s+.*?"(.+)"/g)].map((m) => m[1]);
  return { file, available: true, code: run.code, passed: count('Passed'), total: count('Total'), failures, registered, passedNames, wallSeconds: run.wallSeconds };
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

/** The tests named after target `id` (e.g. "T2": "T2: …", "T2 (faithful) …"), and which of them passed. */
export function targetTests(run: TestFileRun, id: string): { named: string[]; passed: string[] } {
  const mine = new RegExp(`^${id}\\b`);
  return { named: run.registered.filter((n) => mine.test(n)), passed: run.passedNames.filter((n) => mine.test(n)) };
}

/** Whether tests named after target `id` exist in the file, and every one of them ran and passed. */
export function targetTestsPassed(run: TestFileRun, id: string): boolean {
  const { named, passed } = targetTests(run, id);
  return named.length > 0 && named.every((n) => passed.includes(n));
}
