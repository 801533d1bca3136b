// The mean-field agent network (network.kind "agent") and the neural diffusion's input on typed
// arrays, for the fused engine: one MLP row per agent, reading [x_i, t, mean, std, quantiles…] of
// its population (src/mfg/agent-network.ts is the autodiff reference). The summary is held fixed in
// gradients, so the reverse pass reaches each agent through its own state only. The quantiles are
// found by selection (select.ts): O(agents) per quantile, no sort, at any population size.
import type { NetworkKernels, RunningMask } from './kernels.ts';
import { activate, type FusedMlp } from './mlp.ts';
import { quantile } from './select.ts';

const fround = Math.fround;

/**
 * The summary of one population [mean, std, q_1, …] in float32 (written at out[at…]): the mean and
 * the population variance E[(x − mean)²] as TF.js's moments give them (float64 sums, rounded).
 */
export function summarize(row: Float32Array, quantiles: number[], scratch: Float32Array, out: Float32Array, at: number): void {
  const n = row.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += row[i];
  const mean = fround(sum / n);
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const d = fround(row[i] - mean);
    squares += fround(d * d);
  }
  out[at] = mean;
  out[at + 1] = fround(Math.sqrt(fround(squares / n)));
  for (let q = 0; q < quantiles.length; q++) out[at + 2 + q] = quantile(row, quantiles[q], scratch);
}

/**
 * The agent network's reads and writes for populations of `agents`: one network row per agent. A
 * state of `size` > agents values holds the agents' own states first (Game.agentStates): the network
 * reads and writes those, and leaves the rest (its increment there is 0).
 */
export function agentNetworkKernels(agents: number, quantiles: number[], size = agents): NetworkKernels {
  const width = 2 + quantiles.length; // the summary
  const inputSize = 2 + width;
  const summary = new Float32Array(width);
  let scratch: Float32Array | null = null;
  const runs = (running: RunningMask, r: number) => !running || running[r] === 1;
  return {
    inputSize,
    outputSize: 1,
    rowsPerTrajectory: agents,
    input(t, y, n, _ctx, out, running) {
      scratch ??= new Float32Array(agents);
      const time = fround(t);
      for (let r = 0; r < n; r++) {
        if (!runs(running, r)) continue;
        const row = y.subarray(r * size, r * size + agents);
        summarize(row, quantiles, scratch, summary, 0);
        for (let i = 0; i < agents; i++) {
          const o = (r * agents + i) * inputSize;
          out[o] = row[i];
          out[o + 1] = time;
          out.set(summary, o + 2);
        }
      }
    },
    // the summary is held fixed and t is no state: only x_i's own column reaches the state
    inputVjp(_t, _y, v, n, _ctx, adj, running) {
      for (let r = 0; r < n; r++) {
        if (!runs(running, r)) continue;
        for (let i = 0; i < agents; i++) adj[r * size + i] += v[(r * agents + i) * inputSize];
      }
    },
    output(_t, netOut, n, out) {
      if (size === agents) {
        out.set(netOut.subarray(0, n * agents));
        return;
      }
      for (let r = 0; r < n; r++) {
        out.set(netOut.subarray(r * agents, (r + 1) * agents), r * size);
        out.fill(0, r * size + agents, (r + 1) * size);
      }
    },
    outputVjp(_t, v, n, vOut, running) {
      for (let r = 0; r < n; r++) {
        if (!runs(running, r)) continue;
        for (let i = 0; i < agents; i++) vOut[r * agents + i] = v[r * size + i];
      }
    },
  };
}

/**
 * The neural diffusion's amplitude σ_θ(x_i, t, s) = softplus(g_θ(x_i, t, s) + offset) of every
 * agent of one population y [agents] at time t (float32): what a trained model learned.
 * `params` is the diffusion network's own block of the flat vector.
 */
export function diffusionAmplitudes(
  mlp: FusedMlp,
  params: Float32Array,
  quantiles: number[],
  offset: number,
  y: Float32Array,
  t: number,
): Float32Array {
  const agents = y.length;
  const kernels = agentNetworkKernels(agents, quantiles);
  const input = new Float32Array(agents * kernels.inputSize);
  kernels.input(t, y, 1, { observations: null, keys: new Uint32Array(1) }, input, null);
  const g = new Float32Array(agents);
  mlp.forward(params, input, agents, g, null, false);
  return g.map((z) => fround(activate(fround(z + offset), 'softplus')));
}
