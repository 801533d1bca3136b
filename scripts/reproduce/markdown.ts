// REPORT.md: the targets of docs/targets.md §2 with expected and measured values and pass/fail, the
// experiments with their wall times and backends, and the figures written.
import { relative } from 'node:path';
import type { ExperimentRecord, FigureRecord, TargetRow } from './types.ts';

export interface ReportInput {
  command: string;
  /** the line saying where the report comes from (scripts/provenance.ts) */
  provenance: string;
  quick: boolean;
  quickSetting: string;
  date: string;
  environment: string;
  backendAsked: string;
  totalSeconds: number;
  rows: TargetRow[];
  experiments: ExperimentRecord[];
  figures: FigureRecord[];
  pngNote: string;
  out: string;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const STATUS: Record<TargetRow['status'], string> = { pass: 'pass', fail: '**FAIL**', 'not run': 'not run', error: '**ERROR**', 'not applicable': 'not applicable' };
const VARIANT: Record<TargetRow['variant'], string> = { reference: 'reference', default: 'default', control: 'control' };

export function seconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - 60 * m)} s`;
}

export function renderReport(r: ReportInput): string {
  const out: string[] = [];
  out.push('# neural-mfg: reproducing the paper', '', r.provenance, '');
  if (r.quick) {
    out.push(
      `> **QUICK RUN** — reduced setting (${r.quickSetting}). The targets are **not expected to pass**; ` +
        'this run only shows that every experiment runs end to end. `npm run reproduce` runs the real check.',
      '',
    );
  }
  const used = [...new Set(r.experiments.filter((e) => !e.backend.includes('tests')).map((e) => e.backend))];
  out.push(
    `\`${r.command}\`, ${r.date}. ${r.environment}. Backend asked: \`${r.backendAsked}\`; used: ${used.map((b) => `\`${b}\``).join(', ') || '—'}. ` +
      `**Total wall time ${seconds(r.totalSeconds)}.**`,
    '',
  );
  const ref = r.rows.filter((x) => x.variant === 'reference');
  const count = (st: TargetRow['status']) => ref.filter((x) => x.status === st).length;
  out.push(
    `Reference settings: **${count('pass')} pass**, ${count('fail')} fail, ${count('error')} error, ${count('not run')} not run, ` +
      `${count('not applicable')} not applicable (of ${ref.length} rows; a row that could only restate its target is not applicable, with the reason). ` +
      "Rows marked *default* run the same target with the project's defaults instead of the reference's " +
      "behaviour, beside the reference row: fresh instead of frozen noise or attendance draws, or a fixed defect (El Farol's " +
      'straight-through clip gradient, Liar\'s dice variants); a default row that fails where its reference row passes shows that the ' +
      'reference value relies on that behaviour. *control* rows check a contrast the target names.',
    '',
  );

  out.push('## Targets (docs/targets.md §2)', '');
  out.push('| # | variant | setting | expected (tolerance) | measured | result |', '| --- | --- | --- | --- | --- | --- |');
  for (const x of r.rows) {
    out.push(`| ${x.id} | ${VARIANT[x.variant]} | ${cell(x.setting)} | ${cell(x.expected)} | ${cell(x.measured)} | ${STATUS[x.status]} |`);
  }
  out.push('');

  out.push('## Experiments', '');
  out.push(
    'Each experiment is one run of the command-line tool as a child process; its outputs (summary.json, metrics.csv, trajectory.csv, ' +
      'figures, model) are in `runs/<experiment>/`. Wall time is the child process from start to exit (Node and TF.js start-up ' +
      "included); *command* is the command's own `wallSeconds`.",
    '',
  );
  out.push('| experiment | figure | command | backend | wall time | command | ms/step | status |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const e of r.experiments) {
    const argv = displayArgv(e.argv, r.out);
    const status = e.code === 0 ? 'ok' : `**failed** (${cell(e.failure ?? `exit ${e.code}`)})`;
    out.push(
      `| ${e.id} | ${e.figure} | \`${cell(argv)}\` | ${e.backend} | ${seconds(e.wallSeconds)} | ` +
        `${e.commandSeconds === null ? '—' : seconds(e.commandSeconds)} | ${e.msPerStep === null ? '—' : e.msPerStep.toFixed(1)} | ${status} |`,
    );
  }
  const sum = r.experiments.reduce((a, e) => a + e.wallSeconds, 0);
  out.push('', `Sum of the experiments' wall times: ${seconds(sum)}; the whole reproduction: ${seconds(r.totalSeconds)}.`, '');

  out.push('## Figures', '');
  if (r.figures.length === 0) out.push('No figures were written.');
  else {
    out.push('| file | content |', '| --- | --- |');
    for (const f of r.figures) out.push(`| [${f.file}](${f.file}) | ${cell(f.caption)} |`);
  }
  out.push('', r.pngNote, '');
  return out.join('\n');
}

/** The CLI call as a user would type it, the output folder relative to the report folder. */
function displayArgv(argv: string[], out: string): string {
  const shown: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quiet') continue;
    if (argv[i] === '--out' && i + 1 < argv.length) {
      shown.push('--out', relative(out, argv[i + 1]) || '.');
      i++;
      continue;
    }
    shown.push(/[\s"]/.test(argv[i]) ? `'${argv[i]}'` : argv[i]);
  }
  return argv[0] === 'uvu' ? shown.join(' ') : `neural-mfg ${shown.join(' ')}`;
}
