// A job's request run inside the current process through the run layer (src/run/execute.ts), its
// output appended to a log file (and still shown, with `echo`). The pool's processes run their jobs
// through here, one after another, so that a job costs its own work and not Node's, tsx's and
// vega's start-up (about 1 s); `sweep run-one` runs its one job here too.
import { closeSync, openSync, writeSync } from 'node:fs';
import { execute } from '../run/execute.ts';
import { consoleIO } from '../run/io.ts';
import { EXIT_DIVERGED, EXIT_INTERRUPTED } from '../run/exit.ts';
import { NonFiniteError } from '../finite.ts';
import { trains, type RunRequest } from '../run/requests.ts';

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
 * Runs the request here and returns its exit status (an error is written as one line `neural-mfg: …`
 * and gives 2, or 3 for numbers that stopped being finite, as on the command line). `shouldStop`
 * given (a process of the pool, which stops its jobs itself): a training stops after the step at
 * which it answers true. Absent (`sweep run-one`): SIGINT/SIGTERM while it runs stop a training
 * after its current step with a checkpoint (a second signal aborts with 130), and end any other
 * request at once with 130.
 */
export async function runInProcess(request: RunRequest, log: string, opts: { echo?: boolean; shouldStop?: () => boolean } = {}): Promise<number> {
  const fd = openSync(log, 'a');
  const undo = tee(fd, opts.echo === true);
  let stopping = false;
  const onSignal = () => {
    if (stopping || !trains(request)) process.exit(EXIT_INTERRUPTED);
    stopping = true;
    process.stderr.write('\ninterrupted: finishing this step, then saving a checkpoint and what was trained (a second signal aborts)\n');
  };
  const ownSignals = opts.shouldStop === undefined;
  if (ownSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  try {
    return await execute(request, { ...consoleIO({ quiet: true }), shouldStop: opts.shouldStop ?? (() => stopping) });
  } catch (err) {
    process.stderr.write(`neural-mfg: ${(err instanceof Error ? err.message : String(err)).trim().replace(/\s*\n\s*/g, ' ')}\n`);
    if (process.env.NEURAL_MFG_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return err instanceof NonFiniteError ? EXIT_DIVERGED : 2;
  } finally {
    if (ownSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    undo();
    closeSync(fd);
  }
}
