// The command-line tool: commander wiring only; each command lives in its own module.
import { availableParallelism } from 'node:os';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { GAMES } from '../../games/index.ts';
import { PACKAGE_VERSION } from '../package.ts';
import { engineOption, givenOptions, withCommonOptions } from './experiment.ts';
import { simulateCommand } from './simulate.ts';
import { generateCommand } from './generate.ts';
import { trainCommand } from './train.ts';
import { evalCommand } from './eval.ts';
import { BACKEND_NAMES, DEFAULT_BACKEND } from '../backend.ts';
import { doctorCommand } from './doctor.ts';
import { quietPipes } from './pipes.ts';
import { examplesText } from './examples.ts';
import { NonFiniteError } from '../finite.ts';
import { DEFAULT_CONNECT_TIMEOUT_S } from '../sweep/connect.ts';
import { dashboardCommand } from './dashboard.ts';

function parsePositiveInt(flag: string) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} ${value}: expected a positive whole number`);
    return n;
  };
}

function parseCount(flag: string) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${flag} ${value}: expected a whole number ≥ 0`);
    return n;
  };
}

function collectList(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** --workers N of the local pool: default one per core. */
function workersOption(description: string): Option {
  return new Option('--workers <n>', description).argParser(parsePositiveInt('--workers')).default(availableParallelism(), 'one per core');
}

/** --connect-timeout S of the queue commands: how long to keep trying to reach Redis. */
function connectTimeoutOption(): Option {
  return new Option('--connect-timeout <s>', 'give up reaching Redis after S seconds (one line per failed attempt, waits doubling from 0.5 s to 10 s)')
    .argParser(parsePositiveInt('--connect-timeout'))
    .default(DEFAULT_CONNECT_TIMEOUT_S);
}

function setCode(code: number): void {
  if (code !== 0) process.exitCode = code;
}

/** commander's message on one line ("… (Did you mean --seed?)" joined): "neural-mfg: …". */
function oneLine(text: string): string {
  return `neural-mfg: ${text.trim().split(/\s*\n\s*/).join(' ')}`;
}

export function buildProgram(): Command {
  const games = Object.keys(GAMES).join(', ');
  const program = new Command('neural-mfg')
    .description('Learn the dynamics of mean-field games from observations: MFG mechanics + a neural term, integrated by a differentiable solver on TensorFlow.js.')
    .version(PACKAGE_VERSION)
    // commander's own errors (unknown option, missing argument, bad choice) read like every other
    // usage error: one line "neural-mfg: …", exit status 2; subcommands inherit both settings
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`${oneLine(text.replace(/^error: /, ''))} (see --help)\n`) });

  withCommonOptions(
    program.command('simulate').argument('<game>', `one of: ${games}`).description('run the MFG dynamics alone (no network) and report each turn'),
    'output folder (summary.json, trajectory.csv, turns.svg)',
  ).action(async (game, opts) => {
    await simulateCommand(game, opts);
  });

  withCommonOptions(
    program.command('generate').argument('<game>', `one of: ${games}`).description("draw synthetic observations from the game's data generator"),
    'CSV file to write',
  )
    .option('--samples <n>', 'number of samples (default: the preset\'s training.trainSamples)', parsePositiveInt('--samples'))
    .option('--from-dynamics', "simulate the observations from the game's own MFG dynamics under the configuration (its --set values are the truth a recovery checks) instead of drawing them from its data generator")
    .action(async (game, opts) => {
      await generateCommand(game, opts);
    });

  withCommonOptions(
    program.command('train').argument('[game]', `one of: ${games}`).description('train the neural term on observations and save the model (checkpoints as it goes; --resume DIR continues)'),
    'output folder (model/, summary.json, metrics.csv, figures)',
  )
    .option('--data <file.csv>', 'training observations (default: generated from the seed as in the paper)')
    .option('--validation <file.csv>', 'validation observations (needs --data)')
    .option('--quiet', 'no progress output')
    .option('--resume <dir>', 'continue the interrupted run in DIR from DIR/checkpoint.json (to the same result as an uninterrupted run)')
    .option('--learn <fields>', "learn these mechanics parameters from the data (inverse MFG), e.g. --learn scheduledTime,quantile; they start at their configured values and stay in the game's range (inverse.learn)")
    .option('--bootstrap <K>', 'with --learn: retrain on K resamples of the training data and report a confidence interval per learned parameter (inverse.bootstrap)', parseCount('--bootstrap'))
    .action(async (game, opts, cmd: Command) => {
      const code = await trainCommand(game, { ...opts, given: givenOptions(cmd) });
      if (code !== 0) process.exitCode = code;
    });

  program
    .command('doctor')
    .description('list the TF.js backends: installed?, starts?, on what device?, and how to install a missing one')
    .option('--json', 'print the report as JSON')
    .action(async (opts) => {
      await doctorCommand(opts);
    });

  program
    .command('eval')
    .argument('<model-dir>', 'a model folder (a training run\'s folder DIR or DIR/model, or one shipped under models/)')
    .description('evaluate a trained model on observations: loss, the game\'s distances, a figure, summary.json')
    .requiredOption('--data <file.csv>', 'observations in the game\'s CSV format')
    .requiredOption('--out <dir>', 'output folder (summary.json, turns.svg, trajectory.csv)')
    .option('--seed <n>', 'seed of the evaluation populations and noise (default: the training seed)', parsePositiveInt('--seed'))
    .addOption(new Option('--backend <name>', 'TF.js backend').choices(BACKEND_NAMES).default(DEFAULT_BACKEND))
    .addOption(engineOption())
    .option('--allow-software', 'with --backend webgpu: run on software rendering (the CPU, not a GPU), which is refused otherwise')
    .option('--set <key=value>', "override a field of the model's configuration for this evaluation, e.g. --set training.evaluationPopulations=100 (repeatable; not the network's)", (v: string, prev: string[]) => [...prev, v], [])
    .option('--force', 'write into an --out that holds another run\'s results (they are removed first)')
    .action(async (dir, opts) => {
      await evalCommand(dir, opts);
    });

  withCommonOptions(
    program
      .command('analyze')
      .argument('<game>', `one of: ${games}`)
      .description("run one of the game's analyses (the sweeps behind a paper figure) from the preset of the same name, e.g. analyze liars-dice --preset data-efficiency"),
    'output folder (summary.json, one CSV per table, SVG figures; default runs/GAME-PRESET)',
  )
    .option('--quick', 'a reduced preview (fewer sweep points, steps and test games), not the paper\'s setting')
    .option('--data <csv>', 'training observations from a CSV file instead of generated ones (the game\'s schema; see its README)')
    .option('--seeds <list>', 'run every point with each of these seeds (e.g. 10-14): the tables and figures show the mean and 95% CI over seeds')
    .addOption(workersOption('processes that run the points at once'))
    .option('--retries <n>', 'extra attempts for a point that fails', parseCount('--retries'), 1)
    .option('--plan-only', 'write the sweep (DIR/sweep.json, a job per point and seed) without running it: for sweep run, sweep export or a queue')
    .action(async (game, opts, cmd: Command) => {
      const { analyzeCommand } = await import('./analyze.ts');
      const { passThroughArgv } = await import('./sweep.ts');
      const shared = passThroughArgv(cmd, { exclude: ['--out', '--seed', '--seeds', '--workers', '--retries', '--plan-only', '--force'] });
      const code = await analyzeCommand(game, opts, shared);
      if (code !== 0) process.exitCode = code;
    });

  const analyze = program.commands.find((c) => c.name() === 'analyze')!;
  if (!analyze.options.some((o) => o.long === '--force')) analyze.option('--force', 'run every point again (by default a point already finished in DIR is kept)');

  const sweep = program
    .command('sweep')
    .description('many runs as one sweep: plan a grid of train/simulate/eval jobs over --set values and seeds, run them on all cores, a job queue or a cluster, aggregate them');
  withCommonOptions(
    sweep
      .command('plan')
      .argument('<game>', `one of: ${games} (for --command eval: a model folder)`)
      .description('write DIR/sweep.json: a job per grid point and seed, each one command line with its own --set values and seed'),
    'the sweep\'s folder (sweep.json; each job writes to DIR/jobs/<point>,seed=<n>/)',
  )
    .option('--grid <field=v1,v2,…>', 'a configuration field and its values (repeatable: every combination is a point)', collectList, [])
    .option('--seeds <list>', 'seeds of every point, e.g. 10-14 or 10,11,15 (default: --seed)')
    .addOption(new Option('--command <name>', 'what each job runs').choices(['train', 'simulate', 'eval']).default('train'))
    .option('--data <file.csv>', 'train, eval: observations (as for train and eval)')
    .option('--validation <file.csv>', 'train: validation observations')
    .action(async (target, opts, cmd: Command) => (await import('./sweep.ts')).sweepPlanCommand(target, opts, cmd));
  const plan = sweep.commands.find((c) => c.name() === 'plan')!;
  if (!plan.options.some((o) => o.long === '--force')) plan.option('--force', 'replace another sweep planned in DIR (jobs whose command line is unchanged keep their results)');
  sweep
    .command('run')
    .argument('<dir>', 'a sweep folder (sweep plan, analyze --plan-only)')
    .description('run the jobs that have not finished: on a pool of processes here, or through a job queue (--queue); Ctrl-C leaves every job finished or resumable')
    .addOption(workersOption('processes at once'))
    .option('--retries <n>', 'extra attempts for a failed job', parseCount('--retries'), 1)
    .option('--queue <redis-url>', 'enqueue the jobs on BullMQ at redis://HOST:PORT for neural-mfg worker processes (on any machines) and wait for them')
    .option('--queue-name <name>', 'the BullMQ queue', 'neural-mfg')
    .addOption(connectTimeoutOption())
    .action(async (dir, opts) => setCode(await (await import('./sweep.ts')).sweepRunCommand(dir, opts)));
  sweep
    .command('run-one')
    .argument('<dir>', 'a sweep folder')
    .description('run job INDEX of the sweep in this process (what a Slurm array task or a Kubernetes indexed pod runs); a finished job is skipped')
    .requiredOption('--index <i>', 'the job (0-based): $SLURM_ARRAY_TASK_ID, $JOB_COMPLETION_INDEX', parseCount('--index'))
    .option('--retries <n>', 'extra attempts here (the cluster retries too)', parseCount('--retries'), 0)
    .action(async (dir, opts) => setCode(await (await import('./sweep.ts')).sweepRunOneCommand(dir, opts)));
  sweep
    .command('status')
    .argument('<dir>', 'a sweep folder')
    .description('every job\'s state (pending, started, done, failed, interrupted), attempts and time')
    .option('--json', 'print the status as JSON')
    .action(async (dir, opts) => (await import('./sweep.ts')).sweepStatusCommand(dir, opts));
  sweep
    .command('aggregate')
    .argument('<dir>', 'a sweep folder')
    .description('every metric of the jobs\' summary.json against the grid, mean and 95% CI over seeds: jobs.csv, aggregate.csv, figures/ (SVG, PNG), summary.json; for an analysis, its own tables and figures')
    .action(async (dir) => (await import('./sweep.ts')).sweepAggregateCommand(dir));
  sweep
    .command('export')
    .argument('<dir>', 'a sweep folder')
    .description('write the sweep for a cluster engine: an sbatch job-array script (slurm) or an Indexed Job manifest (kubernetes), each task running sweep run-one DIR --index I')
    .addOption(new Option('--to <engine>', 'the cluster engine').choices(['slurm', 'kubernetes']).makeOptionMandatory())
    .option('--command <cmd>', 'how neural-mfg is started there (slurm default: node <this checkout>/bin/neural-mfg.js; kubernetes: neural-mfg)')
    .option('--cpus <n>', 'CPUs per job (also its NEURAL_MFG_THREADS)', parsePositiveInt('--cpus'))
    .option('--memory <size>', 'memory per job (default: slurm 2G, kubernetes 2Gi; written into the script or manifest)')
    .option('--parallelism <n>', 'jobs at once (slurm: the array\'s %N; kubernetes: spec.parallelism)', parsePositiveInt('--parallelism'))
    .option('--partition <name>', 'slurm: the partition')
    .option('--time <limit>', 'slurm: wall time per task, e.g. 00:30:00')
    .option('--account <name>', 'slurm: the account')
    .option('--image <image>', 'kubernetes: a container image with neural-mfg installed')
    .option('--claim <pvc>', 'kubernetes: the PersistentVolumeClaim holding the sweep\'s folder')
    .option('--sub-path <path>', 'kubernetes: the folder inside the volume (default: its root)')
    .option('--mount <path>', 'kubernetes: where the folder is mounted in the container', '/sweep')
    .option('--retries <n>', 'kubernetes: spec.backoffLimitPerIndex (retries of each index)', parseCount('--retries'), 2)
    .option('--namespace <ns>', 'kubernetes: the namespace')
    .action(async (dir, opts) => (await import('./sweep.ts')).sweepExportCommand(dir, opts));

  program
    .command('worker')
    .description('take sweep jobs from a BullMQ queue (sweep run DIR --queue URL) and run them on a local pool, until stopped; results go to the shared sweep folder, or back through the queue')
    .requiredOption('--queue <redis-url>', 'the queue\'s Redis, redis://HOST:PORT')
    .option('--queue-name <name>', 'the BullMQ queue', 'neural-mfg')
    .addOption(workersOption('jobs at once (processes of its pool)'))
    .addOption(new Option('--results <where>', 'shared: the sweep folder must be visible here; queue: send the files back; auto: shared where visible').choices(['auto', 'shared', 'queue']).default('auto'))
    .addOption(connectTimeoutOption())
    .action(async (opts) => (await import('./sweep.ts')).workerCommand(opts));

  program
    .command('reproduce')
    .description("from a checkout of the repository: run the paper's experiments with fixed seeds and write REPORT.md (targets T1-T14, pass/fail, wall times); the same as npm run reproduce (see its --help)")
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption(false)
    .argument('[args...]', 'passed to npm run reproduce: all (default) or fig2a … fig6, --quick, --out DIR, --backend NAME, --engine NAME')
    .action(async (args: string[]) => {
      const { reproduceCommand } = await import('./reproduce.ts');
      const code = reproduceCommand(args);
      if (code !== 0) process.exitCode = code;
    });

  program
    .command('config')
    .argument('<game>', `one of: ${games}`)
    .description("print every configuration field of a preset: its value, the type it accepts and what it means (what --set can change)")
    .option('--preset <name>', 'configuration preset (default: the game\'s training preset)')
    .option('--set <key=value>', 'show the configuration with this override applied (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--faithful', "with the reference's known defects (see the game's README)")
    .option('--json', 'print the fields as JSON')
    .addHelpText('after', '\nExample:\n  $ neural-mfg config meeting --preset fig2a\n  $ neural-mfg config liars-dice --preset train --json')
    .action(async (game, opts) => {
      const { configCommand } = await import('./config.ts');
      configCommand(game, opts);
    });

  program
    .command('games')
    .description('list the games, their presets and game-specific options')
    .action(() => {
      for (const g of Object.values(GAMES)) {
        process.stdout.write(`${g.name}: ${g.title}\n  presets: ${Object.keys(g.presets).join(', ')}\n`);
        process.stdout.write(`  CSV header: ${g.observations.csvHeader.join(',')}\n`);
        for (const o of g.options) process.stdout.write(`  ${o.flag}  ${o.description}\n`);
        const faithful = Object.entries(g.faithful ?? {});
        if (faithful.length > 0) {
          process.stdout.write(`  --faithful sets: ${faithful.map(([field, value]) => `${field}=${JSON.stringify(value)}`).join(', ')}\n`);
        }
      }
    });
  dashboardCommand(program);
  for (const c of [...program.commands, ...program.commands.flatMap((parent) => parent.commands)]) {
    const text = examplesText(c.parent && c.parent !== program ? `${c.parent.name()} ${c.name()}` : c.name());
    if (text) c.addHelpText('after', text);
  }
  return program;
}

export async function main(argv: string[]): Promise<void> {
  quietPipes();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with 0; everything else commander refuses is a usage error
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    // one line, whatever the message holds (README: every error is one line)
    const message = (err instanceof Error ? err.message : String(err)).trim().replace(/\s*\n\s*/g, ' ');
    process.stderr.write(`neural-mfg: ${message}\n`);
    if (process.env.NEURAL_MFG_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    // numbers that stopped being numbers (NaN or infinite states, loss or weights) end with 3
    process.exitCode = err instanceof NonFiniteError ? 3 : 2;
  }
}
