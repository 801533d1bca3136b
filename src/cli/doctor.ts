// `neural-mfg doctor`: every backend, whether its packages are installed, whether it starts, what
// it computes on, and the exact command that installs a missing one. A report, not a check: it
// exits 0 whatever it finds.
import { BACKEND_NAMES, checkBackend, DEFAULT_BACKEND, type BackendReport } from '../backend.ts';

export async function doctorReport(): Promise<BackendReport[]> {
  const reports: BackendReport[] = [];
  for (const name of BACKEND_NAMES) reports.push(await checkBackend(name));
  return reports;
}

export function formatDoctor(reports: BackendReport[]): string {
  const lines: string[] = [];
  for (const r of reports) {
    const status = r.starts ? 'works' : r.installed ? 'installed, does not start' : 'not installed';
    lines.push(`${r.name.padEnd(10)} ${status}${r.name === DEFAULT_BACKEND ? ' (default)' : ''}`);
    lines.push(`           packages: ${r.packages.join(', ')}`);
    if (r.device) lines.push(`           runs on: ${r.device}`);
    if (r.problem) lines.push(`           problem: ${r.problem}`);
    if (!r.installed) lines.push(`           install: ${r.install}`);
    if (!r.starts) lines.push(`           requirements: ${r.requirements}`);
  }
  return lines.join('\n') + '\n';
}

export async function doctorCommand(opts: { json?: boolean }): Promise<void> {
  const reports = await doctorReport();
  process.stdout.write(opts.json ? JSON.stringify(reports, null, 2) + '\n' : formatDoctor(reports));
}
