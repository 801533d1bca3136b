// Meeting arrival times (docs/meeting.md): the 80th percentile of arrivals is when the meeting starts;
// each agent pays for being late w.r.t. the scheduled time s, late w.r.t. the actual start T, or
// early (waiting). The drift comes from this cost by autodiff.
import { tf, type Tensor } from '../../src/tf.ts';
import type { Mechanics } from '../../src/game.ts';
import { hinge, rowQuantile } from '../../src/mfg/functions.ts';

export interface MeetingMechanics {
  /** scheduled time s, in hours */
  scheduledTime: number;
  /** the fraction q of arrivals at which the meeting starts */
  quantile: number;
  /** reputation weight α (late w.r.t. s) */
  alpha: number;
  /** personal-inconvenience weight β (late w.r.t. T) */
  beta: number;
  /** waiting-time weight γ (early w.r.t. T) */
  gamma: number;
}

export function meetingMechanics(m: MeetingMechanics): Mechanics {
  return {
    // docs/meeting.md §2: T = percentile_q of the arrival times (linear interpolation) [trajectories, 1]
    population: (x: Tensor) => rowQuantile(x, m.quantile),
    // docs/meeting.md §3: C(x_i; T) = α[x_i − s]₊ + β[x_i − T]₊ + γ[T − x_i]₊
    cost: (x: Tensor, T: Tensor) =>
      tf.addN([
        tf.mul(m.alpha, hinge(tf.sub(x, m.scheduledTime))),
        tf.mul(m.beta, hinge(tf.sub(x, T))),
        tf.mul(m.gamma, hinge(tf.sub(T, x))),
      ]),
  };
}
