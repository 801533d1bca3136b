// `neural-mfg doctor`: every backend, whether its packages are installed, whether it starts, what
// it computes on, and the exact command that installs a missing one; for webgpu also the adapter
// (vendor, device, driver, limits), whether it is a GPU or software rendering, and whether the
// fused GPU engine runs on it. A report, not a check: it exits 0 whatever it finds.
import { BACKEND_NAMES, checkBackend, DEFAULT_BACKEND, type BackendReport } from '../backend.ts';
import type { AdapterReport } from '../gpu/dawn.ts';
import type { Command } from 'commander';

export async function doctorReport(): Promise<BackendReport[]> {
  const reports: BackendReport[] = [];
  for (const name of BACKEND_NAMES) reports.push(await checkBackend(name));
  return reports;
}

/** What doctor says first: the default engine runs as installed, whatever the backends below say. */
export const FUSED_ENGINE_NOTE =
  'fused engine (the default for every game): plain typed-array code on the CPU; it needs no backend, and every command runs on it as installed.\n' +
  'The backends below are for --engine graph (TF.js; default backend wasm) and --backend webgpu (the GPU).\n';

export function formatDoctor(reports: BackendReport[]): string {
  const lines: string[] = [FUSED_ENGINE_NOTE];
  for (const r of reports) {
    const status = r.starts ? 'works' : r.installed ? 'installed, does not start' : 'not installed';
    lines.push(`${r.name.padEnd(10)} ${status}${r.name === DEFAULT_BACKEND ? ' (default)' : ''}`);
    lines.push(`           packages: ${r.packages.join(', ')}`);
    if (r.device) lines.push(`           runs on: ${r.device}`);
    if (r.problem) lines.push(`           problem: ${r.problem}`);
    if (r.adapter) lines.push(...adapterLines(r.adapter));
    if (r.gpuEngine) {
      lines.push(`           fused GPU engine: ${r.gpuEngine.works ? 'works (--backend webgpu trains on it; --engine graph runs TF.js instead)' : `does not start: ${r.gpuEngine.problem}`}`);
    }
    if (!r.installed) lines.push(`           install: ${r.install}`);
    if (!r.starts) lines.push(`           requirements: ${r.requirements}`);
  }
  return lines.join('\n') + '\n';
}

function bytes(n: number): string {
  return n >= 2 ** 30 && n % 2 ** 30 === 0 ? `${n / 2 ** 30} GiB` : n >= 2 ** 20 && n % 2 ** 20 === 0 ? `${n / 2 ** 20} MiB` : n >= 1024 && n % 1024 === 0 ? `${n / 1024} KiB` : String(n);
}

/** The adapter WebGPU found: who made it, what it is, its driver, its limits, and whether it is a GPU at all. */
export function adapterLines(a: AdapterReport): string[] {
  const limits = Object.entries(a.limits).map(([k, v]) => `${k} ${/Size$/.test(k) ? bytes(v) : v}`);
  return [
    `           adapter: vendor ${a.vendor || '(none given)'}, device ${a.device || '(none given)'}${a.architecture ? `, architecture ${a.architecture}` : ''}`,
    `           driver: ${a.driver || '(none given)'}; Dawn backend ${a.backend}, ${a.featureLevel} feature level`,
    a.software
      ? '           kind: SOFTWARE RENDERING on the CPU, not a GPU: training on --backend webgpu is refused unless --allow-software'
      : '           kind: a GPU (hardware adapter)',
    `           limits: ${limits.join(', ')}`,
  ];
}

export async function doctorCommand(opts: { json?: boolean }): Promise<void> {
  const reports = await doctorReport();
  process.stdout.write(opts.json ? JSON.stringify(reports, null, 2) + '\n' : formatDoctor(reports));
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('list the TF.js backends: installed?, starts?, on what device?, and how to install a missing one')
    .option('--json', 'print the report as JSON')
    .action(doctorCommand);
}
