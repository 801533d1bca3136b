// A neural mean-field model: a game's mechanics, its noise, and the neural term with its flat
// parameter vector, solved by one of two engines (engine.ts): `fused` (typed-array kernels with a
// hand-written reverse pass) or `graph` (TF.js autodiff, the reference). The model owns the
// parameters (a Float32Array that the optimiser updates in place) and the experiment's frozen
// noise path; everything it returns is plain host data.
import type { ExperimentConfig } from '../config.ts';
import type { Game, NetworkAdapter } from '../game.ts';
import { BrownianIncrements } from '../ode/brownian.ts';
import { gridSteps } from '../ode/solve.ts';
import { initialParameters, parameterCount, type MlpSpec } from '../nn/spec.ts';
import type { RandomStream } from '../random.ts';
import { FusedEngine } from '../fused/engine.ts';
import { GpuFusedEngine } from '../gpu/engine.ts';
import { resolveEngine, type Engine, type EngineName, type ObservationBatch, type SolveRequest, type SolveResult } from './engine.ts';
import { GraphEngine, wholeStateAdapter } from './graph.ts';

export { emptyContext } from './graph.ts';

/** The shape of one state of the game (default: one number per agent). */
export function stateShape<C extends ExperimentConfig>(game: Game<C>, config: C): number[] {
  return game.stateShape?.(config) ?? [config.agents];
}

export function networkAdapter<C extends ExperimentConfig>(game: Game<C>, config: C): NetworkAdapter {
  return game.network?.(config) ?? wholeStateAdapter(stateShape(game, config));
}

export function networkSpec<C extends ExperimentConfig>(game: Game<C>, config: C): MlpSpec {
  const adapter = networkAdapter(game, config);
  return { inputSize: adapter.inputSize, outputSize: adapter.outputSize, ...config.network };
}

export interface ModelOptions {
  /** the engine to solve with (default: fused wherever the game provides kernels, else graph) */
  engine?: EngineName;
  /** a TF.js backend chosen explicitly: the default engine is then graph (see resolveEngine) */
  backend?: string;
}

export class MeanFieldModel<C extends ExperimentConfig = ExperimentConfig> {
  readonly spec: MlpSpec;
  /** the shape of one state */
  readonly shape: number[];
  /** the number of values in one state */
  readonly size: number;
  /** the neural term's flat parameter vector (updated in place by the optimiser) */
  readonly params: Float32Array;
  readonly engine: Engine;
  /** why the default engine is not `fused` for this game and configuration (null when it is, or when asked for) */
  readonly engineNote: string | null;
  private readonly frozenPath: BrownianIncrements | null = null;

  constructor(
    readonly game: Game<C>,
    readonly config: C,
    /** the dynamics stream: noise paths and the game's own randomness */
    private readonly dynamics: RandomStream,
    params: Float64Array | Float32Array | RandomStream,
    opts: ModelOptions = {},
  ) {
    this.shape = stateShape(game, config);
    this.size = this.shape.reduce((a, b) => a * b, 1);
    this.spec = networkSpec(game, config);
    const values = 'uniform' in params ? initialParameters(this.spec, params) : params;
    if (values.length !== parameterCount(this.spec)) {
      throw new Error(`the network has ${parameterCount(this.spec)} parameters, ${values.length} were given`);
    }
    this.params = Float32Array.from(values);
    const { engine, note } = resolveEngine(game, config, opts.engine, { backend: opts.backend });
    this.engineNote = note;
    const input = { game, config, dynamics, params: this.params, spec: this.spec, shape: this.shape };
    this.engine = engine === 'fused' ? new FusedEngine(input) : engine === 'gpu' ? new GpuFusedEngine(input) : new GraphEngine(input);
    if (config.noise.layout !== 'none' && config.noise.path === 'frozen') this.frozenPath = this.samplePath(1);
  }

  get steps(): number {
    return gridSteps(this.config.time.t0, this.config.time.t1, this.config.time.dt);
  }

  private samplePath(trajectories: number): BrownianIncrements {
    const { noise, time } = this.config;
    const shape = noise.layout === 'common' ? [trajectories, ...this.shape.map(() => 1)] : [trajectories, ...this.shape];
    return BrownianIncrements.sample(this.dynamics, this.steps, time.dt, shape);
  }

  /**
   * The Brownian path for the next solve: the experiment's frozen path, or a fresh one drawn from
   * the dynamics stream (one per trajectory). null without noise. A path is host data: nothing to
   * dispose.
   */
  nextPath(trajectories: number): BrownianIncrements | null {
    if (this.config.noise.layout === 'none') return null;
    return this.frozenPath ?? this.samplePath(trajectories);
  }

  /** `n` copies of one initial state, as a batch of trajectories. */
  startStates(x0: ArrayLike<number>, n: number): Float32Array {
    const out = new Float32Array(n * this.size);
    const one = Float32Array.from(x0);
    for (let r = 0; r < n; r++) out.set(one, r * this.size);
    return out;
  }

  /** Integrates the trajectories of `req` and returns their observed states at the save times. */
  simulate(req: SolveRequest): SolveResult {
    return this.engine.simulate(req);
  }

  loss(req: SolveRequest, observations: ObservationBatch): number {
    return this.engine.loss(req, observations);
  }

  lossOfStates(final: Float32Array, trajectories: number, observations: ObservationBatch): number {
    return this.engine.lossOfStates(final, trajectories, observations);
  }

  lossAndGradient(req: SolveRequest, observations: ObservationBatch): { loss: number; gradient: Float32Array } {
    return this.engine.lossAndGradient(req, observations);
  }
}

/** Per-turn statistics of one population per save time: what `summary.json` reports. */
export interface TurnStats {
  t: number;
  mean: number;
  std: number;
  min: number;
  max: number;
}

export function turnStats(ts: number[], values: number[][]): TurnStats[] {
  return ts.map((t, k) => {
    const v = values[k];
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
    let min = Infinity;
    let max = -Infinity;
    for (const x of v) {
      if (x < min) min = x;
      if (x > max) max = x;
    }
    return { t, mean, std: Math.sqrt(variance), min, max };
  });
}

/** Splits saved states [saves, trajectories, ...state] into per-save arrays of trajectory `which`. */
export function populationsAt(result: SolveResult, trajectories: number, which = 0): number[][] {
  const saves = result.saveAt.length;
  const size = result.states.length / (saves * trajectories);
  const out: number[][] = [];
  for (let k = 0; k < saves; k++) {
    const start = (k * trajectories + which) * size;
    out.push(Array.from(result.states.subarray(start, start + size)));
  }
  return out;
}
