// The LQ mechanics (mechanics.ts) on typed arrays, for the fused engine. README §Model:
//   b_i = −a·(x_i − ξ) − b·(x_i − m̄)
// with the mean m̄ of the trajectory held fixed, so ∂b_i/∂x_j = −(a + b)·δ_ij. The loss is the
// squared error of every agent against the same agent of every observation (README §Observations).
import type { GameKernels } from '../../src/fused/kernels.ts';
import { batchSquaredError } from '../../src/fused/pairwise.ts';
import type { LqMechanics } from './mechanics.ts';

const fround = Math.fround;

export function lqKernels(m: LqMechanics, agents: number): GameKernels {
  // train --learn sets them (`parameters`)
  let target = fround(m.target);
  let a = fround(m.targetWeight);
  let b = fround(m.meanWeight);
  const meanOf = (y: Float32Array, o: number) => {
    let sum = 0;
    for (let i = 0; i < agents; i++) sum += y[o + i];
    return fround(sum / agents);
  };
  return {
    independentTrajectories: true,
    drift(_t, y, n, _ctx, out) {
      for (let r = 0; r < n; r++) {
        const o = r * agents;
        const mean = meanOf(y, o); // held fixed
        for (let i = 0; i < agents; i++) {
          const x = y[o + i];
          out[o + i] = -fround(fround(a * fround(x - target)) + fround(b * fround(x - mean)));
        }
      }
    },
    driftVjp(_t, _y, v, scale, n, _ctx, adj) {
      const slope = -(a + b) * scale;
      for (let i = 0; i < n * agents; i++) adj[i] += slope * v[i];
    },
    parameters: {
      names: ['target', 'targetWeight', 'meanWeight'],
      set(name, value) {
        if (name === 'target') target = fround(value);
        else if (name === 'targetWeight') a = fround(value);
        else if (name === 'meanWeight') b = fround(value);
        else throw new Error(`the LQ game has no mechanics parameter "${name}"`);
      },
      // README §Learning the mechanics: ∂b_i/∂ξ = a, ∂b_i/∂a = −(x_i − ξ), ∂b_i/∂b = −(x_i − m̄), the mean held fixed (exact)
      vjp(_t, y, v, scale, n, _ctx, g) {
        for (let r = 0; r < n; r++) {
          const o = r * agents;
          const mean = meanOf(y, o);
          let gt = 0;
          let ga = 0;
          let gb = 0;
          for (let i = 0; i < agents; i++) {
            gt += v[o + i] * a;
            ga -= v[o + i] * (y[o + i] - target);
            gb -= v[o + i] * (y[o + i] - mean);
          }
          g[0] += scale * gt;
          g[1] += scale * ga;
          g[2] += scale * gb;
        }
      },
    },
    // README §Observations: L = mean over trajectories k, samples b and agents i of (y_{b,i} − x̂_{k,i})²
    loss: (pred, n, obs, batch, grad) => batchSquaredError(pred, n, agents, obs, batch, 1 / (n * batch * agents), grad),
  };
}
