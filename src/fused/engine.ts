// The fused engine: a whole solve, its loss and its gradient as one pass of plain typed-array code
// (src/fused/solve.ts) over the game's kernels and the MLP, with no TF.js kernel and no tensor at
// all. It reads the model's flat parameter vector in place.
import type { ExperimentConfig } from '../config.ts';
import type { SolveContext } from '../game.ts';
import type { BrownianIncrements } from '../ode/brownian.ts';
import { savePlan } from '../ode/solve.ts';
import type { Engine, EngineInput, ObservationBatch, SolveRequest, SolveResult } from '../mfg/engine.ts';
import type { GameKernels } from './kernels.ts';
import { FusedMlp } from './mlp.ts';
import { fusedForward, fusedReverse, stateAt, wholeStateNetwork, type FusedRun, type FusedSystem } from './solve.ts';

const fround = Math.fround;

function emptyContext(trajectories: number): SolveContext {
  return { observations: null, keys: new Uint32Array(trajectories) };
}

export class FusedEngine<C extends ExperimentConfig = ExperimentConfig> implements Engine {
  readonly name = 'fused' as const;
  readonly kernels: GameKernels;
  private readonly mlp: FusedMlp;
  private readonly size: number;

  constructor(private readonly input: EngineInput<C>) {
    const { game, config, dynamics, spec, shape } = input;
    if (!game.kernels) throw new Error(`the ${game.name} game has no fused kernels`);
    this.kernels = game.kernels(config, dynamics);
    this.mlp = new FusedMlp(spec);
    this.size = shape.reduce((a, b) => a * b, 1);
    if (this.mlp.parameterCount !== input.params.length) {
      throw new Error(`the network has ${this.mlp.parameterCount} parameters, the model holds ${input.params.length}`);
    }
  }

  private system(network: boolean, path: BrownianIncrements | null): FusedSystem {
    const { config, params } = this.input;
    const adapter = this.kernels.network ?? wholeStateNetwork(this.size);
    return {
      kernels: this.kernels,
      network: network ? { mlp: this.mlp, params, adapter } : null,
      size: this.size,
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
    const run = fusedForward(sys, req.y0, req.trajectories, ctx, { steps: plan.steps, keep, record });
    return { plan, run, sys, ctx };
  }

  private observe(states: Float32Array): Float32Array {
    this.kernels.observe?.(states);
    return states;
  }

  simulate(req: SolveRequest): SolveResult {
    const saveAt = req.saveAt ?? this.input.config.time.saveAt;
    const { plan, run } = this.run(req, saveAt, false);
    const states = this.observe(this.saved(run, plan.positions, req.trajectories));
    return { states, saveAt: saveAt.slice(), ...(run.endSteps ? { endSteps: run.endSteps } : {}) };
  }

  private finalTime(): number[] {
    const { saveAt } = this.input.config.time;
    return [saveAt[saveAt.length - 1]];
  }

  lossOfStates(final: Float32Array, trajectories: number, observations: ObservationBatch): number {
    return this.kernels.loss(final, trajectories, observations.values, observations.shape[0], null);
  }

  loss(req: SolveRequest, observations: ObservationBatch): number {
    const { plan, run } = this.run(req, this.finalTime(), false);
    const pred = this.observe(this.saved(run, plan.positions, req.trajectories));
    return this.kernels.loss(pred, req.trajectories, observations.values, observations.shape[0], null);
  }

  lossAndGradient(req: SolveRequest, observations: ObservationBatch): { loss: number; gradient: Float32Array } {
    const n = req.trajectories;
    const { plan, run, sys, ctx } = this.run(req, this.finalTime(), true);
    const raw = this.saved(run, plan.positions, n);
    const pred = this.observe(Float32Array.from(raw));
    const grad = new Float64Array(n * this.size);
    const loss = this.kernels.loss(pred, n, observations.values, observations.shape[0], grad);
    this.kernels.observeVjp?.(raw, grad);
    // the final save point: a grid state, or the interpolation of two
    const { k, frac } = plan.positions[0];
    const seeds = new Map<number, Float64Array>();
    if (frac === 0) seeds.set(k, grad);
    else {
      const wa = fround(1 - frac);
      const wb = fround(frac);
      seeds.set(k, grad.map((g) => g * wa));
      seeds.set(k + 1, grad.map((g) => g * wb));
    }
    const gradient = req.network ? fusedReverse(sys, run, n, ctx, seeds) : new Float64Array(this.input.params.length);
    return { loss, gradient: Float32Array.from(gradient) };
  }
}
