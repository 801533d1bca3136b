// Worker threads for the fused engine, one pool per process: each worker builds its own copy of
// an engine (the same game, configuration and kernels) the first time it is sent work for it, and
// solves chunks of trajectories (chunks.ts) while the calling thread solves others. The engine's
// interface is synchronous, so the calling thread posts the work, does its own share, then waits
// on a shared flag (Atomics.wait) and reads each worker's answer with receiveMessageOnPort: no
// event-loop turn is needed. Workers are unreferenced: they never keep the process alive.
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ExperimentConfig } from '../config.ts';
import type { MlpSpec } from '../nn/spec.ts';

/** The URL of tsx's ESM API (its package's "import" export of ./esm/api), found from this file. */
function tsxEsmApi(): string {
  const root = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const exported = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api'];
  return pathToFileURL(join(root, exported.import.default)).href;
}

/** What a worker builds its engine from (plain data: it crosses the thread boundary). */
export interface WorkerSetup {
  /** the module whose `GAMES` export holds the game (games/index.ts), and the game's name in it */
  registry: string;
  game: string;
  config: ExperimentConfig;
  spec: MlpSpec;
  /** the neural diffusion's network, or null */
  diffusion?: MlpSpec | null;
  shape: number[];
  /** the dynamics stream's state when the engine's kernels were built (they may draw from it) */
  kernelStream: Uint32Array;
}

export type WorkerTask =
  | { kind: 'simulate'; request: unknown; saveAt: number[] }
  | { kind: 'loss'; request: unknown; observations: unknown }
  | { kind: 'gradient'; request: unknown; observations: unknown };

interface Member {
  worker: Worker;
  port: MessagePort;
  /** [0]: 0 while working, 1 when the answer is posted */
  flag: Int32Array;
  /** the engines this worker has built */
  knows: Set<number>;
}

/** Tasks up to `sharedBytes` bytes of typed arrays in all are sent to every worker (see WorkerPool.run). */
export const POOL_LIMITS = { sharedBytes: 4 * 2 ** 20 };

/** What the workers did in this process: batches run on them, and tasks a worker computed (tests check that a threaded run used them). */
export const POOL_COUNTS = { runs: 0, workerTasks: 0 };

/** Bytes of the typed arrays in a value (plain objects and arrays, a few levels down): what a post copies. */
function payloadBytes(value: unknown, depth = 0): number {
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (value === null || typeof value !== 'object' || depth > 4) return 0;
  let bytes = 0;
  for (const v of Array.isArray(value) ? value : Object.values(value)) bytes += payloadBytes(v, depth + 1);
  return bytes;
}

/** How long a worker may take for one batch of chunks before the engine gives up on it. */
const WAIT_MS = 600_000;

export class WorkerPool {
  private readonly members: Member[];
  private closed = false;

  constructor(count: number) {
    const here = new URL(import.meta.url);
    const script = new URL(here.pathname.endsWith('.ts') ? './worker.ts' : './worker.js', here);
    // From the TypeScript sources the worker loads them through tsx, as this thread does. A module
    // that fails to load reports on the port and raises the flag, so that nobody waits for it.
    const load = script.pathname.endsWith('.ts')
      ? `import(${JSON.stringify(tsxEsmApi())}).then((tsx) => { tsx.register(); return import(${JSON.stringify(script.href)}); })`
      : `import(${JSON.stringify(script.href)})`;
    const bootstrap =
      `const { workerData } = require('node:worker_threads');\n` +
      `${load}.catch((err) => { workerData.port.postMessage({ indices: [], results: [], error: 'the worker could not start: ' + (err && err.message || err) }); ` +
      `Atomics.store(workerData.flag, 0, 1); Atomics.notify(workerData.flag, 0); });`;
    this.members = Array.from({ length: count }, () => {
      const { port1, port2 } = new MessageChannel();
      const flag = new Int32Array(new SharedArrayBuffer(4));
      const worker = new Worker(bootstrap, { eval: true, workerData: { port: port2, flag }, transferList: [port2] });
      worker.unref();
      port1.unref();
      return { worker, port: port1, flag, knows: new Set<number>() };
    });
  }

  get size(): number {
    return this.members.length;
  }

  /**
   * Runs `tasks` on the workers and this thread (through `local`); returns the results in task
   * order, whoever computed them. Small tasks (more of them than threads, POOL_LIMITS.sharedBytes in all) go to
   * every worker, and each thread takes the next one not yet taken (a shared counter): a thread
   * whose chunks end early (rounds that end sooner) takes more of them. Large ones are not copied
   * to every worker: task i goes to thread i mod threads (this thread last).
   */
  run<T>(engine: { id: number; setup: WorkerSetup }, tasks: WorkerTask[], params: Float32Array, local: (task: WorkerTask) => T): T[] {
    if (this.closed) throw new Error('the fused engine\'s workers were closed');
    POOL_COUNTS.runs++;
    const results = new Array<T>(tasks.length);
    const slots = this.members.length + 1;
    const next = tasks.length > slots && payloadBytes(tasks) <= POOL_LIMITS.sharedBytes ? new Int32Array(new SharedArrayBuffer(4)) : null;
    this.members.forEach((m, w) => {
      Atomics.store(m.flag, 0, 0);
      const setup = m.knows.has(engine.id) ? undefined : engine.setup;
      m.knows.add(engine.id);
      const indices = next ? null : tasks.map((_, i) => i).filter((i) => i % slots === w);
      m.port.postMessage({ engine: engine.id, setup, params, tasks: indices ? indices.map((i) => tasks[i]) : tasks, indices, next });
    });
    if (next) {
      for (let i = Atomics.add(next, 0, 1); i < tasks.length; i = Atomics.add(next, 0, 1)) results[i] = local(tasks[i]);
    } else {
      for (let i = this.members.length; i < tasks.length; i += slots) results[i] = local(tasks[i]);
    }
    for (const m of this.members) {
      if (Atomics.wait(m.flag, 0, 0, WAIT_MS) === 'timed-out') throw new Error(`a fused-engine worker gave no answer within ${WAIT_MS / 1000} s`);
      const reply = receiveMessageOnPort(m.port)?.message as { indices: number[]; results: T[]; error?: string } | undefined;
      if (!reply) throw new Error('a fused-engine worker answered without a result');
      if (reply.error) throw new Error(`fused-engine worker: ${reply.error}`);
      reply.indices.forEach((i, j) => (results[i] = reply.results[j]));
      POOL_COUNTS.workerTasks += reply.indices.length;
    }
    return results;
  }

  close(): void {
    this.closed = true;
    for (const m of this.members) {
      m.port.close();
      void m.worker.terminate();
    }
  }
}

let shared: WorkerPool | null = null;

/** The process's pool of `threads − 1` workers (the calling thread is the last one), made on first use. */
export function workerPool(threads: number): WorkerPool {
  if (shared === null || shared.size !== threads - 1) {
    shared?.close();
    shared = new WorkerPool(threads - 1);
  }
  return shared;
}

/** Whether the process's workers have been started already. */
export function poolRunning(): boolean {
  return shared !== null;
}
