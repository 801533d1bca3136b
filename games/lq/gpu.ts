// The LQ mechanics (mechanics.ts, kernels.ts) as WGSL, for the fused GPU engine (src/gpu/kernels.ts).
// README §Model: b_i = −a·(x_i − ξ) − b·(x_i − m̄) with the mean m̄ (the engine's mean statistic) held
// fixed, so ∂b_i/∂x_i = −(a + b). The loss is the squared error of every agent against the same agent
// of every observation (agentSquaredErrorGpu), as for the meeting game.
import { agentSquaredErrorGpu, f32, type GpuGameKernels } from '../../src/gpu/kernels.ts';
import type { LqMechanics } from './mechanics.ts';

export function lqGpuKernels(m: LqMechanics, agents: number): GpuGameKernels {
  const loss = agentSquaredErrorGpu(agents);
  const wgsl = /* wgsl */ `
fn population_value(k: u32, r: u32, i: u32, y: f32) -> f32 { return y; }
fn drift(k: u32, r: u32, i: u32, x: f32, mean: f32) -> f32 {
  return -(${f32(m.targetWeight)} * (x - ${f32(m.target)}) + ${f32(m.meanWeight)} * (x - mean));
}
fn drift_vjp(k: u32, r: u32, i: u32, y: f32, stat: f32, a: f32) -> f32 { return ${f32(-(Math.fround(m.targetWeight) + Math.fround(m.meanWeight)))} * a; }
fn observe(y: f32) -> f32 { return y; }
fn observe_vjp(y: f32, g: f32) -> f32 { return g; }
${loss.wgsl}`;
  return { statistic: { kind: 'mean' }, wgsl, driftVjp: true, observations: loss.observations };
}
