// Where a committed report comes from: the commit of the code that produced it, the command, when
// and on what machine. Every report under reports/ carries one, in its JSON (`provenance`) and as a
// line of its Markdown; test/reports.test.ts fails when src/ or games/ changed after that commit.
// `npm run reports` (scripts/reports.ts) regenerates them.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/** The code a report's numbers depend on: a change under these paths after its commit makes it stale. */
export const REPORT_INPUTS = ['src', 'games'];

export interface Provenance {
  /** the commit checked out when the report was produced (git rev-parse HEAD) */
  commit: string;
  /** files under REPORT_INPUTS that differed from that commit (uncommitted changes): empty for a sound report */
  dirty: string[];
  /** the command that produced it, from the repository's root */
  command: string;
  /** ISO date and time, UTC */
  date: string;
  /** CPU, cores, Node, and the load averages when the report was written (the machine may have been shared) */
  machine: string;
  /**
   * Set for a report that cannot be produced again where the others are (a GPU's): why. Such a
   * report is a record of its commit, not a claim about the current code; the test does not hold
   * it to REPORT_INPUTS.
   */
  archived?: string;
}

const ROOT = resolve(import.meta.dirname, '..');

function git(args: string[]): string | null {
  const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** The provenance of a report produced now by `command` (argv as typed, from the repository's root). */
export function provenance(command: string): Provenance {
  const commit = git(['rev-parse', 'HEAD']) ?? 'unknown (not a git checkout)';
  const status = git(['status', '--porcelain', '--', ...REPORT_INPUTS]) ?? '';
  const dirty = status.split('\n').filter(Boolean).map((l) => l.slice(3));
  const cpu = cpus();
  const [load, , load15] = loadavg();
  return {
    commit,
    dirty,
    command,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    machine: `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}, load average ${load.toFixed(1)} (15 min: ${load15.toFixed(1)}) when it was written`,
  };
}

/** This process's command line as typed from the root: `npx tsx scripts/x.ts --flag v`. */
export function thisCommand(prefix = 'npx tsx'): string {
  const [, script, ...args] = process.argv;
  const quote = (a: string) => (/^[\w./,=:@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return [prefix, relative(ROOT, script), ...args.map(quote)].join(' ');
}

/**
 * The line a report's Markdown carries under its title (test/reports.test.ts reads it back):
 * Produced by `COMMAND` at commit `abcdef123456` (DATE; MACHINE); raw results: [FILE](FILE).
 */
export function provenanceLine(p: Provenance, raw?: string): string {
  const dirty = p.dirty.length > 0 ? ` **with uncommitted changes to ${p.dirty.join(', ')}**` : '';
  const archived = p.archived ? ` Not produced again since: ${p.archived}.` : '';
  return `Produced by \`${p.command}\` at commit \`${p.commit.slice(0, 12)}\`${dirty} (${p.date}; ${p.machine})${raw ? `; raw results: [${raw}](${raw})` : ''}.${archived}`;
}

/** What a provenance line says, read back: the command and the (abbreviated) commit. */
export const PROVENANCE_LINE = /Produced by `([^`]+)` at commit `([0-9a-f]{7,40})`/;

/**
 * Writes a report: DIR/NAME.md (a title, the provenance line, then `body`: tables and notes) and
 * DIR/NAME.json (`provenance` and the raw results behind every number of the Markdown).
 */
export function writeReport(dir: string, name: string, r: { title: string; command?: string; body: string[]; raw: Record<string, unknown> }): Provenance {
  const p = provenance(r.command ?? thisCommand());
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ provenance: p, ...r.raw }, null, 1) + '\n');
  writeFileSync(join(dir, `${name}.md`), [`# ${r.title}`, '', provenanceLine(p, `${name}.json`), '', ...r.body].join('\n').trimEnd() + '\n');
  return p;
}
