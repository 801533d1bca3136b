// The graph engine: the solve as TF.js ops (src/ode/solve.ts), the drift by autodiff of the game's
// cost with the population statistic held fixed (drift.ts), and gradients by autodiff through the
// whole unrolled solve. It is the reference implementation the fused engine is tested against, and
// it runs on every TF.js backend.
import { tf, type Scalar, type Tensor } from '../tf.ts';
import type { ExperimentConfig } from '../config.ts';
import type { Mechanics, NetworkAdapter, SolveContext } from '../game.ts';
import type { BrownianIncrements } from '../ode/brownian.ts';
import { solve } from '../ode/solve.ts';
import { solverByName } from '../ode/solvers/index.ts';
import { controlTerm, odeTerm, type Term } from '../ode/terms.ts';
import { bindMlp } from '../nn/mlp.ts';
import { meanFieldDrift } from './drift.ts';
import type { Engine, EngineInput, ObservationBatch, SolveRequest, SolveResult } from './engine.ts';
import { agentAdapter, neuralDiffusion } from './agent-network.ts';
import { lossKind, networkKind, parameterCounts } from './networks.ts';
import { distributionalLossTensor } from './distances.ts';
import { distributionalLoss, observedPopulation } from '../fused/distances.ts';
import { lossInput, lossTimes, observesPaths } from './observed.ts';

/** The default network adapter: the whole (flattened) state in, a state-shaped increment out. */
export function wholeStateAdapter(shape: number[]): NetworkAdapter {
  const size = shape.reduce((a, b) => a * b, 1);
  return {
    inputSize: size,
    outputSize: size,
    input: (_t, y) => tf.reshape(y, [y.shape[0], size]),
    output: (_t, out, y) => tf.reshape(out, y.shape),
  };
}

/** A context for games that need none: no paired observations, zero keys. */
export function emptyContext(trajectories: number): SolveContext {
  return { observations: null, keys: new Uint32Array(trajectories) };
}

/** the largest broadcast (elements) a loss is computed on in one piece */
const LOSS_SLICE = 1 << 22;

export class GraphEngine<C extends ExperimentConfig = ExperimentConfig> implements Engine {
  readonly name = 'graph' as const;
  readonly mechanics: Mechanics;
  readonly adapter: NetworkAdapter;
  /** the leading values of a state that are the agents' own (Game.agentStates): what the noise and the agent network reach */
  private readonly agents: number;

  constructor(private readonly input: EngineInput<C>) {
    this.mechanics = input.game.mechanics(input.config, input.dynamics);
    this.agents = input.game.agentStates?.(input.config) ?? input.shape.reduce((a, b) => a * b, 1);
    this.adapter =
      networkKind(input.config) === 'agent' ? agentAdapter(input.config, this.agents) : (input.game.network?.(input.config) ?? wholeStateAdapter(input.shape));
  }

  /** σ on the agents' own states and 0 on the rest of a state (Game.agentStates), or σ itself when the state is all agents */
  private noiseAmplitude(sigma: number): number | ((t: number, y: Tensor) => Tensor) {
    const size = this.input.shape.reduce((a, b) => a * b, 1);
    if (this.agents === size) return sigma;
    const mask = new Float32Array(size).fill(sigma, 0, this.agents);
    return () => tf.tensor(mask, this.input.shape);
  }

  /**
   * Integrates y0 [trajectories, ...state] with the network's parameters `params` and returns
   * the observed states at the save times [saves, trajectories, ...state], inside the caller's
   * tidy scope. With `network: false` it is the MFG-only dynamics.
   */
  solveTensors(
    y0: Tensor,
    path: BrownianIncrements | null,
    params: Tensor,
    opts: { network: boolean; ctx?: SolveContext; saveAt?: number[] },
  ): { ys: Tensor; endSteps?: (number | null)[] } {
    const { config, spec } = this.input;
    const ctx = opts.ctx ?? emptyContext(y0.shape[0]);
    const terms: Term[] = [odeTerm(meanFieldDrift(this.mechanics, ctx))];
    if (opts.network && networkKind(config) !== 'none') {
      const mlp = bindMlp(spec, params);
      terms.push(odeTerm((t, y) => this.adapter.output(t, mlp(this.adapter.input(t, y, ctx)), y)));
    }
    // the neural diffusion's parameters follow the drift network's in the flat vector (networks.ts);
    // the MFG-only dynamics (network: false) keep the constant σ
    const diffusion = this.input.diffusion ?? null;
    if (path !== null && diffusion && opts.network) {
      const counts = parameterCounts(spec, diffusion);
      terms.push(controlTerm(neuralDiffusion(config, diffusion, tf.slice(params, [counts.drift], [counts.diffusion]), this.agents), path));
    } else if (path !== null) terms.push(controlTerm(this.noiseAmplitude(config.noise.sigma), path));
    const { t0, t1, dt } = config.time;
    const ended = this.mechanics.ended?.bind(this.mechanics);
    const solution = solve({ terms, solver: solverByName(config.solver), t0, t1, dt, y0, saveAt: opts.saveAt ?? config.time.saveAt, ended });
    const ys = this.mechanics.observe ? this.mechanics.observe(solution.ys) : solution.ys;
    return { ys, ...(solution.endSteps ? { endSteps: solution.endSteps } : {}) };
  }

  private start(req: SolveRequest): Tensor {
    return tf.tensor(req.y0, [req.trajectories, ...this.input.shape]);
  }

  simulate(req: SolveRequest): SolveResult {
    const saveAt = req.saveAt ?? this.input.config.time.saveAt;
    let endSteps: (number | null)[] | undefined;
    const states = tf.tidy(() => {
      const params = tf.tensor1d(this.input.params);
      const r = this.solveTensors(this.start(req), req.path, params, { network: req.network, ctx: req.ctx, saveAt });
      endSteps = r.endSteps;
      return r.ys.dataSync() as Float32Array;
    });
    return { states: Float32Array.from(states), saveAt: saveAt.slice(), ...(endSteps ? { endSteps } : {}) };
  }

  private lossTensor(req: SolveRequest, params: Tensor, observations: ObservationBatch): Scalar {
    const { game, config, shape } = this.input;
    const times = lossTimes(game, config);
    const { ys } = this.solveTensors(this.start(req), req.path, params, { network: req.network, ctx: req.ctx, saveAt: times });
    // the final states [trajectories, ...state], or each trajectory's path [trajectories, saves, ...state] (a time series)
    const last = observesPaths(game)
      ? tf.transpose(ys, [1, 0, ...shape.map((_, i) => i + 2)])
      : tf.reshape(ys, [req.trajectories, ...shape]);
    const kind = lossKind(config);
    // the simulated populations pooled against the observed ones
    if (kind !== 'mse') return distributionalLossTensor(kind, tf.reshape(last, [1, -1]), observedPopulation(game, config, observations));
    return game.observations.loss(last, tf.tensor(observations.values, observations.shape), config);
  }

  /**
   * The loss of final states (or paths [trajectories, saves, ...state], for a time series) against
   * observations, in slices of the observations when the broadcast would be large (a loss is a
   * mean over the observations: each slice weighs by its share). Paired games slice the
   * trajectories with their observations.
   */
  lossOfStates(final: Float32Array, trajectories: number, observations: ObservationBatch): number {
    const { game, config } = this.input;
    const shape = observesPaths(game) ? [lossTimes(game, config).length, ...this.input.shape] : this.input.shape;
    // a distance between populations is no mean over the observations: computed whole, on the host
    const kind = lossKind(config);
    if (kind !== 'mse') return distributionalLoss(kind, final, 1, final.length, observedPopulation(game, config, observations), null);
    const count = observations.shape[0];
    const row = observations.values.length / count;
    const size = final.length / trajectories;
    const paired = game.observations.pairing === 'paired';
    const per = Math.max(1, Math.floor(LOSS_SLICE / ((paired ? 1 : trajectories) * Math.max(row, size))));
    let loss = 0;
    for (let start = 0; start < count; start += per) {
      const n = Math.min(per, count - start);
      const obs = tf.tensor(observations.values.subarray(start * row, (start + n) * row), [n, ...observations.shape.slice(1)]);
      const states = paired ? final.subarray(start * size, (start + n) * size) : final;
      const k = paired ? n : trajectories;
      loss += (n / count) * tf.tidy(() => game.observations.loss(tf.tensor(states, [k, ...shape]), obs, config).dataSync()[0]);
      obs.dispose();
    }
    return loss;
  }

  loss(req: SolveRequest, observations: ObservationBatch): number {
    const { game, config, shape } = this.input;
    const times = lossTimes(game, config);
    const states = this.simulate({ ...req, saveAt: times }).states;
    return this.lossOfStates(lossInput(game, states, times.length, req.trajectories, shape.reduce((a, b) => a * b, 1)), req.trajectories, observations);
  }

  lossAndGradient(req: SolveRequest, observations: ObservationBatch): { loss: number; gradient: Float32Array } {
    return tf.tidy(() => {
      const params = tf.tensor1d(this.input.params);
      const { value, grad } = tf.valueAndGrad((p: Tensor) => this.lossTensor(req, p, observations))(params);
      return { loss: value.dataSync()[0], gradient: Float32Array.from(grad.dataSync()) };
    });
  }
}
