// The GPU the fused GPU engine runs on: one Dawn device for the process, started once with
// `startGpu()` (asynchronous: finding an adapter and a device is), after which every engine call is
// synchronous. It counts what crosses between host and GPU (dispatches, submissions, host reads and
// uploads), which the tests and the benchmark report, and it refuses software rendering (Mesa's
// llvmpipe/lavapipe, SwiftShader) unless asked: a run on it is a correctness check, never a
// GPU measurement.
import { adapterName, describeAdapter, findAdapter, loadDawn, probeAdapter, runDawnUntil, type AdapterReport, type ProbedAdapter } from './dawn.ts';

/** What crossed between host and GPU since the counters were last reset. */
export interface GpuCounters {
  /** compute dispatches (kernels) */
  dispatches: number;
  /** queue submissions */
  submits: number;
  /** synchronous reads of GPU memory by the host (each waits for the GPU) */
  reads: number;
  readBytes: number;
  /** uploads (queue.writeBuffer) */
  writes: number;
  writeBytes: number;
}

export class SoftwareRenderingError extends Error {
  override name = 'SoftwareRenderingError';
}
export class GpuNotStartedError extends Error {
  override name = 'GpuNotStartedError';
}

/** The limits the engine asks the device for: the adapter's own (WebGPU's defaults are lower). */
const WANTED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
] as const;

export class GpuContext {
  readonly counters: GpuCounters = { dispatches: 0, submits: 0, reads: 0, readBytes: 0, writes: 0, writeBytes: 0 };
  /** validation and out-of-memory errors Dawn reported; checked after every read */
  private readonly errors: string[] = [];
  private lostReason: string | null = null;
  /** shader programs by source, shared by every engine of the process */
  readonly programs = new Map<string, unknown>();
  private staging: any = null;

  constructor(
    readonly device: any,
    readonly adapter: AdapterReport,
    /** GPUBufferUsage, GPUMapMode, GPUShaderStage … of the webgpu package */
    readonly globals: Record<string, any>,
  ) {
    device.onuncapturederror = (event: any) => {
      this.errors.push(String(event?.error?.message ?? event));
    };
    device.lost?.then?.((info: any) => {
      this.lostReason = String(info?.message ?? info?.reason ?? 'unknown');
    });
  }

  get usage(): Record<string, number> {
    return this.globals.GPUBufferUsage;
  }

  get limits(): Record<string, number> {
    return this.device.limits;
  }

  resetCounters(): void {
    for (const key of Object.keys(this.counters) as (keyof GpuCounters)[]) this.counters[key] = 0;
  }

  createBuffer(size: number, label: string, usage?: number): any {
    const u = this.usage;
    const bytes = Math.max(16, Math.ceil(size / 16) * 16);
    if (bytes > this.limits.maxBufferSize) {
      throw new Error(`the GPU engine needs ${label} of ${bytes} bytes; this adapter allows buffers of at most ${this.limits.maxBufferSize}`);
    }
    return this.device.createBuffer({ size: bytes, usage: usage ?? u.STORAGE | u.COPY_DST | u.COPY_SRC, label });
  }

  /** Uploads `data` into `buffer` at byte `offset` (a whole number of 4-byte words). */
  write(buffer: any, offset: number, data: Float32Array | Uint32Array | Int32Array): void {
    if (data.byteLength === 0) return;
    this.device.queue.writeBuffer(buffer, offset, data.buffer, data.byteOffset, data.byteLength);
    this.counters.writes += 1;
    this.counters.writeBytes += data.byteLength;
  }

  /**
   * Submits `encoder`'s commands after copying `regions` (buffer, byte offset, bytes) one after
   * another into a staging buffer, waits for the GPU and returns their bytes: one host read,
   * however many regions.
   */
  submitAndRead(encoder: any, regions: { buffer: any; offset: number; size: number }[]): ArrayBuffer[] {
    const total = regions.reduce((s, r) => s + Math.ceil(r.size / 4) * 4, 0);
    if (total > 0) {
      if (!this.staging || this.staging.size < total) {
        this.staging?.destroy();
        this.staging = this.device.createBuffer({
          size: Math.max(256, Math.ceil(total / 256) * 256),
          usage: this.usage.MAP_READ | this.usage.COPY_DST,
          label: 'staging',
        });
      }
      let at = 0;
      for (const r of regions) {
        encoder.copyBufferToBuffer(r.buffer, r.offset, this.staging, at, Math.ceil(r.size / 4) * 4);
        at += Math.ceil(r.size / 4) * 4;
      }
    }
    this.submit(encoder);
    if (total === 0) return [];
    let failure: unknown = null;
    const staging = this.staging;
    staging.mapAsync(this.globals.GPUMapMode.READ, 0, total).catch((err: unknown) => (failure = err));
    runDawnUntil(() => staging.mapState === 'mapped' || failure !== null || this.lostReason !== null, 600_000);
    this.check();
    if (failure !== null) throw failure;
    const bytes: ArrayBuffer = staging.getMappedRange(0, total).slice(0);
    staging.unmap();
    this.counters.reads += 1;
    this.counters.readBytes += total;
    const out: ArrayBuffer[] = [];
    let at = 0;
    for (const r of regions) {
      out.push(bytes.slice(at, at + r.size));
      at += Math.ceil(r.size / 4) * 4;
    }
    return out;
  }

  submit(encoder: any): void {
    this.device.queue.submit([encoder.finish()]);
    this.counters.submits += 1;
  }

  /** Throws the first error Dawn reported since the last check (and forgets them). */
  check(): void {
    if (this.lostReason !== null) throw new Error(`webgpu: the GPU device was lost (${this.lostReason})`);
    if (this.errors.length > 0) {
      const all = this.errors.splice(0);
      throw new Error(`webgpu: ${all[0]}${all.length > 1 ? ` (and ${all.length - 1} more errors)` : ''}`);
    }
  }

  /** Waits until the GPU has run everything submitted so far, and reports errors (a read of 4 bytes). */
  flush(): void {
    const encoder = this.device.createCommandEncoder();
    const probe = this.programs.get('__probe') as any ?? this.createBuffer(16, 'probe');
    this.programs.set('__probe', probe);
    this.submitAndRead(encoder, [{ buffer: probe, offset: 0, size: 4 }]);
  }
}

let context: GpuContext | null = null;
let starting: Promise<GpuContext> | null = null;
let probing: Promise<ProbedAdapter> | null = null;

/** The started GPU (null before `startGpu()`). */
export function gpuContext(): GpuContext | null {
  return context;
}

/** Whether `startGpu()` has run in this process: the GPU fused engine can be built. */
export function gpuStarted(): boolean {
  return context !== null;
}

export function softwareRenderingMessage(a: AdapterReport): string {
  return (
    `--backend webgpu found only software rendering: ${adapterName(a)} runs WebGPU on the CPU, not on a GPU ` +
    `(slower than the default CPU engines, and no measure of a GPU). Add --allow-software to run on it anyway ` +
    `(correctness checks; NEURAL_MFG_ALLOW_SOFTWARE=1 does the same), or run where a GPU and its Vulkan driver are installed.`
  );
}

/**
 * Starts the GPU the fused GPU engine runs on (once per process; later calls return it). Loads
 * the webgpu package, finds an adapter (see findAdapter) and opens a device with the adapter's
 * limits. Software rendering is refused unless `allowSoftware` (or NEURAL_MFG_ALLOW_SOFTWARE=1).
 */
export async function startGpu(opts: { allowSoftware?: boolean } = {}): Promise<GpuContext> {
  // the adapter is found first in a child process: a refusal comes before Dawn prints anything here
  probing ??= probeAdapter().catch((err) => {
    probing = null;
    throw err;
  });
  const probed = await probing;
  assertHardware(probed.report, opts.allowSoftware);
  starting ??= (async () => {
    const { create, globals } = await loadDawn();
    const found = await findAdapter(create, probed);
    const report = describeAdapter(found);
    const requiredLimits: Record<string, number> = {};
    for (const key of WANTED_LIMITS) {
      const v = found.adapter.limits?.[key];
      if (typeof v === 'number') requiredLimits[key] = v;
    }
    const device = await found.adapter.requestDevice({ requiredLimits });
    context = new GpuContext(device, report, globals);
    return context;
  })();
  let ctx: GpuContext;
  try {
    ctx = await starting;
  } catch (err) {
    starting = null;
    throw err;
  }
  assertHardware(ctx.adapter, opts.allowSoftware);
  return ctx;
}

/** Throws SoftwareRenderingError for a software adapter unless software rendering was allowed. */
export function assertHardware(adapter: AdapterReport, allowSoftware?: boolean): void {
  const allowed = allowSoftware === true || process.env.NEURAL_MFG_ALLOW_SOFTWARE === '1';
  if (adapter.software && !allowed) throw new SoftwareRenderingError(softwareRenderingMessage(adapter));
}
