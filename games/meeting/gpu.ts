// The meeting game's mechanics (mechanics.ts, kernels.ts) as WGSL, for the fused GPU engine
// (src/gpu/kernels.ts). The statistic is the q-quantile of the arrival times, which the engine
// selects exactly; the drift b_i = −(α·1[x_i ≥ s] + β·1[x_i ≥ T] − γ·1[x_i ≤ T]) is made of
// indicators, so its vector-Jacobian product is zero. The loss (docs/meeting.md §6), the mean over trajectories,
// samples b and agents i of (y_{b,i} − x̂_i)², is summed per agent as B·(x̂_i − ȳ_i)² + Σ_b (y_{b,i} − ȳ_i)²
// with the sample mean ȳ_i and the spread around it computed on the host in float64.
import { f32, type GpuGameKernels } from '../../src/gpu/kernels.ts';
import type { MeetingMechanics } from './mechanics.ts';

export function meetingGpuKernels(m: MeetingMechanics, agents: number): GpuGameKernels {
  const wgsl = /* wgsl */ `
fn population_value(k: u32, r: u32, i: u32, y: f32) -> f32 { return y; }
fn drift(k: u32, r: u32, i: u32, x: f32, T: f32) -> f32 {
  // d[z]₊/dz = 1 for z ≥ 0 (docs/meeting.md §3); the three uses of x summed last to first, as autodiff does
  let waiting = select(0.0, -${f32(m.gamma)}, (T - x) >= 0.0);
  let late = select(0.0, ${f32(m.beta)}, (x - T) >= 0.0);
  let reputation = select(0.0, ${f32(m.alpha)}, (x - ${f32(m.scheduledTime)}) >= 0.0);
  return -((waiting + late) + reputation);
}
fn drift_vjp(k: u32, r: u32, i: u32, y: f32, stat: f32, a: f32) -> f32 { return 0.0; }
fn observe(y: f32) -> f32 { return y; }
fn observe_vjp(y: f32, g: f32) -> f32 { return g; }
// game_obs: [scale, batch, ȳ (agents), spread (agents)]
fn loss_term(i: u32, x: f32) -> f32 {
  let d = x - game_obs(2u + i);
  return game_obs(0u) * (game_obs(1u) * d * d + game_obs(2u + AGENTS + i));
}
fn loss_grad(i: u32, x: f32) -> f32 {
  return game_obs(0u) * 2.0 * game_obs(1u) * (x - game_obs(2u + i));
}
`;
  return {
    statistic: { kind: 'quantile', q: m.quantile },
    wgsl,
    driftVjp: false,
    observations(values, batch, trajectories) {
      // per agent: the sample mean and the sum of squares around it, in float64 (row by row, in memory order)
      const sum = new Float64Array(agents);
      for (let b = 0; b < batch; b++) {
        const o = b * agents;
        for (let i = 0; i < agents; i++) sum[i] += values[o + i];
      }
      for (let i = 0; i < agents; i++) sum[i] /= batch;
      const spread = new Float64Array(agents);
      for (let b = 0; b < batch; b++) {
        const o = b * agents;
        for (let i = 0; i < agents; i++) {
          const d = values[o + i] - sum[i];
          spread[i] += d * d;
        }
      }
      const out = new Float32Array(2 + 2 * agents);
      out[0] = 1 / (trajectories * batch * agents);
      out[1] = batch;
      out.set(sum, 2);
      out.set(spread, 2 + agents);
      return out;
    },
  };
}
