// Exact population statistics on the GPU, without a sort (WGSL generators shared by the solve's
// kernels and the standalone quantile check):
// - the q-quantile by radix select: each value's float32 bits mapped to an order-preserving 32-bit
//   key, then a few passes over the population (8 or 11 bits a pass), each a histogram of the next
//   digit among the values that share the digits chosen so far, for the two ranks that the linear
//   interpolation needs at once (⌊q(n−1)⌋ and the one after). Workgroups count in workgroup memory
//   and add their counts to the global histogram; the next dispatch's workgroups choose that
//   pass's digit by a prefix sum over its bins (each on its own, so that no dispatch waits for
//   another workgroup) and its first workgroup stores the choice for the dispatch after. After the
//   last pass the two keys are the two order statistics exactly, as a sort would give them;
// - the fraction of agents with a positive value: a count, divided by the number of agents with
//   correct rounding (long division), as Math.fround(count / agents) gives it.

/** The digits of each radix pass, high to low: 8-bit digits (4 passes) or 11/11/10 (3 passes). */
export function radixPasses(bits: 8 | 11): number[] {
  return bits === 8 ? [8, 8, 8, 8] : [11, 11, 10];
}

/** Workgroup memory (bytes) the select functions declare. */
export function selectWorkgroupBytes(passes: number[], wg: number): number {
  const bins = 1 << Math.max(...passes);
  return 2 * bins * 4 + 4 * wg * 4 + 32;
}

/**
 * WGSL of the radix-select helpers. Expects, declared elsewhere: `hist: array<atomic<u32>>` (the
 * global histograms and selections), `fn hidx(k, pass, r, which, bin) -> u32` (a histogram's
 * layout), `fn sidx(k, pass, r, j) -> u32` (where the selection after the passes before `pass`
 * is stored, pass ≥ 1, j < 4), `st.lo`/`st.hi` (the two ranks), `st.frac` and the constant WG.
 */
export function selectWgsl(passes: number[], wg: number): string {
  const bins = 1 << Math.max(...passes);
  const shifts: number[] = [];
  let used = 0;
  for (const b of passes) {
    used += b;
    shifts.push(32 - used);
  }
  const cases = (values: number[]) => values.map((v, p) => `    case ${p}u: { return ${v}u; }`).join('\n');
  return /* wgsl */ `
const RADIX_PASSES: u32 = ${passes.length}u;
const BINS: u32 = ${bins}u;
const BINS_PER_THREAD: u32 = ${Math.ceil(bins / wg)}u;

// digits of pass p: its width, and the shift that brings it to the low bits
fn rbits(p: u32) -> u32 {
  switch p {
${cases(passes)}
    default: { return 0u; }
  }
}
fn rshift(p: u32) -> u32 {
  switch p {
${cases(shifts)}
    default: { return 0u; }
  }
}

// an order-preserving key: negative floats reversed below the positive ones
fn to_key(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}
fn from_key(k: u32) -> f32 {
  return bitcast<f32>(select(~k, k & 0x7fffffffu, (k & 0x80000000u) != 0u));
}
fn digit(key: u32, p: u32) -> u32 {
  return (key >> rshift(p)) & ((1u << rbits(p)) - 1u);
}
// whether key carries the digits chosen in the passes before p
fn has_prefix(key: u32, p: u32, prefix: u32) -> bool {
  if (p == 0u) { return true; }
  return (key >> rshift(p - 1u)) == prefix;
}

var<workgroup> lhist: array<atomic<u32>, ${2 * bins}>;
var<workgroup> scan: array<u32, ${2 * wg}>;
var<workgroup> own: array<u32, ${2 * wg}>;
// the selection so far: prefix (lo, hi) and the rank left within it (lo, hi)
var<workgroup> sel: array<u32, 4>;
var<workgroup> seln: array<u32, 4>;

/**
 * Loads the selection after the passes before p of trajectory r at step k into sel (p = 0: nothing
 * chosen yet, the two ranks whole). Every thread of the workgroup, from uniform control flow.
 */
fn select_load(lid: u32, k: u32, r: u32, p: u32) {
  if (lid < 4u) {
    if (p == 0u) {
      sel[lid] = select(select(st.hi, st.lo, lid == 2u), 0u, lid < 2u);
    } else {
      sel[lid] = atomicLoad(&hist[sidx(k, p, r, lid)]);
    }
  }
  workgroupBarrier();
}

/** Stores sel as the selection after the passes before p (one thread of one workgroup). */
fn select_store(lid: u32, k: u32, r: u32, p: u32) {
  if (lid < 4u) { atomicStore(&hist[sidx(k, p, r, lid)], sel[lid]); }
}

/**
 * Chooses pass p's digit for both ranks from its global histograms: sel, the selection after the
 * passes before p, becomes the selection after pass p (a prefix sum over the bins finds the bin
 * that holds each rank). Every thread of the workgroup, from uniform control flow.
 */
fn select_step(lid: u32, k: u32, r: u32, p: u32) {
  let nb = 1u << rbits(p);
  let b0 = lid * BINS_PER_THREAD;
  let b1 = min(b0 + BINS_PER_THREAD, nb);
  for (var w = 0u; w < 2u; w++) {
    // pass 0 counts all values once: both ranks read the same histogram
    let src = select(w, 0u, p == 0u);
    var s = 0u;
    for (var b = b0; b < b1; b++) { s += atomicLoad(&hist[hidx(k, p, r, src, b)]); }
    scan[w * WG + lid] = s;
    own[w * WG + lid] = s;
  }
  workgroupBarrier();
  for (var off = 1u; off < WG; off <<= 1u) {
    var a0 = 0u;
    var a1 = 0u;
    if (lid >= off) { a0 = scan[lid - off]; a1 = scan[WG + lid - off]; }
    workgroupBarrier();
    scan[lid] += a0;
    scan[WG + lid] += a1;
    workgroupBarrier();
  }
  for (var w = 0u; w < 2u; w++) {
    let src = select(w, 0u, p == 0u);
    let rho = sel[2u + w];
    let incl = scan[w * WG + lid];
    var before = incl - own[w * WG + lid];
    if (before <= rho && rho < incl) {
      for (var b = b0; b < b1; b++) {
        let c = atomicLoad(&hist[hidx(k, p, r, src, b)]);
        if (rho < before + c) {
          seln[w] = (sel[w] << rbits(p)) | b;
          seln[2u + w] = rho - before;
          break;
        }
        before += c;
      }
    }
  }
  workgroupBarrier();
  if (lid < 4u) { sel[lid] = seln[lid]; }
  workgroupBarrier();
}

/**
 * The selection after every pass before p (in sel), for a workgroup that counts pass p: loads the
 * one after the passes before p − 1 (stored by the previous dispatch's first workgroup), chooses
 * pass p − 1's digits, and stores the result for the next dispatch (workgroup 0 only).
 */
fn select_prefix(lid: u32, g: u32, k: u32, r: u32, p: u32) {
  if (p == 0u) {
    select_load(lid, k, r, 0u);
    return;
  }
  select_load(lid, k, r, p - 1u);
  select_step(lid, k, r, p - 1u);
  if (g == 0u) { select_store(lid, k, r, p); }
  workgroupBarrier();
}

/** Counts agent values into the workgroup's histograms of pass p (both ranks; pass 0: one). */
fn select_count(value: f32, p: u32) {
  let key = to_key(value);
  let d = digit(key, p);
  if (p == 0u) {
    atomicAdd(&lhist[d], 1u);
    return;
  }
  if (has_prefix(key, p, sel[0])) { atomicAdd(&lhist[d], 1u); }
  if (has_prefix(key, p, sel[1])) { atomicAdd(&lhist[BINS + d], 1u); }
}

fn select_clear(lid: u32) {
  for (var b = lid; b < 2u * BINS; b += WG) { atomicStore(&lhist[b], 0u); }
}

/** Adds the workgroup's histograms of pass p into the global ones (then clears them). */
fn select_flush(lid: u32, k: u32, p: u32, r: u32) {
  let nb = 1u << rbits(p);
  let ways = select(2u, 1u, p == 0u);
  for (var w = 0u; w < ways; w++) {
    for (var b = lid; b < nb; b += WG) {
      let c = atomicLoad(&lhist[w * BINS + b]);
      if (c > 0u) { atomicAdd(&hist[hidx(k, p, r, w, b)], c); }
      atomicStore(&lhist[w * BINS + b], 0u);
    }
  }
}

/** The quantile from the resolved keys: x_(lo), or x_(lo) + (x_(hi) − x_(lo))·frac in float32. */
fn select_value() -> f32 {
  let below = from_key(sel[0]);
  if (st.frac == 0.0) { return below; }
  let above = from_key(sel[1]);
  return below + (above - below) * st.frac;
}

/** Math.fround(c / d) for 0 ≤ c ≤ d < 2^24: long division with round-half-to-even. */
fn exact_div(c: u32, d: u32) -> f32 {
  if (c == 0u) { return 0.0; }
  if (c >= d) { return 1.0; }
  var rem = c;
  var e: i32 = 0;
  loop {
    rem = rem * 2u;
    e = e - 1;
    if (rem >= d) { break; }
  }
  rem = rem - d;
  var m = 1u;
  for (var i = 0; i < 23; i++) {
    rem = rem * 2u;
    m = m * 2u;
    if (rem >= d) { rem = rem - d; m = m + 1u; }
  }
  rem = rem * 2u;
  var guard = false;
  if (rem >= d) { rem = rem - d; guard = true; }
  if (guard && (rem != 0u || (m & 1u) == 1u)) { m = m + 1u; }
  if (m == (1u << 24u)) { m = 1u << 23u; e = e + 1; }
  return bitcast<f32>((u32(e + 127) << 23u) | (m & 0x7fffffu));
}
`;
}
