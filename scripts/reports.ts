// npm run reports [-- NAME … | --list | --readme | --no-build]: regenerates the committed reports, each by the
// script that measures it, then copies each report's lead (its provenance line and tables) into the
// README's matching block (<!-- report: FILE --> … <!-- /report -->). Every report records the
// commit it was produced at (scripts/provenance.ts); test/reports.test.ts fails when src/ or games/
// changed after that commit, and when a README block differs from its report. Commit the code
// first: the reports refuse uncommitted changes under src/ and games/ (--allow-dirty: a rehearsal).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { REPORT_INPUTS } from './provenance.ts';

export interface ReportSpec {
  name: string;
  /** the report's Markdown (its JSON beside it), from the repository's root */
  file: string;
  /** the script and its arguments (run with tsx, from the root) */
  argv: string[];
  /** about how long it takes on a 2-core machine of its own */
  minutes: number;
  /** what it needs beyond npm ci */
  needs?: string;
  env?: Record<string, string>;
}

export const REPORTS: ReportSpec[] = [
  { name: 'reproduction', file: 'reports/REPORT.md', minutes: 2, argv: ['scripts/reproduce.ts', 'all', '--backend', 'wasm', '--out', 'reports'] },
  { name: 'transfer', file: 'reports/beyond-the-paper/transfer.md', minutes: 4, argv: ['scripts/transfer.ts', '--out', 'runs/transfer', '--report', 'reports/beyond-the-paper'] },
  { name: 'diffusion', file: 'reports/beyond-the-paper/diffusion.md', minutes: 12, argv: ['scripts/diffusion.ts', '--out', 'runs/diffusion', '--report', 'reports/beyond-the-paper'] },
  { name: 'agents', file: 'reports/beyond-the-paper/bench-agents.md', minutes: 9, argv: ['scripts/bench-agents.ts', '--cli', '--report', 'reports/beyond-the-paper'] },
  {
    name: 'recovery',
    file: 'reports/recovery/recovery.md',
    minutes: 9,
    argv: ['scripts/recovery.ts', '--datasets', '10', '--bootstrap', '40', '--out', 'runs/recovery', '--report', 'reports/recovery'],
  },
  { name: 'speed', file: 'reports/speed/speed.md', minutes: 8, argv: ['scripts/bench.ts', '--backends', 'wasm', '--only', 'steps,runs,scaling', '--repeat', '5', '--report', 'reports/speed'] },
  {
    name: 'sweeps',
    file: 'reports/sweeps/bench-sweep.md',
    minutes: 15,
    argv: ['scripts/bench-sweep.ts', '--only', 'pool,bluff', '--repeat', '3', '--pool-seeds', '10', '--out', 'runs/bench-sweep', '--report', 'reports/sweeps'],
  },
  { name: 'csv', file: 'reports/csv/bench-csv.md', minutes: 4, argv: ['scripts/bench-csv.ts', '--sizes', '200,1000', '--report', 'reports/csv'] },
  {
    name: 'gpu-software',
    file: 'reports/gpu/llvmpipe-bench-gpu.md',
    minutes: 4,
    needs: 'the webgpu packages (npm install --no-save webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0) and Mesa',
    env: { NEURAL_MFG_ALLOW_SOFTWARE: '1' },
    argv: ['scripts/gpu/bench-gpu.ts', '--steps', '3', '--report', 'reports/gpu', '--name', 'llvmpipe-bench-gpu'],
  },
];

const ROOT = resolve(import.meta.dirname, '..');
export const README = join(ROOT, 'README.md');
const BLOCK = /<!-- report: (\S+) -->\n[\s\S]*?<!-- \/report -->/g;

/**
 * A report's lead, as the README shows it: the lines after its title up to its first `## ` section,
 * its relative links made relative to the README.
 */
export function reportLead(file: string, root = ROOT): string {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const start = lines[0].startsWith('# ') ? 1 : 0;
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  const lead = lines.slice(start, end < 0 ? undefined : end).join('\n').trim();
  const dir = posix.dirname(file);
  return lead.replace(/\]\(([^)#:\s]+)\)/g, (_, link: string) => `](${posix.join(dir, link)})`);
}

/** The README with every report block holding its report's current lead. */
export function syncedReadme(text: string, root = ROOT): string {
  return text.replace(BLOCK, (_, file: string) => `<!-- report: ${file} -->\n${reportLead(file, root)}\n<!-- /report -->`);
}

/** The report files the README's blocks show. */
export function readmeBlocks(text: string): string[] {
  return [...text.matchAll(BLOCK)].map((m) => m[1]);
}

function run(spec: ReportSpec): number {
  const started = performance.now();
  process.stderr.write(`\n== ${spec.name}: ${spec.argv.join(' ')} (about ${spec.minutes} min)\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', ...spec.argv], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...spec.env } });
  if (r.status !== 0) throw new Error(`${spec.name} failed (exit ${r.status})${spec.needs ? `; it needs ${spec.needs}` : ''}`);
  return (performance.now() - started) / 60_000;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      list: { type: 'boolean', default: false },
      readme: { type: 'boolean', default: false },
      'allow-dirty': { type: 'boolean', default: false },
      /** dist/ is built already (another `npm run reports` running beside this one uses it) */
      'no-build': { type: 'boolean', default: false },
    },
  });
  if (values.list) {
    for (const r of REPORTS) process.stdout.write(`${r.name.padEnd(14)} ${`~${r.minutes} min`.padEnd(9)} ${r.file}  (npx tsx ${r.argv.join(' ')})${r.needs ? `; needs ${r.needs}` : ''}\n`);
    process.stdout.write(`all: about ${REPORTS.reduce((a, r) => a + r.minutes, 0)} min on a 2-core machine of its own\n`);
    return;
  }
  if (!values.readme) {
    const unknown = positionals.filter((p) => !REPORTS.some((r) => r.name === p));
    if (unknown.length > 0) throw new Error(`no report ${unknown.join(', ')}: choose from ${REPORTS.map((r) => r.name).join(', ')}`);
    const dirty = spawnSync('git', ['status', '--porcelain', '--', ...REPORT_INPUTS], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
    if (dirty && !values['allow-dirty']) throw new Error(`uncommitted changes under ${REPORT_INPUTS.join(', ')}: commit them first, so that the reports name the commit they measure\n${dirty}`);
    if (!values['no-build']) {
      const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
      if (build.status !== 0) throw new Error('npm run build failed');
    }
    const chosen = positionals.length > 0 ? REPORTS.filter((r) => positionals.includes(r.name)) : REPORTS;
    const took: string[] = [];
    for (const spec of chosen) took.push(`${spec.name} ${run(spec).toFixed(1)} min`);
    process.stderr.write(`\nregenerated: ${took.join(', ')}\n`);
  }
  const before = readFileSync(README, 'utf8');
  for (const file of readmeBlocks(before)) if (!existsSync(join(ROOT, file))) throw new Error(`README.md shows ${file}, which does not exist`);
  const after = syncedReadme(before);
  if (after !== before) writeFileSync(README, after);
  process.stderr.write(`README.md: ${readmeBlocks(after).length} report blocks ${after === before ? 'already current' : 'updated'}; commit reports/ and README.md\n`);
}

if (resolve(process.argv[1] ?? '') === resolve(import.meta.filename)) {
  main().catch((err) => {
    process.stderr.write(`reports: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  });
}
