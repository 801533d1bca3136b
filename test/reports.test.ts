// Reports tied to their code: every committed report under reports/ names the commit and the command
// that produced it (scripts/provenance.ts), with the raw results behind its tables as JSON beside it;
// none is older than the last change to src/ or games/ (regenerate: npm run reports -- NAME); the
// README's measured tables are its reports' own (scripts/reports.ts copies them in). Without the
// repository's git history (an unpacked archive) the staleness check is reported skipped.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PROVENANCE_LINE, REPORT_INPUTS, type Provenance } from '../scripts/provenance.ts';
import { README, REPORTS, readmeBlocks, syncedReadme } from '../scripts/reports.ts';
import { need, testWith } from './helpers/requires.ts';

const ROOT = join(import.meta.dirname, '..');
const git = (...args: string[]) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });

const history = need('git-history', () => {
  const inside = git('rev-parse', '--is-inside-work-tree');
  if (inside.status !== 0 || inside.stdout.trim() !== 'true') return 'not a git checkout (the reports are checked against the commits that changed src/ and games/)';
  if (git('rev-parse', '--is-shallow-repository').stdout.trim() === 'true') return 'a shallow clone: the commits the reports name may be missing (git fetch --unshallow)';
  return null;
});

/** reports/runs/: the run folders the reproduction leaves behind (gitignored), not reports. */
const RUN_FOLDERS = join(ROOT, 'reports', 'runs');

/** Every file under reports/ ending in `ext`, relative to the root. */
function reportFiles(ext: string, dir = join(ROOT, 'reports')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (join(dir, e.name) === RUN_FOLDERS ? [] : reportFiles(ext, join(dir, e.name))) : e.name.endsWith(ext) ? [relative(ROOT, join(dir, e.name))] : [],
  );
}

const provenanceOf = (file: string) => (JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as { provenance?: Provenance }).provenance;

test('every report under reports/ records the commit and the command that produced it: Markdown in a line, JSON in its provenance', () => {
  const md = reportFiles('.md');
  const json = reportFiles('.json');
  assert.ok(md.length >= REPORTS.length && json.length >= REPORTS.length, `${md.length} Markdown and ${json.length} JSON reports`);
  for (const file of json) {
    const p = provenanceOf(file);
    assert.ok(p, `${file} has no provenance`);
    assert.match(p.commit, /^[0-9a-f]{40}$/, `${file}: commit`);
    assert.ok(p.command.length > 0, `${file}: command`);
    assert.equal(p.dirty, [], `${file} was produced with uncommitted changes to ${p.dirty.join(', ')}`);
  }
  for (const file of md) {
    const m = PROVENANCE_LINE.exec(readFileSync(join(ROOT, file), 'utf8'));
    assert.ok(m, `${file} does not say where it comes from (Produced by \`COMMAND\` at commit \`…\`)`);
    // the raw results beside it, from the same run
    const raw = json.find((j) => j === file.replace(/\.md$/, '.json')) ?? (file === 'reports/REPORT.md' ? 'reports/results.json' : undefined);
    assert.ok(raw, `${file}: no JSON of its raw results beside it`);
    const p = provenanceOf(raw)!;
    assert.ok(p.commit.startsWith(m[2]) && p.command === m[1], `${file} and ${raw} come from different runs`);
  }
});

testWith(test, history)('no report is older than the code it measures: src/ and games/ unchanged since each report\'s commit', () => {
  const stale: string[] = [];
  for (const file of reportFiles('.json')) {
    const p = provenanceOf(file)!;
    assert.is(git('cat-file', '-e', `${p.commit}^{commit}`).status, 0, `${file}: commit ${p.commit} is not in this repository`);
    assert.is(git('merge-base', '--is-ancestor', p.commit, 'HEAD').status, 0, `${file}: commit ${p.commit} is not an ancestor of HEAD`);
    if (p.archived) continue;
    const since = git('log', '--format=%h %s', `${p.commit}..HEAD`, '--', ...REPORT_INPUTS).stdout.trim();
    if (since) {
      const spec = REPORTS.find((r) => file === r.file.replace(/\.md$/, '.json') || (r.name === 'reproduction' && file === 'reports/results.json'));
      const changes = since.split('\n');
      stale.push(
        `${file} (${p.command}, at ${p.commit.slice(0, 12)}): ${changes.length} later commit${changes.length > 1 ? 's' : ''} changed ${REPORT_INPUTS.join('/ or ')}/, the latest ${changes[0]}; ` +
          `regenerate: npm run reports -- ${spec?.name ?? '(no registered command: scripts/reports.ts)'}`,
      );
    }
  }
  assert.ok(stale.length === 0, `stale reports:\n${stale.join('\n')}`);
});

testWith(test, history)('an archived report (one that needs hardware the others do not: a GPU) is named with its commit in the README', () => {
  const readme = readFileSync(README, 'utf8');
  const archived = reportFiles('.json').filter((f) => provenanceOf(f)!.archived);
  for (const file of archived) {
    const p = provenanceOf(file)!;
    assert.ok(readme.includes(p.commit.slice(0, 12)), `README.md does not say that ${file} was measured at ${p.commit.slice(0, 12)}`);
  }
});

test('every registered report exists, and the README shows each one\'s lead as it is (npm run reports -- --readme copies them in)', () => {
  const readme = readFileSync(README, 'utf8');
  const shown = readmeBlocks(readme);
  for (const r of REPORTS) {
    assert.ok(existsSync(join(ROOT, r.file)), `${r.file} (npm run reports -- ${r.name})`);
    assert.ok(shown.includes(r.file), `README.md has no <!-- report: ${r.file} --> block`);
  }
  assert.ok(syncedReadme(readme) === readme, 'README.md\'s report blocks differ from their reports: npm run reports -- --readme');
});

test('recovery: each data set is trained with a seed of its own, disjoint from every data seed, and the report shows every estimate', () => {
  const raw = JSON.parse(readFileSync(join(ROOT, 'reports/recovery/recovery.json'), 'utf8')) as { datasets: number; results: { game: string; dataSeed: number; trainingSeed: number; estimate: number }[] };
  const dataSeeds = new Set(raw.results.map((r) => r.dataSeed));
  for (const r of raw.results) assert.not.ok(dataSeeds.has(r.trainingSeed), `${r.game}, data seed ${r.dataSeed}: training seed ${r.trainingSeed} is a data seed`);
  const md = readFileSync(join(ROOT, 'reports/recovery/recovery.md'), 'utf8');
  const games = [...new Set(raw.results.map((r) => r.game))];
  assert.ok(games.length >= 3);
  for (const game of games) {
    const mine = raw.results.filter((r) => r.game === game);
    assert.is(mine.length, raw.datasets, game);
    const row = md.split('\n').find((l) => l.startsWith(`| ${game} (\``))!;
    for (const r of mine) assert.ok(row.includes(r.estimate.toFixed(game === 'meeting' ? 4 : 3)), `${game}: data seed ${r.dataSeed}'s estimate ${r.estimate} is not in the summary row`);
  }
});

test.run();
