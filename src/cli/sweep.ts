// `neural-mfg sweep plan|run|run-one|status|aggregate`: read the flags, call src/sweep, print. A
// sweep's jobs are run requests (src/run/requests.ts): `plan` makes the one every job shares from
// the flags, each job adds its grid point's overrides and its seed.
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { GAMES } from '../../games/index.ts';
import { experimentOf } from '../run/experiment.ts';
import { claimSweepFolder, lockFolder } from '../run/folder.ts';
import { EXIT_INTERRUPTED } from '../run/execute.ts';
import { modelFolder } from '../run/models.ts';
import { DEFAULT_QUEUE_NAME, jobAt, parseGridAxis, parseSeeds, planGridSweep, readManifest, writeManifest, type SweepBase } from '../sweep/manifest.ts';
import { bundleRequest, copyInputs } from '../sweep/inputs.ts';
import { registerSweepExport } from './sweep-export.ts';
import { collect, connectTimeoutOption, engineAsk, experimentSpec, givenOptions, parseCount, UsageError, withCommonOptions, workersOption, type CommonOptions } from './options.ts';

type PlanOptions = CommonOptions & { grid: string[]; seeds?: string; command: 'train' | 'simulate' | 'eval'; data?: string; validation?: string };

/** What an eval sweep takes besides where it writes and its grid: eval evaluates the model's own configuration. */
const EVAL_TAKES = ['data', 'set', 'engine', 'backend', 'allowSoftware', 'out', 'seed', 'seeds', 'grid', 'command', 'force'];
const flag = (attribute: string) => `--${attribute.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The request every job of the sweep shares, file paths made absolute (then copied into the sweep: inputs.ts). */
function baseRequest(target: string, opts: PlanOptions, cmd: Command): SweepBase {
  const engine = engineAsk(opts);
  const abs = (key: 'data' | 'validation') => (opts[key] ? { [key]: resolve(opts[key]!) } : {});
  if (opts.command === 'eval') {
    const foreign = [...givenOptions(cmd)].filter((o) => !EVAL_TAKES.includes(o));
    if (foreign.length > 0) throw new UsageError(`an eval sweep takes --data, --set, --engine, --backend, --allow-software, not ${foreign.map(flag).join(', ')}`);
    if (!opts.data) throw new UsageError('an eval sweep needs --data FILE.csv');
    return { kind: 'eval', model: resolve(modelFolder(target)), data: resolve(opts.data), set: opts.set, seed: opts.seed, ...engine };
  }
  const spec = experimentSpec(target, opts);
  return opts.command === 'train' ? { kind: 'train', ...spec, ...engine, seed: opts.seed, ...abs('data'), ...abs('validation') } : { kind: 'simulate', ...spec, ...engine, seed: opts.seed };
}

export function registerSweep(program: Command): void {
  const sweep = program
    .command('sweep')
    .description('many runs as one sweep: plan a grid of train/simulate/eval jobs over --set values and seeds, run them on all cores, a job queue or a cluster, aggregate them');
  withCommonOptions(
    sweep.command('plan').argument('<game>', `one of: ${Object.keys(GAMES).join(', ')} (for --command eval: a model folder)`).description('write DIR/sweep.json: a job per grid point and seed, each one request with its own --set values and seed'),
    "the sweep's folder (sweep.json; each job writes to DIR/jobs/<point>,seed=<n>/)",
  )
    .option('--grid <field=v1,v2,…>', 'a configuration field and its values (repeatable: every combination is a point)', collect, [])
    .option('--seeds <list>', 'seeds of every point, e.g. 10-14 or 10,11,15 (default: --seed)')
    .addOption(new Option('--command <name>', 'what each job runs').choices(['train', 'simulate', 'eval']).default('train'))
    .option('--data <file.csv>', 'train, eval: observations (as for train and eval)')
    .option('--validation <file.csv>', 'train: validation observations')
    .action(async (target: string, opts: PlanOptions, cmd: Command) => {
      if (!opts.out) throw new UsageError("sweep plan needs --out DIR (the sweep's folder)");
      // the files the jobs read are copied into the sweep's folder (src/sweep/inputs.ts): it runs anywhere
      const { request: base, inputs } = await bundleRequest(baseRequest(target, opts, cmd));
      const manifest = planGridSweep({
        target: base.kind === 'eval' ? base.model : target,
        base,
        grid: opts.grid.map(parseGridAxis),
        seeds: opts.seeds ? parseSeeds(opts.seeds) : [opts.seed],
        validate: (set) => void (base.kind !== 'eval' && experimentOf({ ...base, set: [...base.set, ...set] }, base.kind === 'train' ? 'train' : 'simulate')),
      });
      // a sweep of the same target planned again goes on (--force: jobs whose request is unchanged
      // keep their results); another run's results are refused unless --force
      const claim = await claimSweepFolder(opts.out, { command: 'sweep', game: manifest.target, force: opts.force === true, keepOnForce: true });
      const how = await copyInputs(opts.out, inputs)
        .then(() => writeManifest(opts.out!, manifest, opts.force))
        .finally(() => claim.release());
      process.stdout.write(`${how === 'unchanged' ? 'already planned' : 'planned'}: ${manifest.jobs.length} jobs (${opts.command} ${target}) in ${resolve(opts.out, 'sweep.json')}, sweep ${manifest.id}\n`);
    });
  sweep
    .command('run')
    .argument('<dir>', 'a sweep folder (sweep plan, analyze --plan-only)')
    .description('run the jobs that have not finished: on a pool of processes here, or through a job queue (--queue); Ctrl-C leaves every job finished or resumable')
    .addOption(workersOption('processes at once'))
    .option('--retries <n>', 'extra attempts for a failed job', parseCount('--retries'), 1)
    .option('--queue <redis-url>', 'enqueue the jobs on BullMQ at redis://HOST:PORT for neural-mfg worker processes (on any machines) and wait for them')
    .option('--queue-name <name>', 'the BullMQ queue', DEFAULT_QUEUE_NAME)
    .addOption(connectTimeoutOption())
    .action(async (dir: string, opts: { workers: number; retries: number; queue?: string; queueName: string; connectTimeout: number }) => {
      const [{ runSession, sessionVerdict }, manifest] = await Promise.all([import('../sweep/session.ts'), readManifest(dir)]);
      const unlock = await lockFolder(dir, 'sweep run');
      const run = await runSession(dir, manifest, { workers: opts.workers, retries: opts.retries, ...(opts.queue ? { queue: { url: opts.queue, name: opts.queueName, connectTimeoutS: opts.connectTimeout } } : {}) }).finally(unlock);
      const verdict = sessionVerdict(dir, run);
      process.stdout.write(`${verdict.line}\n`);
      if (verdict.code !== 0) process.exitCode = verdict.code;
    });
  sweep
    .command('run-one')
    .argument('<dir>', 'a sweep folder')
    .description('run job INDEX of the sweep in this process (what a Slurm array task or a Kubernetes indexed pod runs); a finished job is skipped')
    .requiredOption('--index <i>', 'the job (0-based): $SLURM_ARRAY_TASK_ID, $JOB_COMPLETION_INDEX', parseCount('--index'))
    .option('--retries <n>', 'extra attempts here (the cluster retries too)', parseCount('--retries'), 0)
    .action(async (dir: string, opts: { index: number; retries: number }) => {
      const [{ runOne }, manifest] = await Promise.all([import('../sweep/run-local.ts'), readManifest(dir)]);
      const outcome = await runOne(dir, jobAt(manifest, opts.index), opts.retries);
      process.stderr.write(`job ${opts.index} (${outcome.job.id}): ${outcome.skipped ? 'done before, skipped' : outcome.state}\n`);
      if (outcome.state !== 'done') process.exitCode = outcome.state === 'interrupted' ? EXIT_INTERRUPTED : 1;
    });
  sweep
    .command('status')
    .argument('<dir>', 'a sweep folder')
    .description("every job's state (pending, started, done, failed, interrupted), attempts and time")
    .option('--json', 'print the status as JSON')
    .action(async (dir: string, opts: { json?: boolean }) => {
      const [{ sweepStatus, formatStatus }, manifest] = await Promise.all([import('../sweep/status.ts'), readManifest(dir)]);
      const status = await sweepStatus(dir, manifest);
      process.stdout.write(`${opts.json ? JSON.stringify(status, null, 2) : formatStatus(dir, manifest, status)}\n`);
    });
  sweep
    .command('aggregate')
    .argument('<dir>', 'a sweep folder')
    .description("every metric of the jobs' summary.json against the grid, mean and 95% CI over seeds: jobs.csv, aggregate.csv, figures/ (SVG, PNG), summary.json; for an analysis, its own tables and figures")
    .action(async (dir: string) => {
      const { aggregateSweep } = await import('../sweep/aggregate.ts');
      process.stdout.write(`${await aggregateSweep(dir, await readManifest(dir))}\n`);
    });
  registerSweepExport(sweep);
}
