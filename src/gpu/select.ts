// The GPU's exact quantile on its own: the radix select of src/gpu/select.wgsl.ts (the same WGSL
// functions the solve's kernels use) over rows of values, for checks against a sort at any size
// (test/gpu.test.ts) and for measuring it (scripts/gpu/). One pass per digit, then one resolve.
import type { GpuContext } from './device.ts';
import { radixPasses, selectWgsl } from './select.wgsl.ts';

const MAX_WORKGROUPS = 1024;

function program(passes: number[], wg: number, g: number, agents: number): string {
  return /* wgsl */ `
struct Step { n: u32, pass_: u32, lo: u32, hi: u32, frac: f32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<storage, read_write> values: array<f32>;
@group(0) @binding(1) var<storage, read_write> hist: array<atomic<u32>>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(1) @binding(0) var<uniform> st: Step;
const WG: u32 = ${wg}u;
const G: u32 = ${g}u;
const S: u32 = ${agents}u;
fn hidx(k: u32, p: u32, r: u32, which: u32, b: u32) -> u32 { return ((p * st.n + r) * 2u + which) * BINS + b; }
fn sidx(k: u32, p: u32, r: u32, j: u32) -> u32 { return RADIX_PASSES * st.n * 2u * BINS + ((p - 1u) * st.n + r) * 4u + j; }
${selectWgsl(passes, wg)}

@compute @workgroup_size(${wg})
fn count_pass(@builtin(local_invocation_id) l3: vec3u, @builtin(workgroup_id) w3: vec3u) {
  let lid = l3.x;
  let p = st.pass_;
  for (var r = 0u; r < st.n; r++) {
    select_prefix(lid, w3.x, 0u, r, p);
    for (var i = w3.x * WG + lid; i < S; i += G * WG) { select_count(values[r * S + i], p); }
    workgroupBarrier();
    select_flush(lid, 0u, p, r);
    workgroupBarrier();
  }
}

@compute @workgroup_size(${wg})
fn resolve(@builtin(local_invocation_id) l3: vec3u, @builtin(workgroup_id) w3: vec3u) {
  select_load(l3.x, 0u, w3.x, RADIX_PASSES - 1u);
  select_step(l3.x, 0u, w3.x, RADIX_PASSES - 1u);
  if (l3.x == 0u) { out[w3.x] = select_value(); }
}
`;
}

/**
 * The q-quantile of each row of `values` [rows, agents] on the GPU (linear interpolation between
 * the order statistics ⌊q(n−1)⌋ and the next, in float32): exactly src/fused/select.ts's value.
 * `bits`: the radix digits (8: four passes; 11: three).
 */
export function gpuQuantiles(ctx: GpuContext, values: Float32Array, rows: number, q: number, bits: 8 | 11 = 8): Float32Array {
  const agents = values.length / rows;
  if (!Number.isInteger(agents) || agents < 1) throw new Error(`gpuQuantiles: ${values.length} values do not make ${rows} rows`);
  const limits = ctx.limits;
  // a power of two (the tree reductions halve it)
  const wg = 2 ** Math.floor(Math.log2(Math.min(256, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX)));
  const g = Math.max(1, Math.min(Math.ceil(agents / wg), MAX_WORKGROUPS));
  const passes = radixPasses(bits);
  const source = program(passes, wg, g, agents);
  const device = ctx.device;
  let compiled = ctx.programs.get(source) as { count: any; resolve: any } | undefined;
  if (!compiled) {
    const module = device.createShaderModule({ code: source, label: 'quantile' });
    compiled = {
      count: device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'count_pass' } }),
      resolve: device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'resolve' } }),
    };
    ctx.programs.set(source, compiled);
  }
  const bins = 1 << Math.max(...passes);
  const u = ctx.usage;
  const valuesBuffer = ctx.createBuffer(values.byteLength, 'quantile values');
  const histBuffer = ctx.createBuffer((passes.length * rows * 2 * bins + (passes.length - 1) * rows * 4) * 4, 'quantile histograms');
  const outBuffer = ctx.createBuffer(rows * 4, 'quantile out');
  const uniforms = ctx.createBuffer(256 * passes.length, 'quantile steps', u.UNIFORM | u.COPY_DST);
  try {
    ctx.write(valuesBuffer, 0, values);
    const r = q * (agents - 1);
    const lo = Math.floor(r);
    const records = new ArrayBuffer(256 * passes.length);
    for (let p = 0; p < passes.length; p++) {
      const u32 = new Uint32Array(records, 256 * p, 8);
      const f32 = new Float32Array(records, 256 * p, 8);
      u32.set([rows, p, lo, Math.min(lo + 1, agents - 1)]);
      f32[4] = Math.fround(r - lo);
    }
    ctx.write(uniforms, 0, new Uint32Array(records));
    const encoder = device.createCommandEncoder();
    encoder.clearBuffer(histBuffer);
    const pass = encoder.beginComputePass();
    const groups = (pipeline: any, p: number) => [
      device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [valuesBuffer, histBuffer, outBuffer]
          .map((buffer, binding) => ({ binding, resource: { buffer } }))
          .filter((e) => e.binding !== (pipeline === compiled!.count ? 2 : 0)),
      }),
      device.createBindGroup({ layout: pipeline.getBindGroupLayout(1), entries: [{ binding: 0, resource: { buffer: uniforms, offset: 256 * p, size: 32 } }] }),
    ];
    for (let p = 0; p < passes.length; p++) {
      const [g0, g1] = groups(compiled.count, p);
      pass.setPipeline(compiled.count);
      pass.setBindGroup(0, g0);
      pass.setBindGroup(1, g1);
      pass.dispatchWorkgroups(g);
    }
    const [g0, g1] = groups(compiled.resolve, 0);
    pass.setPipeline(compiled.resolve);
    pass.setBindGroup(0, g0);
    pass.setBindGroup(1, g1);
    pass.dispatchWorkgroups(rows);
    pass.end();
    ctx.counters.dispatches += passes.length + 1;
    const [bytes] = ctx.submitAndRead(encoder, [{ buffer: outBuffer, offset: 0, size: rows * 4 }]);
    return new Float32Array(bytes);
  } finally {
    for (const b of [valuesBuffer, histBuffer, outBuffer, uniforms]) b.destroy();
  }
}
