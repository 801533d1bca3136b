// The local pool: up to N long-lived worker processes (job-process.ts), each running one job at a
// time. Processes are forked in their own process group, so that a Ctrl-C reaches them once, from
// here (`interrupt`), and never twice (which would abort a train instead of checkpointing it). A stop
// travels as a message behind the job on the same channel: it reaches the job whether the process is
// still loading, has just read the job or is training, and a job handed out after a stop carries it.
import { fork, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, constants } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunRequest } from '../run/requests.ts';
import type { JobMessage, JobReply, StopMessage } from './job-process.ts';

// the pool's processes run the same code as this module: the compiled JavaScript (dist/, the CLI),
// or the TypeScript sources through tsx (tests, scripts)
const FROM_SOURCES = import.meta.url.endsWith('.ts');
const JOB_PROCESS = join(import.meta.dirname, FROM_SOURCES ? 'job-process.ts' : 'job-process.js');

interface Member {
  child: ChildProcess;
  /** the job it runs: where its stray output goes and whom to tell how it ended */
  job: { log: string; done: (code: number) => void } | null;
  /** it said it exits after its last reply (it was stopped): no job goes to it any more */
  leaving: boolean;
}

export interface PoolOptions {
  /** at most this many processes */
  size: number;
  /**
   * NEURAL_MFG_THREADS of each process (the fused engine's threads for Liar's dice batches); default
   * the cores shared out among the processes, at least 1, unless the environment sets it
   */
  threads?: number;
}

/** Threads per process when `processes` share this machine's cores. */
export function threadsPerProcess(processes: number): number {
  return Math.max(1, Math.floor(availableParallelism() / Math.max(1, processes)));
}

export class JobPool {
  private readonly members: Member[] = [];
  private readonly threads: string;
  /** how many times `interrupt` was called: a job handed out afterwards is sent with as many stops */
  private stops = 0;

  constructor(private readonly opts: PoolOptions) {
    this.threads = process.env.NEURAL_MFG_THREADS ?? String(opts.threads ?? threadsPerProcess(opts.size));
  }

  /** Runs a request in an idle process (forking one if fewer than `size` exist). */
  run(request: RunRequest, log: string): Promise<number> {
    const member = this.members.find((m) => m.job === null && !m.leaving) ?? this.spawn();
    return new Promise((resolve) => {
      member.job = { log, done: resolve };
      member.child.send({ request, log } satisfies JobMessage);
      for (let k = 0; k < this.stops; k++) member.child.send({ stop: true } satisfies StopMessage);
    });
  }

  private spawn(): Member {
    if (this.members.filter((m) => !m.leaving).length >= this.opts.size) throw new Error(`JobPool: all ${this.opts.size} processes are busy`);
    const execArgv = FROM_SOURCES ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [];
    const child = fork(JOB_PROCESS, [], {
      execArgv,
      env: { ...process.env, NEURAL_MFG_THREADS: this.threads, FORCE_COLOR: '0' },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      detached: true,
    });
    const member: Member = { child, job: null, leaving: false };
    this.members.push(member);
    // a job's output is written to its log by the process itself; what else reaches stderr (a crash) goes there too
    child.stderr!.on('data', (chunk: Buffer) => {
      if (member.job) appendFileSync(member.job.log, chunk);
      else process.stderr.write(chunk);
    });
    child.on('message', (reply: JobReply) => {
      const job = member.job;
      member.job = null;
      member.leaving = reply.leaving;
      job?.done(reply.code);
    });
    child.on('error', (err) => {
      process.stderr.write(`neural-mfg: a process of the pool failed: ${err.message}\n`);
    });
    child.on('exit', (code, signal) => {
      this.members.splice(this.members.indexOf(member), 1);
      const job = member.job;
      member.job = null;
      if (job) {
        appendFileSync(job.log, `the job's process ended ${signal ? `by ${signal}` : `with exit code ${code}`}\n`);
        job.done(code ?? 128 + (signal ? constants.signals[signal] : 15));
      }
    });
    return member;
  }

  /**
   * Stops the jobs, running and to come: a train checkpoints after its step and stops; any other job
   * ends at once. Called twice, the jobs abort.
   */
  interrupt(): void {
    this.stops++;
    for (const m of this.members) if (m.job && m.child.connected) m.child.send({ stop: true } satisfies StopMessage);
  }

  /** Lets every process go once its job is done (they exit when the channel closes). */
  async close(): Promise<void> {
    await Promise.all(
      this.members.map(
        (m) =>
          new Promise<void>((resolve) => {
            if (m.child.exitCode !== null || m.child.signalCode !== null) return resolve();
            m.child.once('exit', () => resolve());
            if (m.child.connected) m.child.disconnect();
          }),
      ),
    );
  }
}
