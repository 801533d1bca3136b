// solve(): the one entry point (as diffrax's diffeqsolve) wiring terms, a solver, the time grid and
// the save points together. Fixed steps; everything is TF.js ops, so gradients flow through the
// whole unrolled solve by autodiff ("backprop through the steps").
import { tf, type Tensor } from '../tf.ts';
import type { Term } from './terms.ts';
import type { Solver } from './solvers/solver.ts';

export interface SolveOptions {
  terms: Term[];
  solver: Solver;
  t0: number;
  t1: number;
  dt: number;
  y0: Tensor;
  /** times at which to record the state, within [t0, t1]; default: only t1 */
  saveAt?: number[];
  /**
   * Which trajectories (leading axis of y) have ended, checked after each step: an ended
   * trajectory's state stays frozen, and the solve stops when all have ended. The end is treated
   * as fixed in gradients.
   */
  ended?: (y: Tensor) => boolean[];
}

export interface Solution {
  /** saved states stacked on a new leading axis: [saveAt.length, ...y0.shape] */
  ys: Tensor;
  ts: number[];
  /** number of solver steps taken */
  steps: number;
  /** with `ended`: the step after which each trajectory ended (null: still running) */
  endSteps?: (number | null)[];
}

/** Steps on the grid t_k = t0 + k·dt; a time within this of a grid point counts as on it. */
const GRID_TOLERANCE = 1e-6;

export function gridSteps(t0: number, t1: number, dt: number): number {
  if (!(dt > 0)) throw new Error(`solve(): dt must be positive, got ${dt}`);
  if (!(t1 > t0)) throw new Error(`solve(): t1 (${t1}) must be after t0 (${t0})`);
  const n = (t1 - t0) / dt;
  const rounded = Math.round(n);
  if (Math.abs(n - rounded) > GRID_TOLERANCE * Math.max(1, n)) {
    throw new Error(`solve(): (t1 − t0)/dt = ${n} is not a whole number of steps`);
  }
  return rounded;
}

/** Where a save time falls on the grid: the step index below it and the interpolation weight. */
export function savePosition(t: number, t0: number, dt: number): { k: number; frac: number } {
  const r = (t - t0) / dt;
  const k = Math.round(r);
  if (Math.abs(r - k) <= GRID_TOLERANCE * Math.max(1, Math.abs(r))) return { k, frac: 0 };
  const lo = Math.floor(r);
  return { k: lo, frac: r - lo };
}

/**
 * What a solve saves, as diffrax's SaveAt: the states at given times (on the grid, or between two
 * steps: interpolated), at every step of the grid, or at the final save time only (the one the
 * training loss observes, src/mfg/observed.ts, unless the game observes time series). Every engine
 * resolves it with saveTimes.
 */
export type SaveAt = readonly number[] | 'steps' | 'final';

/** The times a SaveAt names, for a configuration's time grid and save times (the default when absent). */
export function saveTimes(saveAt: SaveAt | undefined, time: { t0: number; t1: number; dt: number; saveAt: number[] }): number[] {
  if (saveAt === undefined) return time.saveAt.slice();
  if (saveAt === 'final') return [time.saveAt[time.saveAt.length - 1]];
  if (saveAt === 'steps') return Array.from({ length: gridSteps(time.t0, time.t1, time.dt) + 1 }, (_, k) => time.t0 + k * time.dt);
  return saveAt.slice();
}

/** Where each save time falls on the grid, and how many steps the saves need (no more are taken). */
export interface SavePlan {
  positions: { k: number; frac: number }[];
  /** steps to take: the last save point's step (or the one after it, to interpolate) */
  steps: number;
}

export function savePlan(saveAt: number[], t0: number, t1: number, dt: number): SavePlan {
  const total = gridSteps(t0, t1, dt);
  const positions = saveAt.map((t) => {
    if (t < t0 - GRID_TOLERANCE || t > t1 + GRID_TOLERANCE) {
      throw new Error(`solve(): save time ${t} lies outside [${t0}, ${t1}]`);
    }
    return savePosition(t, t0, dt);
  });
  const steps = Math.min(total, Math.max(...positions.map((p) => (p.frac > 0 ? p.k + 1 : p.k))));
  return { positions, steps };
}

/**
 * Integrates the terms from t0 with fixed steps dt and returns the states at `saveAt`. A save
 * time on a step boundary gives that step's state; one inside a step gives the linear
 * interpolation of the two surrounding states (what diffrax returns, docs/framework.md §2). Steps past
 * the last save time are not taken (they could not change any saved value).
 */
export function solve(opts: SolveOptions): Solution {
  const { terms, solver, t0, t1, dt, y0 } = opts;
  const saveAt = opts.saveAt ?? [t1];
  if (!solver.acceptsNoise && terms.some((term) => term.kind === 'control')) {
    throw new Error(`solve(): the ${solver.name} solver does not take noise terms; use euler-maruyama or heun`);
  }
  const { positions, steps: lastNeeded } = savePlan(saveAt, t0, t1, dt);
  let taken = 0;
  const endSteps: (number | null)[] | undefined = opts.ended ? opts.ended(y0).map((e) => (e ? 0 : null)) : undefined;
  const ys = tf.tidy(() => {
    const states: Tensor[] = [y0];
    let y = y0;
    for (let k = 0; k < lastNeeded; k++) {
      if (endSteps && endSteps.every((e) => e !== null)) break;
      let next = solver.step(terms, t0 + k * dt, dt, y, k);
      if (endSteps) {
        if (endSteps.some((e) => e !== null)) {
          // ended trajectories keep their state: where(ended, y, next) along the leading axis
          const mask = tf.tensor(endSteps.map((e) => (e !== null ? 1 : 0)), [endSteps.length, ...Array(y.rank - 1).fill(1)], 'bool');
          next = tf.where(tf.broadcastTo(mask, y.shape), y, next);
        }
        opts.ended!(next).forEach((e, i) => {
          if (e && endSteps[i] === null) endSteps[i] = k + 1;
        });
      }
      y = next;
      states.push(y);
      taken = k + 1;
    }
    // saves past the stop repeat the final (frozen) state
    const at = (k: number) => states[Math.min(k, states.length - 1)];
    const saved = positions.map(({ k, frac }) =>
      frac === 0 ? at(k) : tf.add(tf.mul(at(k), 1 - frac), tf.mul(at(k + 1), frac)),
    );
    return tf.stack(saved);
  });
  return { ys, ts: saveAt.slice(), steps: taken, ...(endSteps ? { endSteps } : {}) };
}
