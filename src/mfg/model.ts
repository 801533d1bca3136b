// A neural mean-field model: a game's mechanics (drift by autodiff), its noise, and the neural
// term, integrated by a solver. This is the generic path; a fused fast path can replace
// `simulate` without touching the games.
import { tf, type Tensor } from '../tf.ts';
import type { ExperimentConfig } from '../config.ts';
import type { Game, Mechanics } from '../game.ts';
import { BrownianIncrements } from '../ode/brownian.ts';
import { solve } from '../ode/solve.ts';
import { solverByName } from '../ode/solvers/index.ts';
import { controlTerm, odeTerm, type Term } from '../ode/terms.ts';
import { bindMlp, initialParameters, parameterCount, type MlpSpec } from '../nn/mlp.ts';
import type { RandomStream } from '../random.ts';
import { gridSteps } from '../ode/solve.ts';
import { meanFieldDrift } from './drift.ts';

export function networkSpec(config: ExperimentConfig): MlpSpec {
  return { inputSize: config.agents, outputSize: config.agents, ...config.network };
}

export class MeanFieldModel<C extends ExperimentConfig = ExperimentConfig> {
  readonly mechanics: Mechanics;
  readonly spec: MlpSpec;
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
    this.spec = networkSpec(config);
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
    const { noise, time, agents } = this.config;
    const shape = noise.layout === 'common' ? [trajectories, 1] : [trajectories, agents];
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
   * Integrates the population y0 [trajectories, agents] and returns the observed states at the
   * save times [saves, trajectories, agents]. With `network: false` it is the MFG-only dynamics.
   */
  simulate(y0: Tensor, path: BrownianIncrements | null, opts: { network: boolean }): Tensor {
    return tf.tidy(() => {
      const terms: Term[] = [odeTerm(meanFieldDrift(this.mechanics))];
      if (opts.network) {
        const mlp = bindMlp(this.spec, this.params);
        terms.push(odeTerm((_t, y) => mlp(y)));
      }
      if (path !== null) terms.push(controlTerm(this.config.noise.sigma, path));
      const { t0, t1, dt, saveAt } = this.config.time;
      const { ys } = solve({ terms, solver: solverByName(this.config.solver), t0, t1, dt, y0, saveAt });
      return this.mechanics.observe ? this.mechanics.observe(ys) : ys;
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
  const [saves, trajectories, agents] = ys.shape as [number, number, number];
  const data = ys.dataSync();
  const out: number[][] = [];
  for (let k = 0; k < saves; k++) {
    const start = (k * trajectories + which) * agents;
    out.push(Array.from(data.subarray(start, start + agents)));
  }
  return out;
}
