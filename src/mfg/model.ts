// A neural mean-field model: a game's mechanics, its noise, and the neural term with its flat
// parameter vector, solved by one of two engines (engine.ts): `fused` (typed-array kernels with a
// hand-written reverse pass) or `graph` (TF.js autodiff, the reference). The model owns the
// parameters (a Float32Array that the optimiser updates in place) and the experiment's frozen
// noise path; everything it returns is plain host data.
import type { ExperimentConfig } from '../config.ts';
import type { Game, NetworkAdapter } from '../game.ts';
import { BrownianIncrements } from '../ode/brownian.ts';
import { gridSteps } from '../ode/solve.ts';
import type { MlpSpec } from '../nn/spec.ts';
import { ConfigError } from '../config.ts';
import { agentAdapter } from './agent-network.ts';
import { diffusionSpec, emptySpec, initialModelParameters, mlpSpec, networkKind, networkOptionsUnsupported, parameterCounts } from './networks.ts';
import type { RandomStream } from '../random.ts';
import { FusedEngine } from '../fused/engine.ts';
import { GpuFusedEngine } from '../gpu/engine.ts';
import { EngineError, resolveEngine, type Engine, type EngineName, type ObservationBatch, type SolveRequest, type SolveResult } from './engine.ts';
import { GraphEngine, wholeStateAdapter } from './graph.ts';
import { learnedMechanics, type LearnedMechanics } from './learned.ts';

export { emptyContext } from './graph.ts';

/** The shape of one state of the game (default: one number per agent). */
export function stateShape<C extends ExperimentConfig>(game: Game<C>, config: C): number[] {
  return game.stateShape?.(config) ?? [config.agents];
}

export function networkAdapter<C extends ExperimentConfig>(game: Game<C>, config: C): NetworkAdapter {
  if (networkKind(config) === 'agent') return agentAdapter(config, game.agentStates?.(config));
  return game.network?.(config) ?? wholeStateAdapter(stateShape(game, config));
}

/**
 * The neural drift's network: its input and output sizes from the adapter (the agent network's
 * do not depend on the number of agents), its layers from the configuration; network.kind "none":
 * a network of no inputs, no outputs and no parameters.
 */
export function networkSpec<C extends ExperimentConfig>(game: Game<C>, config: C): MlpSpec {
  if (networkKind(config) === 'none') return emptySpec(config);
  const adapter = networkAdapter(game, config);
  return mlpSpec(config, adapter.inputSize, adapter.outputSize);
}

export { diffusionSpec } from './networks.ts';

export interface ModelOptions {
  /** the engine to solve with (default: fused wherever the game provides kernels, else graph) */
  engine?: EngineName;
  /** a TF.js backend chosen explicitly: the default engine is then graph (see resolveEngine) */
  backend?: string;
}

export class MeanFieldModel<C extends ExperimentConfig = ExperimentConfig> {
  /** the neural drift's network */
  readonly spec: MlpSpec;
  /** the neural diffusion's network (its parameters follow the drift's), or null: the constant σ */
  readonly diffusionSpec: MlpSpec | null;
  /** the shape of one state */
  readonly shape: number[];
  /** the number of values in one state */
  readonly size: number;
  /**
   * the neural term's flat parameter vector (updated in place by the optimiser); with learned
   * mechanics (train --learn), their coordinates follow the networks' `networkCount` values
   */
  readonly params: Float32Array;
  /** the values of `params` that are the networks' */
  readonly networkCount: number;
  /** the mechanics parameters learned with the network (inverse.learn), or null */
  readonly learned: LearnedMechanics | null;
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
    const unsupported = networkOptionsUnsupported(game, config);
    if (unsupported) throw new ConfigError(unsupported);
    this.shape = stateShape(game, config);
    this.size = this.shape.reduce((a, b) => a * b, 1);
    this.spec = networkSpec(game, config);
    this.diffusionSpec = diffusionSpec(config);
    const count = parameterCounts(this.spec, this.diffusionSpec).total;
    const values = 'uniform' in params ? initialModelParameters(this.spec, this.diffusionSpec, params) : params;
    // learned mechanics start at their configured values (coordinates 0) unless given (a checkpoint's)
    this.learned = learnedMechanics(game, config);
    this.networkCount = count;
    const extra = this.learned?.count ?? 0;
    if (values.length !== count && values.length !== count + extra) {
      throw new Error(`the network has ${count} parameters, ${values.length} were given`);
    }
    this.params = new Float32Array(count + extra);
    this.params.set(values);
    const { engine, note } = resolveEngine(game, config, opts.engine, { backend: opts.backend });
    this.engineNote = note;
    if (this.learned && engine !== 'fused') {
      throw new EngineError(`inverse.learn (--learn): the ${engine} engine does not learn mechanics parameters; the fused engine does (solvers euler, euler-maruyama)`);
    }
    const learned = this.learned;
    const coordinates = this.params.subarray(count);
    const input = {
      game,
      config,
      dynamics,
      params: learned ? this.params.subarray(0, count) : this.params,
      spec: this.spec,
      diffusion: this.diffusionSpec,
      shape: this.shape,
      learned: learned ? { names: learned.names, values: () => learned.values(coordinates) } : null,
    };
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
    const r = this.engine.lossAndGradient(req, observations);
    if (!this.learned) return r;
    // the networks' gradient, then the learned mechanics' (∂L/∂θ through each one's map to its coordinate)
    const gradient = new Float32Array(this.params.length);
    gradient.set(r.gradient);
    this.learned.chain(this.params.subarray(this.networkCount), r.mechanicsGradient ?? new Float64Array(this.learned.count), gradient, this.networkCount);
    return { loss: r.loss, gradient };
  }

  /** the learned mechanics parameters' current values by field (null without inverse.learn) */
  learnedValues(): Record<string, number> | null {
    return this.learned ? this.learned.byField(this.params.subarray(this.networkCount)) : null;
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
