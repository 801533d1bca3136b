// The house's floors, checked on the source text (docs/architecture.md §1): every import of src/ and
// games/ — static, `import type`, `export … from` and dynamic `import('…')` alike — goes to a file
// of its own floor or a lower one (engine < games < run < sweep < dashboard < front ends), and no
// files import each other in a loop. A new folder under src/ counts as a front end until it is given
// a floor here. The dashboard reads what runs and sweeps write (their folders, records, manifests and
// figures) and runs none of them; the CLI starts it. Its page runs in the browser: it imports, apart
// from types, only its own modules and the figures' specs (src/plot/). The forecasts' library
// (src/forecast/: series, bands, scores, baselines, calibration, the rolling plan) is pure and
// game-independent, like src/data/: it stands with the engine, below the run layer and the games.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/** The floors from the ground up; a file's floor is that of the first entry its path starts with. */
const FLOORS: { name: string; paths: string[] }[] = [
  { name: 'engine', paths: ['src/ode/', 'src/nn/', 'src/mfg/', 'src/fused/', 'src/gpu/', 'src/train/', 'src/io/', 'src/data/', 'src/forecast/', 'src/plot/', 'src/random.ts', 'src/streams.ts', 'src/tf.ts', 'src/threads.ts', 'src/package.ts', 'src/config.ts', 'src/config-fields.ts', 'src/game.ts', 'src/backend.ts', 'src/backend-names.ts', 'src/finite.ts'] },
  { name: 'games', paths: ['games/'] },
  { name: 'run', paths: ['src/run/'] },
  { name: 'sweep', paths: ['src/sweep/'] },
  { name: 'dashboard', paths: ['src/dashboard/'] },
  { name: 'front', paths: ['src/'] },
];

function floorOf(file: string): number {
  return FLOORS.findIndex((f) => f.paths.some((p) => (p.endsWith('/') ? file.startsWith(p) : file === p)));
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir))) {
    const path = `${dir}/${entry}`;
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...sources(path));
    else if (/\.ts$/.test(entry) && !entry.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The text with comments blanked out (strings and template literals kept as they are). */
export function withoutComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
      out += ' ';
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Every module a file names, by kind: `import … from`, `import type`, `export … from`, `import '…'`, `import('…')`. */
export function importsOf(text: string): { specifier: string; kind: 'static' | 'type' | 'dynamic' }[] {
  const code = withoutComments(text);
  const found: { specifier: string; kind: 'static' | 'type' | 'dynamic' }[] = [];
  for (const m of code.matchAll(/(?:^|[;\n}])\s*(import|export)\s+(type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?(['"])([^'"]+)\3/g)) {
    found.push({ specifier: m[4], kind: m[2] ? 'type' : 'static' });
  }
  for (const m of code.matchAll(/\bimport\s*\(\s*(['"])([^'"]+)\1\s*\)/g)) found.push({ specifier: m[2], kind: 'dynamic' });
  return found;
}

const FILES = [...sources('src'), ...sources('games')];
const EDGES = new Map<string, { to: string; kind: string }[]>();
for (const file of FILES) {
  const edges: { to: string; kind: string }[] = [];
  for (const { specifier, kind } of importsOf(readFileSync(join(ROOT, file), 'utf8'))) {
    if (!specifier.startsWith('.')) continue;
    const to = relative(ROOT, resolve(ROOT, dirname(file), specifier)).split('\\').join('/');
    if (existsSync(join(ROOT, to)) && to.endsWith('.ts')) edges.push({ to, kind });
  }
  EDGES.set(file, edges);
}

test('the import reader sees static, type, re-exported and dynamic imports, and none in comments', () => {
  const text = "import { a } from './a.ts';\nimport type { B } from \"./b.ts\";\nexport { c } from './c.ts';\n// import { d } from './d.ts';\n/* import('./e.ts') */ const f = await import('./f.ts');\nconst url = 'redis://x'; import './g.ts';";
  assert.equal(importsOf(text), [
    { specifier: './a.ts', kind: 'static' },
    { specifier: './b.ts', kind: 'type' },
    { specifier: './c.ts', kind: 'static' },
    { specifier: './g.ts', kind: 'static' },
    { specifier: './f.ts', kind: 'dynamic' },
  ]);
});

test('every file of src/ and games/ stands on a floor, and the tree has the imports it is read for', () => {
  for (const file of FILES) assert.ok(floorOf(file) >= 0, `${file} has no floor`);
  assert.ok(EDGES.get('src/run/execute.ts')!.some((e) => e.to === 'src/run/training.ts'), 'the reader finds execute.ts → training.ts');
  assert.ok(EDGES.get('src/sweep/job-process.ts')!.some((e) => e.to === 'src/sweep/in-process.ts' && e.kind === 'dynamic'), 'and dynamic imports');
  // the libraries the run layer and the games share stand with the engine, not with the front ends
  for (const file of ['src/forecast/forecast.ts', 'src/data/csv.ts', 'src/plot/forecast.ts']) assert.is(FLOORS[floorOf(file)].name, 'engine', file);
});

test('layers only go down: no import from a lower floor to a higher one (engine < games < run < sweep < dashboard < front ends)', () => {
  const upward: string[] = [];
  for (const [file, edges] of EDGES) {
    for (const e of edges) {
      if (floorOf(e.to) > floorOf(file)) upward.push(`${file} (${FLOORS[floorOf(file)].name}) → ${e.to} (${FLOORS[floorOf(e.to)].name}, ${e.kind} import)`);
    }
  }
  assert.equal(upward, [], `imports that go up:\n${upward.join('\n')}`);
});

test("the dashboard's page (run in the browser) imports, apart from types, only its own modules and the figures (src/plot/)", () => {
  const page = FILES.filter((f) => f.startsWith('src/dashboard/page/'));
  assert.ok(page.length >= 5, `${page.length} page modules`);
  const stray = page.flatMap((file) => EDGES.get(file)!.filter((e) => e.kind !== 'type' && !e.to.startsWith('src/dashboard/page/') && !e.to.startsWith('src/plot/')).map((e) => `${file} → ${e.to}`));
  assert.equal(stray, []);
});

test('no import loops, static, type or dynamic', () => {
  // Tarjan's strongly connected components over every import
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const loops: string[][] = [];
  let counter = 0;
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const { to } of EDGES.get(v) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(v, Math.min(low.get(v)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(v, Math.min(low.get(v)!, index.get(to)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (EDGES.get(v) ?? []).some((e) => e.to === v)) loops.push(component.sort());
    }
  };
  for (const file of FILES) if (!index.has(file)) visit(file);
  assert.equal(loops, [], `files that import each other in a loop:\n${loops.map((l) => l.join(' ↔ ')).join('\n')}`);
});

test('each CLI command is one small file (at most 120 lines) registering its own flags', () => {
  const commands = FILES.filter((f) => f.startsWith('src/cli/') && /export function register\w+\(/.test(readFileSync(join(ROOT, f), 'utf8')));
  assert.ok(commands.length >= 10, `${commands.length} command files`);
  for (const file of commands) {
    const lines = readFileSync(join(ROOT, file), 'utf8').split('\n').length - 1;
    assert.ok(lines <= 120, `${file} has ${lines} lines`);
  }
});

test.run();
