// The neural term's network: an MLP whose parameters live in one flat vector (one variable to
// optimise, save and checkpoint; a fused fast path can read it directly). Layout, layer by layer:
// W_l row-major [fanIn, fanOut] then b_l [fanOut]. Initialisation as Equinox: every weight and
// bias ~ Uniform(−1/√fanIn, +1/√fanIn) (docs/framework.md §3).
import type { RandomStream } from '../random.ts';

export type Activation = 'softplus' | 'identity' | 'tanh' | 'relu' | 'leaky-relu' | 'sigmoid';
export const ACTIVATIONS: Activation[] = ['softplus', 'identity', 'tanh', 'relu', 'leaky-relu', 'sigmoid'];

export interface MlpSpec {
  inputSize: number;
  outputSize: number;
  /** hidden layer width */
  width: number;
  /** number of hidden layers (depth + 1 affine maps) */
  depth: number;
  activation: Activation;
  outputActivation: Activation;
}

/** [fanIn, fanOut] of each affine map. */
export function layerShapes(spec: MlpSpec): [number, number][] {
  const sizes = [spec.inputSize, ...Array(spec.depth).fill(spec.width), spec.outputSize];
  return sizes.slice(1).map((out, i) => [sizes[i], out] as [number, number]);
}

export function parameterCount(spec: MlpSpec): number {
  // by arithmetic, not over layerShapes: a shape read from a file is counted without building it
  const { inputSize: i, outputSize: o, width: w, depth: d } = spec;
  return d === 0 ? i * o + o : i * w + w + (d - 1) * (w * w + w) + w * o + o;
}

/** Initial flat parameter vector (float64 on the host). */
export function initialParameters(spec: MlpSpec, rng: RandomStream): Float64Array {
  const out = new Float64Array(parameterCount(spec));
  let offset = 0;
  for (const [fanIn, fanOut] of layerShapes(spec)) {
    const bound = 1 / Math.sqrt(fanIn);
    for (let i = 0; i < fanIn * fanOut + fanOut; i++) out[offset++] = (2 * rng.uniform() - 1) * bound;
  }
  return out;
}
