// Runs one experiment of the reproduction as a child process of the command-line tool and reads
// back its summary.json. The report talks to the engine only through the CLI, so that it keeps
// working while the engine's internals change.
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** The repository (or installed package) root: bin/, test/, node_modules/ live here. */
export const PACKAGE_ROOT = resolve(import.meta.dirname, '..', '..');
/** The command-line tool's entry point. */
export const BIN = join(PACKAGE_ROOT, 'bin', 'neural-mfg.js');

export interface ChildRun {
  /** argv after `node`, as run */
  argv: string[];
  /** exit status; null when killed by a signal */
  code: number | null;
  /** wall time of the child process, start to exit, seen from here (includes Node and TF.js start-up) */
  wallSeconds: number;
  stdout: string;
  stderr: string;
}

/** Runs `node <script> ...args` in the package root and collects its output. */
export function runNode(script: string, args: string[], timeoutMs = 30 * 60_000, env: Record<string, string> = {}): Promise<ChildRun> {
  const argv = [script, ...args];
  const started = performance.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, argv, { cwd: PACKAGE_ROOT, env: { ...process.env, FORCE_COLOR: '0', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    const finish = (code: number | null, extra = '') => {
      clearTimeout(timer);
      done({ argv, code, wallSeconds: (performance.now() - started) / 1000, stdout, stderr: stderr + extra });
    };
    child.on('error', (err) => finish(null, `\n${err.message}`));
    child.on('close', (code) => finish(code));
  });
}

export interface CliRun extends ChildRun {
  /** the run's folder (`--out`) */
  dir: string;
  /** the parsed summary.json, or null if the command failed before writing it */
  summary: Record<string, any> | null;
}

/**
 * `neural-mfg <command> <args> --out DIR` (plus `--quiet` for train), after emptying DIR so that
 * no file of an earlier run can be mistaken for this run's output.
 */
export async function runCli(command: 'simulate' | 'train' | 'eval' | 'analyze', args: string[], dir: string): Promise<CliRun> {
  await rm(dir, { recursive: true, force: true });
  const extra = command === 'train' ? ['--quiet'] : [];
  const run = await runNode(BIN, [command, ...args, '--out', dir, ...extra]);
  let summary: Record<string, any> | null = null;
  if (run.code === 0) {
    try {
      summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8'));
    } catch {
      summary = null;
    }
  }
  return { ...run, argv: [command, ...args, '--out', dir, ...extra], dir, summary };
}

/** The last non-empty line of a child's stderr (or stdout), for a one-line failure reason. */
export function failureReason(run: ChildRun): string {
  const lines = `${run.stderr}\n${run.stdout}`.split('\n').map((l) => l.trim()).filter(Boolean);
  const where = run.code === null ? 'killed' : `exit ${run.code}`;
  return `${where}: ${lines.find((l) => l.startsWith('neural-mfg:')) ?? lines.at(-1) ?? 'no output'}`;
}

/** Reads a `metrics.csv` written by train: step, train_loss, validation_loss, ms (numbers only). */
export async function readMetrics(dir: string): Promise<{ step: number; train: number; validation: number | null }[]> {
  const text = await readFile(join(dir, 'metrics.csv'), 'utf8');
  const [header, ...lines] = text.trim().split(/\r?\n/);
  const cols = header.split(',');
  const at = (name: string) => cols.indexOf(name);
  return lines.map((line) => {
    const f = line.split(',');
    const v = f[at('validation_loss')];
    return { step: Number(f[at('step')]), train: Number(f[at('train_loss')]), validation: v === '' || v === undefined ? null : Number(v) };
  });
}
