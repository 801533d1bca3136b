// The fused solve: explicit Euler / Euler–Maruyama over typed arrays with the game's kernels, the
// neural term and the noise, then a hand-written reverse pass through every step (the discrete
// adjoint: exactly the gradient of the discretised solve, as autodiff through the unrolled steps
// gives it). One step, as src/ode/solvers/euler.ts takes it in float32:
//   y_{k+1} = y_k + (b(t_k, y_k)·h + f_θ(t_k, y_k)·h + σ·ΔW_k)
// with each product and sum rounded to float32 in that order, so that the states are TF.js's up to
// the network's order of summation. Trajectories that have ended stay frozen; the solve stops when
// all have ended. Reverse: a_k = a_{k+1} + h·(∂b/∂y)ᵀa_{k+1} + h·(∂f/∂y)ᵀa_{k+1}, ∂L/∂θ += h·(∂f/∂θ)ᵀa_{k+1}.
import type { SolveContext } from '../data/dataset.ts';
import type { GameKernels, NetworkKernels, RunningMask } from './kernels.ts';
import type { FusedMlp, MlpTape } from './mlp.ts';

const fround = Math.fround;

/** A Brownian path as the fused solve reads it: ΔW [steps, trajectories, perTrajectory]. */
export interface FusedNoise {
  sigma: number;
  increments: Float64Array;
  /** 1 (one path shared by every trajectory: a frozen path) or the number of trajectories */
  trajectories: number;
  /** 1 (one increment shared by every agent: common noise) or the state size (independent) */
  perTrajectory: number;
}

export interface FusedSystem {
  kernels: GameKernels;
  network: { mlp: FusedMlp; params: Float32Array; adapter: NetworkKernels } | null;
  /** the size of one state */
  size: number;
  t0: number;
  dt: number;
  noise: FusedNoise | null;
}

/** What a forward solve leaves: the states it kept and, when recording, what the reverse pass needs. */
export interface FusedRun {
  /** state j (after j steps) for the kept j; with `record`, every j = 0..taken */
  states: Map<number, Float32Array>;
  /** the last state (after `taken` steps) */
  last: Float32Array;
  taken: number;
  /** for games that end: the step after which each trajectory ended (0: ended at the start) */
  endSteps: (number | null)[] | null;
  /** per step k: the network's tape (record only) */
  tapes: (MlpTape | null)[];
}

/** The identity adapter: the whole state in, a state-shaped increment out. */
export function wholeStateNetwork(size: number): NetworkKernels {
  const copyRows = (src: ArrayLike<number>, dst: Float32Array | Float64Array, n: number, running: RunningMask, add: boolean) => {
    for (let r = 0; r < n; r++) {
      if (running && !running[r]) continue;
      const o = r * size;
      if (add) for (let i = 0; i < size; i++) (dst as Float64Array)[o + i] += src[o + i];
      else for (let i = 0; i < size; i++) dst[o + i] = src[o + i];
    }
  };
  return {
    inputSize: size,
    outputSize: size,
    input: (_t, y, n, _ctx, out, running) => copyRows(y, out, n, running, false),
    inputVjp: (_t, _y, v, n, _ctx, adj, running) => copyRows(v, adj, n, running, true),
    output: (_t, netOut, n, out) => out.set(netOut.subarray(0, n * size)),
    outputVjp: (_t, v, n, vOut, running) => copyRows(v, vOut, n, running, false),
  };
}

function runningRows(running: Uint8Array): Int32Array {
  let count = 0;
  for (let r = 0; r < running.length; r++) count += running[r];
  const rows = new Int32Array(count);
  let c = 0;
  for (let r = 0; r < running.length; r++) if (running[r]) rows[c++] = r;
  return rows;
}

/**
 * Integrates n trajectories from y0 [n, size] for at most `steps` steps. `keep` lists the state
 * indices to return besides the last one; `record` keeps everything the reverse pass needs.
 */
export function fusedForward(
  sys: FusedSystem,
  y0: Float32Array,
  n: number,
  ctx: SolveContext,
  opts: { steps: number; keep?: Iterable<number>; record?: boolean },
): FusedRun {
  const { kernels, network, size, t0, dt, noise } = sys;
  const total = n * size;
  if (y0.length !== total) throw new Error(`fused solve: y0 has ${y0.length} values, expected ${n} × ${size}`);
  const record = opts.record ?? false;
  const keep = new Set(opts.keep ?? []);
  const states = new Map<number, Float32Array>();
  const tapes: (MlpTape | null)[] = [];
  let y = Float32Array.from(y0);
  if (record || keep.has(0)) states.set(0, y);

  let endSteps: (number | null)[] | null = null;
  const flags = new Uint8Array(n);
  if (kernels.ended) {
    kernels.ended(y, n, flags);
    endSteps = Array.from(flags, (f) => (f ? 0 : null));
  }
  const running = endSteps ? new Uint8Array(n) : null;
  const drift = new Float32Array(total);
  const increment = network ? new Float32Array(total) : null;
  const netOut = network ? new Float32Array(n * network.adapter.outputSize) : null;
  const dtf = fround(dt);
  const sigmaf = noise ? fround(noise.sigma) : 0;
  const pathStride = noise ? noise.trajectories * noise.perTrajectory : 0;

  let taken = 0;
  for (let k = 0; k < opts.steps; k++) {
    if (endSteps && running) {
      let any = false;
      for (let r = 0; r < n; r++) {
        running[r] = endSteps[r] === null ? 1 : 0;
        any ||= running[r] === 1;
      }
      if (!any) break;
    }
    const t = t0 + k * dt;
    kernels.drift(t, y, n, ctx, drift, running);
    if (network && increment && netOut) {
      const input = new Float32Array(n * network.adapter.inputSize);
      network.adapter.input(t, y, n, ctx, input, running);
      const tape = network.mlp.forward(network.params, input, n, netOut, running ? runningRows(running) : null, record);
      network.adapter.output(t, netOut, n, increment, running);
      if (record) tapes.push(tape);
    } else if (record) tapes.push(null);

    const next = new Float32Array(total);
    for (let r = 0; r < n; r++) {
      const o = r * size;
      if (running && !running[r]) {
        for (let i = 0; i < size; i++) next[o + i] = y[o + i];
        continue;
      }
      const path = noise ? k * pathStride + (noise.trajectories === 1 ? 0 : r * noise.perTrajectory) : 0;
      for (let i = 0; i < size; i++) {
        let acc = fround(drift[o + i] * dtf);
        if (increment) acc = fround(acc + fround(increment[o + i] * dtf));
        if (noise) acc = fround(acc + fround(sigmaf * fround(noise.increments[path + (noise.perTrajectory === 1 ? 0 : i)])));
        next[o + i] = fround(y[o + i] + acc);
      }
    }
    if (endSteps && kernels.ended) {
      kernels.ended(next, n, flags);
      for (let r = 0; r < n; r++) if (flags[r] && endSteps[r] === null) endSteps[r] = k + 1;
    }
    y = next;
    taken = k + 1;
    if (record || keep.has(taken)) states.set(taken, y);
  }
  return { states, last: y, taken, endSteps, tapes };
}

/** The state after `j` steps of a run (a stopped run repeats its last state). */
export function stateAt(run: FusedRun, j: number): Float32Array {
  if (j >= run.taken) return run.last;
  const s = run.states.get(j);
  if (!s) throw new Error(`fused solve: state ${j} was not kept`);
  return s;
}

/**
 * The reverse pass of a recorded run: `seeds` are ∂L/∂(state j) [n, size]; returns ∂L/∂θ
 * (float64, the network's flat parameters).
 */
export function fusedReverse(sys: FusedSystem, run: FusedRun, n: number, ctx: SolveContext, seeds: Map<number, Float64Array>): Float64Array {
  const { kernels, network, size, t0, dt } = sys;
  const total = n * size;
  const gParams = new Float64Array(network ? network.mlp.parameterCount : 0);
  const a = new Float64Array(total);
  // seeds past the stop land on the last state (it is what they read)
  const seedAt = (j: number) => {
    if (j !== run.taken) return seeds.get(j);
    let merged: Float64Array | undefined;
    for (const [index, v] of seeds) {
      if (index < run.taken) continue;
      merged ??= new Float64Array(total);
      for (let i = 0; i < total; i++) merged[i] += v[i];
    }
    return merged;
  };
  const extra = new Float64Array(total);
  const vOut = network ? new Float64Array(n * network.adapter.outputSize) : null;
  const gIn = network ? new Float64Array(n * network.adapter.inputSize) : null;
  const running = run.endSteps ? new Uint8Array(n) : null;
  const dtf = fround(dt);
  for (let j = run.taken; j >= 1; j--) {
    const s = seedAt(j);
    if (s) for (let i = 0; i < total; i++) a[i] += s[i];
    const k = j - 1;
    const t = t0 + k * dt;
    const y = run.states.get(k);
    if (!y) throw new Error(`fused solve: state ${k} was not recorded`);
    if (running && run.endSteps) {
      for (let r = 0; r < n; r++) running[r] = run.endSteps[r] === null || run.endSteps[r]! > k ? 1 : 0;
    }
    extra.fill(0);
    kernels.driftVjp?.(t, y, a, dtf, n, ctx, extra, running);
    if (network && vOut && gIn) {
      const tape = run.tapes[k];
      if (!tape) throw new Error(`fused solve: the network's tape of step ${k} was not recorded`);
      vOut.fill(0);
      network.adapter.outputVjp(t, a, n, vOut, running);
      for (let i = 0; i < vOut.length; i++) vOut[i] *= dtf;
      gIn.fill(0);
      network.mlp.backward(network.params, tape, vOut, gParams, gIn);
      network.adapter.inputVjp(t, y, gIn, n, ctx, extra, running);
    }
    for (let i = 0; i < total; i++) a[i] += extra[i];
  }
  return gParams;
}
