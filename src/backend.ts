// Backend selection: one table of the backends the project knows, how to load each one, what it
// runs on, and what to install when it is missing. wasm and cpu ship with the project; the others
// are optional packages that are never dependencies and are loaded on demand with import().
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { tf } from './tf.ts';
import { adapterName, describeAdapter, findAdapter, loadDawn, probeAdapter, runDawnUntil, type AdapterReport } from './gpu/dawn.ts';
import { assertHardware, startGpu } from './gpu/device.ts';
import type { EngineName } from './mfg/engine-name.ts';
import { BACKEND_NAMES, DEFAULT_BACKEND, type BackendName } from './backend-names.ts';

export { BACKEND_NAMES, DEFAULT_BACKEND, type BackendName } from './backend-names.ts';

export interface BackendInfo {
  /** the name users type after --backend (backend-names.ts) */
  name: BackendName;
  /** the TF.js backend name registered by the package */
  tfName: string;
  /** npm packages that provide it (the first one is the TF.js backend) */
  packages: string[];
  /** what to run when it is missing: exact, pinned versions */
  install: string;
  /** what the machine needs besides the packages, and how the install can be pointed at a mirror */
  requirements: string;
  /** registers the backend with TF.js (dynamic import for optional packages) */
  load(): Promise<void>;
  /** what the started backend computes on, in words (device or adapter name where it can tell) */
  describe(): Promise<string>;
}

const TFJS_VERSION = '4.22.0';
const WEBGPU_VERSION = '0.6.2';

// tfjs-node and tfjs-node-gpu download libtensorflow in their install script.
const LIBTENSORFLOW_DOWNLOAD =
  'its install script downloads libtensorflow from storage.googleapis.com; where that host cannot be ' +
  'reached, point it at a mirror with TFJS_NODE_BASE_URI=<url> or npm_config_tfjs_binding_binary_host_mirror=<url>';

/** import() of an optional package; the specifier is a variable so that TypeScript needs no types. */
async function importOptional(specifier: string): Promise<any> {
  return import(specifier);
}

const requireHere = createRequire(import.meta.url);

/** Whether `pkg` can be resolved from this project (without loading it). */
export function isInstalled(pkg: string): boolean {
  try {
    requireHere.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    try {
      requireHere.resolve(pkg);
      return true;
    } catch {
      return false;
    }
  }
}

function nvidiaGpus(): string | null {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    }).trim();
    return out ? out.split('\n').join('; ') : null;
  } catch {
    return null;
  }
}

async function loadTfjsNode(pkg: string): Promise<void> {
  // tfjs-node registers the "tensorflow" backend as a side effect of its import.
  await importOptional(pkg);
}

async function describeTfjsNode(gpu: boolean): Promise<string> {
  const version = (tf.backend() as { binding?: { TF_Version?: string } }).binding?.TF_Version;
  const lib = `libtensorflow ${version ?? '(version unknown)'}`;
  if (!gpu) return `${lib} on the CPU: ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}`;
  const gpus = nvidiaGpus();
  return gpus
    ? `${lib} with CUDA; NVIDIA GPUs: ${gpus} (TensorFlow's log on stderr says whether it opened them)`
    : `${lib} with CUDA, but nvidia-smi finds no GPU: TensorFlow runs on the CPU`;
}

// ---------------------------------------------------------------------------------------------
// webgpu: Dawn for Node (the npm package "webgpu") provides navigator.gpu; tfjs-backend-webgpu
// registers "webgpu" when it is imported with navigator.gpu present.

/** the adapter the webgpu backend runs on, once loaded: how it was found and what it says of itself */
let webgpuAdapter: AdapterReport | null = null;

/** A synchronous readSync for tfjs-backend-webgpu in Node: copy to a staging buffer, map, read. */
function patchReadSync(WebGPUBackend: { prototype: any }): void {
  const proto = WebGPUBackend.prototype;
  if (proto.readSyncInNode) return;
  const original = proto.readSync;
  proto.readSync = function (this: any, dataId: object) {
    const data = this.tensorMap.get(dataId);
    const g = globalThis as any;
    if (data.values != null || data.dtype === 'string' || data.dtype === 'complex64' || !(data.resource instanceof g.GPUBuffer)) {
      return original.call(this, dataId);
    }
    const size = data.resource.size;
    const staging = this.bufferManager.acquireBuffer(size, g.GPUBufferUsage.COPY_DST | g.GPUBufferUsage.MAP_READ);
    this.ensureCommandEncoderReady();
    this.endComputePassEncoder();
    this.commandEncoder.copyBufferToBuffer(data.resource, 0, staging, 0, size);
    this.submitQueue();
    let failure: unknown = null;
    staging.mapAsync(g.GPUMapMode.READ).catch((err: unknown) => (failure = err));
    runDawnUntil(() => staging.mapState === 'mapped' || failure !== null);
    if (failure !== null) throw failure;
    const bytes: ArrayBuffer = staging.getMappedRange().slice(0);
    staging.unmap();
    this.bufferManager.releaseBuffer(staging);
    const values = tf.util.convertBackendValuesAndArrayBuffer(bytes, data.dtype);
    this.convertAndCacheOnCPU(dataId, values);
    return values;
  };
  proto.readSyncInNode = true;
}

async function loadWebgpu(): Promise<void> {
  if (tf.findBackendFactory('webgpu')) return;
  const { create, globals } = await loadDawn();
  const g = globalThis as any;
  Object.assign(g, globals);
  // found first in a child process (its Dawn warnings kept there), then here with those options alone
  const probed = await probeAdapter().catch(() => null);
  const found = await findAdapter(create, probed ?? undefined);
  const { adapter } = found;
  webgpuAdapter = describeAdapter(found);
  // tfjs-backend-webgpu asks navigator.gpu for an adapter without a feature level, and passes one
  // of its required features inside a nested array; hand it the adapter found above instead.
  const chosen = {
    get features() { return adapter.features; },
    get limits() { return adapter.limits; },
    get info() { return adapter.info; },
    requestDevice: (descriptor: { requiredFeatures?: Iterable<unknown> } = {}) =>
      adapter.requestDevice({ ...descriptor, requiredFeatures: [...(descriptor.requiredFeatures ?? [])].flat() }),
  };
  const gpu = { requestAdapter: async () => chosen, getPreferredCanvasFormat: () => 'rgba8unorm' };
  Object.defineProperty(globalThis, 'navigator', {
    value: Object.assign(Object.create(g.navigator ?? null), { gpu }),
    configurable: true,
    writable: true,
  });
  const webgpuBackend = await importOptional('@tensorflow/tfjs-backend-webgpu');
  patchReadSync(webgpuBackend.WebGPUBackend);
}

async function describeWebgpu(): Promise<string> {
  if (!webgpuAdapter) return 'unknown adapter';
  const a = webgpuAdapter;
  return (
    `${adapterName(a)}, Dawn ${a.backend === 'vulkan (default)' ? 'default backend' : `backend=${a.backend}`}, ` +
    `${a.featureLevel} feature level${a.software ? ' — software rendering on the CPU, not a GPU' : ''}`
  );
}

// ---------------------------------------------------------------------------------------------

export const BACKENDS: BackendInfo[] = [
  {
    name: 'wasm',
    tfName: 'wasm',
    packages: ['@tensorflow/tfjs-backend-wasm'],
    install: `npm install @tensorflow/tfjs-backend-wasm@${TFJS_VERSION}`,
    requirements: 'none (a dependency of neural-mfg)',
    load: async () => {},
    describe: async () => {
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      return `the CPU through WebAssembly (SIMD ${simd ? 'on' : 'off'}, threads ${threads ? 'on' : 'off'}): ${os.cpus()[0]?.model ?? 'cpu'}`;
    },
  },
  {
    name: 'cpu',
    tfName: 'cpu',
    packages: ['@tensorflow/tfjs-backend-cpu'],
    install: `npm install @tensorflow/tfjs-backend-cpu@${TFJS_VERSION}`,
    requirements: 'none (a dependency of neural-mfg)',
    load: async () => {},
    describe: async () => `the CPU in plain JavaScript, one thread: ${os.cpus()[0]?.model ?? 'cpu'}`,
  },
  {
    name: 'tensorflow',
    tfName: 'tensorflow',
    packages: ['@tensorflow/tfjs-node'],
    install: `npm install @tensorflow/tfjs-node@${TFJS_VERSION}`,
    requirements: `Linux x64, macOS or Windows; ${LIBTENSORFLOW_DOWNLOAD}`,
    load: () => loadTfjsNode('@tensorflow/tfjs-node'),
    describe: () => describeTfjsNode(false),
  },
  {
    name: 'cuda',
    tfName: 'tensorflow',
    packages: ['@tensorflow/tfjs-node-gpu'],
    install: `npm install @tensorflow/tfjs-node-gpu@${TFJS_VERSION}`,
    requirements: `Linux x64 with an NVIDIA GPU, CUDA 11.2 and cuDNN 8.1; ${LIBTENSORFLOW_DOWNLOAD}`,
    load: () => loadTfjsNode('@tensorflow/tfjs-node-gpu'),
    describe: () => describeTfjsNode(true),
  },
  {
    name: 'webgpu',
    tfName: 'webgpu',
    packages: ['@tensorflow/tfjs-backend-webgpu', 'webgpu'],
    install: `npm install @tensorflow/tfjs-backend-webgpu@${TFJS_VERSION} webgpu@${WEBGPU_VERSION}`,
    requirements:
      'a Vulkan driver (NVIDIA, AMD, Intel; or Mesa lavapipe) or OpenGL through EGL (Mesa llvmpipe: libegl-mesa0); ' +
      'installs from npm alone (Dawn ships prebuilt in the webgpu package)',
    load: loadWebgpu,
    describe: describeWebgpu,
  },
];


export class BackendError extends Error {
  constructor(
    message: string,
    /** the backend that was asked for */
    readonly backend: string,
    /** the command that installs it, when it is missing */
    readonly install: string | null = null,
  ) {
    super(message);
  }
}

export function backendInfo(name: string): BackendInfo {
  const info = BACKENDS.find((b) => b.name === name);
  if (!info) {
    throw new BackendError(`unknown backend "${name}": choose one of ${BACKEND_NAMES.join(', ')}`, name);
  }
  return info;
}

/** The packages of a backend that cannot be resolved from this project. */
export function missingPackages(info: BackendInfo): string[] {
  return info.packages.filter((p) => !isInstalled(p));
}

/** The message for a backend whose packages are missing: what to install, and what it needs. */
export function notInstalledMessage(info: BackendInfo, missing: string[]): string {
  return (
    `backend "${info.name}" is not installed (missing: ${missing.join(', ')}). ` +
    `Install it with: ${info.install}` +
    ` — requirements: ${info.requirements}`
  );
}

/**
 * Makes `name` the active TF.js backend. The default (wasm) falls back to cpu with a one-line
 * notice when it cannot start; an explicitly requested backend that is missing or fails is a
 * BackendError that says what to install.
 */
export async function useBackend(
  name: string = DEFAULT_BACKEND,
  opts: { explicit?: boolean; notice?: (line: string) => void } = {},
): Promise<string> {
  const info = backendInfo(name);
  const missing = missingPackages(info);
  if (missing.length > 0 && (name !== 'wasm' || opts.explicit)) {
    throw new BackendError(notInstalledMessage(info, missing), name, info.install);
  }
  try {
    await info.load();
    await withoutProcessHandlers(async () => {
      const ok = await tf.setBackend(info.tfName);
      if (!ok) throw new Error(`TF.js could not initialise the ${info.tfName} backend`);
      await tf.ready();
    });
    return info.name;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    if (name === 'wasm' && !opts.explicit) {
      (opts.notice ?? ((l) => process.stderr.write(l + '\n')))(
        `notice: the wasm backend could not start (${why}); falling back to cpu`,
      );
      return useBackend('cpu', { explicit: true });
    }
    throw new BackendError(
      `backend "${name}" is installed but could not start: ${why}. Requirements: ${info.requirements}`,
      name,
    );
  }
}

/**
 * Starts what an engine runs on, for the command-line front ends: the TF.js backend of the graph
 * engine, the GPU of the fused GPU engine (`gpu`, which --backend webgpu selects), or nothing (the
 * fused engine on the CPU). Returns the backend's name (null for the CPU fused engine). On webgpu,
 * either way, software rendering (llvmpipe, lavapipe, SwiftShader) is refused unless
 * `allowSoftware` (--allow-software, or NEURAL_MFG_ALLOW_SOFTWARE=1): it is the CPU, not a GPU.
 */
export async function startEngineBackend(
  engine: EngineName,
  backend: string,
  opts: { explicit: boolean; allowSoftware?: boolean },
): Promise<string | null> {
  if (engine === 'gpu') {
    const info = backendInfo('webgpu');
    if (!isInstalled('webgpu')) throw new BackendError(notInstalledMessage(info, ['webgpu']), 'webgpu', info.install);
    try {
      await startGpu({ allowSoftware: opts.allowSoftware });
    } catch (err) {
      if (err instanceof Error && err.name === 'SoftwareRenderingError') throw err;
      const why = err instanceof Error ? err.message : String(err);
      throw new BackendError(`backend "webgpu" is installed but could not start: ${why}. Requirements: ${info.requirements}`, 'webgpu');
    }
    return 'webgpu';
  }
  if (engine !== 'graph') return null;
  // TF.js's webgpu: the adapter probed in a child process first, so that a refusal of software
  // rendering comes before Dawn prints its warnings here
  if (backend === 'webgpu' && !webgpuAdapter && isInstalled('webgpu')) {
    const probed = await probeAdapter().catch(() => null); // useBackend says why it cannot start
    if (probed) assertHardware(probed.report, opts.allowSoftware);
  }
  const name = await useBackend(backend, { explicit: opts.explicit });
  if (name === 'webgpu' && webgpuAdapter) assertHardware(webgpuAdapter, opts.allowSoftware);
  return name;
}

/**
 * Runs `start` and removes the process-wide 'uncaughtException' and 'unhandledRejection'
 * handlers it installed. The wasm backend's Emscripten runtime installs handlers that rethrow
 * every error: Node then prints the whole minified line of its source before the error, and a
 * library user's own uncaught exceptions go the same way. Without them Node reports errors as
 * usual and exits as it would have.
 */
async function withoutProcessHandlers(start: () => Promise<void>): Promise<void> {
  const events = ['uncaughtException', 'unhandledRejection'];
  const emitter = process as unknown as NodeJS.EventEmitter;
  const before = new Map(events.map((e) => [e, new Set(emitter.listeners(e))]));
  try {
    await start();
  } finally {
    for (const event of events) {
      for (const listener of emitter.listeners(event)) {
        if (!before.get(event)!.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
  }
}

/** What `neural-mfg doctor` reports for one backend. */
export interface BackendReport {
  name: string;
  packages: string[];
  installed: boolean;
  starts: boolean;
  /** what it computes on, when it started */
  device: string | null;
  /** why it is missing or did not start */
  problem: string | null;
  install: string;
  requirements: string;
  /** webgpu: the adapter Dawn found (vendor, device, driver, limits; real GPU or software rendering) */
  adapter?: AdapterReport | null;
  /** webgpu: whether the fused GPU engine (src/gpu/) starts and computes (an exact quantile) */
  gpuEngine?: { works: boolean; problem: string | null };
}

/** The fused GPU engine's check: starts the GPU (software rendering allowed: a report, not a run) and selects a median. */
async function checkGpuEngine(): Promise<{ adapter: AdapterReport | null; works: boolean; problem: string | null }> {
  try {
    const ctx = await startGpu({ allowSoftware: true });
    const { gpuQuantiles } = await import('./gpu/select.ts');
    const median = gpuQuantiles(ctx, Float32Array.of(5, -1, 4, 2, 3, 3.5), 1, 0.5)[0];
    if (median !== 3.25) throw new Error(`the median of 5, −1, 4, 2, 3, 3.5 came out as ${median}, not 3.25`);
    return { adapter: ctx.adapter, works: true, problem: null };
  } catch (err) {
    return { adapter: null, works: false, problem: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * Tries one backend: installed?, starts (and computes 1+2+3)?, on what? Leaves the previously
 * active backend active again. For webgpu also the adapter and the fused GPU engine.
 */
export async function checkBackend(name: string): Promise<BackendReport> {
  const info = backendInfo(name);
  const missing = missingPackages(info);
  const report: BackendReport = {
    name,
    packages: info.packages,
    installed: missing.length === 0,
    starts: false,
    device: null,
    problem: missing.length ? `missing: ${missing.join(', ')}` : null,
    install: info.install,
    requirements: info.requirements,
  };
  if (name === 'webgpu' && isInstalled('webgpu')) {
    const gpu = await checkGpuEngine();
    report.adapter = gpu.adapter;
    report.gpuEngine = { works: gpu.works, problem: gpu.problem };
  }
  if (!report.installed) return report;
  const previous = tf.getBackend();
  try {
    await useBackend(name, { explicit: true });
    const sum = tf.tidy(() => tf.sum(tf.tensor1d([1, 2, 3])).dataSync()[0]);
    if (sum !== 6) throw new Error(`1+2+3 gave ${sum}`);
    report.starts = true;
    report.device = await info.describe();
  } catch (err) {
    report.problem = err instanceof Error ? err.message : String(err);
  } finally {
    if (previous && previous !== tf.getBackend()) await tf.setBackend(previous);
  }
  return report;
}
