// The one place that loads TensorFlow.js, and only on first use: the fused engine runs no TF.js at
// all, so a run on it never pays for loading TF.js (about 0.3 s and 70 MB at start), and a library
// user who only simulates on the fused engine never gets TF.js's backends in their process.
// Everything else imports `tf` from here, so that the kernels and the gradient registrations
// (which tfjs-core alone does not register) are present whenever TF.js is.
import { createRequire } from 'node:module';
import type * as TfCore from '@tensorflow/tfjs-core';

const requireHere = createRequire(import.meta.url);
let core: typeof TfCore | null = null;

function load(): typeof TfCore {
  if (core !== null) return core;
  const loaded = requireHere('@tensorflow/tfjs-core') as typeof TfCore;
  requireHere('@tensorflow/tfjs-backend-cpu');
  requireHere('@tensorflow/tfjs-backend-wasm');
  // tfjs-layers registers the gradients of the core ops as a side effect.
  requireHere('@tensorflow/tfjs-layers');
  // PROD silences TF.js's "install tfjs-node" banner and skips per-op debug checks.
  loaded.env().set('PROD', true);
  core = loaded;
  return loaded;
}

/** TF.js (tfjs-core with the cpu and wasm backends and every gradient), loaded when first touched. */
export const tf = new Proxy({} as typeof TfCore, {
  get: (_target, key) => (load() as unknown as Record<string | symbol, unknown>)[key],
  has: (_target, key) => key in load(),
});

/** The pinned TF.js version, read without loading TF.js. */
export const TFJS_VERSION: string = (requireHere('@tensorflow/tfjs-core/package.json') as { version: string }).version;

export type Tensor = TfCore.Tensor;
export type Scalar = TfCore.Scalar;
export type Variable = TfCore.Variable;
export type GradSaveFunc = TfCore.GradSaveFunc;
export type TensorContainer = TfCore.TensorContainer;
