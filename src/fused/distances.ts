// Distributional losses (training.loss "energy" | "sliced-wasserstein") on typed arrays, with their
// gradients: the distance between the simulated final population p (one number per agent; the
// engines pool every trajectory of a step into one p) and the observed population q (every
// observation of the batch pooled, on the scale of an agent's state: the game's comparableValues).
// Both are the distances between the two empirical distributions (V-statistics): pooling the
// trajectories keeps their finite-sample bias small (the energy distance of n values favours a
// spread smaller by about 1/(2n) than the data's). Sorting makes each
// O((n + m) log(n + m)) instead of the O(n·m) of the pairwise definitions that the graph engine
// differentiates (src/mfg/distances.ts, the reference these are tested against). Float64 throughout.
//
//   energy:             E(p, q) = 2/(n·m) Σ_ij |p_i − q_j| − 1/n² Σ_ii' |p_i − p_i'| − 1/m² Σ_jj' |q_j − q_j'|
//   sliced-wasserstein: W(p, q) = ∫₀¹ (F_p⁻¹(u) − F_q⁻¹(u))² du, the squared 2-Wasserstein distance;
//                       a state of one number per agent has one slice, the line itself.
// Both are ≥ 0 and 0 exactly when the two empirical distributions are equal.
import type { LossKind } from '../config.ts';

export { observedPopulation } from '../mfg/distances.ts';

/** A sample sorted ascending with its prefix sums (prefix[k] = Σ of the k smallest). */
interface SortedSample {
  sorted: Float64Array;
  prefix: Float64Array;
}

function sortedSample(values: Float64Array): SortedSample {
  const sorted = Float64Array.from(values).sort();
  const prefix = new Float64Array(sorted.length + 1);
  for (let j = 0; j < sorted.length; j++) prefix[j + 1] = prefix[j] + sorted[j];
  return { sorted, prefix };
}

/** Σ_jj' |q_j − q_j'| of a sorted sample: 2 Σ_k (2k − m + 1)·q_(k). */
function selfDistance(sorted: Float64Array): number {
  const m = sorted.length;
  let s = 0;
  for (let k = 0; k < m; k++) s += (2 * k - m + 1) * sorted[k];
  return 2 * s;
}

/**
 * The indices of p [0, n) in ascending order of value; equal values in descending index order (the
 * order TF.js's topk gives them, reversed: the graph engine's sliced Wasserstein sorts with it).
 */
function order(p: Float32Array, n: number): Uint32Array {
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  return idx.sort((a, b) => p[a] - p[b] || b - a);
}

/** the first index in sorted q whose value is ≥ v (from `from` on) */
function lowerBound(sorted: Float64Array, v: number, from: number): number {
  let lo = from;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(sorted: Float64Array, v: number, from: number): number {
  let lo = from;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** E(p, q) of one population p [n], with grad[i] += scale·∂E/∂p_i (|0|' = 0, as sign gives it). */
function energy(p: Float32Array, n: number, q: SortedSample, qSelf: number, scale: number, grad: Float64Array | null, at: number): number {
  const m = q.sorted.length;
  const total = q.prefix[m];
  const idx = order(p, n);
  let cross = 0;
  let own = 0;
  let lo = 0;
  let hi = 0;
  for (let k = 0; k < n; ) {
    const v = p[idx[k]];
    // the block of p equal to v: positions [k, end)
    let end = k + 1;
    while (end < n && p[idx[end]] === v) end++;
    lo = lowerBound(q.sorted, v, lo); // #q < v
    hi = upperBound(q.sorted, v, Math.max(hi, lo)); // #q ≤ v
    const toQ = lo * v - q.prefix[lo] + (total - q.prefix[hi]) - (m - hi) * v;
    for (let c = k; c < end; c++) {
      cross += toQ;
      own += (2 * c - n + 1) * v;
      if (grad) grad[at + idx[c]] += scale * ((2 * (lo - (m - hi))) / (n * m) - (2 * (k - (n - end))) / (n * n));
    }
    k = end;
  }
  return (2 * cross) / (n * m) - (2 * own) / (n * n) - qSelf / (m * m);
}

/** W(p, q) of one population p [n], with grad[i] += scale·∂W/∂p_i. */
function slicedWasserstein(p: Float32Array, n: number, q: SortedSample, scale: number, grad: Float64Array | null, at: number): number {
  const m = q.sorted.length;
  const idx = order(p, n);
  // the quantile functions are steps at u = i/n and u = j/m: walk their merged breakpoints, in units of 1/(n·m)
  let i = 0;
  let j = 0;
  let u = 0;
  let w2 = 0;
  while (i < n && j < m) {
    const nextP = (i + 1) * m;
    const nextQ = (j + 1) * n;
    const next = Math.min(nextP, nextQ);
    const weight = (next - u) / (n * m);
    const d = p[idx[i]] - q.sorted[j];
    w2 += weight * d * d;
    if (grad) grad[at + idx[i]] += scale * 2 * weight * d;
    u = next;
    if (nextP === next) i++;
    if (nextQ === next) j++;
  }
  return w2;
}

/**
 * The distributional loss of the final populations pred [n, size] against the observed population
 * q: the mean over the n populations of their distance to q (the engines pass n = 1: every
 * trajectory pooled). With `grad` [n·size], writes ∂L/∂pred.
 */
export function distributionalLoss(
  kind: Exclude<LossKind, 'mse'>,
  pred: Float32Array,
  n: number,
  size: number,
  observed: Float64Array,
  grad: Float64Array | null,
): number {
  if (observed.length === 0) throw new Error(`training.loss ${kind}: no observed values to compare with`);
  const q = sortedSample(observed);
  const qSelf = kind === 'energy' ? selfDistance(q.sorted) : 0;
  if (grad) grad.fill(0);
  let total = 0;
  for (let k = 0; k < n; k++) {
    const p = pred.subarray(k * size, (k + 1) * size);
    total += kind === 'energy' ? energy(p, size, q, qSelf, 1 / n, grad, k * size) : slicedWasserstein(p, size, q, 1 / n, grad, k * size);
  }
  return total / n;
}
