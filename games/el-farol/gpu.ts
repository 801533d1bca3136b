// The El Farol mechanics (mechanics.ts, kernels.ts) as WGSL, for the fused GPU engine
// (src/gpu/kernels.ts). docs/el-farol.md §3: the attendance A_i = 1[p_i − u_i > 0] and the attending
// fraction P (the engine's exact count / agents) are held fixed, so ∂b_i/∂p_i = −2γ. The uniforms
// u are the host's draws, from the same stream and in the same order as the CPU engines: one
// vector when the kernels are built (frozen, Q4), or one per trajectory at every solver step
// (fresh). Saved states are clipped to [0, 1] (docs/el-farol.md §5); the loss (docs/el-farol.md §6), the mean over trajectories,
// samples b and agents of (p̂_i − r_b)², is summed per agent as B·(p̂_i − r̄)² + Σ_b (r_b − r̄)².
import { f32, type GpuGameKernels } from '../../src/gpu/kernels.ts';
import type { RandomStream } from '../../src/random.ts';
import { float32Uniforms, type ElFarolMechanics } from './mechanics.ts';

export function elFarolGpuKernels(m: ElFarolMechanics, agents: number, dynamics: RandomStream): GpuGameKernels {
  const frozen = m.attendance === 'frozen' ? float32Uniforms(dynamics, agents) : null;
  const threshold = f32(m.threshold);
  const uniform = frozen ? 'game_const(i)' : 'game_step(k, r * AGENTS + i)';
  const wgsl = /* wgsl */ `
fn attended(k: u32, r: u32, i: u32, p: f32) -> bool { return (p - ${uniform}) > 0.0; }
fn population_value(k: u32, r: u32, i: u32, p: f32) -> f32 { return select(0.0, 1.0, attended(k, r, i, p)); }
fn drift(k: u32, r: u32, i: u32, p: f32, P: f32) -> f32 {
  let A = attended(k, r, i, p);
  let crowded = (P - ${threshold}) > 0.0;
  // the three uses of p, summed last to first as autodiff does
  let conformity = ${f32(m.gamma)} * ((p - P) * 2.0);
  let stayed_home = select(0.0, -${f32(m.beta)}, !A && !crowded && (${threshold} - p) >= 0.0);
  let went = select(0.0, ${f32(m.alpha)}, A && crowded && (p - ${threshold}) >= 0.0);
  return -((conformity + stayed_home) + went);
}
fn drift_vjp(k: u32, r: u32, i: u32, p: f32, P: f32, a: f32) -> f32 { return -2.0 * ${f32(m.gamma)} * a; }
fn observe(y: f32) -> f32 { return clamp(y, 0.0, 1.0); }
fn observe_vjp(y: f32, g: f32) -> f32 {
  ${m.clipGradient === 'zero' ? 'return select(0.0, g, y >= 0.0 && y <= 1.0);' : 'return g;'}
}
// game_obs: [scale, batch, r̄, Σ_b (r_b − r̄)²]
fn loss_term(i: u32, p: f32) -> f32 {
  let d = p - game_obs(2u);
  return game_obs(0u) * (game_obs(1u) * d * d + game_obs(3u));
}
fn loss_grad(i: u32, p: f32) -> f32 { return game_obs(0u) * 2.0 * game_obs(1u) * (p - game_obs(2u)); }
`;
  return {
    statistic: { kind: 'fraction' },
    wgsl,
    driftVjp: true,
    ...(frozen ? { constants: frozen } : {}),
    ...(frozen
      ? {}
      : {
          stepData: {
            size: (trajectories: number) => trajectories * agents,
            draw(steps: number, trajectories: number) {
              const out = new Float32Array(steps * trajectories * agents);
              // one draw per solver step, as the CPU engines draw at every drift evaluation
              for (let k = 0; k < steps; k++) out.set(float32Uniforms(dynamics, trajectories * agents), k * trajectories * agents);
              return out;
            },
          },
        }),
    observations(values, batch, trajectories) {
      const per = values.length / batch;
      const rates = new Float64Array(batch);
      for (let b = 0; b < batch; b++) {
        let sum = 0;
        for (let o = 0; o < per; o++) sum += values[b * per + o];
        rates[b] = sum / per / agents;
      }
      const mean = rates.reduce((a, b) => a + b, 0) / batch;
      const spread = rates.reduce((a, r) => a + (r - mean) ** 2, 0);
      return Float32Array.of(1 / (trajectories * batch * agents), batch, mean, spread);
    },
  };
}
