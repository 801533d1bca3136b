// A neural mean-field model: a game's mechanics (drift by autodiff), its noise, and the neural
// term, integrated by a solver. This is the generic path; a fused fast path can replace
// `simulate` without touching the games.
import { tf, type Tensor } from '../tf.ts';
import type { ExperimentConfig } from '../config.ts';
import type { Game, Mechanics, NetworkAdapter, SolveContext } from '../game.ts';
import { BrownianIncrements } from '../ode/brownian.ts';
import { solve } from '../ode/solve.ts';
import { solverByName } from '../ode/solvers/index.ts';
import { controlTerm, odeTerm, type Term } from '../ode/terms.ts';
import { bindMlp, initialParameters, parameterCount, type MlpSpec } from '../nn/mlp.ts';
import type { RandomStream } from '../random.ts';
import { gridSteps } from '../ode/solve.ts';
import { meanFieldDrift } from './drift.ts';

/** The shape of one state of the game (default: one number per agent). */
export function stateShape<C extends ExperimentConfig>(game: Game<C>, config: C): number[] {
  return game.stateShape?.(config) ?? [config.agents];
}

/** The default network adapter: the whole (flattened) state in, a state-shaped increment out. */
function wholeStateAdapter(shape: number[]): NetworkAdapter {
  const size = shape.reduce((a, b) => a * b, 1);
  return {
    inputSize: size,
    outputSize: size,
    input: (_t, y) => tf.reshape(y, [y.shape[0], size]),
    output: (_t, out, y) => tf.reshape(out, y.shape),
  };
}

export function networkAdapter<C extends ExperimentConfig>(game: Game<C>, config: C): NetworkAdapter {
  return game.network?.(config) ?? wholeStateAdapter(stateShape(game, config));
}

export function networkSpec<C extends ExperimentConfig>(game: Game<C>, config: C): MlpSpec {
  const adapter = networkAdapter(game, config);
  return { inputSize: adapter.inputSize, outputSize: adapter.outputSize, ...config.network };
}

/** A context for games that need none: no paired observations, zero keys. */
export function emptyContext(trajectories: number): SolveContext {
  return { observations: null, keys: new Uint32Array(trajectories) };
}

export class MeanFieldModel<C extends ExperimentConfig = ExperimentConfig> {
  readonly mechanics: Mechanics;
  readonly spec: MlpSpec;
  readonly adapter: NetworkAdapter;
  /** the shape of one state */
  readonly shape: number[];
  /** the neural term's flat parameter vector */
  readonly params: tf.Variable;
  private frozenPath: BrownianIncrements | null = null;

  constructor(
    readonly game: Game<C>,
    readonly config: C,
    /** the dynamics stream: noise paths and the game's own randomness */
    private readonly dynamics: RandomStream,
    params: Float64Array | Float32Array | RandomStream,
  ) {
    this.mechanics = game.mechanics(config, dynamics);
    this.shape = stateShape(game, config);
    this.adapter = networkAdapter(game, config);
    this.spec = networkSpec(game, config);
    const values = 'uniform' in params ? initialParameters(this.spec, params) : params;
    if (values.length !== parameterCount(this.spec)) {
      throw new Error(
        `the network has ${parameterCount(this.spec)} parameters, ${values.length} were given`,
      );
    }
    // tidy disposes the initial tensor; the variable (never tidied) keeps its own reference
    this.params = tf.tidy(() => tf.variable(tf.tensor1d(Float32Array.from(values)), true));
    if (config.noise.layout !== 'none' && config.noise.path === 'frozen') {
      this.frozenPath = this.samplePath(1);
    }
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
   * the dynamics stream (one per trajectory). null without noise. The caller disposes a fresh path.
   */
  nextPath(trajectories: number): BrownianIncrements | null {
    if (this.config.noise.layout === 'none') return null;
    return this.frozenPath ?? this.samplePath(trajectories);
  }

  isFrozen(path: BrownianIncrements | null): boolean {
    return path !== null && path === this.frozenPath;
  }

  /**
   * Integrates the states y0 [trajectories, ...state] and returns the observed states at the save
   * times [saves, trajectories, ...state]. With `network: false` it is the MFG-only dynamics.
   * `ctx` carries paired observations and per-trajectory keys; `info.endSteps` receives when each
   * trajectory ended, for games that end. `saveAt` replaces the configured save times (training
   * asks for the last one only: the states are the same, and the reverse pass does not have to
   * unstack every save point, which the wasm backend does by copying the whole stack per point).
   */
  simulate(
    y0: Tensor,
    path: BrownianIncrements | null,
    opts: { network: boolean; ctx?: SolveContext; info?: { endSteps?: (number | null)[] }; saveAt?: number[] },
  ): Tensor {
    const ctx = opts.ctx ?? emptyContext(y0.shape[0]);
    return tf.tidy(() => {
      const terms: Term[] = [odeTerm(meanFieldDrift(this.mechanics, ctx))];
      if (opts.network) {
        const mlp = bindMlp(this.spec, this.params);
        terms.push(odeTerm((t, y) => this.adapter.output(t, mlp(this.adapter.input(t, y, ctx)), y)));
      }
      if (path !== null) terms.push(controlTerm(this.config.noise.sigma, path));
      const { t0, t1, dt } = this.config.time;
      const saveAt = opts.saveAt ?? this.config.time.saveAt;
      const ended = this.mechanics.ended?.bind(this.mechanics);
      const solution = solve({ terms, solver: solverByName(this.config.solver), t0, t1, dt, y0, saveAt, ended });
      if (opts.info) opts.info.endSteps = solution.endSteps;
      return this.mechanics.observe ? this.mechanics.observe(solution.ys) : solution.ys;
    });
  }

  dispose(): void {
    this.params.dispose();
    this.frozenPath?.dispose();
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
    return { t, mean, std: Math.sqrt(variance), min: Math.min(...v), max: Math.max(...v) };
  });
}

/** Splits saved states [saves, trajectories, agents] into per-save arrays of trajectory `which`. */
export function populationsAt(ys: Tensor, which = 0): number[][] {
  const [saves, trajectories, ...state] = ys.shape;
  const size = state.reduce((a, b) => a * b, 1); // agents, or the flattened state of one game
  const data = ys.dataSync();
  const out: number[][] = [];
  for (let k = 0; k < saves; k++) {
    const start = (k * trajectories + which) * size;
    out.push(Array.from(data.subarray(start, start + size)));
  }
  return out;
}
