// What every command shares: the common options and every game's own flags, their parsers, and how
// a command's options become a run request (src/run/requests.ts) that the run layer executes.
import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { GAMES, gameByName } from '../../games/index.ts';
import { BACKEND_NAMES, DEFAULT_BACKEND } from '../backend.ts';
import { ENGINE_NAMES, type EngineName } from '../mfg/engine-name.ts';
import { SOLVER_NAMES } from '../ode/solvers/index.ts';
import type { EngineAsk } from '../run/engine.ts';
import type { ExperimentSpec } from '../run/experiment.ts';
import { execute } from '../run/execute.ts';
import { consoleIO, type RunIO } from '../run/io.ts';
import { trains, type RunRequest } from '../run/requests.ts';
import { DEFAULT_CONNECT_TIMEOUT_S } from '../sweep/manifest.ts';
import { trainingProgress } from './progress.ts';
import { untilInterrupted } from './interrupt.ts';

export class UsageError extends Error {}

export interface CommonOptions {
  preset?: string;
  out?: string;
  seed: number;
  backend: string;
  set: string[];
  engine?: EngineName;
  allowSoftware?: boolean;
  force?: boolean;
  faithful?: boolean;
  [flag: string]: unknown;
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function parseSeed(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new InvalidArgumentError('expected a whole number from 0 to 4294967295');
  }
  return n;
}

export function parsePositiveInt(flag: string) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} ${value}: expected a positive whole number`);
    return n;
  };
}

export function parseCount(flag: string) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${flag} ${value}: expected a whole number ≥ 0`);
    return n;
  };
}

/** --workers N of the local pool: default one per core. */
export function workersOption(description: string): Option {
  return new Option('--workers <n>', description).argParser(parsePositiveInt('--workers')).default(availableParallelism(), 'one per core');
}

/** --connect-timeout S of the queue commands (sweep run --queue, worker): how long to keep trying to reach Redis. */
export function connectTimeoutOption(): Option {
  return new Option('--connect-timeout <s>', 'give up reaching Redis after S seconds (one line per failed attempt, waits doubling from 0.5 s to 10 s)')
    .argParser(parsePositiveInt('--connect-timeout'))
    .default(DEFAULT_CONNECT_TIMEOUT_S);
}

/** --engine: fused (typed-array kernels, the default where a game has them) or graph (TF.js autodiff). */
export function engineOption(): Option {
  return new Option(
    '--engine <name>',
    'how the solve and its gradient run: fused (one pass of typed-array kernels with a hand-written reverse pass; the default wherever the game provides kernels) or graph (TF.js ops and autodiff, on any --backend)',
  ).choices(ENGINE_NAMES);
}

const ROLES = ['simulate', 'train', 'generate'];

/** Each game's default preset for a command, in words: "meeting fig2b, el-farol fig3b, …". */
function defaultPresets(command: string): string {
  if (!ROLES.includes(command)) return command === 'analyze' ? 'the preset named after the analysis' : "the game's training preset";
  const role = command as 'simulate' | 'train' | 'generate';
  return Object.values(GAMES).map((g) => `${g.name} ${g.defaultPresets[role]}`).join(', ');
}

/** Adds the options every command takes, and every game's own flags. */
export function withCommonOptions(cmd: Command, outDescription: string): Command {
  cmd
    .option('--preset <name>', `configuration preset of the game (default${ROLES.includes(cmd.name()) ? ` for ${cmd.name()}` : ''}: ${defaultPresets(cmd.name())}; "neural-mfg games" lists them)`)
    .option('--out <path>', outDescription)
    .option('--seed <n>', 'experiment seed (data, initial states, noise, initialisation, shuffling)', parseSeed, 10)
    .addOption(new Option('--backend <name>', 'TF.js backend').choices(BACKEND_NAMES).default(DEFAULT_BACKEND))
    .option('--allow-software', 'with --backend webgpu: run on software rendering (Mesa llvmpipe/lavapipe, SwiftShader: the CPU, not a GPU), which is refused otherwise')
    .addOption(engineOption())
    .addOption(new Option('--solver <name>', 'the solver of every engine (src/ode/solvers/): euler, euler-maruyama (with noise), heun (order 2; Stratonovich with noise) or rk4 (order 4; no noise); default: the preset\'s (the same as --set solver=NAME)').choices(SOLVER_NAMES))
    .option('--set <key=value>', 'override a configuration field, e.g. --set training.steps=100 (repeatable; neural-mfg config GAME lists the fields)', collect, [])
    .option('--force', 'write into an --out that holds another run\'s results (they are removed first; files neural-mfg did not write stay)')
    .option(
      '--faithful',
      "reproduce the Python reference's known defects (docs/reference-defects.md) instead of the corrected defaults; each game's README lists what it changes (--set and the game's flags still apply on top)",
    );
  const seen = new Set<string>();
  for (const game of Object.values(GAMES)) {
    for (const o of game.options) {
      if (seen.has(o.flag)) continue;
      seen.add(o.flag);
      // no choices: a free value (a date), checked by the configuration
      cmd.addOption(o.choices.length > 0 ? new Option(o.flag, o.description).choices(o.choices) : new Option(o.flag, o.description));
    }
  }
  return cmd;
}

/** The options given on the command line or in the environment (not defaults), by attribute name. */
export function givenOptions(cmd: Command): Set<string> {
  return new Set(Object.keys(cmd.opts()).filter((k) => ['cli', 'env'].includes(cmd.getOptionValueSource(k) ?? '')));
}

/** Camel-case attribute name commander uses for a flag such as "--noise-path <path>". */
function attributeName(flag: string): string {
  const long = flag.split(/[ ,]+/).find((p) => p.startsWith('--'))!.slice(2);
  return long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The experiment the options name: the game's own flags become the configuration fields they set. */
export function experimentSpec(gameName: string, opts: CommonOptions): ExperimentSpec {
  const game = gameByName(gameName);
  const options: Record<string, string> = {};
  for (const g of Object.values(GAMES)) {
    for (const o of g.options) {
      const value = opts[attributeName(o.flag)];
      if (value === undefined) continue;
      const mine = game.options.find((m) => m.flag === o.flag);
      if (!mine) throw new UsageError(`${o.flag.split(' ')[0]} is an option of the ${g.name} game, not of ${game.name}`);
      options[mine.field] = String(value);
    }
  }
  return {
    game: game.name,
    ...(opts.preset ? { preset: opts.preset } : {}),
    ...(opts.faithful ? { faithful: true } : {}),
    set: opts.set,
    ...(Object.keys(options).length ? { options } : {}),
    ...(typeof opts.solver === 'string' ? { solver: opts.solver } : {}),
  };
}

/** --engine, --backend, --allow-software as the request's engine fields. */
export function engineAsk(opts: Pick<CommonOptions, 'engine' | 'backend' | 'allowSoftware'>): EngineAsk {
  return { ...(opts.engine ? { engine: opts.engine } : {}), backend: opts.backend, ...(opts.allowSoftware ? { allowSoftware: true } : {}) };
}

/** The run layer's words on this process's streams, with a progress bar for trainings unless quiet. */
export function cliIO(opts: { quiet?: boolean } = {}): RunIO {
  return { ...consoleIO(opts), ...(opts.quiet ? {} : { progress: (label: string, total: number, at: number) => trainingProgress(label, total, at) }) };
}

/**
 * Executes a request through the run layer and sets the exit status. A training is interruptible:
 * Ctrl-C stops it after the current step and still saves everything trained so far.
 */
export async function runRequest(req: RunRequest, opts: { quiet?: boolean } = {}): Promise<void> {
  const io = cliIO(opts);
  const code = trains(req)
    ? await untilInterrupted('interrupted: finishing this step, then saving a checkpoint and what was trained (Ctrl-C again to abort)', (stopped) => execute(req, { ...io, shouldStop: stopped }))
    : await execute(req, io);
  if (code !== 0) process.exitCode = code;
}
