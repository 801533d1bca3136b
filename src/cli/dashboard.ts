// `neural-mfg dashboard [DIR ...]`: a local web page over the runs, sweeps, analyses and forecasts
// under the given folders, live while they run (src/dashboard/, docs/dashboard.md). The server is
// loaded when the command runs, so that other commands do not pay for it.
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';

export interface DashboardCommandOptions {
  port: number;
  host: string;
  open?: boolean;
}

export const DEFAULT_PORT = 8765;

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`--port ${value}: expected a port number from 0 to 65535 (0: any free port)`);
  return n;
}

/** Registers `dashboard` on the program. */
export function dashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .argument('[dir...]', 'folders holding runs, sweeps, analyses and forecasts (searched 4 levels deep; they may not exist yet)', ['runs'])
    .description('a live web page over runs, sweeps, analyses and forecasts: tables, loss curves while train runs, comparisons, sweep aggregates; a JSON API (read only, local by default)')
    .option('--port <n>', 'the port (0: any free one)', parsePort, DEFAULT_PORT)
    .option('--host <address>', 'the address to listen on; anything but 127.0.0.1 / ::1 / localhost needs the access token printed at start', '127.0.0.1')
    .option('--open', 'open the page in the default browser')
    .addHelpText(
      'after',
      `\nExamples:\n  $ neural-mfg dashboard runs/\n  $ neural-mfg dashboard runs/ sweeps/ --port 9000 --open\n` +
        `\nOn a remote machine, keep the default address and tunnel to it with SSH:\n  $ ssh -N -L ${DEFAULT_PORT}:127.0.0.1:${DEFAULT_PORT} user@remote     # then open http://127.0.0.1:${DEFAULT_PORT}/ here\n` +
        `\nAPI: GET /api/runs, GET /api/runs/<name>, GET /api/runs/<name>/metrics, GET /api/events (server-sent events); names URL-encoded.`,
    )
    .action(async (dirs: string[], opts: DashboardCommandOptions) => {
      process.exitCode = await runDashboard(dirs, opts);
    });
}

async function runDashboard(dirs: string[], opts: DashboardCommandOptions): Promise<number> {
  for (const dir of dirs) {
    let isDir: boolean | null = null;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      process.stderr.write(`note: ${dir} does not exist yet; the dashboard shows it once it does\n`);
    }
    if (isDir === false) {
      process.stderr.write(`neural-mfg: ${dir} is a file; the dashboard needs folders (of runs, sweeps, forecasts)\n`);
      return 2;
    }
  }
  const { startDashboard } = await import('../dashboard/server.ts');
  let dashboard;
  try {
    dashboard = await startDashboard({ roots: dirs, host: opts.host, port: opts.port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') process.stderr.write(`neural-mfg: port ${opts.port} is in use on ${opts.host}; choose another with --port N (--port 0 takes a free one)\n`);
    else if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') process.stderr.write(`neural-mfg: --host ${opts.host}: no such address on this machine\n`);
    else if (code === 'EACCES') process.stderr.write(`neural-mfg: --port ${opts.port}: not allowed for this user (ports below 1024 need privileges)\n`);
    else throw err;
    return 2;
  }
  const runs = dashboard.index.list();
  const count = (kinds: string[]) => runs.filter((r) => kinds.includes(r.kind) && r.parent === null).length;
  let url = dashboard.url;
  if (dashboard.token) {
    const shown = opts.host === '0.0.0.0' || opts.host === '::' ? hostname() : opts.host;
    url = `${dashboard.url.replace(opts.host.includes(':') ? `[${opts.host}]` : opts.host, shown)}?token=${dashboard.token}`;
  }
  process.stdout.write(
    `neural-mfg dashboard: ${url}\n` +
      `  ${count(['run'])} runs, ${count(['sweep', 'analysis'])} sweeps and analyses, ${count(['forecast'])} forecasts in ${dirs.join(', ')} (watched: new folders appear)\n` +
      (dashboard.token
        ? `  listening on ${opts.host}: the page and the API need this access token (new at every start; API: Authorization: Bearer ${dashboard.token})\n`
        : `  from another machine: ssh -N -L ${new URL(dashboard.url).port}:127.0.0.1:${new URL(dashboard.url).port} ${hostname()}, then open ${dashboard.url}\n`) +
      `  Ctrl-C stops it\n`,
  );
  if (opts.open) openBrowser(url);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await dashboard.close();
  return 0;
}

/** The desktop's browser, where there is one (a failure to open is not the dashboard's). */
function openBrowser(url: string): void {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  try {
    spawn(cmd, args as string[], { stdio: 'ignore', detached: true })
      .on('error', () => process.stderr.write(`note: could not open a browser (${cmd}); open ${url}\n`))
      .unref();
  } catch {
    process.stderr.write(`note: could not open a browser; open ${url}\n`);
  }
}
