// Optimisers over one flat parameter variable. AdaBelief exactly as Optax (GAMES.md §1.3; TF.js
// has none) and Adam. Their state is plain tensors so that checkpoints can save and restore it.
import { tf, type Tensor } from '../tf.ts';

export interface OptimizerState {
  step: number;
  m: Float32Array;
  v: Float32Array;
}

export interface Optimizer {
  readonly name: string;
  /** θ ← update(θ, g); disposes its own intermediates */
  apply(params: tf.Variable, grad: Tensor): void;
  getState(): OptimizerState;
  setState(s: OptimizerState): void;
  dispose(): void;
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

/**
 * AdaBelief (Optax): m ← β1 m + (1−β1) g; v ← β2 v + (1−β2)(g − m)² + ε_root (with the
 * updated m); m̂ = m/(1−β1ⁿ), v̂ = v/(1−β2ⁿ); θ ← θ − lr·m̂/(√v̂ + ε).
 * Adam: the same with v ← β2 v + (1−β2) g².
 */
export function createOptimizer(cfg: OptimizerConfig, size: number): Optimizer {
  let m = tf.keep(tf.zeros([size]));
  let v = tf.keep(tf.zeros([size]));
  let n = 0;
  const { beta1, beta2, eps, epsRoot, learningRate } = cfg;
  return {
    name: cfg.name,
    apply(params, grad) {
      n += 1;
      const [m2, v2] = tf.tidy(() => {
        const mNew = tf.add(tf.mul(m, beta1), tf.mul(grad, 1 - beta1));
        const centred = cfg.name === 'adabelief' ? tf.sub(grad, mNew) : grad;
        let vNew = tf.add(tf.mul(v, beta2), tf.mul(tf.square(centred), 1 - beta2));
        if (cfg.name === 'adabelief') vNew = tf.add(vNew, epsRoot);
        const mHat = tf.div(mNew, 1 - Math.pow(beta1, n));
        const vHat = tf.div(vNew, 1 - Math.pow(beta2, n));
        params.assign(tf.sub(params, tf.mul(learningRate, tf.div(mHat, tf.add(tf.sqrt(vHat), eps)))));
        return [mNew, vNew];
      });
      m.dispose();
      v.dispose();
      m = m2;
      v = v2;
    },
    getState: () => ({ step: n, m: m.dataSync() as Float32Array, v: v.dataSync() as Float32Array }),
    setState(s) {
      if (s.m.length !== size || s.v.length !== size) {
        throw new Error(`optimizer state has ${s.m.length} entries, the network has ${size}`);
      }
      m.dispose();
      v.dispose();
      m = tf.keep(tf.tensor1d(s.m));
      v = tf.keep(tf.tensor1d(s.v));
      n = s.step;
    },
    dispose() {
      m.dispose();
      v.dispose();
    },
  };
}
