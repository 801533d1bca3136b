// Backend selection: one table of the backends the project knows, how to load each one, and what
// to install when it is missing. GPU backends plug in as further rows of BACKENDS.
import { tf } from './tf.ts';

export interface BackendInfo {
  /** the name users type after --backend */
  name: string;
  /** the TF.js backend name registered by the package */
  tfName: string;
  /** npm package that provides it */
  packageName: string;
  /** what to run when it is missing */
  install: string;
  /** registers the backend with TF.js (dynamic import for optional packages) */
  load(): Promise<void>;
}

export const BACKENDS: BackendInfo[] = [
  {
    name: 'wasm',
    tfName: 'wasm',
    packageName: '@tensorflow/tfjs-backend-wasm',
    install: 'npm install @tensorflow/tfjs-backend-wasm@4.22.0',
    load: async () => {},
  },
  {
    name: 'cpu',
    tfName: 'cpu',
    packageName: '@tensorflow/tfjs-backend-cpu',
    install: 'npm install @tensorflow/tfjs-backend-cpu@4.22.0',
    load: async () => {},
  },
];

export const BACKEND_NAMES = BACKENDS.map((b) => b.name);
export const DEFAULT_BACKEND = 'wasm';

export class BackendError extends Error {}

/**
 * Makes `name` the active TF.js backend. The default (wasm) falls back to cpu with a one-line
 * notice when it cannot start; an explicitly requested backend that fails is an error that says
 * what to install.
 */
export async function useBackend(
  name: string = DEFAULT_BACKEND,
  opts: { explicit?: boolean; notice?: (line: string) => void } = {},
): Promise<string> {
  const info = BACKENDS.find((b) => b.name === name);
  if (!info) {
    throw new BackendError(`unknown backend "${name}": choose one of ${BACKEND_NAMES.join(', ')}`);
  }
  try {
    await info.load();
    const ok = await tf.setBackend(info.tfName);
    if (!ok) throw new Error(`TF.js could not initialise the ${info.tfName} backend`);
    await tf.ready();
    return info.name;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    if (name === 'wasm' && !opts.explicit) {
      (opts.notice ?? ((l) => process.stderr.write(l + '\n')))(
        `notice: the wasm backend could not start (${why}); falling back to cpu`,
      );
      return useBackend('cpu', { explicit: true });
    }
    throw new BackendError(`backend "${name}" could not start: ${why}. Install it with: ${info.install}`);
  }
}
