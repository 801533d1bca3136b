// A one-node Slurm cluster for the tests, like the Redis of test/sweep-queue.test.ts: Debian's
// slurm-wlm (slurmctld and slurmd) authenticated by its own munged, each started here in the
// foreground on free ports, with a slurm.conf, munge key, state and logs in a temporary folder of
// their own, and stopped by process id. slurmd runs the jobs as their owner: it needs root.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, hostname, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { need } from './requires.ts';

const PROGRAMS = ['slurmctld', 'slurmd', 'munged', 'sbatch', 'sinfo'];
const INSTALL = 'apt-get install slurm-wlm munge';

/** The `slurm` need: the programs are installed and this process may run slurmd (root). */
export const slurm = need('slurm', () => {
  const missing = PROGRAMS.filter((p) => spawnSync('sh', ['-c', `command -v ${p}`]).status !== 0);
  if (missing.length > 0) return `${missing.join(', ')} not installed (${INSTALL})`;
  if (process.getuid?.() !== 0) return 'slurmd runs each job as its owner and needs root (CI runs as root)';
  return null;
});

export interface SlurmCluster {
  /** the environment for sbatch, squeue, sinfo: SLURM_CONF */
  env: NodeJS.ProcessEnv;
  dir: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Starts munged, slurmctld and slurmd; resolves once the node is idle (60 s at most). */
export async function startSlurm(): Promise<SlurmCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'neural-mfg-slurm-'));
  const children: ChildProcess[] = [];
  const log = (name: string) => join(dir, 'log', name);
  mkdirSync(join(dir, 'log'));
  mkdirSync(join(dir, 'state'));
  mkdirSync(join(dir, 'spool'));
  mkdirSync(join(dir, 'munge'), { mode: 0o700 });
  const key = join(dir, 'munge', 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o600 });
  const socket = join(dir, 'munge', 'munge.socket');
  const host = hostname().split('.')[0];
  const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
  const conf = join(dir, 'slurm.conf');
  writeFileSync(join(dir, 'plugstack.conf'), '');
  writeFileSync(
    conf,
    [
      'ClusterName=neuralmfg',
      `SlurmctldHost=${host}(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${slurmdPort}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${socket}`,
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${log('slurmctld.log')}`,
      `SlurmdLogFile=${log('slurmd.log')}`,
      `PlugStackConfig=${join(dir, 'plugstack.conf')}`,
      // no cgroups in a container: processes tracked by their parents, no task containment
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'JobCompType=jobcomp/none',
      'SwitchType=switch/none',
      'MpiDefault=none',
      'SchedulerType=sched/builtin',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      'ReturnToService=2',
      // the node's memory as Slurm reads it (MiB), so that the export's --mem (2G by default) fits
      `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${availableParallelism()} RealMemory=${Math.floor((0.95 * totalmem()) / 2 ** 20)} State=UNKNOWN`,
      `PartitionName=tests Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'),
  );
  const env = { ...process.env, SLURM_CONF: conf };
  const start = (command: string, args: string[]) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += String(c)));
    children.push(child);
    return { child, stderr: () => stderr };
  };
  const stop = async () => {
    for (const child of children.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const gone = new Promise((done) => child.on('exit', done));
      child.kill('SIGTERM');
      await Promise.race([gone, sleep(10_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    start('munged', ['--foreground', '--force', `--key-file=${key}`, `--socket=${socket}`, `--pid-file=${join(dir, 'munge', 'munged.pid')}`, `--log-file=${log('munged.log')}`, `--seed-file=${join(dir, 'munge', 'seed')}`]);
    for (let i = 0; i < 100 && !existsSync(socket); i++) await sleep(100);
    if (!existsSync(socket)) throw new Error('munged did not open its socket');
    const ctld = start('slurmctld', ['-D', '-f', conf]);
    const slurmd = start('slurmd', ['-D', '-f', conf]);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const state = spawnSync('sinfo', ['-h', '-o', '%T'], { env, encoding: 'utf8' }).stdout.trim();
      if (state === 'idle') break;
      for (const [name, p] of [['slurmctld', ctld], ['slurmd', slurmd]] as const) {
        if (p.child.exitCode !== null) throw new Error(`${name} exited with ${p.child.exitCode}: ${p.stderr().trim().split('\n').slice(-3).join(' | ')}`);
      }
      if (Date.now() > deadline) {
        const tail = (f: string) => (existsSync(log(f)) ? readFileSync(log(f), 'utf8').trim().split('\n').slice(-5).join(' | ') : '');
        throw new Error(`the Slurm node is "${state}" after 60 s: slurmctld: ${tail('slurmctld.log')}; slurmd: ${tail('slurmd.log')}`);
      }
      await sleep(250);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { env, dir, stop };
}
