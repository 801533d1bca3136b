// The command-line tool: commander wiring only; each command lives in its own module.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { GAMES } from '../../games/index.ts';
import { PACKAGE_VERSION } from '../version.ts';
import { engineOption, withCommonOptions } from './experiment.ts';
import { simulateCommand } from './simulate.ts';
import { generateCommand } from './generate.ts';
import { trainCommand } from './train.ts';
import { evalCommand } from './eval.ts';
import { BACKEND_NAMES, DEFAULT_BACKEND } from '../backend.ts';
import { doctorCommand } from './doctor.ts';
import { quietPipes } from './pipes.ts';

function parsePositiveInt(flag: string) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} ${value}: expected a positive whole number`);
    return n;
  };
}

export function buildProgram(): Command {
  const games = Object.keys(GAMES).join(', ');
  const program = new Command('neural-mfg')
    .description('Learn the dynamics of mean-field games from observations: MFG mechanics + a neural term, integrated by a differentiable solver on TensorFlow.js.')
    .version(PACKAGE_VERSION)
    .showHelpAfterError('(run with --help for usage)');

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
    .action(async (game, opts) => {
      const code = await trainCommand(game, opts);
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
    .argument('<model-dir>', 'a model folder written by train (DIR/model) or shipped under models/')
    .description('evaluate a trained model on observations: loss, the game\'s distances, a figure, summary.json')
    .requiredOption('--data <file.csv>', 'observations in the game\'s CSV format')
    .requiredOption('--out <dir>', 'output folder (summary.json, turns.svg, trajectory.csv)')
    .option('--seed <n>', 'seed of the evaluation populations and noise (default: the training seed)', parsePositiveInt('--seed'))
    .addOption(new Option('--backend <name>', 'TF.js backend').choices(BACKEND_NAMES).default(DEFAULT_BACKEND))
    .addOption(engineOption())
    .option('--allow-software', 'with --backend webgpu: run on software rendering (the CPU, not a GPU), which is refused otherwise')
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
    .action(async (game, opts) => {
      const { analyzeCommand } = await import('./analyze.ts');
      await analyzeCommand(game, opts);
    });

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
  return program;
}

export async function main(argv: string[]): Promise<void> {
  quietPipes();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`neural-mfg: ${message}\n`);
    if (process.env.NEURAL_MFG_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 2;
  }
}
