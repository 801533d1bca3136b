// A command whose output is piped into a reader that stops early (`neural-mfg games | head -1`)
// gets EPIPE on its next write. That is the reader's choice, not an error: the command ends at
// once, quietly, with status 0, as `cat file | head -1` does. Any other stream error is reported
// by the caller's usual path.

type StreamError = Error & { code?: string };

function endQuietlyOnEpipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: StreamError) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

/** Installs the EPIPE handling on stdout and stderr (once per process). */
export function quietPipes(): void {
  if (installed) return;
  installed = true;
  endQuietlyOnEpipe(process.stdout);
  endQuietlyOnEpipe(process.stderr);
}

let installed = false;
