// The reproduction of the paper's experiments: runs the presets through the CLI with fixed seeds,
// checks the targets of docs/targets.md §2, copies the figures into one folder and writes REPORT.md
// and results.json there. Not part of the package (scripts/reproduce.ts runs it).
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../../src/io/atomic.ts';
import { PACKAGE_ROOT, failureReason, runCli } from './run-cli.ts';
import { notRunRow } from './check.ts';
import { reproduceFig2a, reproduceFig2b } from './meeting.ts';
import { reproduceFig3a, reproduceFig3b } from './el-farol.ts';
import { reproduceLiarsDice } from './liars-dice.ts';
import { renderReport, seconds } from './markdown.ts';
import { provenance, provenanceLine } from '../provenance.ts';
import { FIGURES, type ExperimentRecord, type FigureId, type FigureRecord, type ReproduceContext, type TargetRow } from './types.ts';

export interface ReproduceOptions {
  /** figure names, or ['all'] */
  figures: string[];
  out: string;
  quick: boolean;
  backend: string;
  /** fused or graph for every experiment (default: the CLI's default, fused) */
  engine?: string;
  /** progress lines (default: stderr) */
  log?: (line: string) => void;
}

/** What ran an experiment, from its summary.json: "fused", or "graph on <backend>". */
function engineLabel(summary: Record<string, unknown> | null, asked: string): string {
  if (summary?.engine === 'fused') return 'fused';
  const backend = typeof summary?.backend === 'string' ? summary.backend : asked;
  return summary?.engine === 'graph' ? `graph on ${backend}` : backend;
}

export interface ReproduceResult {
  rows: TargetRow[];
  experiments: ExperimentRecord[];
  figures: FigureRecord[];
  totalSeconds: number;
  reportPath: string;
  /** 0 when every CLI experiment ran, 1 when one failed (failed targets and tests do not change it) */
  exitCode: number;
}

/** The figures whose experiments check each target; a target runs when one of them is selected. */
const TARGET_FIGURES: Record<string, FigureId[]> = {
  T1: ['fig4', 'fig5', 'fig6'],
  T2: ['fig2a'],
  T3: ['fig2a'],
  T4: ['fig2a'],
  T5: ['fig2b'],
  T6: ['fig2b'],
  T7: ['fig3a'],
  T8: ['fig3b'],
  T9: ['fig4', 'fig5', 'fig6'],
  T10: ['fig4', 'fig5', 'fig6'],
  T11: ['fig4', 'fig5', 'fig6'],
  T12: ['fig6'],
  T13: ['fig4', 'fig5'],
  T14: ['fig4', 'fig5'],
};

/** The reduced setting of --quick: a few training steps on few evaluation populations, one seed. */
const QUICK_TRAINING = ['--set', 'training.steps=20', '--set', 'training.evaluationPopulations=8'];
const QUICK_SETTING = '20 training steps, 8 evaluation populations, the first seed of each target only';

export function parseFigures(names: string[]): FigureId[] {
  if (names.length === 0 || names.includes('all')) return [...FIGURES];
  for (const n of names) {
    if (!(FIGURES as readonly string[]).includes(n)) {
      throw new Error(`reproduce: unknown figure "${n}": choose all or any of ${FIGURES.join(', ')}`);
    }
  }
  return FIGURES.filter((f) => names.includes(f));
}

/**
 * Renders every SVG to PNG with @resvg/resvg-js (a dependency; its prebuilt native binary comes
 * from npm per platform). Where that binary is missing for the platform, says so and goes on.
 */
async function writePngs(out: string, figures: FigureRecord[]): Promise<string> {
  let resvg: typeof import('@resvg/resvg-js');
  try {
    resvg = await import('@resvg/resvg-js');
  } catch (err) {
    return `PNG: not written — @resvg/resvg-js could not load here (${(err as Error).message.split('\n')[0]}).`;
  }
  for (const f of figures) {
    const svg = await readFile(join(out, f.file), 'utf8');
    const png = new resvg.Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true } }).render().asPng();
    await writeFileAtomic(join(out, f.file.replace(/\.svg$/, '.png')), png);
  }
  return `PNG: each SVG also rendered to PNG (2×) by @resvg/resvg-js.`;
}

export async function reproduce(opts: ReproduceOptions): Promise<ReproduceResult> {
  const started = performance.now();
  const figuresSelected = parseFigures(opts.figures);
  const out = resolve(opts.out);
  await mkdir(join(out, 'runs'), { recursive: true });
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const experiments: ExperimentRecord[] = [];
  const figures: FigureRecord[] = [];

  const ctx: ReproduceContext = {
    out,
    quick: opts.quick,
    backend: opts.backend,
    trainingOverrides: opts.quick ? QUICK_TRAINING : [],
    seeds: (all) => (opts.quick ? all.slice(0, 1) : all),
    log,
    record: (e) => {
      experiments.push(e);
      log(`[${e.figure}] ${e.id}: ${e.code === 0 ? 'ok' : `exit ${e.code}`}, ${e.wallSeconds.toFixed(1)} s`);
    },
    async run(figure, id, command, args, figs) {
      const engine = opts.engine ? ['--engine', opts.engine] : [];
      const run = await runCli(command, [...args, '--backend', opts.backend, ...engine], join(out, 'runs', id));
      const s = run.summary;
      experiments.push({
        id,
        figure,
        argv: run.argv,
        code: run.code,
        backend: engineLabel(s, opts.backend),
        wallSeconds: run.wallSeconds,
        commandSeconds: typeof s?.wallSeconds === 'number' ? s.wallSeconds : null,
        msPerStep: typeof s?.msPerStep === 'number' ? s.msPerStep : null,
        failure: s ? undefined : failureReason(run),
      });
      log(`[${figure}] ${id}: ${command} ${args.join(' ')} — ${s ? 'ok' : failureReason(run)}, ${run.wallSeconds.toFixed(1)} s`);
      if (s) {
        for (const f of figs) {
          await copyFile(join(run.dir, f.from), join(out, f.to));
          figures.push({ file: f.to, caption: f.caption });
        }
      }
      return run;
    },
  };

  const rows: TargetRow[] = [];
  const selected = (...fs: FigureId[]) => fs.some((f) => figuresSelected.includes(f));
  if (selected('fig2a')) rows.push(...(await reproduceFig2a(ctx)));
  if (selected('fig2b')) rows.push(...(await reproduceFig2b(ctx)));
  if (selected('fig3a')) rows.push(...(await reproduceFig3a(ctx)));
  if (selected('fig3b')) rows.push(...(await reproduceFig3b(ctx)));
  if (selected('fig4', 'fig5', 'fig6')) rows.push(...(await reproduceLiarsDice(ctx)));

  // One block of rows per target, T1 … T14, those of unselected figures marked as such.
  const ordered: TargetRow[] = [];
  for (const [id, figs] of Object.entries(TARGET_FIGURES)) {
    const mine = rows.filter((r) => r.id === id && selected(...figs));
    if (mine.length > 0) ordered.push(...mine);
    else {
      ordered.push(
        notRunRow({ id, variant: 'reference', setting: '—', expected: 'see docs/targets.md §2' }, `not selected (\`reproduce ${figs.join('|')}\` runs it)`),
      );
    }
  }

  const pngNote = await writePngs(out, figures);
  const totalSeconds = (performance.now() - started) / 1000;
  const pkg = JSON.parse(await readFile(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
  const cpu = cpus();
  const command = `npm run reproduce -- ${opts.figures.length ? opts.figures.join(' ') : 'all'}${opts.quick ? ' --quick' : ''} --backend ${opts.backend}${opts.engine ? ` --engine ${opts.engine}` : ''} --out ${opts.out}`;
  const origin = provenance(command);
  const report = renderReport({
    command,
    provenance: provenanceLine(origin, 'results.json'),
    quick: opts.quick,
    quickSetting: QUICK_SETTING,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    environment: `neural-mfg ${pkg.version}, Node ${process.version}, ${process.platform}-${process.arch}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}`,
    backendAsked: opts.backend,
    totalSeconds,
    rows: ordered,
    experiments,
    figures,
    pngNote,
    out,
  });
  const reportPath = join(out, 'REPORT.md');
  await writeFileAtomic(reportPath, report);
  await writeJsonAtomic(join(out, 'results.json'), {
    provenance: origin,
    command,
    quick: opts.quick,
    totalSeconds,
    targets: ordered,
    experiments,
    figures,
  });
  log(`wrote ${reportPath} (${seconds(totalSeconds)} in all)`);
  return {
    rows: ordered,
    experiments,
    figures,
    totalSeconds,
    reportPath,
    exitCode: experiments.some((e) => e.failure !== undefined) ? 1 : 0,
  };
}
