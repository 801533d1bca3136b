// What a neural diffusion learned (noise.diffusion "neural"): its amplitude σ_θ(x_i, t, s) over the
// agents of simulated populations at their save times, summarised for summary.json (the number a
// recovery on data of a known noise level compares with the truth).
import type { ExperimentConfig } from '../config.ts';
import type { MeanFieldModel } from '../mfg/model.ts';
import { diffusionOffset, summaryQuantiles } from '../mfg/networks.ts';
import { parameterCount } from '../nn/spec.ts';
import { FusedMlp } from '../fused/mlp.ts';
import { diffusionAmplitudes } from '../fused/agent-network.ts';

export interface AmplitudeSummary {
  /** the mean of σ_θ over every agent and save time */
  mean: number;
  std: number;
  min: number;
  max: number;
  /** the mean over the agents at each save time */
  byTime: number[];
}

/**
 * The learned amplitude over populations[k] (one population [agents] at each of `times`), or
 * null when the model's noise amplitude is the constant σ.
 */
export function learnedAmplitude<C extends ExperimentConfig>(model: MeanFieldModel<C>, populations: ArrayLike<number>[], times: number[]): AmplitudeSummary | null {
  const spec = model.diffusionSpec;
  if (!spec) return null;
  // the diffusion's block follows the drift network's (src/mfg/networks.ts)
  const start = parameterCount(model.spec);
  const params = model.params.subarray(start, start + parameterCount(spec));
  const mlp = new FusedMlp(spec);
  const quantiles = summaryQuantiles(model.config);
  const offset = diffusionOffset(model.config);
  let sum = 0;
  let squares = 0;
  let count = 0;
  let min = Infinity;
  let max = -Infinity;
  const byTime = populations.map((pop, k) => {
    const sigma = diffusionAmplitudes(mlp, params, quantiles, offset, Float32Array.from(pop), times[k]);
    let here = 0;
    for (const s of sigma) {
      here += s;
      squares += s * s;
      min = Math.min(min, s);
      max = Math.max(max, s);
    }
    sum += here;
    count += sigma.length;
    return here / sigma.length;
  });
  const mean = sum / count;
  return { mean, std: Math.sqrt(Math.max(0, squares / count - mean * mean)), min, max, byTime };
}

/** The summary.json field of a neural diffusion ({ learnedSigma }), or nothing for the constant σ. */
export function diffusionSummary<C extends ExperimentConfig>(model: MeanFieldModel<C>, populations: ArrayLike<number>[], times: number[]): { learnedSigma?: AmplitudeSummary } {
  const learned = learnedAmplitude(model, populations, times);
  return learned ? { learnedSigma: learned } : {};
}
