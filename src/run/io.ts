// How a run talks while it works (RunIO): what it says to people, its progress, and whether it was
// asked to stop. Each front end brings its own: the CLI its streams and progress bar, a sweep's job
// its log file.

/** A training's progress as a front end shows it (a bar on a terminal, lines in a log). */
export interface Progress {
  update(step: number, fields: { loss: number; val: number | null }): void;
  stop(): void;
}

/** What a run says, and what it is told, while it works. */
export interface RunIO {
  /** results for people (the CLI's stdout; a job's log) */
  out(text: string): void;
  /** notes and errors that always show (stderr) */
  note(line: string): void;
  /** lines of progress (a point of an analysis, a bootstrap replicate); absent: quiet */
  info?(line: string): void;
  /** a training's progress bar; absent: none */
  progress?(label: string, total: number, startAt: number): Progress;
  /** polled between training steps: true stops the run after a checkpoint */
  shouldStop?(): boolean;
}

/** The process's own streams: results on stdout, notes on stderr, progress lines unless quiet. */
export function consoleIO(opts: { quiet?: boolean } = {}): RunIO {
  return {
    out: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    note: (line) => void process.stderr.write(`${line}\n`),
    ...(opts.quiet ? {} : { info: (line: string) => void process.stderr.write(`${line}\n`) }),
  };
}
