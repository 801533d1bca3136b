// The fused engine: a whole solve, its loss and its gradient as one pass of plain typed-array code
// (src/fused/solve.ts) over the game's kernels and the MLP, with no TF.js kernel and no tensor at
// all. It reads the model's flat parameter vector in place. Where the game's trajectories are
// independent (a batch of Liar's dice games), it solves them in fixed chunks, spread over worker
// threads (pool.ts); the numbers do not depend on how many threads there are.
import type { ExperimentConfig } from '../config.ts';
import type { SolveContext } from '../data/dataset.ts';
import type { BrownianIncrements } from '../ode/brownian.ts';
import { savePlan } from '../ode/solve.ts';
import type { Engine, EngineInput, ObservationBatch, SolveRequest, SolveResult } from '../mfg/engine.ts';
import type { GameKernels } from './kernels.ts';
import { FusedMlp } from './mlp.ts';
import { fusedForward, fusedReverse, stateAt, wholeStateNetwork, type FusedRun, type FusedSystem } from './solve.ts';
import { availableParallelism } from 'node:os';
import { CHUNK, chunksOf, observationsPart, requestPart, type Chunk } from './chunks.ts';
import { poolRunning, workerPool, type WorkerSetup, type WorkerTask } from './pool.ts';
import { agentNetworkKernels } from './agent-network.ts';
import { distributionalLoss, observedPopulation } from './distances.ts';
import { diffusionOffset, lossKind, networkKind, summaryQuantiles } from '../mfg/networks.ts';
import { lossInput, lossTimes, swapLeadingAxes } from '../mfg/observed.ts';

const fround = Math.fround;

function emptyContext(trajectories: number): SolveContext {
  return { observations: null, keys: new Uint32Array(trajectories) };
}

export interface FusedOptions {
  /**
   * threads for games whose trajectories are independent (default: NEURAL_MFG_THREADS, else every
   * core); 1 keeps everything on the calling thread
   */
  threads?: number;
  /** use the workers from the first call (default: once calls have proved slow enough to pay for them) */
  eagerThreads?: boolean;
}

/** The default number of threads: NEURAL_MFG_THREADS, else the machine's cores. */
export function defaultThreads(): number {
  const fromEnv = Number(process.env.NEURAL_MFG_THREADS);
  return Number.isInteger(fromEnv) && fromEnv >= 1 ? fromEnv : availableParallelism();
}

let nextEngineId = 1;

/** a call slower than this on one thread counts as slow; after a few, the workers take a share */
const SLOW_CALL_MS = 20;
const SLOW_CALLS_BEFORE_THREADS = 3;

export class FusedEngine<C extends ExperimentConfig = ExperimentConfig> implements Engine {
  readonly name = 'fused' as const;
  readonly kernels: GameKernels;
  private readonly mlp: FusedMlp;
  /** the neural diffusion's network (null: the constant σ) */
  private readonly diffusionMlp: FusedMlp | null;
  private readonly size: number;
  /** the leading values of a state that are the agents' own (Game.agentStates): what the noise and the agent network reach */
  private readonly agents: number;
  private readonly threads: number;
  private readonly eagerThreads: boolean;
  private readonly setup: WorkerSetup;
  private readonly id = nextEngineId++;
  private slowCalls = 0;
  /** where each learned mechanics parameter sits in the kernels' parameters hook (null: nothing learned) */
  private readonly learnedAt: number[] | null = null;

  constructor(
    private readonly input: EngineInput<C>,
    opts: FusedOptions = {},
  ) {
    const { game, config, dynamics, spec, shape } = input;
    if (!game.kernels) throw new Error(`the ${game.name} game has no fused kernels`);
    // a worker rebuilds the kernels from the same stream state (they may draw from it)
    const kernelStream = Uint32Array.from(dynamics.state);
    this.kernels = game.kernels(config, dynamics);
    this.mlp = new FusedMlp(spec);
    this.diffusionMlp = input.diffusion ? new FusedMlp(input.diffusion) : null;
    this.size = shape.reduce((a, b) => a * b, 1);
    this.agents = game.agentStates?.(config) ?? this.size;
    const count = this.mlp.parameterCount + (this.diffusionMlp?.parameterCount ?? 0);
    if (count !== input.params.length) {
      throw new Error(`the network has ${count} parameters, the model holds ${input.params.length}`);
    }
    this.threads = opts.threads ?? defaultThreads();
    this.eagerThreads = opts.eagerThreads ?? false;
    this.setup = { game: game.name, config, spec, diffusion: input.diffusion ?? null, shape, kernelStream };
    // learned mechanics (train --learn): the kernels' parameters hook must know them
    const learned = input.learned ?? null;
    if (learned) {
      const known = this.kernels.parameters?.names ?? [];
      const missing = learned.names.filter((name) => !known.includes(name));
      if (missing.length > 0) throw new Error(`the ${game.name} game's kernels cannot learn mechanics.${missing.join(', mechanics.')}`);
      this.learnedAt = learned.names.map((name) => known.indexOf(name));
    }
  }

  /** The learned mechanics' current values into the kernels, before a solve. */
  private setLearned(): void {
    const learned = this.input.learned;
    if (!learned) return;
    const values = learned.values();
    learned.names.forEach((name, j) => this.kernels.parameters!.set(name, values[j]));
  }

  /**
   * The training loss of observed final states pred [n, ...state] against observations (and, with
   * `grad`, ∂L/∂pred): the game's own, or a distance between populations (training.loss).
   */
  private lossOf(pred: Float32Array, n: number, observations: ObservationBatch, grad: Float64Array | null): number {
    const { game, config } = this.input;
    const kind = lossKind(config);
    if (kind === 'mse') return this.kernels.loss(pred, n, observations.values, observations.shape[0], grad);
    // the simulated populations pooled against the observed ones
    return distributionalLoss(kind, pred, 1, n * this.size, observedPopulation(game, config, observations), grad);
  }

  /** A distributional loss pools every trajectory: no mean over chunks (the gradient runs whole, on this thread). */
  private get pooledLoss(): boolean {
    return lossKind(this.input.config) !== 'mse';
  }

  private system(network: boolean, path: BrownianIncrements | null): FusedSystem {
    const { config, params } = this.input;
    const kind = networkKind(config);
    const agents = () => agentNetworkKernels(this.agents, summaryQuantiles(config), this.size);
    const adapter = kind === 'agent' ? agents() : (this.kernels.network ?? wholeStateNetwork(this.size));
    // the MFG-only dynamics (network false) keep the constant σ; the diffusion's block follows the drift's
    const diffusion =
      network && this.diffusionMlp && path
        ? { mlp: this.diffusionMlp, params: params.subarray(this.mlp.parameterCount), adapter: agents(), offset: diffusionOffset(config) }
        : null;
    return {
      kernels: this.kernels,
      network: network && kind !== 'none' ? { mlp: this.mlp, params, adapter } : null,
      diffusion,
      size: this.size,
      ...(this.agents < this.size ? { noisy: this.agents } : {}),
      t0: config.time.t0,
      dt: config.time.dt,
      noise: path
        ? {
            sigma: config.noise.sigma,
            increments: path.values,
            trajectories: path.shape[0],
            perTrajectory: path.shape.slice(1).reduce((a, b) => a * b, 1),
          }
        : null,
    };
  }

  /** The states at the save positions [saves, n, size] (linear interpolation inside a step), unobserved. */
  private saved(run: FusedRun, positions: { k: number; frac: number }[], n: number): Float32Array {
    const block = n * this.size;
    const out = new Float32Array(positions.length * block);
    positions.forEach(({ k, frac }, s) => {
      const a = stateAt(run, k);
      if (frac === 0) {
        out.set(a, s * block);
        return;
      }
      const b = stateAt(run, k + 1);
      const wa = fround(1 - frac);
      const wb = fround(frac);
      for (let i = 0; i < block; i++) out[s * block + i] = fround(fround(a[i] * wa) + fround(b[i] * wb));
    });
    return out;
  }

  private run(req: SolveRequest, saveAt: number[], record: boolean) {
    const { t0, t1, dt } = this.input.config.time;
    const plan = savePlan(saveAt, t0, t1, dt);
    const keep = plan.positions.flatMap(({ k, frac }) => (frac > 0 ? [k, k + 1] : [k]));
    const ctx = req.ctx ?? emptyContext(req.trajectories);
    const sys = this.system(req.network, req.path);
    this.setLearned();
    const run = fusedForward(sys, req.y0, req.trajectories, ctx, { steps: plan.steps, keep, record });
    return { plan, run, sys, ctx };
  }

  private observe(states: Float32Array): Float32Array {
    this.kernels.observe?.(states);
    return states;
  }

  private finalTime(): number[] {
    const { saveAt } = this.input.config.time;
    return [saveAt[saveAt.length - 1]];
  }

  /** the save times the loss reads (src/mfg/observed.ts): the last one, or all of them for a time series */
  private lossTimes(): number[] {
    return lossTimes(this.input.game, this.input.config);
  }

  // ---- one chunk of trajectories, on this thread (workers call these too) ----

  simulateChunk(req: SolveRequest, saveAt: number[]): { states: Float32Array; endSteps: (number | null)[] | null } {
    const { plan, run } = this.run(req, saveAt, false);
    return { states: this.observe(this.saved(run, plan.positions, req.trajectories)), endSteps: run.endSteps };
  }

  lossChunk(req: SolveRequest, observations: ObservationBatch): number {
    const times = this.lossTimes();
    const { plan, run } = this.run(req, times, false);
    const pred = this.observe(this.saved(run, plan.positions, req.trajectories));
    return this.lossOf(lossInput(this.input.game, pred, times.length, req.trajectories, this.size), req.trajectories, observations, null);
  }

  gradientChunk(req: SolveRequest, observations: ObservationBatch): { loss: number; gradient: Float64Array; mechanicsGradient?: Float64Array } {
    const n = req.trajectories;
    const times = this.lossTimes();
    const saves = times.length;
    const { plan, run, sys, ctx } = this.run(req, times, true);
    const raw = this.saved(run, plan.positions, n);
    const pred = this.observe(Float32Array.from(raw));
    const block = n * this.size;
    let grad = new Float64Array(saves * block);
    const loss = this.lossOf(lossInput(this.input.game, pred, saves, n, this.size), n, observations, grad);
    // a path loss's gradient [n, saves, size] back into the saves' order [saves, n, size]
    if (saves > 1) grad = swapLeadingAxes(grad, n, saves, this.size);
    this.kernels.observeVjp?.(raw, grad);
    // the gradient seeded at every save point the loss read: a grid state, or the interpolation of two
    const seeds = new Map<number, Float64Array>();
    const seed = (k: number, g: Float64Array, w: number) => {
      let at = seeds.get(k);
      if (!at) seeds.set(k, (at = new Float64Array(block)));
      for (let i = 0; i < block; i++) at[i] += g[i] * w;
    };
    plan.positions.forEach(({ k, frac }, s) => {
      const g = grad.subarray(s * block, (s + 1) * block);
      if (frac === 0) seed(k, g, 1);
      else {
        seed(k, g, fround(1 - frac));
        seed(k + 1, g, fround(frac));
      }
    });
    // learned mechanics: ∂L/∂θ for every parameter of the kernels' hook, then the learned ones
    const parameters = this.learnedAt ? this.kernels.parameters! : null;
    const mechanics = parameters ? { parameters, gradient: new Float64Array(parameters.names.length) } : null;
    const reversed = req.network || mechanics ? fusedReverse(sys, run, n, ctx, seeds, mechanics) : null;
    const gradient = req.network && reversed ? reversed : new Float64Array(this.input.params.length);
    if (!mechanics) return { loss, gradient };
    return { loss, gradient, mechanicsGradient: Float64Array.from(this.learnedAt!, (at) => mechanics.gradient[at]) };
  }

  // ---- whole requests: in chunks where the trajectories are independent ----

  private chunked(req: SolveRequest): Chunk[] | null {
    // learned mechanics live in this thread's kernels: no chunks on workers
    if (this.learnedAt) return null;
    return this.kernels.independentTrajectories && req.trajectories > CHUNK ? chunksOf(req.trajectories) : null;
  }

  /**
   * Runs one task per chunk, in chunk order: on this thread, or on the workers and this thread
   * once calls have proved slow enough to pay for them (starting a worker costs a few hundred
   * milliseconds: a training loop repays it, a one-off evaluation does not). The results are the
   * same either way.
   */
  private spread<T>(chunks: Chunk[], task: (c: Chunk) => WorkerTask, local: (t: WorkerTask) => T): T[] {
    const tasks = chunks.map(task);
    const threads = Math.min(this.threads, chunks.length);
    const worth = this.eagerThreads || this.slowCalls >= SLOW_CALLS_BEFORE_THREADS || (poolRunning() && this.slowCalls > 0);
    if (threads <= 1 || !worth) {
      const started = performance.now();
      const results = tasks.map(local);
      if (performance.now() - started > SLOW_CALL_MS) this.slowCalls++;
      return results;
    }
    return workerPool(threads).run({ id: this.id, setup: this.setup }, tasks, this.input.params, local);
  }

  private local(task: WorkerTask): unknown {
    const request = task.request as SolveRequest;
    if (task.kind === 'simulate') return this.simulateChunk(request, task.saveAt);
    if (task.kind === 'loss') return this.lossChunk(request, task.observations as ObservationBatch);
    return this.gradientChunk(request, task.observations as ObservationBatch);
  }

  private get paired(): boolean {
    return this.input.game.observations.pairing === 'paired';
  }

  simulate(req: SolveRequest): SolveResult {
    const saveAt = req.saveAt ?? this.input.config.time.saveAt;
    const chunks = this.chunked(req);
    if (!chunks) {
      const r = this.simulateChunk(req, saveAt);
      return { states: r.states, saveAt: saveAt.slice(), ...(r.endSteps ? { endSteps: r.endSteps } : {}) };
    }
    const parts = this.spread(chunks, (c) => ({ kind: 'simulate', request: requestPart(req, c, this.size), saveAt }), (t) => this.local(t)) as {
      states: Float32Array;
      endSteps: (number | null)[] | null;
    }[];
    // [saves, chunk, size] blocks into [saves, n, size]
    const n = req.trajectories;
    const states = new Float32Array(saveAt.length * n * this.size);
    const endSteps: (number | null)[] = [];
    chunks.forEach((c, i) => {
      for (let s = 0; s < saveAt.length; s++) {
        states.set(parts[i].states.subarray(s * c.count * this.size, (s + 1) * c.count * this.size), (s * n + c.start) * this.size);
      }
      if (parts[i].endSteps) endSteps.push(...parts[i].endSteps!);
    });
    return { states, saveAt: saveAt.slice(), ...(this.kernels.ended ? { endSteps } : {}) };
  }

  /** the loss of observed states a solve returned: final states [n, ...state], or paths [n, saves, ...state] for a time series */
  lossOfStates(final: Float32Array, trajectories: number, observations: ObservationBatch): number {
    return this.lossOf(final, trajectories, observations, null);
  }

  loss(req: SolveRequest, observations: ObservationBatch): number {
    const chunks = this.chunked(req);
    if (!chunks) return this.lossChunk(req, observations);
    if (this.pooledLoss) return this.lossOfStates(this.simulate({ ...req, saveAt: this.finalTime() }).states, req.trajectories, observations);
    const parts = this.spread(
      chunks,
      (c) => ({ kind: 'loss', request: requestPart(req, c, this.size), observations: observationsPart(observations, c, this.paired) }),
      (t) => this.local(t),
    ) as number[];
    // a mean over trajectories: each chunk weighs by its share
    return chunks.reduce((sum, c, i) => sum + (c.count / req.trajectories) * parts[i], 0);
  }

  lossAndGradient(req: SolveRequest, observations: ObservationBatch): { loss: number; gradient: Float32Array; mechanicsGradient?: Float64Array } {
    const chunks = this.pooledLoss ? null : this.chunked(req);
    if (!chunks) {
      const r = this.gradientChunk(req, observations);
      return { loss: r.loss, gradient: Float32Array.from(r.gradient), ...(r.mechanicsGradient ? { mechanicsGradient: r.mechanicsGradient } : {}) };
    }
    const parts = this.spread(
      chunks,
      (c) => ({ kind: 'gradient', request: requestPart(req, c, this.size), observations: observationsPart(observations, c, this.paired) }),
      (t) => this.local(t),
    ) as { loss: number; gradient: Float64Array }[];
    let loss = 0;
    const gradient = new Float64Array(this.input.params.length);
    chunks.forEach((c, i) => {
      const w = c.count / req.trajectories;
      loss += w * parts[i].loss;
      const g = parts[i].gradient;
      for (let j = 0; j < gradient.length; j++) gradient[j] += w * g[j];
    });
    return { loss, gradient: Float32Array.from(gradient) };
  }
}
