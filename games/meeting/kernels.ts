// The meeting game's mechanics (mechanics.ts) on typed arrays, for the fused engine. The drift of
// docs/meeting.md §3, b_i = −(α·1[x_i ≥ s] + β·1[x_i ≥ T] − γ·1[x_i ≤ T]) with T the q-quantile of the
// trajectory's arrival times held fixed, is made of indicators: ∂b/∂x = 0, so it adds nothing to
// the reverse pass (no driftVjp). The loss is docs/meeting.md §6's mean squared error.
import type { GameKernels } from '../../src/fused/kernels.ts';
import { quantile } from '../../src/fused/select.ts';
import { batchSquaredError } from '../../src/fused/pairwise.ts';
import { smoothedDelta } from '../../src/fused/surrogate.ts';
import type { MeetingMechanics } from './mechanics.ts';

const fround = Math.fround;

/** the width (hours) of the smoothed delta behind ∂b/∂s and ∂b/∂q (README §Learning the mechanics) */
export const SURROGATE_WIDTH = 0.5;

export function meetingKernels(m: MeetingMechanics, agents: number): GameKernels {
  // the constants as float32 scalars, as the autodiff path's ops see them (train --learn sets them: `parameters`)
  let s = fround(m.scheduledTime);
  let q = m.quantile;
  let alpha = fround(m.alpha);
  let beta = fround(m.beta);
  let gamma = fround(m.gamma);
  const scratch = new Float32Array(agents);
  return {
    independentTrajectories: true,
    drift(_t, y, n, _ctx, out) {
      for (let r = 0; r < n; r++) {
        const row = y.subarray(r * agents, (r + 1) * agents);
        const T = quantile(row, q, scratch); // docs/meeting.md §2, held fixed
        for (let i = 0; i < agents; i++) {
          const x = row[i];
          // d[z]₊/dz = 1 for z ≥ 0 (docs/meeting.md §3); the three uses of x summed last to first, as autodiff does
          const waiting = fround(T - x) >= 0 ? -gamma : 0;
          const late = fround(x - T) >= 0 ? beta : 0;
          const reputation = fround(x - s) >= 0 ? alpha : 0;
          out[r * agents + i] = -fround(fround(waiting + late) + reputation);
        }
      }
    },
    parameters: {
      names: ['scheduledTime', 'quantile', 'alpha', 'beta', 'gamma'],
      set(name, value) {
        if (name === 'scheduledTime') s = fround(value);
        else if (name === 'quantile') q = value;
        else if (name === 'alpha') alpha = fround(value);
        else if (name === 'beta') beta = fround(value);
        else if (name === 'gamma') gamma = fround(value);
        else throw new Error(`the meeting game has no mechanics parameter "${name}"`);
      },
      // README §Learning the mechanics: with b_i = −(α·H(x_i − s) + β·H(x_i − T) − γ·H(T − x_i)), H(z) = 1[z ≥ 0],
      //   ∂b_i/∂α = −H(x_i − s), ∂b_i/∂β = −H(x_i − T), ∂b_i/∂γ = H(T − x_i)   (exact)
      //   ∂b_i/∂s = α·φ(x_i − s), ∂b_i/∂q = (β + γ)·φ(x_i − T)·∂T/∂q         (φ: the smoothed delta)
      // with ∂T/∂q = (n − 1)(x_(⌊r⌋+1) − x_(⌊r⌋)), r = q(n − 1): the slope of the interpolated quantile, order statistics held fixed
      vjp(_t, y, v, scale, n, _ctx, g, running) {
        const sorted = new Float32Array(agents);
        const r = q * (agents - 1);
        const lo = Math.floor(r);
        for (let row = 0; row < n; row++) {
          if (running && !running[row]) continue;
          const o = row * agents;
          const x = y.subarray(o, o + agents);
          const T = quantile(x, q, scratch);
          sorted.set(x);
          sorted.sort();
          const slope = lo + 1 < agents ? (agents - 1) * (sorted[lo + 1] - sorted[lo]) : 0;
          let gs = 0;
          let gq = 0;
          let ga = 0;
          let gb = 0;
          let gc = 0;
          for (let i = 0; i < agents; i++) {
            const vi = v[o + i];
            if (vi === 0) continue;
            const xi = x[i];
            gs += vi * alpha * smoothedDelta(xi - s, SURROGATE_WIDTH);
            gq += vi * (beta + gamma) * smoothedDelta(xi - T, SURROGATE_WIDTH) * slope;
            if (fround(xi - s) >= 0) ga -= vi;
            if (fround(xi - T) >= 0) gb -= vi;
            if (fround(T - xi) >= 0) gc += vi;
          }
          g[0] += scale * gs;
          g[1] += scale * gq;
          g[2] += scale * ga;
          g[3] += scale * gb;
          g[4] += scale * gc;
        }
      },
    },
    // docs/meeting.md §6: L = mean over trajectories k, samples b and agents i of (y_{b,i} − x̂_{k,i})²
    loss: (pred, n, obs, batch, grad) => batchSquaredError(pred, n, agents, obs, batch, 1 / (n * batch * agents), grad),
  };
}
