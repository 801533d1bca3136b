// A process of the local pool (pool.ts forks it): it runs the command lines it is sent one at a
// time, in-process, and answers each with the exit code. On SIGINT/SIGTERM a `train` job stops
// after its current step and saves a checkpoint (train's own handler; a second signal aborts it);
// any other job, or an idle process, exits at once: the job is then simply run again.
import { runInProcess } from './in-process.ts';
import { EXIT_INTERRUPTED } from './job.ts';

export interface JobMessage {
  argv: string[];
  log: string;
}

export interface JobReply {
  code: number;
}

let current: JobMessage | null = null;
let closing = false;

function onSignal() {
  if (!current || current.argv[0] !== 'train') process.exit(EXIT_INTERRUPTED);
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
    code = await runInProcess(message.argv, message.log);
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
