// The meeting game's mechanics (mechanics.ts, kernels.ts) as WGSL, for the fused GPU engine
// (src/gpu/kernels.ts). The statistic is the q-quantile of the arrival times, which the engine
// selects exactly; the drift b_i = −(α·1[x_i ≥ s] + β·1[x_i ≥ T] − γ·1[x_i ≤ T]) is made of
// indicators, so its vector-Jacobian product is zero. The loss (docs/meeting.md §6) is the squared
// error of every agent against the same agent of every observation (agentSquaredErrorGpu).
import { agentSquaredErrorGpu, f32, type GpuGameKernels } from '../../src/gpu/kernels.ts';
import type { MeetingMechanics } from './mechanics.ts';

export function meetingGpuKernels(m: MeetingMechanics, agents: number): GpuGameKernels {
  const loss = agentSquaredErrorGpu(agents);
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
${loss.wgsl}`;
  return {
    statistic: { kind: 'quantile', q: m.quantile },
    wgsl,
    driftVjp: false,
    observations: loss.observations,
  };
}
