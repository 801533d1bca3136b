// The fused solve as WGSL compute shaders: the same explicit Runge–Kutta steps (src/fused/schemes.ts:
// Euler / Euler–Maruyama, Heun, RK4; each stage's input a slot of the state buffer, with its own
// statistic and network pass), network and hand-written reverse pass as src/fused/solve.ts, for games of one number per agent whose
// network reads the whole state (see src/gpu/kernels.ts). Every agent is one lane of a sweep
// (`G` workgroups of `WG` threads, each thread taking agents i, i + G·WG, …); what needs the whole
// population — the statistic, the network's first layer (a sum over agents) and its reverse (the
// same) — goes through per-workgroup partial results that the next dispatch combines.
//
// Forward, per solver step k (the statistic of step k, then drift + network + update):
//   advance(k−1)      y_k from y_{k−1}; then the first histogram pass (or the count) of y_k and the
//                     partial sums of y_k·W₀
//   radix(k, p=1..)   the further radix passes of the quantile; the first one also runs, in n extra
//                     workgroups, `finalize`: the network's hidden layers for y_k (tape)
//   finalize(k)       (fraction and mean statistics: no radix passes) the exact fraction, or the mean
//                     from the sweep workgroups' partial sums, and the hidden layers
// so a meeting step is 4 dispatches (8-bit digits) or 3 (11-bit), an El Farol step 2.
// Reverse (the discrete adjoint, as fusedReverse):
//   loss_seed         the loss (partial sums), its gradient as the adjoint's seed, and the output
//                     layer's reverse of the last step
//   reverse_mid(k)    the hidden layers' reverse (one workgroup): δ₀ of step k
//   reverse_step(k)   the first layer's reverse at step k and a_k = a_{k+1} + h·(∂b/∂y)ᵀa + (∂f/∂y)ᵀ…,
//                     then the output layer's reverse of step k − 1
// so 2 dispatches per step. With several stages (slot k = step·stages + stage), per stage from the last:
//   stage_seed(k)     K̄_s = b_s·a_{k+1} + w·Ȳ_{s+1}, and the output layer's reverse with it
//   reverse_mid(k)    as above
//   stage_back(k)     the first layer's reverse and Ȳ_s; at stage 0, a_k = a_{k+1} + Σ_s Ȳ_s
// Float32 throughout; sums run in another order than on the CPU.
import { selectWgsl } from './select.wgsl.ts';
import type { Activation } from '../nn/spec.ts';
import { f32 } from './kernels.ts';
import type { FusedScheme } from '../fused/schemes.ts';

/** The fields of the per-dispatch uniform record, in order (all 32-bit). */
export const STEP_FIELDS = [
  ['k', 'u32'],
  ['n', 'u32'],
  ['flags', 'u32'],
  ['pass_', 'u32'],
  ['lo', 'u32'],
  ['hi', 'u32'],
  ['kf', 'u32'],
  ['saves', 'u32'],
  ['dt', 'f32'],
  ['sigma', 'f32'],
  ['frac', 'f32'],
  ['wa', 'f32'],
  ['wb', 'f32'],
  ['noise_step', 'u32'],
  ['noise_tr', 'u32'],
  ['noise_per', 'u32'],
  ['step_base', 'u32'],
  ['step_stride', 'u32'],
  ['obs_base', 'u32'],
  ['off_part', 'u32'],
  ['off_back', 'u32'],
  ['off_tape', 'u32'],
  ['off_stats', 'u32'],
  ['off_delta', 'u32'],
  ['off_loss', 'u32'],
  ['off_saves', 'u32'],
  ['stride', 'u32'],
  ['off_adj', 'u32'],
  ['off_seed2', 'u32'],
  ['off_out', 'u32'],
  ['hist_slot', 'u32'],
  ['interp', 'u32'],
  ['off_msum', 'u32'],
  ['step', 'u32'],
  ['stage', 'u32'],
  ['off_k', 'u32'],
  ['off_kbar', 'u32'],
  ['off_ybar', 'u32'],
  ['off_acc', 'u32'],
] as const;
export type StepField = (typeof STEP_FIELDS)[number][0];
/** bytes between two records (the uniform binding offset alignment) */
export const STEP_RECORD_BYTES = 256;

export const FLAG = {
  /** advance: compute y_{k+1} from y_k */
  update: 1,
  /** advance: visit the state it leaves for the next step's statistic and first layer */
  next: 2,
  /** the network term is on */
  network: 4,
  /** loss_seed / reverse_step: run the reverse pass (the output layer of step k − 1) */
  grad: 8,
  /** reverse_step: add the second seed (interpolated final save) after a_k */
  seed2: 16,
  /** loss_seed: observe the saved state (off: lossOfStates, whose states are observed already) */
  observe: 32,
  /** a Brownian path drives the solve */
  noise: 64,
  /** radix(pass 1) / finalize: clear the histogram slot of step k + 1 */
  zeroNext: 128,
} as const;

export interface SolveProgramSpec {
  agents: number;
  width: number;
  /** affine maps: depth + 1 */
  layers: number;
  activation: Activation;
  outputActivation: Activation;
  statistic: 'quantile' | 'fraction' | 'mean';
  radix: number[];
  wg: number;
  /** sweep workgroups */
  g: number;
  gameWgsl: string;
  driftVjp: boolean;
  /** the solver's scheme (src/fused/schemes.ts): Euler's one stage, or Heun's two, RK4's four */
  scheme: FusedScheme;
}

/** The scheme as WGSL: stage inputs, the step's combination and the reverse pass's weights (as src/fused/schemes.ts). */
function schemeWgsl(scheme: FusedScheme): string {
  const S = scheme.b.length;
  const cases = (f: (s: number) => string) => Array.from({ length: S }, (_, s) => `    case ${s}u: { ${f(s)} }`).join('\n');
  const input = (s: number) => {
    const i = scheme.inputs[s];
    if (!i) return 'return y0;';
    return i.weight === 1 ? `return y0 + kval(${i.from}u, r, i);` : `return y0 + kval(${i.from}u, r, i) * ${f32(i.weight)};`;
  };
  // the weight with which the next stage reads K_s (0: none)
  const readBy = (s: number) => scheme.inputs.findIndex((x, r) => r > s && x?.from === s);
  const combine: Record<string, string> = {
    euler: 'return y0 + last;',
    'euler-maruyama': 'return y0 + last;',
    heun: 'return y0 + (kval(0u, r, i) + last) * 0.5;',
    rk4: 'return y0 + (((kval(0u, r, i) + kval(1u, r, i) * 2.0) + kval(2u, r, i) * 2.0) + last) / 6.0;',
  };
  return `
const STAGES: u32 = ${S}u;
/** K_j of the current step, agent i of trajectory r */
fn kval(j: u32, r: u32, i: u32) -> f32 { return ys[st.off_k + j * st.stride + r * S + i]; }
/** the input of stage s from the step's state y0 */
fn stage_input(s: u32, y0: f32, r: u32, i: u32) -> f32 {
  switch s {
${cases(input)}
    default: { return y0; }
  }
}
/** y_{k+1} from y_k and the step's contributions (the last one, not yet stored, is \`last\`) */
fn combine(y0: f32, last: f32, r: u32, i: u32) -> f32 { ${combine[scheme.name]} }
/** b_s, and the weight with which the next stage reads K_s */
fn stage_b(s: u32) -> f32 {
  switch s {
${cases((s) => `return ${f32(scheme.b[s])};`)}
    default: { return 0.0; }
  }
}
fn read_weight(s: u32) -> f32 {
  switch s {
${cases((s) => `return ${readBy(s) < 0 ? '0.0' : f32(scheme.inputs[readBy(s)]!.weight)};`)}
    default: { return 0.0; }
  }
}
`;
}

const SOFTPLUS_THRESHOLD = Math.log(1.1920928955078125e-7) + 2;

/** act(z) and act'(z) as TF.js's kernels and src/fused/mlp.ts define them, in float32. */
export function activationWgsl(name: string, a: Activation): string {
  const body: Record<Activation, string> = {
    identity: 'return vec2f(z, 1.0);',
    relu: 'return vec2f(select(0.0, z, z > 0.0), select(0.0, 1.0, z > 0.0));',
    'leaky-relu': `return vec2f(select(z, ${f32(0.01)} * z, z < 0.0), select(${f32(0.01)}, 1.0, z > 0.0));`,
    tanh: 'let t = tanh(z); return vec2f(t, 1.0 - t * t);',
    sigmoid: 'let s = 1.0 / (1.0 + exp(-z)); return vec2f(s, s * (1.0 - s));',
    softplus: `
  // e^{−|z|} never overflows; log(1 + e) for small e by its series (float32 has no log1p)
  let e = exp(-abs(z));
  var l = log(1.0 + e);
  if (e < 1e-4) { l = e * (1.0 - 0.5 * e); }
  var v = select(l, z + l, z > 0.0);
  if (z < ${f32(SOFTPLUS_THRESHOLD)}) { v = exp(z); }
  if (z > ${f32(-SOFTPLUS_THRESHOLD)}) { v = z; }
  return vec2f(v, select(e / (1.0 + e), 1.0 / (1.0 + e), z >= 0.0));`,
  };
  return `fn ${name}(z: f32) -> vec2f {\n  ${body[a]}\n}\n`;
}

export function solveProgram(spec: SolveProgramSpec): string {
  const { agents: S, width: W, layers: L, wg: WG, g: G } = spec;
  const RCH = Math.min(W, 4);
  const hiddenMaps = L - 2; // the W×W maps between the first and the last
  const struct = STEP_FIELDS.map(([name, type]) => `  ${name}: ${type},`).join('\n');
  const quantile = spec.statistic === 'quantile';
  const mean = spec.statistic === 'mean';
  return /* wgsl */ `
const AGENTS: u32 = ${S}u;
const S: u32 = ${S}u;
const W: u32 = ${W}u;
const L: u32 = ${L}u;
const WG: u32 = ${WG}u;
const G: u32 = ${G}u;
const RCH: u32 = ${RCH}u;
// the flat parameter layout (src/nn/mlp.ts): per affine map W row-major [fanIn, fanOut], then b
const W0: u32 = 0u;
const B0: u32 = ${S * W}u;
const MID: u32 = ${S * W + W}u;
const WL: u32 = ${S * W + W + hiddenMaps * (W * W + W)}u;
const BL: u32 = ${S * W + W + hiddenMaps * (W * W + W) + W * S}u;
const OUT_SLOPE: bool = ${spec.outputActivation !== 'identity'};
const HAS_VJP: bool = ${spec.driftVjp};

const F_UPDATE: u32 = ${FLAG.update}u;
const F_NEXT: u32 = ${FLAG.next}u;
const F_NETWORK: u32 = ${FLAG.network}u;
const F_GRAD: u32 = ${FLAG.grad}u;
const F_SEED2: u32 = ${FLAG.seed2}u;
const F_OBSERVE: u32 = ${FLAG.observe}u;
const F_NOISE: u32 = ${FLAG.noise}u;
const F_ZERO_NEXT: u32 = ${FLAG.zeroNext}u;

struct Step {
${struct}
}

@group(0) @binding(0) var<storage, read_write> params: array<f32>;
@group(0) @binding(1) var<storage, read_write> grads: array<f32>;
@group(0) @binding(2) var<storage, read_write> ys: array<f32>;
@group(0) @binding(3) var<storage, read_write> work: array<f32>;
@group(0) @binding(4) var<storage, read_write> hist: array<atomic<u32>>;
@group(0) @binding(5) var<storage, read_write> noise: array<f32>;
@group(0) @binding(6) var<storage, read_write> data: array<f32>;
@group(0) @binding(7) var<storage, read_write> oslope: array<f32>;
@group(1) @binding(0) var<uniform> st: Step;

fn has(f: u32) -> bool { return (st.flags & f) != 0u; }

fn game_const(j: u32) -> f32 { return data[j]; }
fn game_step(k: u32, j: u32) -> f32 { return data[st.step_base + k * st.step_stride + j]; }
fn game_obs(j: u32) -> f32 { return data[st.obs_base + j]; }

// histograms of step k live in slot k % 2: [pass][trajectory][rank][bin] (quantile) or [trajectory] (fraction)
fn hidx(k: u32, p: u32, r: u32, which: u32, b: u32) -> u32 {
  return (k % 2u) * st.hist_slot + ((p * st.n + r) * 2u + which) * BINS + b;
}
fn count_idx(k: u32, r: u32) -> u32 { return (k % 2u) * st.hist_slot + r; }
// the radix selection after the passes before p (p ≥ 1), after the histograms of the slot
fn sidx(k: u32, p: u32, r: u32, j: u32) -> u32 {
  return (k % 2u) * st.hist_slot + RADIX_PASSES * st.n * 2u * BINS + ((p - 1u) * st.n + r) * 4u + j;
}

// the tape of step k, trajectory r: hidden layer l's output (which 0) and slope (which 1)
fn tape_idx(k: u32, r: u32, l: u32, which: u32, j: u32) -> u32 {
  return st.off_tape + ((k * st.n + r) * (L - 1u) * 2u + l * 2u + which) * W + j;
}
fn state_idx(k: u32, r: u32, i: u32) -> u32 { return k * st.stride + r * S + i; }
fn mid_w(l: u32) -> u32 { return MID + (l - 1u) * (W * W + W); }
fn mid_b(l: u32) -> u32 { return mid_w(l) + W * W; }

${schemeWgsl(spec.scheme)}
${activationWgsl('act_hidden', spec.activation)}
${activationWgsl('act_out', spec.outputActivation)}
${selectWgsl(spec.radix, WG)}

var<workgroup> lcount: atomic<u32>;
// the mean statistic: this thread's sum of population_value over its agents
var<private> psum: f32;
var<workgroup> red: array<f32, ${WG * RCH}>;
var<workgroup> hid: array<f32, ${W}>;
var<workgroup> hid2: array<f32, ${W}>;

// ---- the game (src/gpu/kernels.ts) ----
${spec.gameWgsl}
// ---- end of the game ----

/** Sums vals over the workgroup's threads into work[base + j], j < W. Uniform control flow. */
fn reduce_store(lid: u32, vals: ptr<function, array<f32, ${W}>>, base: u32) {
  for (var j0 = 0u; j0 < W; j0 += RCH) {
    for (var c = 0u; c < RCH; c++) {
      if (j0 + c < W) { red[c * WG + lid] = (*vals)[j0 + c]; }
    }
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
      if (lid < s) {
        for (var c = 0u; c < RCH; c++) { red[c * WG + lid] += red[c * WG + lid + s]; }
      }
      workgroupBarrier();
    }
    if (lid < RCH && j0 + lid < W) { work[base + j0 + lid] = red[lid * WG]; }
    workgroupBarrier();
  }
}

/** Sums one value over the workgroup's threads; the result is in red[0]. */
fn reduce_one(lid: u32, v: f32) {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
}

/** Σ over the G sweep workgroups of work[base + (g·n + r)·W + j] into hid[j] (every thread helps). */
fn gather_partials(lid: u32, base: u32, r: u32) {
  let parts = WG / W;
  let j = lid % W;
  let part = lid / W;
  var s = 0.0;
  if (part < parts) {
    for (var g = part; g < G; g += parts) { s += work[base + (g * st.n + r) * W + j]; }
  }
  red[lid] = s;
  workgroupBarrier();
  if (lid < W) {
    var t = 0.0;
    for (var q = 0u; q < parts; q++) { t += red[q * W + lid]; }
    hid[lid] = t;
  }
  workgroupBarrier();
}

/** The statistic of trajectory r at step k, every thread of the workgroup (quantile: resolved here). */
fn statistic_of(lid: u32, k: u32, r: u32) -> f32 {
${quantile
    ? `  select_load(lid, k, r, RADIX_PASSES - 1u);
  select_step(lid, k, r, RADIX_PASSES - 1u);
  let v = select_value();
  workgroupBarrier();
  return v;`
    : `  return work[st.off_stats + k * st.n + r];`}
}

/** The statistic's first pass (or count) of agent i of trajectory r at step k, in workgroup memory. */
fn visit_first(k: u32, r: u32, i: u32, y: f32) {
  let v = population_value(k, r, i, y);
${quantile ? '  select_count(v, 0u);' : mean ? '  psum += v;' : '  if (v > 0.0) { atomicAdd(&lcount, 1u); }'}
}

fn flush_first(lid: u32, g: u32, k: u32, r: u32) {
${quantile
    ? '  select_flush(lid, k, 0u, r);'
    : mean
      ? `  // the workgroup's partial sum (finalize adds the G partials)
  reduce_one(lid, psum);
  if (lid == 0u) { work[st.off_msum + g * st.n + r] = red[0]; }
  psum = 0.0;
  workgroupBarrier();`
      : `  if (lid == 0u) {
    let c = atomicLoad(&lcount);
    if (c > 0u) { atomicAdd(&hist[count_idx(k, r)], c); }
    atomicStore(&lcount, 0u);
  }`}
}

fn clear_first(lid: u32) {
${quantile ? '  select_clear(lid);' : mean ? '  psum = 0.0;' : '  if (lid == 0u) { atomicStore(&lcount, 0u); }'}
}

/** The network's hidden layers for trajectory r at step k, from the first layer's partial sums (one workgroup). */
fn finalize_row(lid: u32, k: u32, r: u32) {
${quantile
    ? ''
    : mean
      ? `  if (lid == 0u) {
    var s = 0.0;
    for (var g = 0u; g < G; g++) { s += work[st.off_msum + g * st.n + r]; }
    work[st.off_stats + k * st.n + r] = s / f32(AGENTS);
  }`
      : `  if (lid == 0u) { work[st.off_stats + k * st.n + r] = exact_div(atomicLoad(&hist[count_idx(k, r)]), AGENTS); }`}
  if (!has(F_NETWORK)) { return; }
  gather_partials(lid, st.off_part, r);
  if (lid < W) {
    let a = act_hidden(hid[lid] + params[B0 + lid]);
    hid[lid] = a.x;
    work[tape_idx(k, r, 0u, 0u, lid)] = a.x;
    work[tape_idx(k, r, 0u, 1u, lid)] = a.y;
  }
  workgroupBarrier();
  for (var l = 1u; l + 1u < L; l++) {
    if (lid < W) {
      var z = 0.0;
      for (var p = 0u; p < W; p++) { z += hid[p] * params[mid_w(l) + p * W + lid]; }
      let a = act_hidden(z + params[mid_b(l) + lid]);
      hid2[lid] = a.x;
      work[tape_idx(k, r, l, 0u, lid)] = a.x;
      work[tape_idx(k, r, l, 1u, lid)] = a.y;
    }
    workgroupBarrier();
    if (lid < W) { hid[lid] = hid2[lid]; }
    workgroupBarrier();
  }
}

fn zero_slot(flat: u32, count: u32, k: u32) {
  for (var j = flat; j < st.hist_slot; j += count) { atomicStore(&hist[((k + 1u) % 2u) * st.hist_slot + j], 0u); }
}

/**
 * y_{k+1} = y_k + (b·h + f·h + σ·ΔW) for every agent (with F_UPDATE), then (F_NEXT) the
 * statistic's first pass and the first layer's partial sums of the state it leaves.
 */
@compute @workgroup_size(${WG})
fn advance(@builtin(local_invocation_id) l3: vec3u, @builtin(workgroup_id) w3: vec3u) {
  let lid = l3.x;
  let g = w3.x;
  // k: the slot of the stage input (step·STAGES + stage); the step draws its noise and game data
  let k = st.k;
  let stp = st.step;
  let update = has(F_UPDATE);
  let next = has(F_NEXT);
  let net = has(F_NETWORK);
  let kn = select(k, k + 1u, update);
  for (var r = 0u; r < st.n; r++) {
    var stat = 0.0;
    if (update) {
      stat = statistic_of(lid, k, r);
      if (g == 0u && lid == 0u) { work[st.off_stats + k * st.n + r] = stat; }
    }
    var h: array<f32, ${W}>;
    if (update && net) {
      for (var j = 0u; j < W; j++) { h[j] = work[tape_idx(k, r, L - 2u, 0u, j)]; }
    }
    var acc: array<f32, ${W}>;
    for (var i = g * WG + lid; i < S; i += G * WG) {
      var y = ys[state_idx(k, r, i)];
      if (update) {
        var step = drift(stp, r, i, y, stat) * st.dt;
        if (net) {
          var z = 0.0;
          for (var j = 0u; j < W; j++) { z += h[j] * params[WL + j * S + i]; }
          let a = act_out(z + params[BL + i]);
          if (OUT_SLOPE) { oslope[state_idx(k, r, i)] = a.y; }
          step = step + a.x * st.dt;
        }
        if (has(F_NOISE)) {
          step = step + st.sigma * noise[stp * st.noise_step + r * st.noise_tr + i * st.noise_per];
        }
        if (STAGES == 1u) {
          y = y + step;
        } else {
          // the stage's contribution K_s, then the next stage's input or the step's end
          let y0 = ys[state_idx(k - st.stage, r, i)];
          if (st.stage + 1u < STAGES) {
            ys[st.off_k + st.stage * st.stride + r * S + i] = step;
            y = stage_input(st.stage + 1u, y0, r, i);
          } else {
            y = combine(y0, step, r, i);
          }
        }
        ys[state_idx(k + 1u, r, i)] = y;
      }
      if (next) {
        visit_first(kn, r, i, y);
        if (net) {
          for (var j = 0u; j < W; j++) { acc[j] += y * params[W0 + i * W + j]; }
        }
      }
    }
    if (next) {
      workgroupBarrier();
      flush_first(lid, g, kn, r);
      if (net) { reduce_store(lid, &acc, st.off_part + (g * st.n + r) * W); }
      workgroupBarrier();
    }
  }
}

/**
 * Radix pass st.pass_ ≥ 1 of step k's quantile (workgroups < G); with F_ZERO_NEXT also the hidden
 * layers (workgroups G … G + n − 1) and the clearing of step k + 1's histograms.
 */
@compute @workgroup_size(${WG})
fn radix(@builtin(local_invocation_id) l3: vec3u, @builtin(workgroup_id) w3: vec3u) {
  let lid = l3.x;
  let g = w3.x;
  let k = st.k;
  if (g >= G) {
    finalize_row(lid, k, g - G);
    return;
  }
  if (has(F_ZERO_NEXT)) { zero_slot(g * WG + lid, G * WG, k); }
  let p = st.pass_;
  for (var r = 0u; r < st.n; r++) {
    select_prefix(lid, g, k, r, p);
    for (var i = g * WG + lid; i < S; i += G * WG) {
      select_count(population_value(k, r, i, ys[state_idx(k, r, i)]), p);
    }
    workgroupBarrier();
    select_flush(lid, k, p, r);
    workgroupBarrier();
  }
}

/** The fraction statistic and the hidden layers of step k, one workgroup per trajectory. */
@compute @workgroup_size(${WG})
fn finalize(@builtin(local_invocation_id) l3: vec3u, @builtin(workgroup_id) w3: vec3u) {
  let lid = l3.x;
  let r = w3.x;
  finalize_row(lid, st.k, r);
  if (has(F_ZERO_NEXT) && lid == 0u) { atomicStore(&hist[((st.k + 1u) % 2u) * st.hist_slot + r], 0u); }
}

/** The output layer's reverse for agent i of trajectory r at step k: a → grads, and its share of ∂L/∂h. */
fn output_reverse(k: u32, r: u32, i: u32, a: f32, h: ptr<function, array<f32, ${W}>>, back: ptr<function, array<f32, ${W}>>) {
  var cur = a * st.dt;
  if (OUT_SLOPE) { cur = cur * oslope[state_idx(k, r, i)]; }
  grads[BL + i] += cur;
  for (var j = 0u; j < W; j++) {
    grads[WL + j * S + i] += (*h)[j] * cur;
    (*back)[j] += cur * params[WL + j * S + i];
  }
}

/** The saved state at step kf (or between kf and kf + 1), unobserved. */
fn saved(kf: u32, interp: bool, wa: f32, wb: f32, r: u32, i: u32) -> f32 {
  let a = ys[state_idx(kf * STAGES, r, i)];
  if (!interp) { return a; }
  return a * wa + ys[state_idx((kf + 1u) * STAGES, r, i)] * wb;
}

/**
 * The loss of the final save (partial sums per workgroup), and with F_GRAD its gradient as the
 * adjoint's seed and the output layer's reverse of the last step (st.k = steps − 1).
 */
@compute @workgroup_size(${WG})
fn loss_seed(@builtin(local_invocation_id) l3: vec3u, @builtin(workgroup_id) w3: vec3u) {
  let lid = l3.x;
  let g = w3.x;
  let grad = has(F_GRAD);
  let net = has(F_NETWORK);
  let interp = st.interp != 0u;
  var lsum = 0.0;
  for (var r = 0u; r < st.n; r++) {
    var h: array<f32, ${W}>;
    var back: array<f32, ${W}>;
    if (grad && net) {
      for (var j = 0u; j < W; j++) { h[j] = work[tape_idx(st.k, r, L - 2u, 0u, j)]; }
    }
    for (var i = g * WG + lid; i < S; i += G * WG) {
      let raw = saved(st.kf, interp, st.wa, st.wb, r, i);
      var pred = raw;
      if (has(F_OBSERVE)) { pred = observe(raw); }
      lsum += loss_term(i, pred);
      if (grad) {
        var gr = loss_grad(i, pred);
        if (has(F_OBSERVE)) { gr = observe_vjp(raw, gr); }
        var a = gr;
        if (interp) {
          a = gr * st.wb;
          ys[st.off_seed2 + r * S + i] = gr * st.wa;
        }
        ys[st.off_adj + r * S + i] = a;
        if (net) { output_reverse(st.k, r, i, a, &h, &back); }
      }
    }
    if (grad && net) { reduce_store(lid, &back, st.off_back + (g * st.n + r) * W); }
  }
  reduce_one(lid, lsum);
  if (lid == 0u) { work[st.off_loss + g] = red[0]; }
}

/** The hidden layers' reverse at step k, every trajectory in turn (one workgroup): δ₀ per trajectory. */
@compute @workgroup_size(${WG})
fn reverse_mid(@builtin(local_invocation_id) l3: vec3u) {
  let lid = l3.x;
  let k = st.k;
  for (var r = 0u; r < st.n; r++) {
    gather_partials(lid, st.off_back, r);
    if (lid < W) { hid[lid] = hid[lid] * work[tape_idx(k, r, L - 2u, 1u, lid)]; }
    workgroupBarrier();
    for (var l = L - 2u; l >= 1u; l--) {
      // map l: input = hidden output l − 1, weights W×W
      for (var e = lid; e < W * W; e += WG) {
        let p = e / W;
        let j = e % W;
        grads[mid_w(l) + e] += work[tape_idx(k, r, l - 1u, 0u, p)] * hid[j];
      }
      if (lid < W) {
        grads[mid_b(l) + lid] += hid[lid];
        var s = 0.0;
        for (var j = 0u; j < W; j++) { s += hid[j] * params[mid_w(l) + lid * W + j]; }
        hid2[lid] = s * work[tape_idx(k, r, l - 1u, 1u, lid)];
      }
      workgroupBarrier();
      if (lid < W) { hid[lid] = hid2[lid]; }
      workgroupBarrier();
    }
    if (lid < W) {
      grads[B0 + lid] += hid[lid];
      work[st.off_delta + r * W + lid] = hid[lid];
    }
    workgroupBarrier();
  }
}

/**
 * The first layer's reverse at step k and the adjoint a_k (plus a seed at k, F_SEED2); then (F_GRAD,
 * k ≥ 1) the output layer's reverse of step k − 1 with a_k.
 */
@compute @workgroup_size(${WG})
fn reverse_step(@builtin(local_invocation_id) l3: vec3u, @builtin(workgroup_id) w3: vec3u) {
  let lid = l3.x;
  let g = w3.x;
  let k = st.k;
  let net = has(F_NETWORK);
  let prev = has(F_GRAD);
  for (var r = 0u; r < st.n; r++) {
    var d0: array<f32, ${W}>;
    var h: array<f32, ${W}>;
    var back: array<f32, ${W}>;
    for (var j = 0u; j < W; j++) { d0[j] = work[st.off_delta + r * W + j]; }
    if (prev) {
      for (var j = 0u; j < W; j++) { h[j] = work[tape_idx(k - 1u, r, L - 2u, 0u, j)]; }
    }
    var stat = 0.0;
    if (HAS_VJP) { stat = work[st.off_stats + k * st.n + r]; }
    for (var i = g * WG + lid; i < S; i += G * WG) {
      let y = ys[state_idx(k, r, i)];
      var a = ys[st.off_adj + r * S + i];
      var gin = 0.0;
      if (net) {
        for (var j = 0u; j < W; j++) {
          grads[W0 + i * W + j] += y * d0[j];
          gin += params[W0 + i * W + j] * d0[j];
        }
      }
      var extra = 0.0;
      if (HAS_VJP) { extra = st.dt * drift_vjp(st.step, r, i, y, stat, a); }
      a = a + (extra + gin);
      if (has(F_SEED2)) { a = a + ys[st.off_seed2 + r * S + i]; }
      ys[st.off_adj + r * S + i] = a;
      if (prev) { output_reverse(k - 1u, r, i, a, &h, &back); }
    }
    if (prev) { reduce_store(lid, &back, st.off_back + (g * st.n + r) * W); }
  }
}

/**
 * (Schemes of several stages) stage s of step st.step, slot k: K̄_s = b_s·a_{k+1} + w·Ȳ_{s+1} (w: the
 * weight with which stage s + 1 reads K_s), then the output layer's reverse with it.
 */
@compute @workgroup_size(${WG})
fn stage_seed(@builtin(local_invocation_id) l3: vec3u, @builtin(workgroup_id) w3: vec3u) {
  let lid = l3.x;
  let g = w3.x;
  let k = st.k;
  let net = has(F_NETWORK);
  let b = stage_b(st.stage);
  let w = read_weight(st.stage);
  for (var r = 0u; r < st.n; r++) {
    var h: array<f32, ${W}>;
    var back: array<f32, ${W}>;
    if (net) {
      for (var j = 0u; j < W; j++) { h[j] = work[tape_idx(k, r, L - 2u, 0u, j)]; }
    }
    for (var i = g * WG + lid; i < S; i += G * WG) {
      var kb = b * ys[st.off_adj + r * S + i];
      if (w != 0.0) { kb = kb + w * ys[st.off_ybar + r * S + i]; }
      ys[st.off_kbar + r * S + i] = kb;
      if (net) { output_reverse(k, r, i, kb, &h, &back); }
    }
    if (net) { reduce_store(lid, &back, st.off_back + (g * st.n + r) * W); }
  }
}

/**
 * (Schemes of several stages) the first layer's reverse at slot k and Ȳ_s = h·(∂b/∂y)ᵀK̄_s + (∂f/∂y)ᵀK̄_s,
 * summed over the step's stages; at stage 0, a_k = a_{k+1} + Σ_s Ȳ_s (plus a seed at k, F_SEED2).
 */
@compute @workgroup_size(${WG})
fn stage_back(@builtin(local_invocation_id) l3: vec3u, @builtin(workgroup_id) w3: vec3u) {
  let lid = l3.x;
  let g = w3.x;
  let k = st.k;
  let net = has(F_NETWORK);
  for (var r = 0u; r < st.n; r++) {
    var d0: array<f32, ${W}>;
    for (var j = 0u; j < W; j++) { d0[j] = work[st.off_delta + r * W + j]; }
    var stat = 0.0;
    if (HAS_VJP) { stat = work[st.off_stats + k * st.n + r]; }
    for (var i = g * WG + lid; i < S; i += G * WG) {
      let y = ys[state_idx(k, r, i)];
      let kb = ys[st.off_kbar + r * S + i];
      var gin = 0.0;
      if (net) {
        for (var j = 0u; j < W; j++) {
          grads[W0 + i * W + j] += y * d0[j];
          gin += params[W0 + i * W + j] * d0[j];
        }
      }
      var extra = 0.0;
      if (HAS_VJP) { extra = st.dt * drift_vjp(st.step, r, i, y, stat, kb); }
      let yb = extra + gin;
      ys[st.off_ybar + r * S + i] = yb;
      var acc = yb;
      if (st.stage + 1u < STAGES) { acc = acc + ys[st.off_acc + r * S + i]; }
      if (st.stage == 0u) {
        var a = ys[st.off_adj + r * S + i] + acc;
        if (has(F_SEED2)) { a = a + ys[st.off_seed2 + r * S + i]; }
        ys[st.off_adj + r * S + i] = a;
      } else {
        ys[st.off_acc + r * S + i] = acc;
      }
    }
  }
}

/** The observed states at the save positions (work[off_saves …]: k, interpolated?, wa, wb) into out. */
@compute @workgroup_size(${WG})
fn gather(@builtin(global_invocation_id) gid: vec3u) {
  for (var i = gid.x; i < S; i += G * WG) {
    for (var s = 0u; s < st.saves; s++) {
      let base = st.off_saves + 4u * s;
      let kf = u32(work[base]);
      let interp = work[base + 1u] != 0.0;
      for (var r = 0u; r < st.n; r++) {
        ys[st.off_out + (s * st.n + r) * S + i] = observe(saved(kf, interp, work[base + 2u], work[base + 3u], r, i));
      }
    }
  }
}
`;
}

/** The optimiser over the flat parameter vector (AdaBelief or Adam, as src/train/optimizers.ts), one dispatch. */
export function optimizerProgram(wg: number): string {
  return /* wgsl */ `
struct Opt {
  size: u32,
  belief: u32,
  b1: f32,
  b2: f32,
  c1: f32,
  c2: f32,
  lr: f32,
  eps: f32,
  eps_root: f32,
  bias1: f32,
  bias2: f32,
}
@group(0) @binding(0) var<storage, read_write> params: array<f32>;
@group(0) @binding(1) var<storage, read_write> grads: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<storage, read_write> status: array<atomic<u32>>;
@group(1) @binding(0) var<uniform> o: Opt;

fn finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }

@compute @workgroup_size(${wg})
fn step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nw: vec3u) {
  for (var i = gid.x; i < o.size; i += nw.x * ${wg}u) {
    let g = grads[i];
    let mi = m[i] * o.b1 + g * o.c1;
    var centred = g;
    if (o.belief != 0u) { centred = g - mi; }
    var vi = v[i] * o.b2 + (centred * centred) * o.c2;
    if (o.belief != 0u) { vi = vi + o.eps_root; }
    let mhat = mi / o.bias1;
    let vhat = vi / o.bias2;
    let p = params[i] - o.lr * (mhat / (sqrt(vhat) + o.eps));
    params[i] = p;
    m[i] = mi;
    v[i] = vi;
    if (!finite(p)) { atomicOr(&status[0], 1u); }
  }
}
`;
}
