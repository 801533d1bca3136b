// Population statistics for the fused kernels: the q-quantile of a population with linear
// interpolation between order statistics (NumPy's default, as src/mfg/functions.ts:rowQuantile
// computes it on TF.js), found by selection in O(n) rather than by a full sort. Exact: the same
// order statistics a sort gives, rounded to float32 as TF.js's ops round them.

const fround = Math.fround;
/** below this size a sort of a copy is as fast as selection */
const SORT_BELOW = 64;

/**
 * Rearranges `a[lo..hi]` so that a[k] holds the value it would hold sorted, smaller values before
 * it and larger ones after (Hoare's quickselect with a median-of-three pivot).
 */
export function selectInPlace(a: Float32Array | Float64Array, k: number, lo = 0, hi = a.length - 1): void {
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // median of three as the pivot, placed at lo
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    swap(a, mid, lo);
    const pivot = a[lo];
    let i = lo;
    let j = hi + 1;
    for (;;) {
      do i++;
      while (i <= hi && a[i] < pivot);
      do j--;
      while (a[j] > pivot);
      if (i >= j) break;
      swap(a, i, j);
    }
    swap(a, lo, j);
    if (j === k) return;
    if (j < k) lo = j + 1;
    else hi = j - 1;
  }
}

function swap(a: Float32Array | Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/**
 * The q-quantile of `values` (position r = q·(n − 1), linear interpolation between the order
 * statistics around it), in float32: x_(lo) + (x_(lo+1) − x_(lo))·frac. `scratch` (at least
 * values.length long) receives a copy, so `values` is left as it is.
 */
export function quantile(values: Float32Array, q: number, scratch: Float32Array): number {
  const n = values.length;
  const r = q * (n - 1);
  const lo = Math.floor(r);
  const frac = r - lo;
  const hi = Math.min(lo + 1, n - 1);
  const a = scratch.subarray(0, n);
  a.set(values);
  let below: number;
  let above: number;
  if (n < SORT_BELOW) {
    a.sort();
    below = a[lo];
    above = a[hi];
  } else {
    selectInPlace(a, lo);
    below = a[lo];
    // x_(lo+1): the smallest value right of position lo
    above = below;
    if (hi > lo) {
      above = Infinity;
      for (let i = lo + 1; i < n; i++) if (a[i] < above) above = a[i];
    }
  }
  if (frac === 0) return below;
  return fround(below + fround(fround(above - below) * fround(frac)));
}
