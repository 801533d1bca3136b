// A process of the local pool (pool.ts forks it): it runs the requests it is sent one at a time,
// in-process (in-process.ts), and answers each with the exit status. The pool stops a job with a
// message on the same channel as the job itself, so a stop can never overtake the job it is meant
// for: a training stops after its current step and saves a checkpoint (a second stop aborts it); any
// other job, or an idle process, exits at once: the job is then simply run again. SIGINT/SIGTERM
// from outside stop it the same way.
// The run layer is imported with the first job, after the handlers are in place: a stop that comes
// while it loads finds them.
import { EXIT_INTERRUPTED } from '../run/exit.ts';
import { trains, type RunRequest } from '../run/requests.ts';

export interface JobMessage {
  request: RunRequest;
  log: string;
}

/** Sent by the pool after a job: stop it (a training after its step, with a checkpoint; a second one aborts). */
export interface StopMessage {
  stop: true;
}

export interface JobReply {
  code: number;
  /** the process exits after this reply (it was stopped, or the pool went away): give it no other job */
  leaving: boolean;
}

let current: JobMessage | null = null;
/** a stop reached this job: its training's shouldStop answers true from now on */
let stopping = false;

function stop() {
  if (!current || !trains(current.request) || stopping) process.exit(EXIT_INTERRUPTED);
  stopping = true;
  process.stderr.write('\ninterrupted: finishing this step, then saving a checkpoint and what was trained (a second interrupt aborts)\n');
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
// the pool went away (or closed the channel): finish the job at hand, then leave
let leaving = false;
process.on('disconnect', () => {
  if (!current) process.exit(0);
  leaving = true;
});

async function run(message: JobMessage): Promise<void> {
  current = message;
  stopping = false;
  let code: number;
  try {
    const { runInProcess } = await import('./in-process.ts');
    code = await runInProcess(message.request, message.log, { shouldStop: () => stopping });
  } catch (err) {
    process.stderr.write(`neural-mfg: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    code = 70;
  }
  current = null;
  const exit = stopping || leaving;
  if (!process.connected) process.exit(code);
  process.send!({ code, leaving: exit } satisfies JobReply, undefined, {}, () => {
    if (exit) process.exit(code);
  });
}

process.on('message', (message: JobMessage | StopMessage) => {
  if ('stop' in message) stop();
  else void run(message);
});
