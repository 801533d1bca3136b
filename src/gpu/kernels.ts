// What a game hands the fused GPU engine (src/gpu/engine.ts): the same mechanics as its fused CPU
// kernels (src/fused/kernels.ts), written as WGSL functions of one agent, plus the host-side data
// they read. The engine owns everything else — the solve, the network and its reverse pass, the
// population statistic's selection, the loss reduction and the optimiser — and knows nothing of
// any particular game.
//
// The shape of game the GPU engine runs (and what a game must fit to provide GPU kernels):
// - the state is one number per agent, [trajectories, agents], and the network reads the whole
//   state and writes a state-shaped increment (no NetworkKernels adapter);
// - the population statistic of each trajectory is one of the engine's exact reductions: the
//   q-quantile of a per-agent value (linear interpolation between order statistics, as
//   src/fused/select.ts), the fraction of agents whose value is > 0 (a count, divided exactly), or
//   the mean of a per-agent value (summed in float32: to float32 rounding of the CPU's mean);
// - the drift of agent i depends on its own state, the statistic (held fixed) and the game's data:
//   its vector-Jacobian product is diagonal (meeting: zero; El Farol: −2γ);
// - no trajectory ends (no `ended`);
// - the loss is a sum over agents of a per-agent term of the observed final state, whose
//   observation-dependent constants the host computes once per call (`observations`).
// Randomness is drawn on the host, from the same stream and in the same order as the CPU engines
// draw it, and uploaded (`constants`, `stepData`), so that both engines see the same trajectories.
//
// The WGSL may call these functions of the engine (and read `st.n`, the trajectories of the call):
//   game_const(j: u32) -> f32       the j-th value of `constants`
//   game_step(k: u32, j: u32) -> f32 the j-th value of solver step k's `stepData`
//   game_obs(j: u32) -> f32         the j-th value of what `observations` returned
// and the constant AGENTS: u32. It must define:
//   fn population_value(k: u32, r: u32, i: u32, y: f32) -> f32   what the statistic reads of agent i
//   fn drift(k: u32, r: u32, i: u32, y: f32, stat: f32) -> f32   b_i at solver step k
//   fn drift_vjp(k: u32, r: u32, i: u32, y: f32, stat: f32, a: f32) -> f32   (∂b_i/∂y_i)·a
//   fn observe(y: f32) -> f32            what is observed of a saved state
//   fn observe_vjp(y: f32, g: f32) -> f32   g·∂observe/∂y at the unobserved y
//   fn loss_term(i: u32, pred: f32) -> f32  agent i's share of the loss (summed over agents and trajectories)
//   fn loss_grad(i: u32, pred: f32) -> f32  its derivative in pred

export type GpuStatistic =
  /** the q-quantile of population_value over the agents of a trajectory (exact order statistics) */
  | { kind: 'quantile'; q: number }
  /** the fraction of agents with population_value > 0: count / agents, rounded to float32 exactly */
  | { kind: 'fraction' }
  /** the mean of population_value over the agents (float32 partial sums per workgroup, then their sum / agents) */
  | { kind: 'mean' };

export interface GpuGameKernels {
  statistic: GpuStatistic;
  /** the WGSL functions listed above */
  wgsl: string;
  /** false: drift_vjp is zero (the engine skips it) */
  driftVjp: boolean;
  /** data read by game_const, drawn when the kernels are built (El Farol's frozen uniforms) */
  constants?: Float32Array;
  /**
   * Per-step data read by game_step (El Farol's fresh uniforms): `size(n)` values per solver step
   * for n trajectories; `draw` draws `steps` of them from the dynamics stream, in the order the
   * CPU engines draw them (step by step).
   */
  stepData?: { size(trajectories: number): number; draw(steps: number, trajectories: number): Float32Array };
  /**
   * What loss_term and loss_grad read (game_obs) for `trajectories` simulated trajectories
   * against a batch of observations [batch, ...sample] (float32, as the CPU loss reads them).
   */
  observations(values: Float32Array, batch: number, trajectories: number): Float32Array;
}

/** Exact float32 literal for WGSL (the bits, so that no decimal rounding can differ). */
export function f32(x: number): string {
  const bits = new Uint32Array(Float32Array.of(x).buffer)[0];
  return `bitcast<f32>(0x${bits.toString(16).padStart(8, '0')}u)`;
}

/**
 * The loss of games that observe agents' own final states (src/mfg/agent-observations.ts: meeting,
 * LQ), the mean over trajectories, samples b and agents i of (y_{b,i} − x̂_i)², summed per agent as
 * B·(x̂_i − ȳ_i)² + Σ_b (y_{b,i} − ȳ_i)² with the sample mean ȳ_i and the spread around it computed
 * on the host in float64: loss_term and loss_grad, and the observations' constants.
 */
export function agentSquaredErrorGpu(agents: number): { wgsl: string; observations: GpuGameKernels['observations'] } {
  const wgsl = /* wgsl */ `
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
    wgsl,
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
