// What every command shares: the common options and every game's own flags, and their mapping
// onto the run layer's experiment and engine choice (src/run/experiment.ts).
import { Command, InvalidArgumentError, Option } from 'commander';
import { GAMES } from '../../games/index.ts';
import type { Game } from '../game.ts';
import type { ExperimentConfig } from '../config.ts';
import { BACKEND_NAMES, DEFAULT_BACKEND } from '../backend.ts';
import { ENGINE_NAMES, type EngineName } from '../mfg/engine.ts';
import { chooseEngine, experimentOf } from '../run/choose.ts';
import type { EngineChoice, Experiment } from '../run/experiment.ts';

export type { EngineChoice, Experiment } from '../run/experiment.ts';

export class UsageError extends Error {}

export interface CommonOptions {
  preset?: string;
  out?: string;
  seed: number;
  backend: string;
  set: string[];
  engine?: EngineName;
  [flag: string]: unknown;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseSeed(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new InvalidArgumentError('expected a whole number from 0 to 4294967295');
  }
  return n;
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

/** The experiment the command's options name (see src/run/experiment.ts). */
export function resolveExperiment(gameName: string, opts: CommonOptions, role: 'simulate' | 'train' | 'generate'): Experiment {
  const options: Record<string, unknown> = {};
  for (const g of Object.values(GAMES)) for (const o of g.options) options[o.flag] = opts[attributeName(o.flag)];
  return experimentOf(gameName, { preset: opts.preset, faithful: opts.faithful === true, set: opts.set, options }, role);
}

/** The command's engine, started; a note (why not the default) goes to stderr. */
export async function startEngine<C extends ExperimentConfig>(
  game: Game<C>,
  config: C,
  opts: Pick<CommonOptions, 'engine' | 'backend'> & { allowSoftware?: boolean },
): Promise<EngineChoice> {
  const choice = await chooseEngine(game, config, opts);
  if (choice.note) process.stderr.write(`note: ${choice.note}\n`);
  return choice;
}
