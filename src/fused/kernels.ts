// What a game hands the fused engine: its mechanics on typed arrays, each with the hand-derived
// vector-Jacobian product the reverse pass needs. They are the same mechanics as the game's
// `Mechanics` (the autodiff path, which the tests hold them against), with the population statistic
// held fixed in the same way. States are row-major Float32Array [trajectories, ...state]; a
// trajectory that has ended (`running[r] === 0`) may be skipped: its step is discarded.
import type { SolveContext } from '../data/dataset.ts';

/** Which trajectories take the current step (1) and which have ended (0); null: all run. */
export type RunningMask = Uint8Array | null;

/** How the neural term reads and writes the state (the typed-array counterpart of NetworkAdapter). */
export interface NetworkKernels {
  inputSize: number;
  outputSize: number;
  /**
   * network rows per trajectory (default 1: the network reads a whole trajectory's state; the agent
   * network: one row per agent). Below, rows = n · rowsPerTrajectory.
   */
  rowsPerTrajectory?: number;
  /** the network's input [rows, inputSize] at (t, y) */
  input(t: number, y: Float32Array, n: number, ctx: SolveContext, out: Float32Array, running: RunningMask): void;
  /** adj [n, ...state] += vᵀ ∂input/∂y, for v [rows, inputSize] */
  inputVjp(t: number, y: Float32Array, v: Float64Array, n: number, ctx: SolveContext, adj: Float64Array, running: RunningMask): void;
  /** the increment of the state from the network's output [rows, outputSize]: writes every entry of out [n, ...state] */
  output(t: number, netOut: Float32Array, n: number, out: Float32Array, running: RunningMask): void;
  /** vOut [rows, outputSize] = vᵀ ∂output/∂netOut, for v [n, ...state] */
  outputVjp(t: number, v: Float64Array, n: number, vOut: Float64Array, running: RunningMask): void;
  /**
   * Input columns that stay the same through a solve (optional; a speed-up only, the result is the
   * same without it): columns [variable, inputSize) of network row `row` at time t are constant row
   * `rowAt(t, row)` of `values(n, ctx)` [constantRows, inputSize − variable], which `input` writes
   * too. The engine multiplies them into the first layer once per solve instead of at every step;
   * they carry no input gradient (inputVjp never reads those columns of v). Liar's dice: the active
   * player's own dice.
   */
  constantInputs?: {
    variable: number;
    values(n: number, ctx: SolveContext): ArrayLike<number>;
    rowAt(t: number, row: number): number;
  };
}

/**
 * The mechanics parameters the inverse problem learns (train --learn, src/mfg/learned.ts): the
 * drift reads their current values, and the reverse pass asks for ∂b/∂θ. Where the drift is made of
 * indicators (the meeting's [x − s]₊, El Farol's threshold), the derivative of an indicator with
 * respect to its threshold is a smoothed delta (src/fused/surrogate.ts): each game's README says which.
 */
export interface ParameterKernels {
  /** the parameters by their field name in the mechanics section, e.g. "scheduledTime" */
  names: readonly string[];
  /** the value the drift (and `vjp`) use from now on for one of `names` */
  set(name: string, value: number): void;
  /**
   * g[j] += scale · Σ_i v_i ∂b_i/∂θ_j at the state y of time t (the statistic held fixed, as in the
   * drift; θ_j = names[j]), for every running trajectory; v [n, ...state].
   */
  vjp(t: number, y: Float32Array, v: Float64Array, scale: number, n: number, ctx: SolveContext, g: Float64Array, running: RunningMask): void;
}

export interface GameKernels {
  /**
   * true when each trajectory's solve depends on its own initial state, observations, key and
   * noise path alone (no randomness drawn during the solve): the engine may then solve the
   * trajectories in chunks, on several threads. The loss must be a mean over trajectories.
   */
  independentTrajectories?: boolean;
  /**
   * The mean-field drift b(t, y) of every running trajectory, held-fixed transitions included,
   * written (every entry) into out [n, ...state]. May draw from the dynamics stream as the
   * autodiff path does, in the same order.
   */
  drift(t: number, y: Float32Array, n: number, ctx: SolveContext, out: Float32Array, running: RunningMask): void;
  /**
   * adj += scale · vᵀ ∂b/∂y at the state y of time t, the statistic held fixed. Absent: ∂b/∂y = 0
   * (the meeting game's indicators).
   */
  driftVjp?(t: number, y: Float32Array, v: Float64Array, scale: number, n: number, ctx: SolveContext, adj: Float64Array, running: RunningMask): void;
  /** the learnable mechanics parameters (train --learn); absent: none */
  parameters?: ParameterKernels;
  /** the network's reads and writes; absent: the whole state in, a state-shaped increment out */
  network?: NetworkKernels;
  /** which trajectories have ended (1) after a step; absent: none ever ends */
  ended?(y: Float32Array, n: number, out: Uint8Array): void;
  /** what is observed of the saved states, in place (El Farol clips to [0, 1]); absent: the state */
  observe?(y: Float32Array): void;
  /** v ← vᵀ ∂observe/∂y at the unobserved state y, in place */
  observeVjp?(y: Float32Array, v: Float64Array): void;
  /**
   * The training loss of the observed final states pred [n, ...state] against a batch of
   * observations [batch, ...sample] (batch = n for paired games), as the game's ObservationModel
   * defines it; with `grad`, also writes ∂L/∂pred into it.
   */
  loss(pred: Float32Array, n: number, observations: Float32Array, batch: number, grad: Float64Array | null): number;
}
