// `neural-mfg sweep plan|run|run-one|status|aggregate|export` and `neural-mfg worker`: read the
// flags, call src/sweep, print. Every job is a command line of this tool (see src/sweep/manifest.ts).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { readManifest, jobAt, parseGridAxis, parseSeeds, planGridSweep, writeManifest } from '../sweep/manifest.ts';
import { runSession, sessionVerdict } from '../sweep/session.ts';
import { claimSweepFolder, lockFolder } from '../run/folder.ts';
import { EXIT_INTERRUPTED } from '../sweep/job.ts';
import { bundleArgv, bundledInput, copyInputs } from '../sweep/inputs.ts';
import { modelFolder } from '../run/models.ts';
import { resolveExperiment, UsageError, type CommonOptions } from './experiment.ts';

/** The options given on the command line (not defaults) as argv, file paths made absolute. */
export function passThroughArgv(cmd: Command, which: { exclude: string[] } | { only: string[] }): string[] {
  const values = cmd.opts();
  const keep = (long: string) => ('only' in which ? which.only.includes(long) : !which.exclude.includes(long));
  return cmd.options.flatMap((o) => {
    const name = o.attributeName();
    if (!o.long || !keep(o.long) || cmd.getOptionValueSource(name) !== 'cli') return [];
    const value = values[name];
    const path = (v: unknown) => (['--data', '--validation'].includes(o.long!) ? resolve(String(v)) : String(v));
    if (value === true) return [o.long];
    return (Array.isArray(value) ? value : [value]).flatMap((v) => [o.long!, path(v)]);
  });
}

type PlanOptions = CommonOptions & { grid: string[]; seeds?: string; command: 'train' | 'simulate' | 'eval'; force?: boolean };

export async function sweepPlanCommand(target: string, opts: PlanOptions, cmd: Command): Promise<void> {
  if (!opts.out) throw new UsageError('sweep plan needs --out DIR (the sweep\'s folder)');
  // the files the jobs read are copied into the sweep's folder (src/sweep/inputs.ts): it runs anywhere
  const { argv: shared, inputs } = await bundleArgv(passThroughArgv(cmd, { exclude: ['--out', '--seed', '--seeds', '--grid', '--command', '--force'] }));
  const model = opts.command === 'eval' ? await bundledInput(modelFolder(target), 'the model folder') : null;
  const manifest = planGridSweep({
    command: opts.command,
    target: model ? model.ref : target,
    shared,
    resume: passThroughArgv(cmd, { only: ['--engine', '--backend', '--allow-software'] }),
    grid: opts.grid.map(parseGridAxis),
    seeds: opts.seeds ? parseSeeds(opts.seeds) : [opts.seed],
    validate: (set) => void (opts.command !== 'eval' && resolveExperiment(target, { ...opts, set: [...opts.set, ...set] }, opts.command)),
  });
  // a sweep of the same target planned again goes on (--force: jobs whose command line is unchanged
  // keep their results); another run's results are refused unless --force
  const claim = await claimSweepFolder(opts.out, { command: 'sweep', game: manifest.target, force: opts.force === true, keepOnForce: true });
  const how = await copyInputs(opts.out, model ? [...inputs, model] : inputs)
    .then(() => writeManifest(opts.out!, manifest, opts.force))
    .finally(() => claim.release());
  process.stdout.write(`${how === 'unchanged' ? 'already planned' : 'planned'}: ${manifest.jobs.length} jobs (${opts.command} ${target}) in ${resolve(opts.out, 'sweep.json')}, sweep ${manifest.id}\n`);
}

export async function sweepRunCommand(dir: string, opts: { workers: number; retries: number; queue?: string; queueName: string; connectTimeout: number }): Promise<number> {
  const manifest = await readManifest(dir);
  const unlock = await lockFolder(dir, 'sweep run');
  const queue = opts.queue ? { queue: { url: opts.queue, name: opts.queueName, connectTimeoutS: opts.connectTimeout } } : {};
  const run = await runSession(dir, manifest, { workers: opts.workers, retries: opts.retries, ...queue }).finally(unlock);
  const verdict = sessionVerdict(dir, run);
  process.stdout.write(`${verdict.line}\n`);
  return verdict.code;
}

export async function sweepRunOneCommand(dir: string, opts: { index: number; retries: number }): Promise<number> {
  const [{ runOne }, manifest] = await Promise.all([import('../sweep/run-local.ts'), readManifest(dir)]);
  const outcome = await runOne(dir, manifest, jobAt(manifest, opts.index), opts.retries);
  process.stderr.write(`job ${opts.index} (${outcome.job.id}): ${outcome.skipped ? 'done before, skipped' : outcome.state}\n`);
  return outcome.state === 'done' ? 0 : outcome.state === 'interrupted' ? EXIT_INTERRUPTED : 1;
}

export async function sweepStatusCommand(dir: string, opts: { json?: boolean }): Promise<void> {
  const [{ sweepStatus, formatStatus }, manifest] = await Promise.all([import('../sweep/status.ts'), readManifest(dir)]);
  const status = await sweepStatus(dir, manifest);
  process.stdout.write(`${opts.json ? JSON.stringify(status, null, 2) : formatStatus(dir, manifest, status)}\n`);
}

export async function sweepAggregateCommand(dir: string): Promise<void> {
  const { aggregateSweep } = await import('../sweep/aggregate.ts');
  process.stdout.write(`${await aggregateSweep(dir, await readManifest(dir))}\n`);
}

export async function sweepExportCommand(dir: string, opts: Record<string, string | number | undefined> & { to: 'slurm' | 'kubernetes' }): Promise<void> {
  const { exportSweep } = await import('../sweep/export.ts');
  process.stdout.write(`${await exportSweep(dir, await readManifest(dir), opts.to, opts)}\n`);
}

export async function workerCommand(opts: { queue: string; queueName: string; workers: number; results: 'auto' | 'shared' | 'queue'; connectTimeout: number }): Promise<void> {
  const { startWorker } = await import('../sweep/queue.ts');
  const worker = startWorker({ url: opts.queue, queueName: opts.queueName, workers: opts.workers, results: opts.results, connectTimeoutS: opts.connectTimeout, log: (line) => process.stderr.write(`${line}\n`) });
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
}
