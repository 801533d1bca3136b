// The meeting game's mechanics (mechanics.ts) on typed arrays, for the fused engine. The drift of
// docs/meeting.md §3, b_i = −(α·1[x_i ≥ s] + β·1[x_i ≥ T] − γ·1[x_i ≤ T]) with T the q-quantile of the
// trajectory's arrival times held fixed, is made of indicators: ∂b/∂x = 0, so it adds nothing to
// the reverse pass (no driftVjp). The loss is docs/meeting.md §6's mean squared error.
import type { GameKernels } from '../../src/fused/kernels.ts';
import { quantile } from '../../src/fused/select.ts';
import { LARGE_BATCH, pairwiseSquaredError } from '../../src/fused/pairwise.ts';
import type { MeetingMechanics } from './mechanics.ts';

const fround = Math.fround;

export function meetingKernels(m: MeetingMechanics, agents: number): GameKernels {
  // the constants as float32 scalars, as the autodiff path's ops see them
  const s = fround(m.scheduledTime);
  const alpha = fround(m.alpha);
  const beta = fround(m.beta);
  const gamma = fround(m.gamma);
  const scratch = new Float32Array(agents);
  return {
    independentTrajectories: true,
    drift(_t, y, n, _ctx, out) {
      for (let r = 0; r < n; r++) {
        const row = y.subarray(r * agents, (r + 1) * agents);
        const T = quantile(row, m.quantile, scratch); // docs/meeting.md §2, held fixed
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
    // docs/meeting.md §6: L = mean over trajectories k, samples b and agents i of (y_{b,i} − x̂_{k,i})²
    loss(pred, n, obs, batch, grad) {
      const scale = 1 / (n * batch * agents);
      if (batch >= LARGE_BATCH) {
        const s1 = new Float64Array(agents);
        const s2 = new Float64Array(agents);
        for (let b = 0; b < batch; b++) {
          for (let i = 0; i < agents; i++) {
            const y = obs[b * agents + i];
            s1[i] += y;
            s2[i] += y * y;
          }
        }
        return pairwiseSquaredError(pred, n, agents, s1, s2, batch, scale, grad);
      }
      let sum = 0;
      for (let k = 0; k < n; k++) {
        for (let i = 0; i < agents; i++) {
          const x = pred[k * agents + i];
          let g = 0;
          for (let b = 0; b < batch; b++) {
            const d = x - obs[b * agents + i];
            sum += d * d;
            g += d;
          }
          if (grad) grad[k * agents + i] = 2 * g * scale;
        }
      }
      return sum * scale;
    },
  };
}
