// Optimisers over the flat parameter vector, updated in place on the host: AdaBelief exactly as
// Optax (docs/framework.md §4; TF.js has none) and Adam. Every product and sum is rounded to float32 in
// the order TF.js's element-wise kernels would take them, so an update is the one the same
// formulas give as float32 tensor ops. Their state is plain arrays, which checkpoints save.

export interface OptimizerState {
  step: number;
  m: Float32Array;
  v: Float32Array;
}

export interface Optimizer {
  readonly name: string;
  /** θ ← update(θ, g), in place */
  apply(params: Float32Array, grad: Float32Array): void;
  getState(): OptimizerState;
  setState(s: OptimizerState): void;
}

export interface OptimizerConfig {
  name: 'adabelief' | 'adam';
  learningRate: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** AdaBelief's ε_root (added inside the second moment); ignored by Adam */
  epsRoot: number;
}

export const OPTIMIZER_DEFAULTS: Record<OptimizerConfig['name'], OptimizerConfig> = {
  adabelief: { name: 'adabelief', learningRate: 5e-4, beta1: 0.9, beta2: 0.999, eps: 1e-16, epsRoot: 1e-16 },
  adam: { name: 'adam', learningRate: 5e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, epsRoot: 0 },
};

const fround = Math.fround;

/**
 * AdaBelief (Optax): m ← β1 m + (1−β1) g; v ← β2 v + (1−β2)(g − m)² + ε_root (with the
 * updated m); m̂ = m/(1−β1ⁿ), v̂ = v/(1−β2ⁿ); θ ← θ − lr·m̂/(√v̂ + ε).
 * Adam: the same with v ← β2 v + (1−β2) g².
 */
export function createOptimizer(cfg: OptimizerConfig, size: number): Optimizer {
  let m = new Float32Array(size);
  let v = new Float32Array(size);
  let n = 0;
  const belief = cfg.name === 'adabelief';
  // the constants as float32 scalars, as a tensor op sees them
  const b1 = fround(cfg.beta1);
  const b2 = fround(cfg.beta2);
  const c1 = fround(1 - cfg.beta1);
  const c2 = fround(1 - cfg.beta2);
  const lr = fround(cfg.learningRate);
  const eps = fround(cfg.eps);
  const epsRoot = fround(cfg.epsRoot);
  return {
    name: cfg.name,
    apply(params, grad) {
      if (params.length !== size || grad.length !== size) {
        throw new Error(`optimizer: ${size} parameters expected, got ${params.length} and a gradient of ${grad.length}`);
      }
      n += 1;
      const bias1 = fround(1 - Math.pow(cfg.beta1, n));
      const bias2 = fround(1 - Math.pow(cfg.beta2, n));
      for (let i = 0; i < size; i++) {
        const g = grad[i];
        const mi = fround(fround(m[i] * b1) + fround(g * c1));
        const centred = belief ? fround(g - mi) : g;
        let vi = fround(fround(v[i] * b2) + fround(fround(centred * centred) * c2));
        if (belief) vi = fround(vi + epsRoot);
        const mHat = fround(mi / bias1);
        const vHat = fround(vi / bias2);
        params[i] = fround(params[i] - fround(lr * fround(mHat / fround(fround(Math.sqrt(vHat)) + eps))));
        m[i] = mi;
        v[i] = vi;
      }
    },
    getState: () => ({ step: n, m: m.slice(), v: v.slice() }),
    setState(s) {
      if (s.m.length !== size || s.v.length !== size) {
        throw new Error(`optimizer state has ${s.m.length} entries, the network has ${size}`);
      }
      m = Float32Array.from(s.m);
      v = Float32Array.from(s.v);
      n = s.step;
    },
  };
}
