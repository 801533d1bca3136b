// A process of the local pool (pool.ts forks it): it runs the requests it is sent one at a time,
// in-process (in-process.ts), and answers each with the exit status. On SIGINT/SIGTERM a training
// stops after its current step and saves a checkpoint (a second signal aborts it); any other job,
// or an idle process, exits at once: the job is then simply run again.
// The run layer is imported with the first job, after the signal handlers are in place: a signal
// that comes while it loads finds them.
import { EXIT_INTERRUPTED } from '../run/exit.ts';
import type { RunRequest } from '../run/requests.ts';

export interface JobMessage {
  request: RunRequest;
  log: string;
}

export interface JobReply {
  code: number;
}

let current: JobMessage | null = null;
let closing = false;

const trains = (request: RunRequest) => request.kind === 'train' || request.kind === 'resume';

function onSignal() {
  if (!current || !trains(current.request)) process.exit(EXIT_INTERRUPTED);
  closing = true;
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// the pool went away (or closed the channel): finish the job at hand, then leave
process.on('disconnect', () => {
  if (!current) process.exit(0);
  closing = true;
});

process.on('message', async (message: JobMessage) => {
  current = message;
  let code: number;
  try {
    const { runInProcess } = await import('./in-process.ts');
    code = await runInProcess(message.request, message.log, false, () => closing);
  } catch (err) {
    process.stderr.write(`neural-mfg: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    code = 70;
  }
  current = null;
  if (!process.connected) process.exit(code);
  process.send!({ code } satisfies JobReply, undefined, {}, () => {
    if (closing) process.exit(code);
  });
});
