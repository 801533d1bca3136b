// Building blocks for per-agent costs: the reference's derivative conventions and a way to hold a
// population statistic fixed in the gradient (TF.js has no stopGradient).
import { tf, type GradSaveFunc, type Tensor } from '../tf.ts';

type CustomGradientFunc = Parameters<typeof tf.customGrad>[0];

/** An op with its own gradient, made when first called (so that importing this module loads no TF.js). */
function customOp(definition: (z: Tensor, save: GradSaveFunc) => { value: Tensor; gradFunc: (dy: Tensor, saved: Tensor[]) => Tensor }): (z: Tensor) => Tensor {
  let op: ((z: Tensor) => Tensor) | null = null;
  return (z) => {
    op ??= tf.customGrad(definition as unknown as CustomGradientFunc) as (z: Tensor) => Tensor;
    return op(z);
  };
}

/**
 * [z]₊ = max(z, 0) with the reference's derivative convention d[z]₊/dz = 1 for z ≥ 0, else 0
 * (docs/meeting.md §3: the boundary z = 0 counts as active; tf.relu's gradient is 0 there).
 */
export const hinge = customOp((z, save) => {
  save([z]);
  return {
    value: tf.relu(z),
    // 1[z ≥ 0] = 1 − step(−z)
    gradFunc: (dy, saved) => tf.mul(dy, tf.sub(1, tf.step(tf.neg(saved[0])))),
  };
});

/** f(x) whose gradient is `grad(dy, x)` instead of f's own (TF.js has no stopGradient). */
function withGradient(f: (x: Tensor) => Tensor, grad: (dy: Tensor, x: Tensor) => Tensor, x: Tensor): Tensor {
  const op = tf.customGrad(((input: Tensor) => ({
    value: f(input),
    gradFunc: (dy: Tensor) => grad(dy, input),
  })) as unknown as CustomGradientFunc) as (x: Tensor) => Tensor;
  return op(x);
}

/**
 * Computes f(x) and treats the result as a constant in every gradient (zero gradient to x).
 * Used for population statistics (a percentile, an attendance draw) that the mean-field
 * assumption holds fixed; f may use ops without gradients (TopK, comparisons).
 */
export function heldFixed(f: (x: Tensor) => Tensor, x: Tensor): Tensor {
  return withGradient(f, (_dy, input) => tf.zerosLike(input), x);
}

/**
 * Computes f(x) and passes the gradient through as if f were the identity (a straight-through
 * estimator), e.g. for a clip whose clipped entries should still feel the loss.
 */
export function straightThrough(f: (x: Tensor) => Tensor, x: Tensor): Tensor {
  return withGradient(f, (dy) => tf.clone(dy), x);
}

/**
 * softmax over the last axis whose gradient can itself be differentiated. TF.js's own softmax
 * gradient reads the op's saved output, and TF.js never differentiates through saved outputs
 * (their copy is taped before the op that makes them), so a gradient of a gradient through
 * tf.softmax silently drops the derivative of the softmax Jacobian. A drift derived by autodiff
 * through a softmax (Liar's dice's beliefs) is such a gradient; the solve's backward pass then
 * differentiates it again. This one recomputes the softmax from its saved input instead.
 */
export const softmax = customOp((z, save) => {
  save([z]);
  return {
    value: tf.softmax(z),
    gradFunc: (dy, saved) => {
      const y = tf.softmax(saved[0]);
      const dyTimesY = tf.mul(dy, y);
      return tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, -1, true), y));
    },
  };
});

/**
 * The q-quantile of each row of x [rows, n] with linear interpolation between order statistics
 * (NumPy's default): position r = q·(n − 1). Returns [rows, 1]. No gradient (use in heldFixed).
 */
export function rowQuantile(x: Tensor, q: number): Tensor {
  const n = x.shape[x.shape.length - 1];
  const r = q * (n - 1);
  const lo = Math.floor(r);
  const frac = r - lo;
  const hi = Math.min(lo + 1, n - 1);
  // topk sorts descending: ascending index a sits at descending index n − 1 − a.
  const sorted = tf.topk(x, n).values;
  const rows = x.shape[0];
  const below = tf.slice(sorted, [0, n - 1 - lo], [rows, 1]);
  if (frac === 0) return below;
  const above = tf.slice(sorted, [0, n - 1 - hi], [rows, 1]);
  return tf.add(below, tf.mul(tf.sub(above, below), frac));
}
