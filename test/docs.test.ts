// A clone is complete: the specification lives in docs/, and every reference to it from the code,
// the presets, the READMEs and the shipped models points at a file and a section that exist.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const tracked = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f && /\.(ts|js|mjs|json|md|sh)$/.test(f) && existsSync(join(ROOT, f)));

test('nothing refers to a specification outside the repository', () => {
  const outside = tracked.filter((f) => /GAMES\.md|\.\.\/shared\//.test(readFileSync(join(ROOT, f), 'utf8')));
  assert.equal(outside, [], `files citing a file outside the repository: ${outside.join(', ')}`);
});

/** The section numbers of a markdown file: "1", "6", "6.1", … and "Q4" for "### Q4. …". */
function sections(file: string): Set<string> {
  const out = new Set<string>();
  for (const m of readFileSync(file, 'utf8').matchAll(/^#{2,4} (\d+(?:\.\d+)?|Q\d+)\b/gm)) out.add(m[1]);
  return out;
}

test('every docs/ citation names an existing file and section', () => {
  const bad: string[] = [];
  let checked = 0;
  for (const f of tracked) {
    const text = readFileSync(join(ROOT, f), 'utf8');
    // "docs/liars-dice.md §14, §15", "docs/reference-defects.md Q4, Q5"
    for (const m of text.matchAll(/docs\/([\w-]+\.md)((?:,? (?:§\d+(?:\.\d+)?(?:–§\d+)?|Q\d+[a-c]?))*)/g)) {
      const doc = join(ROOT, 'docs', m[1]);
      checked++;
      if (!existsSync(doc)) {
        bad.push(`${f}: docs/${m[1]} does not exist`);
        continue;
      }
      const known = sections(doc);
      for (const s of m[2].matchAll(/§(\d+(?:\.\d+)?)|(Q\d+)[a-c]?/g)) {
        const id = s[1] ?? s[2];
        if (!known.has(id)) bad.push(`${f}: docs/${m[1]} has no section ${s[0]}`);
      }
    }
  }
  assert.ok(checked > 100, `${checked} citations found`);
  assert.equal(bad, []);
});

test('relative links in the markdown files resolve', () => {
  const bad: string[] = [];
  for (const f of tracked.filter((f) => f.endsWith('.md'))) {
    for (const m of readFileSync(join(ROOT, f), 'utf8').matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
      const target = m[1];
      if (/^[a-z]+:/.test(target)) continue;
      if (!existsSync(normalize(join(ROOT, dirname(f), target)))) bad.push(`${f}: ${target}`);
    }
  }
  assert.equal(bad, []);
});

test.run();
