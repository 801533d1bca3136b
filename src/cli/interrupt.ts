// Ctrl-C (or SIGTERM) during a long command: the first asks the work to stop at its next safe point
// (it polls `stopped()`), a second aborts with status 130.
export async function untilInterrupted<T>(message: string, work: (stopped: () => boolean) => Promise<T>): Promise<T> {
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(`\n${message}\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(() => interrupted);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
