// The command-line tool: the program, one line per command (each command is its own module that
// registers its flags and turns them into a run request), and how errors end the process.
import { Command, CommanderError } from 'commander';
import { PACKAGE_VERSION } from '../package.ts';
import { quietPipes } from './pipes.ts';
import { examplesText } from './examples.ts';
import { NonFiniteError } from '../finite.ts';
import { EXIT_DIVERGED } from '../run/exit.ts';
import { registerSimulate } from './simulate.ts';
import { registerGenerate } from './generate.ts';
import { registerTrain } from './train.ts';
import { registerDoctor } from './doctor.ts';
import { registerEval } from './eval.ts';
import { registerForecast } from './forecast.ts';
import { registerAnalyze } from './analyze.ts';
import { registerSweep } from './sweep.ts';
import { registerWorker } from './worker.ts';
import { registerReproduce } from './reproduce.ts';
import { registerConfig } from './config.ts';
import { registerGames } from './games.ts';
import { registerDashboard } from './dashboard.ts';

/** The commands, in the order --help lists them. */
const COMMANDS: ((program: Command) => void)[] = [
  registerSimulate,
  registerGenerate,
  registerTrain,
  registerDoctor,
  registerEval,
  registerForecast,
  registerAnalyze,
  registerSweep,
  registerWorker,
  registerReproduce,
  registerConfig,
  registerGames,
  registerDashboard,
];

/** commander's message on one line ("… (Did you mean --seed?)" joined): "neural-mfg: …". */
function oneLine(text: string): string {
  return `neural-mfg: ${text.trim().split(/\s*\n\s*/).join(' ')}`;
}

export function buildProgram(): Command {
  const program = new Command('neural-mfg')
    .description('Learn the dynamics of mean-field games from observations: MFG mechanics + a neural term, integrated by a differentiable solver on TensorFlow.js.')
    .version(PACKAGE_VERSION)
    // commander's own errors (unknown option, missing argument, bad choice) read like every other
    // usage error: one line "neural-mfg: …", exit status 2; subcommands inherit both settings
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`${oneLine(text.replace(/^error: /, ''))} (see --help)\n`) });
  for (const register of COMMANDS) register(program);
  // every command and subcommand ("sweep plan") ends its --help with its examples
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
    process.exitCode = err instanceof NonFiniteError ? EXIT_DIVERGED : 2;
  }
}
