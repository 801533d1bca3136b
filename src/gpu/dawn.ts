// Dawn for Node (the optional npm package "webgpu"): loading it, finding an adapter, describing it
// (a real GPU or software rendering?), and waiting for a GPU read synchronously. Shared by the
// TF.js webgpu backend (src/backend.ts) and the fused GPU engine (src/gpu/), and free of TF.js, so
// that a fused GPU run loads no TF.js at all. Nothing here is imported statically by code that
// runs without the package: `loadDawn` imports it on first use.

/** What the package exports: create(flags) gives a navigator.gpu-like object; globals holds GPUBufferUsage and the rest. */
export interface DawnModule {
  create(flags: string[]): any;
  globals: Record<string, any>;
}

let dawn: DawnModule | null = null;

/** import() of an optional package; the specifier is a variable so that TypeScript needs no types. */
async function importOptional(specifier: string): Promise<any> {
  return import(specifier);
}

/** Loads the webgpu package once (throws when it is not installed) and records Dawn's event ticks. */
export async function loadDawn(): Promise<DawnModule> {
  if (dawn) return dawn;
  const mod = await importOptional('webgpu');
  recordDawnTicks();
  dawn = { create: mod.create, globals: mod.globals };
  return dawn;
}

/**
 * Dawn resolves mapAsync only when its tick runs, and dawn.node schedules that tick with
 * setImmediate (a native function). Recording those ticks lets a synchronous read run them on the
 * spot, which is what makes dataSync() and the fused GPU engine's reads work in Node.
 */
const dawnTicks = new Set<{ run: () => void; handle: NodeJS.Immediate }>();

export function recordDawnTicks(): void {
  const original = globalThis.setImmediate;
  if ((original as { recordsDawnTicks?: boolean }).recordsDawnTicks) return;
  const isNative = (fn: unknown) =>
    typeof fn === 'function' && /\[native code\]/.test(Function.prototype.toString.call(fn));
  const recording = ((fn: (...args: unknown[]) => void, ...args: unknown[]) => {
    if (!isNative(fn)) return original(fn, ...args);
    const tick = {
      run: () => fn(...args),
      handle: original(() => {
        dawnTicks.delete(tick);
        fn(...args);
      }),
    };
    dawnTicks.add(tick);
    return tick.handle;
  }) as typeof setImmediate;
  Object.assign(recording, { recordsDawnTicks: true, __promisify__: original.__promisify__ });
  globalThis.setImmediate = recording;
}

/** Runs Dawn's pending ticks until `done()`; throws after `timeoutMs`. */
export function runDawnUntil(done: () => boolean, timeoutMs = 60_000): void {
  const started = Date.now();
  while (!done()) {
    if (Date.now() - started > timeoutMs) throw new Error(`webgpu: a GPU read did not finish within ${timeoutMs / 1000} s`);
    for (const tick of [...dawnTicks]) {
      dawnTicks.delete(tick);
      clearImmediate(tick.handle);
      tick.run();
      if (done()) break;
    }
  }
}

/** every Dawn instance created, kept alive: a collected instance can take the process down */
const dawnInstances: unknown[] = [];

export interface FoundAdapter {
  adapter: any;
  /** the Dawn options it was found with ([] : the default backend, Vulkan on Linux) */
  flags: string[];
  featureLevel: string;
}

/**
 * Finds an adapter: a full (core) WebGPU adapter on the default Dawn backend (Vulkan on Linux),
 * else a compatibility-mode one, else OpenGL/OpenGL ES in compatibility mode through EGL without
 * a display (Mesa's llvmpipe on a machine without a GPU). NEURAL_MFG_WEBGPU_FLAGS (comma
 * separated Dawn options, e.g. "backend=vulkan" or "adapter=NVIDIA H100") tries only those.
 */
export async function findAdapter(create: (flags: string[]) => any, only?: { flags: string[]; featureLevel: string }): Promise<FoundAdapter> {
  process.env.EGL_PLATFORM ??= 'surfaceless';
  const fromEnv = process.env.NEURAL_MFG_WEBGPU_FLAGS;
  const flagSets = only ? [only.flags] : fromEnv ? [fromEnv.split(',').map((s) => s.trim()).filter(Boolean)] : [[], ['backend=opengl'], ['backend=opengles']];
  const tried: string[] = [];
  for (const flags of flagSets) {
    const gpu = create(flags);
    dawnInstances.push(gpu);
    for (const featureLevel of only ? [only.featureLevel] : ['core', 'compatibility']) {
      tried.push(`${flags.join(',') || 'default'}/${featureLevel}`);
      const adapter = await gpu
        .requestAdapter({ powerPreference: 'high-performance', featureLevel })
        .catch(() => null);
      if (adapter) return { adapter, flags, featureLevel };
    }
  }
  throw new Error(
    `no WebGPU adapter found (tried ${tried.join(', ')}); it needs a Vulkan driver (a GPU's, or Mesa's ` +
      `lavapipe: apt install mesa-vulkan-drivers) or OpenGL through EGL (apt install libegl-mesa0)`,
  );
}

/** The limits that matter to the engines, in the order doctor prints them. */
export const REPORTED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
] as const;

/** What an adapter says of itself, and whether it is a GPU or the CPU rendering in software. */
export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  /** the driver's own description (Vulkan: "NVIDIA: 580.159.04 …"; OpenGL: "OpenGL version 4.5 … Mesa 22.3.6") */
  driver: string;
  /** the Dawn backend: vulkan, opengl, opengles, … (default: Dawn's first choice, Vulkan on Linux) */
  backend: string;
  featureLevel: string;
  /** true: Mesa llvmpipe/lavapipe, SwiftShader or another CPU implementation, not a GPU */
  software: boolean;
  limits: Record<string, number>;
}

const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|software/i;

export function describeAdapter(found: FoundAdapter): AdapterReport {
  const { adapter, flags, featureLevel } = found;
  const info = adapter.info ?? {};
  const text = (key: string) => (info[key] ? String(info[key]) : '');
  const limits: Record<string, number> = {};
  for (const key of REPORTED_LIMITS) {
    const v = adapter.limits?.[key];
    if (typeof v === 'number') limits[key] = v;
  }
  const backendFlag = flags.find((f) => f.startsWith('backend='));
  const report: AdapterReport = {
    vendor: text('vendor'),
    architecture: text('architecture'),
    device: text('device'),
    driver: text('description'),
    backend: backendFlag ? backendFlag.slice('backend='.length) : process.platform === 'linux' ? 'vulkan (default)' : 'default',
    featureLevel,
    software: false,
    limits,
  };
  report.software = info.isFallbackAdapter === true || SOFTWARE.test(`${report.vendor} ${report.device} ${report.driver}`);
  return report;
}

/** "nvidia nvidia-h100-80gb-hbm3 (NVIDIA: 580.159.04 …)": the adapter in a few words. */
export function adapterName(a: AdapterReport): string {
  const name = [a.vendor, a.architecture, a.device].filter(Boolean).join(' ') || 'unnamed adapter';
  return `${name}${a.driver ? ` (${a.driver})` : ''}`;
}

/** What a probe found: the adapter's report, and the Dawn options and feature level that find it again. */
export interface ProbedAdapter {
  report: AdapterReport;
  flags: string[];
  featureLevel: string;
}

/**
 * Finds the adapter in a child process whose stderr is kept apart. Dawn and Mesa print warnings
 * about every backend they try (Vulkan features missing on llvmpipe, EGL's XDG_RUNTIME_DIR)
 * straight to the process's stderr, out of Node's reach: probed here, a refusal (software
 * rendering, no adapter) is the command's one line and nothing before it. The caller then finds
 * the same adapter in its own process with `flags` and `featureLevel` alone (fewer warnings: the
 * backends that failed are not tried again). NEURAL_MFG_DEBUG=1 shows the child's stderr.
 */
export async function probeAdapter(timeoutMs = 60_000): Promise<ProbedAdapter> {
  const { execFile } = await import('node:child_process');
  const { createRequire } = await import('node:module');
  const { pathToFileURL } = await import('node:url');
  const fromSources = import.meta.url.endsWith('.ts');
  const loader = fromSources ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [];
  const source = `const m = await import(${JSON.stringify(import.meta.url)}); await m.probeInChild();`;
  const { stdout, stderr, failed } = await new Promise<{ stdout: string; stderr: string; failed: Error | null }>((resolve) => {
    execFile(process.execPath, [...loader, '--input-type=module', '-e', source], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 1 << 24 }, (err, out, errText) =>
      resolve({ stdout: out, stderr: errText, failed: err }),
    );
  });
  if (process.env.NEURAL_MFG_DEBUG && stderr.trim()) process.stderr.write(stderr);
  const last = stdout.trim().split('\n').at(-1) ?? '';
  let answer: ProbedAdapter | { error: string };
  try {
    answer = JSON.parse(last);
  } catch {
    const why = (failed as { killed?: boolean } | null)?.killed ? `it did not answer within ${timeoutMs / 1000} s` : (stderr.trim().split('\n').at(-1) ?? failed?.message ?? 'no answer');
    throw new Error(`finding a WebGPU adapter failed: ${why}`);
  }
  if ('error' in answer) throw new Error(answer.error);
  return answer;
}

/** The child's side of probeAdapter: one JSON line on stdout, then exit (Dawn would keep the process alive). */
export async function probeInChild(): Promise<void> {
  let answer: ProbedAdapter | { error: string };
  try {
    const { create } = await loadDawn();
    const found = await findAdapter(create);
    answer = { report: describeAdapter(found), flags: found.flags, featureLevel: found.featureLevel };
  } catch (err) {
    answer = { error: err instanceof Error ? err.message : String(err) };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`, () => process.exit(0));
}
