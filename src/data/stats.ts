// Host-side statistics for reports (float64).

export function mean(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s / v.length;
}

/** The median (the mean of the two middle values of an even count). */
export function median(v: ArrayLike<number>): number {
  const s = Float64Array.from(v).sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Population standard deviation. */
export function std(v: ArrayLike<number>): number {
  const m = mean(v);
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] - m) ** 2;
  return Math.sqrt(s / v.length);
}

/** The quantiles `qs` of a sample, linearly interpolated between order statistics (numpy's default). */
export function quantiles(values: ArrayLike<number>, qs: number[]): number[] {
  const s = sortedCopy(values);
  return qs.map((q) => {
    const r = q * (s.length - 1);
    const lo = Math.floor(r);
    const hi = Math.min(lo + 1, s.length - 1);
    return s[lo] + (s[hi] - s[lo]) * (r - lo);
  });
}

/**
 * Wasserstein-1 (earth mover's) distance between two empirical distributions on the line:
 * ∫ |F_a(x) − F_b(x)| dx, computed on the merged sorted samples.
 */
export function wasserstein1(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length === 0 || b.length === 0) throw new Error('wasserstein1: both samples need at least one value');
  const xs = sortedCopy(a);
  const ys = sortedCopy(b);
  let i = 0;
  let j = 0;
  let prev = Math.min(xs[0], ys[0]);
  let total = 0;
  // every pass takes one value, so the walk ends whatever the values are; a NaN (sorted last)
  // makes the distance NaN, ±Infinity makes it infinite or NaN, for the caller to refuse
  while (i < xs.length || j < ys.length) {
    const fromA = j >= ys.length || (i < xs.length && !(xs[i] > ys[j]));
    const next = fromA ? xs[i] : ys[j];
    total += Math.abs(i / xs.length - j / ys.length) * (next - prev);
    prev = next;
    if (fromA) i++;
    else j++;
  }
  return total;
}

/** Whether typed arrays store numbers least significant byte first (the bit tricks below assume it). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The values sorted ascending, as a new array. A large float32 or float64 sample (a large
 * observation file holds millions of values) is sorted by an LSD radix sort on its bits, in passes
 * (float32: 3 of 11 bits; float64: 4 of 16 bits; a pass is skipped where every value shares its digit):
 * O(n): 2-4 times faster than the typed array's sort at millions of values. Anything else as float64 by the typed array's
 * own sort. Both put −0 before +0 (they compare equal); NaN is not expected (the readers refuse it).
 */
export function sortedCopy(values: ArrayLike<number>): Float32Array | Float64Array {
  if (values.length < 4096 || !LITTLE_ENDIAN) return Float64Array.from(values).sort();
  if (values instanceof Float32Array) return radixSorted32(values);
  if (values instanceof Float64Array) return radixSorted64(values);
  return Float64Array.from(values).sort();
}

function radixSorted32(values: Float32Array): Float32Array {
  const n = values.length;
  const bits = new Uint32Array(values.buffer, values.byteOffset, n);
  // order-preserving keys: every bit of a negative number flipped, the sign bit of a positive one
  let keys = new Uint32Array(n);
  for (let i = 0; i < n; i++) keys[i] = bits[i] & 0x80000000 ? ~bits[i] >>> 0 : (bits[i] | 0x80000000) >>> 0;
  let other = new Uint32Array(n);
  const counts = new Uint32Array(2048);
  for (let shift = 0; shift < 32; shift += 11) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(keys[i] >>> shift) & 2047]++;
    if (!prefixSums(counts, n)) continue;
    for (let i = 0; i < n; i++) other[counts[(keys[i] >>> shift) & 2047]++] = keys[i];
    [keys, other] = [other, keys];
  }
  const out = new Float32Array(n);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) outBits[i] = keys[i] & 0x80000000 ? (keys[i] & 0x7fffffff) >>> 0 : ~keys[i] >>> 0;
  return out;
}

/** Counts into starting offsets; false (nothing to move) when one digit holds all n values. */
function prefixSums(counts: Uint32Array, n: number): boolean {
  let sum = 0;
  for (let d = 0; d < counts.length; d++) {
    const c = counts[d];
    if (c === n) return false;
    counts[d] = sum;
    sum += c;
  }
  return true;
}

function radixSorted64(values: Float64Array): Float64Array {
  const n = values.length;
  const words = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
  // the keys of radixSorted32 on 64 bits, as a low and a high word
  let lo = new Uint32Array(n);
  let hi = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const h = words[2 * i + 1];
    if (h & 0x80000000) {
      hi[i] = ~h >>> 0;
      lo[i] = ~words[2 * i] >>> 0;
    } else {
      hi[i] = (h | 0x80000000) >>> 0;
      lo[i] = words[2 * i];
    }
  }
  let lo2 = new Uint32Array(n);
  let hi2 = new Uint32Array(n);
  const counts = new Uint32Array(65536);
  // four passes of 16 bits: the low word's two halves, then the high word's
  for (let pass = 0; pass < 4; pass++) {
    const w = pass < 2 ? lo : hi;
    const shift = pass % 2 === 0 ? 0 : 16;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(w[i] >>> shift) & 0xffff]++;
    if (!prefixSums(counts, n)) continue;
    for (let i = 0; i < n; i++) {
      const at = counts[(w[i] >>> shift) & 0xffff]++;
      lo2[at] = lo[i];
      hi2[at] = hi[i];
    }
    [lo, lo2] = [lo2, lo];
    [hi, hi2] = [hi2, hi];
  }
  const out = new Float64Array(n);
  const outWords = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) {
    if (hi[i] & 0x80000000) {
      outWords[2 * i + 1] = (hi[i] & 0x7fffffff) >>> 0;
      outWords[2 * i] = lo[i];
    } else {
      outWords[2 * i + 1] = ~hi[i] >>> 0;
      outWords[2 * i] = ~lo[i] >>> 0;
    }
  }
  return out;
}
