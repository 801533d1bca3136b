// The fused solve: an explicit Runge–Kutta scheme (schemes.ts: Euler / Euler–Maruyama, Heun, RK4)
// over typed arrays with the game's kernels, the neural term and the noise, then a hand-written
// reverse pass through every stage of every step (the discrete adjoint: exactly the gradient of the
// discretised solve, as autodiff through the unrolled steps gives it). A stage's contribution, as
// src/ode/terms.ts adds the terms in float32:
//   K_s = b(t_s, Y_s)·h + f_θ(t_s, Y_s)·h + σ·ΔW_k,   Y_s = y_k + a_s·K_{s−1},   y_{k+1} = y_k + Σ b_s·K_s
// with each product and sum rounded to float32 in the TF.js solver's order, so that the states are
// TF.js's up to the network's order of summation (Euler: one stage, y_{k+1} = y_k + K₁). Trajectories
// that have ended stay frozen; the solve stops when all have ended. Reverse, stage by stage from the
// last: K̄_s = b_s·a_{k+1} + Σ_r a_r·Ȳ_r (r the stages reading K_s), Ȳ_s = (∂K_s/∂Y_s)ᵀK̄_s
// = h·(∂b/∂y)ᵀK̄_s + h·(∂f/∂y)ᵀK̄_s, ∂L/∂θ += h·(∂f/∂θ)ᵀK̄_s; then a_k = a_{k+1} + Σ_s Ȳ_s.
//
// With a neural diffusion (noise.diffusion "neural") the noise term of agent i is σ_i·ΔW with
// σ_i = softplus(g_θ(x_i, t, s) + c), and the reverse pass adds (∂σ/∂y)ᵀ(a_{k+1} ⊙ ΔW_k) to a_k and
// its parameter gradient. Networks over many rows (a million agents) do not keep their tapes for
// the reverse pass: it recomputes each step's forward pass from the kept state (the same numbers).
import type { SolveContext } from '../data/dataset.ts';
import type { GameKernels, NetworkKernels, ParameterKernels, RunningMask } from './kernels.ts';
import { activate, activationSlope, type ConstantInputs, type FusedMlp, type MlpTape } from './mlp.ts';
import { FUSED_SCHEMES, type FusedScheme } from './schemes.ts';

const fround = Math.fround;

/** Above this many bytes of network tapes over a whole solve, the reverse pass recomputes them. */
const TAPE_BUDGET_BYTES = 512 * 2 ** 20;

/** A Brownian path as the fused solve reads it: ΔW [steps, trajectories, perTrajectory]. */
export interface FusedNoise {
  sigma: number;
  increments: Float64Array;
  /** 1 (one path shared by every trajectory: a frozen path) or the number of trajectories */
  trajectories: number;
  /** 1 (one increment shared by every agent: common noise) or the state size (independent) */
  perTrajectory: number;
}

/** A network of the solve: its MLP, its block of the flat parameter vector, and how it reads and writes the state. */
export interface FusedNetwork {
  mlp: FusedMlp;
  params: Float32Array;
  adapter: NetworkKernels;
}

export interface FusedSystem {
  kernels: GameKernels;
  network: FusedNetwork | null;
  /**
   * The neural diffusion (null: the constant σ of `noise`): its network's output g per agent gives
   * σ_i = softplus(g_i + offset). Its parameters follow the drift network's in the flat vector.
   */
  diffusion?: (FusedNetwork & { offset: number }) | null;
  /** the size of one state */
  size: number;
  /** the leading values of each state the noise drives (Game.agentStates; default: all `size`) */
  noisy?: number;
  t0: number;
  dt: number;
  noise: FusedNoise | null;
  /** the solver's scheme (default: Euler) */
  scheme?: FusedScheme;
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
  /** per step k and stage s (index k·stages + s): the network's tape (record only; null when the reverse pass recomputes it) */
  tapes: (MlpTape | null)[];
  /** per step k and stage s: the diffusion network's tape (record only; null when recomputed) */
  diffusionTapes: (MlpTape | null)[];
  /** per step k and stage s ≥ 1 (index k·stages + s): the stage's input Y_s (record only; stage 0 reads state k) */
  stageInputs: (Float32Array | null)[];
  /** true: the tapes were not kept (too large), the reverse pass recomputes each step's networks */
  recompute: boolean;
  /** the drift network's constant inputs of this solve and their share of its first layer (NetworkKernels.constantInputs) */
  constant: SolveConstants | null;
}

/** A solve's constant inputs (NetworkKernels.constantInputs) and their product with the first layer, at this solve's parameters. */
interface SolveConstants {
  values: ArrayLike<number>;
  variable: number;
  base: Float64Array;
}

function solveConstants(net: FusedNetwork, n: number, ctx: SolveContext): SolveConstants | null {
  const spec = net.adapter.constantInputs;
  if (!spec) return null;
  const values = spec.values(n, ctx);
  return { values, variable: spec.variable, base: net.mlp.constantBase(net.params, values, spec.variable) };
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

/** The network rows of the running trajectories (`per` rows each). */
function runningRows(running: Uint8Array, per = 1): Int32Array {
  let count = 0;
  for (let r = 0; r < running.length; r++) count += running[r];
  const rows = new Int32Array(count * per);
  let c = 0;
  for (let r = 0; r < running.length; r++) if (running[r]) for (let j = 0; j < per; j++) rows[c++] = r * per + j;
  return rows;
}

function rowsOf(net: FusedNetwork, n: number): number {
  return n * (net.adapter.rowsPerTrajectory ?? 1);
}

/** One network's forward pass at (t, y): its output [rows, outputSize] (into `out`) and, when recording, its tape. */
function networkForward(
  net: FusedNetwork,
  t: number,
  y: Float32Array,
  n: number,
  ctx: SolveContext,
  running: RunningMask,
  out: Float32Array,
  record: boolean,
  constants: SolveConstants | null = null,
): MlpTape | null {
  const rows = rowsOf(net, n);
  const input = new Float32Array(rows * net.adapter.inputSize);
  net.adapter.input(t, y, n, ctx, input, running);
  let constant: ConstantInputs | null = null;
  if (constants) {
    const rowOf = new Int32Array(rows);
    for (let r = 0; r < rows; r++) rowOf[r] = net.adapter.constantInputs!.rowAt(t, r);
    constant = { variable: constants.variable, base: constants.base, rowOf };
  }
  return net.mlp.forward(net.params, input, rows, out, running ? runningRows(running, net.adapter.rowsPerTrajectory ?? 1) : null, record, constant);
}

/** Bytes of one step's tape of a network over `rows` rows: its input, each layer's output and slope. */
function tapeBytes(net: FusedNetwork, rows: number): number {
  const layers = net.mlp.layers.reduce((sum, l) => sum + l.fanOut * (l.activation === 'identity' ? 1 : 2), 0);
  return 4 * rows * (net.adapter.inputSize + layers);
}

/** σ_i = softplus(g_i + offset) in float32, as TF.js's add then softplus round them. */
function diffusionAmplitude(g: number, offset: number): number {
  return fround(activate(fround(g + offset), 'softplus'));
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
  opts: {
    steps: number;
    keep?: Iterable<number>;
    record?: boolean;
    /** with `record`: recompute the networks in the reverse pass instead of keeping their tapes (default: when they would pass TAPE_BUDGET_BYTES) */
    recompute?: boolean;
  },
): FusedRun {
  const { kernels, network, size, t0, dt, noise } = sys;
  const scheme = sys.scheme ?? FUSED_SCHEMES.euler;
  const S = scheme.b.length;
  const total = n * size;
  if (y0.length !== total) throw new Error(`fused solve: y0 has ${y0.length} values, expected ${n} × ${size}`);
  const record = opts.record ?? false;
  const keep = new Set(opts.keep ?? []);
  const states = new Map<number, Float32Array>();
  const tapes: (MlpTape | null)[] = [];
  const diffusion = sys.diffusion ?? null;
  const diffusionTapes: (MlpTape | null)[] = [];
  const stageInputs: (Float32Array | null)[] = [];
  const perStep = S * ((network ? tapeBytes(network, rowsOf(network, n)) : 0) + (diffusion ? tapeBytes(diffusion, rowsOf(diffusion, n)) : 0));
  const recompute = record && (opts.recompute ?? perStep * opts.steps > TAPE_BUDGET_BYTES);
  const keepTapes = record && !recompute;
  let y = Float32Array.from(y0);
  if (record || keep.has(0)) states.set(0, y);
  const constants = network ? solveConstants(network, n, ctx) : null;

  let endSteps: (number | null)[] | null = null;
  const flags = new Uint8Array(n);
  if (kernels.ended) {
    kernels.ended(y, n, flags);
    endSteps = Array.from(flags, (f) => (f ? 0 : null));
  }
  const running = endSteps ? new Uint8Array(n) : null;
  const drift = new Float32Array(total);
  const increment = network ? new Float32Array(total) : null;
  const netOut = network ? new Float32Array(rowsOf(network, n) * network.adapter.outputSize) : null;
  // the diffusion network writes one amplitude per agent
  const amplitude = diffusion ? new Float32Array(total) : null;
  const diffusionOut = diffusion ? new Float32Array(rowsOf(diffusion, n) * diffusion.adapter.outputSize) : null;
  const dtf = fround(dt);
  const sigmaf = noise ? fround(noise.sigma) : 0;
  const pathStride = noise ? noise.trajectories * noise.perTrajectory : 0;
  const noisy = sys.noisy ?? size;
  // the stages' contributions K_s [n, size]
  const K = Array.from({ length: S > 1 ? S : 0 }, () => new Float32Array(total));

  /**
   * K_s = b·h + f·h + σ·ΔW_k at the stage input Y (time t), for the running trajectories, into K[s];
   * with `step` (Euler's one stage), y_{k+1} = Y + K₁ straight into it instead.
   */
  const contribution = (t: number, Y: Float32Array, k: number, s: number, step: Float32Array | null) => {
    kernels.drift(t, Y, n, ctx, drift, running);
    if (network && increment && netOut) {
      const tape = networkForward(network, t, Y, n, ctx, running, netOut, keepTapes, constants);
      network.adapter.output(t, netOut, n, increment, running);
      if (record) tapes.push(tape);
    } else if (record) tapes.push(null);
    if (diffusion && amplitude && diffusionOut) {
      // a kept tape reads its output g in the reverse pass: a buffer of its own per stage
      const out = keepTapes ? new Float32Array(diffusionOut.length) : diffusionOut;
      const tape = networkForward(diffusion, t, Y, n, ctx, running, out, keepTapes);
      diffusion.adapter.output(t, out, n, amplitude, running);
      for (let i = 0; i < total; i++) amplitude[i] = diffusionAmplitude(amplitude[i], diffusion.offset);
      if (record) diffusionTapes.push(tape);
    } else if (record) diffusionTapes.push(null);
    const Ks = step ?? K[s];
    for (let r = 0; r < n; r++) {
      const o = r * size;
      if (running && !running[r]) {
        if (step) for (let i = 0; i < size; i++) step[o + i] = Y[o + i];
        continue;
      }
      const path = noise ? k * pathStride + (noise.trajectories === 1 ? 0 : r * noise.perTrajectory) : 0;
      for (let i = 0; i < size; i++) {
        let acc = fround(drift[o + i] * dtf);
        if (increment) acc = fround(acc + fround(increment[o + i] * dtf));
        if (noise && i < noisy) acc = fround(acc + fround((amplitude ? amplitude[o + i] : sigmaf) * fround(noise.increments[path + (noise.perTrajectory === 1 ? 0 : i)])));
        Ks[o + i] = step ? fround(Y[o + i] + acc) : acc;
      }
    }
  };

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
    const next = new Float32Array(total);
    for (let s = 0; s < S; s++) {
      let Y = y;
      if (s > 0) {
        // the stage's input; an ended trajectory's stays its state
        Y = Float32Array.from(y);
        for (let r = 0; r < n; r++) {
          if (running && !running[r]) continue;
          for (let i = r * size; i < (r + 1) * size; i++) Y[i] = scheme.stageInput(y[i], K, s, i);
        }
      }
      if (record) stageInputs.push(s > 0 ? Y : null);
      contribution(t + scheme.c[s] * dt, Y, k, s, S === 1 ? next : null);
    }
    // several stages: y_{k+1} = y_k + Σ b_s·K_s, rounded as the TF.js solver rounds it
    for (let r = 0; S > 1 && r < n; r++) {
      const o = r * size;
      if (running && !running[r]) {
        for (let i = 0; i < size; i++) next[o + i] = y[o + i];
        continue;
      }
      for (let i = o; i < o + size; i++) next[i] = scheme.combine(y[i], K, i);
    }
    if (endSteps && kernels.ended) {
      kernels.ended(next, n, flags);
      for (let r = 0; r < n; r++) if (flags[r] && endSteps[r] === null) endSteps[r] = k + 1;
    }
    y = next;
    taken = k + 1;
    if (record || keep.has(taken)) states.set(taken, y);
  }
  return { states, last: y, taken, endSteps, tapes, diffusionTapes, stageInputs, recompute, constant: constants };
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
export function fusedReverse(
  sys: FusedSystem,
  run: FusedRun,
  n: number,
  ctx: SolveContext,
  seeds: Map<number, Float64Array>,
  /** learned mechanics (train --learn): `gradient` += h·(∂b/∂θ)ᵀK̄_s over the steps and stages */
  mechanics: { parameters: ParameterKernels; gradient: Float64Array } | null = null,
): Float64Array {
  const { kernels, network, size, t0, dt } = sys;
  const scheme = sys.scheme ?? FUSED_SCHEMES.euler;
  const S = scheme.b.length;
  const total = n * size;
  let gParams = new Float64Array(network ? network.mlp.parameterCount : 0);
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
  const vOut = network ? new Float64Array(rowsOf(network, n) * network.adapter.outputSize) : null;
  const gIn = network ? new Float64Array(rowsOf(network, n) * network.adapter.inputSize) : null;
  const running = run.endSteps ? new Uint8Array(n) : null;
  const dtf = fround(dt);
  // the diffusion network's block of the gradient follows the drift network's
  const diffusion = sys.diffusion ?? null;
  const driftCount = network ? network.mlp.parameterCount : 0;
  if (diffusion) {
    const all = new Float64Array(driftCount + diffusion.mlp.parameterCount);
    all.set(gParams);
    gParams = all;
  }
  const dOut = diffusion ? new Float32Array(rowsOf(diffusion, n) * diffusion.adapter.outputSize) : null;
  const dvOut = diffusion ? new Float64Array(rowsOf(diffusion, n) * diffusion.adapter.outputSize) : null;
  const dgIn = diffusion ? new Float64Array(rowsOf(diffusion, n) * diffusion.adapter.inputSize) : null;
  const scaled = diffusion ? new Float64Array(total) : null;
  const noise = sys.noise;
  const pathStride = noise ? noise.trajectories * noise.perTrajectory : 0;
  const noisy = sys.noisy ?? size;
  const netOut = network ? new Float32Array(rowsOf(network, n) * network.adapter.outputSize) : null;
  // the constant inputs' first-layer gradients, summed over the steps (turned into ∂L/∂W at the end)
  const gBase = run.constant ? new Float64Array(run.constant.base.length) : null;
  // per stage: Ȳ_s (∂L/∂Y_s) and K̄_s; Euler's one stage reads a_{k+1} itself (b = 1)
  const Ybar = Array.from({ length: S }, () => new Float64Array(total));
  const Kbar = S === 1 && scheme.b[0] === 1 ? null : new Float64Array(total);

  /** Ȳ = (∂K_s/∂Y)ᵀ v at stage s of step k (input Y, time t), added into `into`. */
  const stageVjp = (k: number, s: number, t: number, Y: Float32Array, v: Float64Array, into: Float64Array) => {
    kernels.driftVjp?.(t, Y, v, dtf, n, ctx, into, running);
    mechanics?.parameters.vjp(t, Y, v, dtf, n, ctx, mechanics.gradient, running);
    const at = k * S + s;
    if (network && vOut && gIn && netOut) {
      const tape = run.tapes[at] ?? (run.recompute ? networkForward(network, t, Y, n, ctx, running, netOut, true, run.constant) : null);
      if (!tape) throw new Error(`fused solve: the network's tape of step ${k} was not recorded`);
      vOut.fill(0);
      network.adapter.outputVjp(t, v, n, vOut, running);
      for (let i = 0; i < vOut.length; i++) vOut[i] *= dtf;
      gIn.fill(0);
      network.mlp.backward(network.params, tape, vOut, gParams, gIn, gBase);
      network.adapter.inputVjp(t, Y, gIn, n, ctx, into, running);
    }
    if (diffusion && dOut && dvOut && dgIn && scaled && noise) {
      // σ_i·ΔW_i: the adjoint of σ_i is v_i·ΔW_i, of g_i that times softplus'(g_i + offset)
      const tape = run.diffusionTapes[at] ?? (run.recompute ? networkForward(diffusion, t, Y, n, ctx, running, dOut, true) : null);
      if (!tape) throw new Error(`fused solve: the diffusion network's tape of step ${k} was not recorded`);
      const g = tape.post[tape.post.length - 1];
      for (let r = 0; r < n; r++) {
        const o = r * size;
        const path = k * pathStride + (noise.trajectories === 1 ? 0 : r * noise.perTrajectory);
        const runs = !running || running[r] === 1;
        for (let i = 0; i < size; i++) {
          scaled[o + i] = runs && i < noisy ? v[o + i] * fround(noise.increments[path + (noise.perTrajectory === 1 ? 0 : i)]) : 0;
        }
      }
      dvOut.fill(0);
      diffusion.adapter.outputVjp(t, scaled, n, dvOut, running);
      for (let i = 0; i < dvOut.length; i++) dvOut[i] *= activationSlope(fround(g[i] + diffusion.offset), 'softplus');
      dgIn.fill(0);
      diffusion.mlp.backward(diffusion.params, tape, dvOut, gParams.subarray(driftCount), dgIn);
      diffusion.adapter.inputVjp(t, Y, dgIn, n, ctx, into, running);
    }
  };

  for (let j = run.taken; j >= 1; j--) {
    const seed = seedAt(j);
    if (seed) for (let i = 0; i < total; i++) a[i] += seed[i];
    const k = j - 1;
    const t = t0 + k * dt;
    const y = run.states.get(k);
    if (!y) throw new Error(`fused solve: state ${k} was not recorded`);
    if (running && run.endSteps) {
      for (let r = 0; r < n; r++) running[r] = run.endSteps[r] === null || run.endSteps[r]! > k ? 1 : 0;
    }
    for (let s = S - 1; s >= 0; s--) {
      // K̄_s = b_s·a + Σ over the later stages that read K_s of their weight·Ȳ
      let v: Float64Array = a;
      if (Kbar) {
        const b = scheme.b[s];
        for (let i = 0; i < total; i++) Kbar[i] = b * a[i];
        for (let r = s + 1; r < S; r++) {
          const input = scheme.inputs[r];
          if (input?.from !== s) continue;
          const w = input.weight;
          const Yr = Ybar[r];
          for (let i = 0; i < total; i++) Kbar[i] += w * Yr[i];
        }
        v = Kbar;
      }
      Ybar[s].fill(0);
      const Y = s === 0 ? y : run.stageInputs[k * S + s];
      if (!Y) throw new Error(`fused solve: the input of stage ${s} of step ${k} was not recorded`);
      stageVjp(k, s, t + scheme.c[s] * dt, Y, v, Ybar[s]);
    }
    for (let s = 0; s < S; s++) {
      const Ys = Ybar[s];
      for (let i = 0; i < total; i++) a[i] += Ys[i];
    }
  }
  if (network && run.constant && gBase) network.mlp.addConstantGradient(run.constant.values, run.constant.variable, gBase, gParams);
  return gParams;
}
