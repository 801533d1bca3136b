// The fused solve: explicit Euler / Euler–Maruyama over typed arrays with the game's kernels, the
// neural term and the noise, then a hand-written reverse pass through every step (the discrete
// adjoint: exactly the gradient of the discretised solve, as autodiff through the unrolled steps
// gives it). One step, as src/ode/solvers/euler.ts takes it in float32:
//   y_{k+1} = y_k + (b(t_k, y_k)·h + f_θ(t_k, y_k)·h + σ·ΔW_k)
// with each product and sum rounded to float32 in that order, so that the states are TF.js's up to
// the network's order of summation. Trajectories that have ended stay frozen; the solve stops when
// all have ended. Reverse: a_k = a_{k+1} + h·(∂b/∂y)ᵀa_{k+1} + h·(∂f/∂y)ᵀa_{k+1}, ∂L/∂θ += h·(∂f/∂θ)ᵀa_{k+1}.
//
// With a neural diffusion (noise.diffusion "neural") the noise term of agent i is σ_i·ΔW with
// σ_i = softplus(g_θ(x_i, t, s) + c), and the reverse pass adds (∂σ/∂y)ᵀ(a_{k+1} ⊙ ΔW_k) to a_k and
// its parameter gradient. Networks over many rows (a million agents) do not keep their tapes for
// the reverse pass: it recomputes each step's forward pass from the kept state (the same numbers).
import type { SolveContext } from '../data/dataset.ts';
import type { GameKernels, NetworkKernels, ParameterKernels, RunningMask } from './kernels.ts';
import { activate, activationSlope, type ConstantInputs, type FusedMlp, type MlpTape } from './mlp.ts';

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
  /** per step k: the network's tape (record only; null when the reverse pass recomputes it) */
  tapes: (MlpTape | null)[];
  /** per step k: the diffusion network's tape (record only; null when recomputed) */
  diffusionTapes: (MlpTape | null)[];
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
  const total = n * size;
  if (y0.length !== total) throw new Error(`fused solve: y0 has ${y0.length} values, expected ${n} × ${size}`);
  const record = opts.record ?? false;
  const keep = new Set(opts.keep ?? []);
  const states = new Map<number, Float32Array>();
  const tapes: (MlpTape | null)[] = [];
  const diffusion = sys.diffusion ?? null;
  const diffusionTapes: (MlpTape | null)[] = [];
  const perStep = (network ? tapeBytes(network, rowsOf(network, n)) : 0) + (diffusion ? tapeBytes(diffusion, rowsOf(diffusion, n)) : 0);
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
      const tape = networkForward(network, t, y, n, ctx, running, netOut, keepTapes, constants);
      network.adapter.output(t, netOut, n, increment, running);
      if (record) tapes.push(tape);
    } else if (record) tapes.push(null);
    if (diffusion && amplitude && diffusionOut) {
      // a kept tape reads its output g in the reverse pass: a buffer of its own per step
      const out = keepTapes ? new Float32Array(diffusionOut.length) : diffusionOut;
      const tape = networkForward(diffusion, t, y, n, ctx, running, out, keepTapes);
      diffusion.adapter.output(t, out, n, amplitude, running);
      for (let i = 0; i < total; i++) amplitude[i] = diffusionAmplitude(amplitude[i], diffusion.offset);
      if (record) diffusionTapes.push(tape);
    }

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
        if (noise && i < noisy) acc = fround(acc + fround((amplitude ? amplitude[o + i] : sigmaf) * fround(noise.increments[path + (noise.perTrajectory === 1 ? 0 : i)])));
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
  return { states, last: y, taken, endSteps, tapes, diffusionTapes, recompute, constant: constants };
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
  /** learned mechanics (train --learn): `gradient` += h·(∂b/∂θ)ᵀa_{k+1} over the steps */
  mechanics: { parameters: ParameterKernels; gradient: Float64Array } | null = null,
): Float64Array {
  const { kernels, network, size, t0, dt } = sys;
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
  const extra = new Float64Array(total);
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
    mechanics?.parameters.vjp(t, y, a, dtf, n, ctx, mechanics.gradient, running);
    if (network && vOut && gIn && netOut) {
      const tape = run.tapes[k] ?? (run.recompute ? networkForward(network, t, y, n, ctx, running, netOut, true, run.constant) : null);
      if (!tape) throw new Error(`fused solve: the network's tape of step ${k} was not recorded`);
      vOut.fill(0);
      network.adapter.outputVjp(t, a, n, vOut, running);
      for (let i = 0; i < vOut.length; i++) vOut[i] *= dtf;
      gIn.fill(0);
      network.mlp.backward(network.params, tape, vOut, gParams, gIn, gBase);
      network.adapter.inputVjp(t, y, gIn, n, ctx, extra, running);
    }
    if (diffusion && dOut && dvOut && dgIn && scaled && noise) {
      // σ_i·ΔW_i: the adjoint of σ_i is a_i·ΔW_i, of g_i that times softplus'(g_i + offset)
      const tape = run.diffusionTapes[k] ?? (run.recompute ? networkForward(diffusion, t, y, n, ctx, running, dOut, true) : null);
      if (!tape) throw new Error(`fused solve: the diffusion network's tape of step ${k} was not recorded`);
      const g = tape.post[tape.post.length - 1];
      for (let r = 0; r < n; r++) {
        const o = r * size;
        const path = k * pathStride + (noise.trajectories === 1 ? 0 : r * noise.perTrajectory);
        const runs = !running || running[r] === 1;
        for (let i = 0; i < size; i++) {
          scaled[o + i] = runs && i < noisy ? a[o + i] * fround(noise.increments[path + (noise.perTrajectory === 1 ? 0 : i)]) : 0;
        }
      }
      dvOut.fill(0);
      diffusion.adapter.outputVjp(t, scaled, n, dvOut, running);
      for (let i = 0; i < dvOut.length; i++) dvOut[i] *= activationSlope(fround(g[i] + diffusion.offset), 'softplus');
      dgIn.fill(0);
      diffusion.mlp.backward(diffusion.params, tape, dvOut, gParams.subarray(driftCount), dgIn);
      diffusion.adapter.inputVjp(t, y, dgIn, n, ctx, extra, running);
    }
    for (let i = 0; i < total; i++) a[i] += extra[i];
  }
  if (network && run.constant && gBase) network.mlp.addConstantGradient(run.constant.values, run.constant.variable, gBase, gParams);
  return gParams;
}
