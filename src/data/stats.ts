// Host-side statistics for reports (float64).

export function mean(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s / v.length;
}

/** Population standard deviation. */
export function std(v: ArrayLike<number>): number {
  const m = mean(v);
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] - m) ** 2;
  return Math.sqrt(s / v.length);
}

/**
 * Wasserstein-1 (earth mover's) distance between two empirical distributions on the line:
 * ∫ |F_a(x) − F_b(x)| dx, computed on the merged sorted samples.
 */
export function wasserstein1(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length === 0 || b.length === 0) throw new Error('wasserstein1: both samples need at least one value');
  const xs = Float64Array.from(a).sort();
  const ys = Float64Array.from(b).sort();
  let i = 0;
  let j = 0;
  let prev = Math.min(xs[0], ys[0]);
  let total = 0;
  while (i < xs.length || j < ys.length) {
    const next = j >= ys.length || (i < xs.length && xs[i] <= ys[j]) ? xs[i] : ys[j];
    total += Math.abs(i / xs.length - j / ys.length) * (next - prev);
    prev = next;
    if (i < xs.length && xs[i] === next) i++;
    else j++;
  }
  return total;
}
