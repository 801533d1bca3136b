// The El Farol mechanics (mechanics.ts) on typed arrays, for the fused engine. docs/el-farol.md §3:
//   b_i = −α·A_i·1[P > ϑ]·1[p_i ≥ ϑ] + β·(1 − A_i)·1[P ≤ ϑ]·1[p_i ≤ ϑ] − 2γ·(p_i − P)
// with the attendance A and the attending fraction P drawn first and held fixed, so
// ∂b_i/∂p_j = −2γ·δ_ij (docs/framework.md §5). Saved states are clipped to [0, 1] (docs/el-farol.md §5) with the configured
// gradient; the loss is docs/el-farol.md §6's squared error to each sample's attendance rate.
import { batchSquaredError } from '../../src/fused/pairwise.ts';
import type { GameKernels } from '../../src/fused/kernels.ts';
import type { RandomStream } from '../../src/random.ts';
import { smoothedDelta } from '../../src/fused/surrogate.ts';
import { float32Uniforms, type ElFarolMechanics } from './mechanics.ts';

const fround = Math.fround;

/** the width (probability) of the smoothed delta behind ∂b/∂ϑ (README §Learning the mechanics) */
export const SURROGATE_WIDTH = 0.05;

export function elFarolKernels(m: ElFarolMechanics, agents: number, dynamics: RandomStream): GameKernels {
  // docs/el-farol.md §2, docs/reference-defects.md Q4: the faithful mode draws its uniforms once, when the experiment is built
  // (the same draw, from the same stream position, as the autodiff path's mechanics)
  const frozen = m.attendance === 'frozen' ? float32Uniforms(dynamics, agents) : null;
  // train --learn sets them (`parameters`)
  let threshold = fround(m.threshold);
  let alpha = fround(m.alpha);
  let beta = fround(m.beta);
  let gamma = fround(m.gamma);
  const attended = new Uint8Array(agents);
  // while learning: each drift evaluation's attendance and fraction by time, for the reverse pass
  // (fresh draws cannot be drawn again); a new solve overwrites the same times
  let learning = false;
  const drawn = new Map<number, { A: Uint8Array; P: Float32Array }>();
  // the fraction's delta: P moves in steps of 1/n
  const fractionWidth = Math.max(SURROGATE_WIDTH, 2 / agents);
  return {
    // fresh attendance draws from the dynamics stream during the solve, in trajectory order
    independentTrajectories: frozen !== null,
    drift(t, p, n, _ctx, out) {
      // fresh draws for every trajectory at every evaluation, as the autodiff path draws them
      const u = frozen ?? float32Uniforms(dynamics, n * agents);
      const record = learning ? { A: new Uint8Array(n * agents), P: new Float32Array(n) } : null;
      if (record) drawn.set(t, record);
      for (let r = 0; r < n; r++) {
        const o = r * agents;
        const uo = frozen ? 0 : o;
        let count = 0;
        for (let i = 0; i < agents; i++) {
          // A_i = step(p_i − u_i): 1 only for p_i − u_i > 0 (on the unclipped state, Q12)
          attended[i] = fround(p[o + i] - u[uo + i]) > 0 ? 1 : 0;
          count += attended[i];
        }
        const P = fround(count / agents);
        if (record) {
          record.A.set(attended, o);
          record.P[r] = P;
        }
        const crowded = fround(P - threshold) > 0;
        for (let i = 0; i < agents; i++) {
          const pi = p[o + i];
          const A = attended[i];
          // the three uses of p_i, summed last to first as autodiff does
          const conformity = fround(gamma * fround(fround(pi - P) * 2));
          const stayedHome = !A && !crowded && fround(threshold - pi) >= 0 ? -beta : 0;
          const went = A && crowded && fround(pi - threshold) >= 0 ? alpha : 0;
          out[o + i] = -fround(fround(conformity + stayedHome) + went);
        }
      }
    },
    driftVjp(_t, _p, v, scale, n, _ctx, adj) {
      const slope = -2 * gamma * scale;
      for (let i = 0; i < n * agents; i++) adj[i] += slope * v[i];
    },
    parameters: {
      names: ['threshold', 'alpha', 'beta', 'gamma'],
      set(name, value) {
        learning = true;
        if (name === 'threshold') threshold = fround(value);
        else if (name === 'alpha') alpha = fround(value);
        else if (name === 'beta') beta = fround(value);
        else if (name === 'gamma') gamma = fround(value);
        else throw new Error(`the El Farol game has no mechanics parameter "${name}"`);
      },
      // README §Learning the mechanics: with C = 1[P > ϑ], H₁ = 1[p_i ≥ ϑ], H₂ = 1[p_i ≤ ϑ] and the attendance held fixed,
      //   b_i = −α·A_i·C·H₁ + β·(1 − A_i)·(1 − C)·H₂ − 2γ·(p_i − P)
      //   ∂b_i/∂α = −A_i·C·H₁, ∂b_i/∂β = (1 − A_i)·(1 − C)·H₂, ∂b_i/∂γ = −2(p_i − P)   (exact)
      //   ∂b_i/∂ϑ = α·A_i·C·φ(p_i − ϑ) + β·(1 − A_i)·(1 − C)·φ(ϑ − p_i) + (α·A_i·H₁ + β·(1 − A_i)·H₂)·φ_P(P − ϑ)
      vjp(t, p, v, scale, n, _ctx, g) {
        const d = drawn.get(t);
        if (!d || d.P.length !== n) throw new Error(`El Farol: no attendance recorded for the drift at t = ${t} (set a parameter before the solve)`);
        for (let r = 0; r < n; r++) {
          const o = r * agents;
          const P = d.P[r];
          const crowded = fround(P - threshold) > 0;
          const fraction = smoothedDelta(P - threshold, fractionWidth);
          let gt = 0;
          let ga = 0;
          let gb = 0;
          let gc = 0;
          for (let i = 0; i < agents; i++) {
            const vi = v[o + i];
            if (vi === 0) continue;
            const pi = p[o + i];
            const A = d.A[o + i] === 1;
            const high = fround(pi - threshold) >= 0;
            const low = fround(threshold - pi) >= 0;
            const local = smoothedDelta(pi - threshold, SURROGATE_WIDTH);
            if (A) {
              if (crowded) gt += vi * alpha * local;
              if (high) gt += vi * alpha * fraction;
              if (crowded && high) ga -= vi;
            } else {
              if (!crowded) gt += vi * beta * local;
              if (low) gt += vi * beta * fraction;
              if (!crowded && low) gb += vi;
            }
            gc -= 2 * vi * (pi - P);
          }
          g[0] += scale * gt;
          g[1] += scale * ga;
          g[2] += scale * gb;
          g[3] += scale * gc;
        }
      },
    },
    observe(y) {
      for (let i = 0; i < y.length; i++) y[i] = y[i] < 0 ? 0 : y[i] > 1 ? 1 : y[i];
    },
    // 'zero' (the reference, Q5): clipped entries pass no gradient (TF.js's clip: 1 on [0, 1]);
    // 'straight-through': the gradient passes as if unclipped
    observeVjp:
      m.clipGradient === 'zero'
        ? (y, v) => {
            for (let i = 0; i < y.length; i++) if (!(y[i] >= 0 && y[i] <= 1)) v[i] = 0;
          }
        : () => {},
    // docs/el-farol.md §6: r_b = (1/n_obs) Σ_o count_{b,o} / n; L = mean over k, b, i of (p̂_{k,i} − r_b)²
    loss(pred, n, obs, batch, grad) {
      const per = obs.length / batch;
      const rates = new Float64Array(batch);
      for (let b = 0; b < batch; b++) {
        let sum = 0;
        for (let o = 0; o < per; o++) sum += obs[b * per + o];
        rates[b] = sum / per / agents;
      }
      // every agent's probability against every sample's rate: rows of width 1
      return batchSquaredError(pred, n * agents, 1, rates, batch, 1 / (n * batch * agents), grad);
    },
  };
}
