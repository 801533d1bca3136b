// Small helpers shared by the target checks: per-turn statistics from summary.json, number and
// clock formatting, and the rows written when a run failed or a target was not run.
import { failureReason, type CliRun } from './run-cli.ts';
import type { TargetRow } from './types.ts';
import type { TestFileRun } from './unit-tests.ts';
import { targetTests, targetTestsPassed } from './unit-tests.ts';

export interface TurnSummary {
  t: number;
  mean: number;
  std: number;
  min: number;
  max: number;
}

/** The turns of a summary.json with t ≥ from. */
export function turnsFrom(run: CliRun, from: number): TurnSummary[] {
  return (run.summary!.turns as TurnSummary[]).filter((s) => s.t >= from);
}

export function range(values: number[]): [number, number] {
  return [Math.min(...values), Math.max(...values)];
}

export const fixed = (x: number | null | undefined, digits: number): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);

/** An arrival time in hours as HH:MM (12.5 → "12:30"), as on the paper's axes. */
export function clock(hours: number): string {
  const minutes = Math.round(hours * 60);
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** Hours with the clock time beside them: "15.05 h (15:03)". */
export const hours = (x: number): string => `${x.toFixed(2)} h (${clock(x)})`;

/** The row of a target whose experiment did not produce a summary. */
export function errorRow(base: Omit<TargetRow, 'measured' | 'status'>, runs: CliRun[]): TargetRow {
  const failed = runs.filter((r) => r.summary === null);
  return {
    ...base,
    measured: `run failed: ${failed.map((r) => `${r.argv.slice(0, 2).join(' ')} (${failureReason(r)})`).join('; ')}`,
    status: 'error',
  };
}

export function notRunRow(base: Omit<TargetRow, 'measured' | 'status'>, reason: string): TargetRow {
  return { ...base, measured: `not run: ${reason}`, status: 'not run' };
}

/** A target checked by the unit tests named after it (e.g. tests titled "T2: …"): they exist, and each ran and passed. */
export function testRow(base: Omit<TargetRow, 'measured' | 'status'>, tests: TestFileRun): TargetRow {
  if (!tests.available) return notRunRow(base, `test/${tests.file} is not available here (tests are not shipped with the package)`);
  if (tests.total === 0) {
    return { ...base, measured: `test/${tests.file} did not run (exit ${tests.code})`, status: 'error' };
  }
  const { named, passed } = targetTests(tests, base.id);
  if (named.length === 0) return { ...base, measured: `test/${tests.file} has no test named "${base.id}…": nothing checks this target`, status: 'fail' };
  const ok = targetTestsPassed(tests, base.id);
  const failing = named.filter((n) => !passed.includes(n));
  const detail = ok
    ? `checked by tests: test/${tests.file}, the ${named.length} tests named "${base.id}…" ran and passed`
    : `checked by tests: test/${tests.file}, ${failing.length} of the ${named.length} tests named "${base.id}…" did not pass: ${failing.map((f) => `"${f}"`).join(', ')}`;
  const others = tests.failures.filter((f) => !named.includes(f)).length;
  return {
    ...base,
    measured: others > 0 && ok ? `${detail}; ${others} other test(s) of the file fail` : detail,
    status: ok ? 'pass' : 'fail',
  };
}
