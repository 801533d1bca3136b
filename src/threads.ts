// One-shot module workers: run a module's default task on a worker thread and get its answer. From
// the TypeScript sources (tests, scripts) the worker loads the module through tsx, as this thread
// does; from the compiled package it loads the JavaScript directly.
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The URL of tsx's ESM API (its package's "import" export of ./esm/api). */
export function tsxEsmApi(): string {
  const root = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const exported = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api'];
  return pathToFileURL(join(root, exported.import.default)).href;
}

/** Code that imports `script` in a worker (through tsx for a .ts file), then `then` (JavaScript source, gets the module as `m`). */
export function workerBootstrap(script: URL, then: string, onError: string): string {
  const load = script.pathname.endsWith('.ts')
    ? `import(${JSON.stringify(tsxEsmApi())}).then((tsx) => { tsx.register(); return import(${JSON.stringify(script.href)}); })`
    : `import(${JSON.stringify(script.href)})`;
  return `const { workerData, parentPort } = require('node:worker_threads');\n${load}.then((m) => { ${then} }).catch((err) => { ${onError} });`;
}

/**
 * Runs `run(input)` exported by the module at `script` on a new worker thread and resolves with
 * what it returns (typed arrays travel as they are); rejects with its error.
 */
export function runWorker<T>(script: URL, input: unknown): Promise<T> {
  const code = workerBootstrap(
    script,
    // typed arrays of the answer are moved, not copied
    'return m.run(workerData).then((out) => parentPort.postMessage({ out }, Object.values(out ?? {}).filter((v) => ArrayBuffer.isView(v)).map((v) => v.buffer)));',
    'parentPort.postMessage({ error: String(err && err.message || err) });',
  );
  return new Promise<T>((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: input });
    worker.once('message', (m: { out?: T; error?: string }) => {
      if (m.error !== undefined) reject(new Error(m.error));
      else resolve(m.out as T);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`the worker stopped with code ${code}`)));
  });
}
