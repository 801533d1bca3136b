// The names of the TF.js backends (backend.ts holds how each one loads): what `--backend` offers and
// a run request may name, in a module that loads no TF.js, so that readers of requests that run no
// engine (the dashboard reading a sweep's manifest) can check them.

const NAMES = ['wasm', 'cpu', 'tensorflow', 'cuda', 'webgpu'] as const;
export type BackendName = (typeof NAMES)[number];
export const BACKEND_NAMES: string[] = [...NAMES];
export const DEFAULT_BACKEND: BackendName = 'wasm';
