// The mean squared error of every simulated trajectory against every observation, for large
// batches: Σ_b (x − y_b)² = B·x² − 2x·Σ_b y_b + Σ_b y_b², so the sums over the batch are taken once
// and the cost is O((n + B)·width) instead of O(n·B·width). Evaluating a model on a file of a
// million samples is then one pass over the data, not one per simulated population. Float64
// throughout; below LARGE_BATCH the games keep their direct loop (the training batches, whose
// rounding the tests hold against the graph engine).

/** From this batch size on, the games' losses use the sums. */
export const LARGE_BATCH = 256;

/**
 * Σ_{k<n} Σ_{i<width} Σ_{b<batch} (pred[k·width + i] − y_{b,i})² · scale, given s1[i] = Σ_b y_{b,i}
 * and s2[i] = Σ_b y_{b,i}²; with `grad`, grad[k·width + i] = 2·scale·Σ_b (x − y_{b,i}).
 */
export function pairwiseSquaredError(
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
