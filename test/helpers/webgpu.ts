// The `webgpu` need of the GPU tests: the optional packages (Dawn for Node and TF.js's webgpu
// backend) installed beside neural-mfg and an adapter on which the fused GPU engine works, software
// rendering included (Mesa's llvmpipe in CI, which .ci/run installs). Probed once per test process
// by `neural-mfg doctor --json` (uvu loads test files synchronously: no top-level await).
import { spawnSync } from 'node:child_process';
import { startGpu, type GpuContext } from '../../src/gpu/device.ts';
import { BIN } from './cli.ts';
import { need } from './requires.ts';

export const WEBGPU_INSTALL = 'npm install --no-save webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0';
const MESA = 'on Linux without a GPU: apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri for Mesa\'s llvmpipe';

interface DoctorEntry {
  name: string;
  installed: boolean;
  problem: string | null;
  gpuEngine?: { works: boolean; problem: string | null };
}

export const webgpu = need('webgpu', () => {
  const r = spawnSync(process.execPath, [BIN, 'doctor', '--json'], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) return `neural-mfg doctor --json failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr.trim().split('\n').pop()}`;
  const entry = (JSON.parse(r.stdout) as DoctorEntry[]).find((e) => e.name === 'webgpu');
  if (!entry) return 'neural-mfg doctor does not list webgpu';
  if (!entry.installed) return `not installed (${WEBGPU_INSTALL})`;
  if (!entry.gpuEngine?.works) return `the fused GPU engine does not start: ${entry.gpuEngine?.problem ?? entry.problem} (${MESA})`;
  return null;
});

let started: GpuContext | null = null;

/** Starts the GPU in this process (software rendering allowed): in test.before, where the need is met. */
export async function startTestGpu(): Promise<GpuContext | null> {
  if (webgpu.missing) return null;
  started = await startGpu({ allowSoftware: true });
  return started;
}

/** The GPU the tests run on: only from a test registered with testWith(test, webgpu), after startTestGpu(). */
export function gpu(): GpuContext {
  if (!started) throw new Error('the GPU was not started: call startTestGpu() in test.before and register the test with testWith(test, webgpu)');
  return started;
}
