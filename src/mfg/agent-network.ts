// The mean-field neural term (network.kind "agent") and the neural diffusion on TF.js, for the
// graph engine: one small MLP applied to every agent alike, reading the agent's own state x_i, the
// time t and a fixed-size summary of its population s = [mean, std, quantiles…]. The same weights
// therefore run on any number of agents, and permuting the agents permutes the output. The summary
// is held fixed in gradients, like the game's own population statistic (docs/framework.md §2).
// The fused engine's counterpart is src/fused/agent-network.ts.
import { tf, type Tensor } from '../tf.ts';
import type { ExperimentConfig } from '../config.ts';
import type { NetworkAdapter } from '../game.ts';
import type { MlpSpec } from '../nn/spec.ts';
import { bindMlp } from '../nn/mlp.ts';
import { heldFixed } from './functions.ts';
import { agentInputSize, diffusionOffset, summaryQuantiles } from './networks.ts';

/**
 * The population summary of each trajectory of y [trajectories, agents]: [mean, std, q_1, …]
 * ([trajectories, 2 + Q]); std is the population standard deviation, the quantiles interpolate
 * linearly between order statistics (NumPy's default, as rowQuantile). No gradient (use in heldFixed).
 */
export function populationSummary(y: Tensor, quantiles: number[]): Tensor {
  const [rows, n] = y.shape as [number, number];
  const { mean, variance } = tf.moments(y, 1, true);
  const parts: Tensor[] = [mean, tf.sqrt(variance)];
  if (quantiles.length > 0) {
    // topk sorts descending: ascending index a sits at descending index n − 1 − a
    const sorted = tf.topk(y, n).values;
    const at = (a: number) => tf.slice(sorted, [0, n - 1 - a], [rows, 1]);
    for (const q of quantiles) {
      const r = q * (n - 1);
      const lo = Math.floor(r);
      const frac = r - lo;
      const below = at(lo);
      parts.push(frac === 0 ? below : tf.add(below, tf.mul(tf.sub(at(Math.min(lo + 1, n - 1)), below), frac)));
    }
  }
  return tf.concat(parts, 1);
}

/**
 * The agents' own states [trajectories, agents] of y [trajectories, ...state]: the whole state, or
 * its first `agents` values (Game.agentStates: a state that holds more than the agents' own).
 */
export function agentPart(y: Tensor, agents: number): Tensor {
  const rows = y.shape[0];
  const flat = y.rank === 2 ? y : tf.reshape(y, [rows, -1]);
  return flat.shape[1] === agents ? flat : tf.slice(flat, [0, 0], [rows, agents]);
}

/** Per-agent values [trajectories · agents] (or [trajectories, agents]) as a state shaped like y: 0 beyond the agents' own. */
export function asState(values: Tensor, y: Tensor, agents: number): Tensor {
  const rows = y.shape[0];
  const size = y.size / rows;
  const own = tf.reshape(values, [rows, agents]);
  return tf.reshape(size === agents ? own : tf.concat([own, tf.zeros([rows, size - agents])], 1), y.shape);
}

/** Every agent's input [trajectories·agents, 4 + Q]: x_i, t, then its population's summary. */
export function agentFeatures(t: number, y: Tensor, quantiles: number[]): Tensor {
  const [rows, n] = y.shape as [number, number];
  const summary = heldFixed((state) => populationSummary(state, quantiles), y); // [rows, 2 + Q]
  const width = summary.shape[1]!;
  const own = tf.reshape(y, [rows * n, 1]);
  const time = tf.fill([rows * n, 1], t);
  const shared = tf.reshape(tf.tile(tf.reshape(summary, [rows, 1, width]), [1, n, 1]), [rows * n, width]);
  return tf.concat([own, time, shared], 1);
}

/**
 * The agent network as the graph engine's adapter: one row per agent in, one increment per agent
 * out. `agents`: the leading values of a state that are the agents' own (default: all of it).
 */
export function agentAdapter(config: ExperimentConfig, agents?: number): NetworkAdapter {
  const quantiles = summaryQuantiles(config);
  return {
    inputSize: agentInputSize(config),
    outputSize: 1,
    input: (t, y) => agentFeatures(t, agentPart(y, agents ?? y.size / y.shape[0]), quantiles),
    output: (_t, out, y) => asState(out, y, agents ?? y.size / y.shape[0]),
  };
}

/**
 * The neural diffusion σ_θ(x_i, t, s) = softplus(g_θ(x_i, t, s) + softplus⁻¹(σ)) of every agent,
 * [trajectories, agents]: the amplitude starts near the configuration's σ. `params` is the
 * diffusion network's own block of the model's flat vector.
 */
export function neuralDiffusion(config: ExperimentConfig, spec: MlpSpec, params: Tensor, agents?: number): (t: number, y: Tensor) => Tensor {
  const quantiles = summaryQuantiles(config);
  const mlp = bindMlp(spec, params);
  const offset = diffusionOffset(config);
  // beyond the agents' own states (Game.agentStates) the amplitude is 0: no noise there
  return (t, y) => {
    const n = agents ?? y.size / y.shape[0];
    return asState(tf.softplus(tf.add(mlp(agentFeatures(t, agentPart(y, n), quantiles)), offset)), y, n);
  };
}
