// A fused-engine worker thread (pool.ts): builds the same engine as the calling thread from the
// game (found by name in the registry module the calling thread names: the engine imports no game)
// and the configuration, then solves the chunks it is sent, one batch at a time (each taking the
// next chunk not yet taken), answering on its port and raising the shared flag.
import { workerData, type MessagePort } from 'node:worker_threads';
import type { Game } from '../game.ts';
import { BrownianIncrements } from '../ode/brownian.ts';
import { RandomStream } from '../random.ts';
import { parameterCount } from '../nn/spec.ts';
import type { ObservationBatch, SolveRequest } from '../mfg/engine.ts';
import { FusedEngine } from './engine.ts';
import type { WorkerSetup, WorkerTask } from './pool.ts';

const { port, flag } = workerData as { port: MessagePort; flag: Int32Array };

/** the engines this worker has built, by the calling thread's engine id (the last few) */
const engines = new Map<number, { engine: FusedEngine; params: Float32Array }>();
const KEEP = 16;

/** The game of a set-up, from its registry module (imported once per module). */
const registries = new Map<string, Promise<Record<string, Game>>>();
async function gameOf(setup: WorkerSetup): Promise<Game> {
  let games = registries.get(setup.registry);
  if (!games) {
    games = import(setup.registry).then((m: { GAMES: Record<string, Game> }) => m.GAMES);
    registries.set(setup.registry, games);
  }
  const game = (await games)[setup.game];
  if (!game) throw new Error(`${setup.registry} registers no game "${setup.game}"`);
  return game;
}

async function engineFor(id: number, setup: WorkerSetup | undefined) {
  let entry = engines.get(id);
  if (!entry) {
    if (!setup) throw new Error(`engine ${id} was never set up in this worker`);
    const params = new Float32Array(parameterCount(setup.spec) + (setup.diffusion ? parameterCount(setup.diffusion) : 0));
    const input = { game: await gameOf(setup), config: setup.config, dynamics: new RandomStream(0, setup.kernelStream), params, spec: setup.spec, diffusion: setup.diffusion ?? null, shape: setup.shape };
    entry = { engine: new FusedEngine(input, { threads: 1 }), params };
    engines.set(id, entry);
    if (engines.size > KEEP) engines.delete(engines.keys().next().value!);
  }
  return entry;
}

/** A request as it arrives (structured clone keeps data, not classes): its path rebuilt. */
function revive(request: unknown): SolveRequest {
  const r = request as SolveRequest;
  const p = r.path as unknown as { steps: number; dt: number; shape: number[]; values: Float64Array } | null;
  return { ...r, path: p && new BrownianIncrements(p.steps, p.dt, p.shape, p.values) };
}

function solve(engine: FusedEngine, task: WorkerTask): unknown {
  const request = revive(task.request);
  switch (task.kind) {
    case 'simulate':
      return engine.simulateChunk(request, task.saveAt);
    case 'loss':
      return engine.lossChunk(request, task.observations as ObservationBatch);
    case 'gradient':
      return engine.gradientChunk(request, task.observations as ObservationBatch);
  }
}

// `tasks` are this worker's share (`indices`: their places), or every task, of which each thread
// takes the next one not yet taken from the shared counter `next` (pool.ts)
port.on('message', async (message: { engine: number; setup?: WorkerSetup; params: Float32Array; tasks: WorkerTask[]; indices: number[] | null; next: Int32Array | null }) => {
  const indices: number[] = [];
  try {
    const { engine, params } = await engineFor(message.engine, message.setup);
    params.set(message.params);
    const results: unknown[] = [];
    const { next, tasks } = message;
    if (next) {
      for (let i = Atomics.add(next, 0, 1); i < tasks.length; i = Atomics.add(next, 0, 1)) {
        indices.push(i);
        results.push(solve(engine, tasks[i]));
      }
    } else {
      message.indices!.forEach((i, j) => {
        indices.push(i);
        results.push(solve(engine, tasks[j]));
      });
    }
    port.postMessage({ indices, results });
  } catch (err) {
    port.postMessage({ indices, results: [], error: err instanceof Error ? err.message : String(err) });
  } finally {
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  }
});
