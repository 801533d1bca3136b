// A command line of this tool run inside the current process, its output appended to a log file
// (and still shown, with `echo`). The pool's processes run their jobs through here, one after
// another, so that a job costs its own work and not Node's, tsx's and vega's start-up (about 1 s).
import { closeSync, openSync, writeSync } from 'node:fs';

type Write = typeof process.stdout.write;

/** Sends everything the process writes to stdout and stderr into `fd` as well; returns the undo. */
function tee(fd: number, echo: boolean): () => void {
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((s) => s.write);
  streams.forEach((stream, i) => {
    stream.write = ((chunk: string | Uint8Array, encoding?: BufferEncoding | ((err?: Error | null) => void), cb?: (err?: Error | null) => void) => {
      writeSync(fd, typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : chunk);
      if (echo) return originals[i].call(stream, chunk, encoding as BufferEncoding, cb);
      const done = typeof encoding === 'function' ? encoding : cb;
      done?.();
      return true;
    }) as Write;
  });
  return () => streams.forEach((stream, i) => (stream.write = originals[i]));
}

/**
 * Runs `neural-mfg <argv>` here and returns its exit code (what `process.exitCode` says after it;
 * the code is reset so that the next job starts clean).
 */
export async function runInProcess(argv: string[], log: string, echo = false): Promise<number> {
  // imported here, not at the top: the CLI imports the sweep modules
  const { main } = await import('../cli/main.ts');
  const fd = openSync(log, 'a');
  const undo = tee(fd, echo);
  process.exitCode = 0;
  try {
    await main(['node', 'neural-mfg', ...argv]);
    return Number(process.exitCode ?? 0);
  } finally {
    undo();
    process.exitCode = 0;
    closeSync(fd);
  }
}
