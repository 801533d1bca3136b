// `neural-mfg worker --queue URL`: take sweep jobs from a BullMQ queue (src/sweep/queue.ts) and run
// their requests on a local pool, until stopped.
import { Option, type Command } from 'commander';
import { DEFAULT_QUEUE_NAME } from '../sweep/manifest.ts';
import { connectTimeoutOption, workersOption } from './options.ts';

interface WorkerOptions {
  queue: string;
  queueName: string;
  workers: number;
  results: 'auto' | 'shared' | 'queue';
  connectTimeout: number;
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('take sweep jobs from a BullMQ queue (sweep run DIR --queue URL) and run them on a local pool, until stopped; results go to the shared sweep folder, or back through the queue')
    .requiredOption('--queue <redis-url>', "the queue's Redis, redis://HOST:PORT")
    .option('--queue-name <name>', 'the BullMQ queue', DEFAULT_QUEUE_NAME)
    .addOption(workersOption('jobs at once (processes of its pool)'))
    .addOption(new Option('--results <where>', 'shared: the sweep folder must be visible here; queue: send the files back; auto: shared where visible').choices(['auto', 'shared', 'queue']).default('auto'))
    .addOption(connectTimeoutOption())
    .action(async (opts: WorkerOptions) => {
      const { startWorker } = await import('../sweep/queue.ts');
      const worker = startWorker({
        url: opts.queue,
        queueName: opts.queueName,
        workers: opts.workers,
        results: opts.results,
        connectTimeoutS: opts.connectTimeout,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      let signals = 0;
      for (const signal of ['SIGINT', 'SIGTERM']) {
        process.on(signal, () => {
          process.stderr.write(++signals === 1 ? `worker: ${signal}: taking no new job; running trains checkpoint and go back to the queue (again to abort)\n` : `worker: ${signal}: aborting\n`);
          worker.stop();
        });
      }
      process.stderr.write(`worker: taking jobs from queue "${opts.queueName}" at ${opts.queue}, ${opts.workers} at a time (Ctrl-C stops: running trains checkpoint and go back to the queue)\n`);
      await worker.finished;
      process.exit(process.exitCode ?? 0); // the queue's connections may still be retrying a Redis that went away
    });
}
