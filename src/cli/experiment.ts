// What every command shares: finding the game, its preset, applying --set and game flags,
// validating the configuration, starting the backend, and writing outputs.
import { Command, InvalidArgumentError, Option } from 'commander';
import { GAMES, gameByName } from '../../games/index.ts';
import type { Game } from '../game.ts';
import { applyOverrides, setField, type ExperimentConfig } from '../config.ts';
import { BACKEND_NAMES, DEFAULT_BACKEND, startEngineBackend } from '../backend.ts';
import { ENGINE_NAMES, resolveEngine, type EngineName } from '../mfg/engine.ts';
import { turnStats, type TurnStats } from '../mfg/model.ts';
import { populationBoxPlot, writeSvg } from '../plot/figures.ts';
import { writeCsv } from '../data/csv.ts';

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

/** Adds the options every command takes, and every game's own flags. */
export function withCommonOptions(cmd: Command, outDescription: string): Command {
  cmd
    .option('--preset <name>', 'configuration preset of the game (see "neural-mfg games")')
    .option('--out <path>', outDescription)
    .option('--seed <n>', 'experiment seed (data, initial states, noise, initialisation, shuffling)', parseSeed, 10)
    .addOption(new Option('--backend <name>', 'TF.js backend').choices(BACKEND_NAMES).default(DEFAULT_BACKEND))
    .option('--allow-software', 'with --backend webgpu: run on software rendering (Mesa llvmpipe/lavapipe, SwiftShader: the CPU, not a GPU), which is refused otherwise')
    .addOption(engineOption())
    .option('--set <key=value>', 'override a configuration field, e.g. --set training.steps=100 (repeatable)', collect, [])
    .option(
      '--faithful',
      "reproduce the Python reference's known defects (GAMES.md §6) instead of the corrected defaults; each game's README lists what it changes (--set and the game's flags still apply on top)",
    );
  const seen = new Set<string>();
  for (const game of Object.values(GAMES)) {
    for (const o of game.options) {
      if (seen.has(o.flag)) continue;
      seen.add(o.flag);
      cmd.addOption(new Option(o.flag, o.description).choices(o.choices));
    }
  }
  return cmd;
}

/** Camel-case attribute name commander uses for a flag such as "--noise-path <path>". */
function attributeName(flag: string): string {
  const long = flag.split(/[ ,]+/).find((p) => p.startsWith('--'))!.slice(2);
  return long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export interface Experiment<C extends ExperimentConfig = ExperimentConfig> {
  game: Game<C>;
  preset: string;
  config: C;
}

export function resolveExperiment(
  gameName: string,
  opts: CommonOptions,
  role: 'simulate' | 'train' | 'generate',
): Experiment {
  const game = gameByName(gameName);
  const preset = opts.preset ?? game.defaultPresets[role];
  const raw = game.presets[preset];
  if (raw === undefined) {
    throw new UsageError(`game "${game.name}" has no preset "${preset}": choose one of ${Object.keys(game.presets).join(', ')}`);
  }
  // preset, then --faithful, then --set, then the game's own flags
  let cfg: unknown = raw;
  if (opts.faithful) {
    for (const [field, value] of Object.entries(game.faithful ?? {})) cfg = setField(cfg, field, value);
  }
  cfg = applyOverrides(cfg, opts.set);
  for (const g of Object.values(GAMES)) {
    for (const o of g.options) {
      const value = opts[attributeName(o.flag)];
      if (value === undefined) continue;
      if (g !== game && !game.options.some((mine) => mine.flag === o.flag)) {
        throw new UsageError(`${o.flag.split(' ')[0]} is an option of the ${g.name} game, not of ${game.name}`);
      }
      cfg = setField(cfg, o.field, value);
    }
  }
  return { game, preset, config: game.parseConfig(cfg) };
}

/** The engine a command runs, its TF.js backend (null on the fused engine) and why, if not the default. */
export interface EngineChoice {
  engine: EngineName;
  backend: string | null;
  note: string | null;
}

/**
 * Decides the engine (--engine, else fused where the game has kernels; an explicit --backend means
 * graph) and starts the TF.js backend only for the graph engine: a fused run loads no TF.js.
 */
export async function startEngine<C extends ExperimentConfig>(game: Game<C>, config: C, opts: Pick<CommonOptions, 'engine' | 'backend'> & { allowSoftware?: boolean }): Promise<EngineChoice> {
  const explicit = opts.backend !== DEFAULT_BACKEND;
  const { engine, note } = resolveEngine(game, config, opts.engine, { backend: explicit ? opts.backend : undefined, gpu: true });
  if (note) process.stderr.write(`note: ${note}\n`);
  const backend = await startEngineBackend(engine, opts.backend, { explicit, allowSoftware: opts.allowSoftware === true });
  return { engine, backend, note };
}

/** Formats a state value the way the game's figures do (clock times for arrival times). */
export function formatValue(x: number, style: 'clock' | 'number'): string {
  if (style === 'number') return x.toFixed(3);
  const sign = x < 0 ? '-' : '';
  const minutes = Math.round(Math.abs(x) * 60);
  return `${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** trajectory.csv (turn, t, agent, value), the per-turn box plot, and the per-turn statistics. */
export async function writePopulation(
  dir: string,
  exp: Experiment,
  populations: number[][],
  opts: { title: string; observedMean?: number; file?: string },
): Promise<TurnStats[]> {
  const ts = exp.config.time.saveAt;
  const rows: (number | string)[][] = [];
  populations.forEach((pop, k) => pop.forEach((v, i) => rows.push([k + 1, ts[k], i, v])));
  await writeCsv(`${dir}/trajectory.csv`, ['turn', 't', 'agent', 'value'], rows, { digits: 7 });
  const style = exp.game.figureStyle?.(exp.config, opts.observedMean);
  if (!style) return turnStats(ts, populations);
  const svg = await populationBoxPlot({
    title: opts.title,
    turns: ts.map((_, k) => k + 1),
    values: populations,
    yTitle: style.yTitle,
    yFormat: style.yFormat,
    referenceLines: style.referenceLines,
    yDomain: style.yDomain,
    lastTurnHistogram: style.lastTurnHistogram,
  });
  await writeSvg(`${dir}/${opts.file ?? 'turns.svg'}`, svg);
  return turnStats(ts, populations);
}

/** A metric for people: 4 decimals, lists in brackets. */
export function formatMetric(v: number | number[]): string {
  return Array.isArray(v) ? `[${v.map((x) => x.toFixed(4)).join(', ')}]` : v.toFixed(4);
}

export function quantiles(values: number[], qs: number[]): number[] {
  const s = [...values].sort((a, b) => a - b);
  return qs.map((q) => {
    const r = q * (s.length - 1);
    const lo = Math.floor(r);
    const hi = Math.min(lo + 1, s.length - 1);
    return s[lo] + (s[hi] - s[lo]) * (r - lo);
  });
}

export function median(values: number[]): number {
  return quantiles(values, [0.5])[0];
}
