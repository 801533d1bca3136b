// The mean squared error of every simulated trajectory against every observation, for large
// batches: Σ_b (x − y_b)² = B·x² − 2x·Σ_b y_b + Σ_b y_b², so the sums over the batch are taken once
// and the cost is O((n + B)·width) instead of O(n·B·width). Evaluating a model on a file of a
// million samples is then one pass over the data, not one per simulated population. Float64
// throughout; below LARGE_BATCH the direct loop (the training batches, whose rounding the tests
// hold against the graph engine).

/** From this batch size on, the loss uses the sums. */
export const LARGE_BATCH = 256;

/**
 * Σ_{k<n} Σ_{i<width} Σ_{b<batch} (pred[k·width + i] − obs[b·width + i])² · scale and, with `grad`,
 * grad[k·width + i] = 2·scale·Σ_b (pred − obs): every simulated row against every observed one.
 * Below LARGE_BATCH the direct loop (summed in k, i, b order), from it on the batch's sums.
 */
export function batchSquaredError(pred: Float32Array, n: number, width: number, obs: ArrayLike<number>, batch: number, scale: number, grad: Float64Array | null): number {
  if (batch >= LARGE_BATCH) {
    const s1 = new Float64Array(width);
    const s2 = new Float64Array(width);
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < width; i++) {
        const y = obs[b * width + i];
        s1[i] += y;
        s2[i] += y * y;
      }
    }
    return pairwiseSquaredError(pred, n, width, s1, s2, batch, scale, grad);
  }
  let sum = 0;
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < width; i++) {
      const x = pred[k * width + i];
      let g = 0;
      for (let b = 0; b < batch; b++) {
        const d = x - obs[b * width + i];
        sum += d * d;
        g += d;
      }
      if (grad) grad[k * width + i] = 2 * g * scale;
    }
  }
  return sum * scale;
}

/**
 * Σ_{k<n} Σ_{i<width} Σ_{b<batch} (pred[k·width + i] − y_{b,i})² · scale, given s1[i] = Σ_b y_{b,i}
 * and s2[i] = Σ_b y_{b,i}²; with `grad`, grad[k·width + i] = 2·scale·Σ_b (x − y_{b,i}).
 */
function pairwiseSquaredError(
  pred: Float32Array,
  n: number,
  width: number,
  s1: Float64Array,
  s2: Float64Array,
  batch: number,
  scale: number,
  grad: Float64Array | null,
): number {
  let total = 0;
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < width; i++) {
      const x = pred[k * width + i];
      // Σ_b (x − y_b)² ≥ 0; rounding can leave a tiny negative where the fit is exact
      total += Math.max(0, batch * x * x - 2 * x * s1[i] + s2[i]);
      if (grad) grad[k * width + i] = 2 * (batch * x - s1[i]) * scale;
    }
  }
  return total * scale;
}
