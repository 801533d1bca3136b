// What a test needs beyond `npm ci` (a Debian program, an optional npm package, a browser). A test
// whose need is missing is registered with uvu's `test.skip`, so that the runner counts it as
// skipped, never as passed. `.ci/run` installs these needs and lists them in NEURAL_MFG_REQUIRE
// (comma-separated names, or "all"): the tests of a listed need that is missing fail instead (each
// with the reason), and the rest of the run goes on.
import { spawnSync } from 'node:child_process';
import type { Test } from 'uvu';

export interface Need {
  name: string;
  /** why it cannot be used here, or null when it can */
  missing: string | null;
  /** NEURAL_MFG_REQUIRE lists it: its tests fail when it is missing instead of being skipped */
  required: boolean;
}

function required(name: string): boolean {
  const list = (process.env.NEURAL_MFG_REQUIRE ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  return list.includes(name) || list.includes('all');
}

/**
 * Checks a need once: `probe` returns null when it is there, else why not (a throw counts as why
 * not). A need that NEURAL_MFG_REQUIRE lists and that is missing makes its tests fail (testWith).
 */
export function need(name: string, probe: () => string | null): Need {
  let missing: string | null;
  try {
    missing = probe();
  } catch (err) {
    missing = err instanceof Error ? err.message.split('\n')[0] : String(err);
  }
  const isRequired = required(name);
  if (missing && !isRequired) console.log(`  skipped: the tests that need ${name}: ${missing}`);
  return { name, missing, required: isRequired };
}

/** A program on the PATH that answers `program versionFlag` with status 0. */
export function programNeed(name: string, program: string, install: string, versionFlag = '--version'): Need {
  return need(name, () => {
    const r = spawnSync(program, [versionFlag], { stdio: 'ignore' });
    return r.error || r.status !== 0 ? `${program} is not installed (${install})` : null;
  });
}

/**
 * The test registrar to use for tests with these needs: `t` itself when every need is there, else
 * `t.skip`, so that each test is reported as skipped; when a missing need is required, each test
 * fails with the reason instead.
 */
export function testWith(t: Test, ...needs: Need[]): Test {
  if (needs.every((n) => n.missing === null)) return t;
  const absent = needs.find((n) => n.missing !== null && n.required);
  if (absent) {
    const why = `${absent.name} is required here (NEURAL_MFG_REQUIRE=${process.env.NEURAL_MFG_REQUIRE}) but cannot be used: ${absent.missing}`;
    const fail = ((name: string) =>
      t(name, () => {
        throw new Error(why);
      })) as unknown as Test;
    return Object.assign(fail, t, { only: fail, skip: t.skip });
  }
  const skip = ((name: string, fn: Parameters<Test>[1]) => t.skip(name, fn)) as unknown as Test;
  return Object.assign(skip, t, { only: t.skip, skip: t.skip });
}
