// The library's public face in its own plain types: what a Node.js program sees of the games and
// of a model folder. These declarations reference no TF.js or WebGPU types, so that a consumer's
// `tsc` checks them without `skipLibCheck`; the engine's own interfaces (src/game.ts) stay inside.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { GAMES as ALL_GAMES } from '../games/index.ts';
import type { ExperimentConfig } from './config.ts';
import type { ModelManifest } from './io/model.ts';
import { inspectModel as inspect } from './run/models.ts';
import { PACKAGE_ROOT } from './package.ts';

/** What a program can learn about a game without running it. */
export interface GameInfo {
  /** the name the CLI and model folders use, e.g. "meeting" */
  readonly name: string;
  readonly title: string;
  /** raw preset configurations by name */
  readonly presets: Readonly<Record<string, unknown>>;
  readonly defaultPresets: { readonly simulate: string; readonly train: string; readonly generate: string };
  /** the game's own command-line flags and the configuration field each sets */
  readonly options: readonly { readonly flag: string; readonly field: string; readonly description: string; readonly choices: readonly string[] }[];
  /** the configuration fields --faithful sets (the reference implementation's behaviour) */
  readonly faithful?: Readonly<Record<string, unknown>>;
  readonly observations: {
    /** the CSV header of its observation files */
    readonly csvHeader: readonly string[];
    /** 'paired': one simulated trajectory per observation (Liar's dice); else every trajectory against every observation */
    readonly pairing?: 'all' | 'paired';
  };
  /** validates a raw configuration (throws an Error naming the field) */
  parseConfig(raw: unknown): ExperimentConfig;
}

/** The games this version knows, by name. */
export const GAMES: Readonly<Record<string, GameInfo>> = ALL_GAMES;

/** The game of that name; an Error naming the known games otherwise. */
export function gameByName(name: string): GameInfo {
  if (typeof name !== 'string') throw new TypeError(`gameByName: name must be a string, got ${typeof name}`);
  const g = GAMES[name];
  if (!g) throw new Error(`unknown game "${name}": choose one of ${Object.keys(GAMES).join(', ')}`);
  return g;
}

/** A model folder, read and checked, without building anything. */
export interface ModelInfo {
  /** the model folder itself (DIR/model when given a training run's folder DIR) */
  dir: string;
  manifest: ModelManifest;
  /** the network's weights, in the order of the manifest's network */
  params: Float32Array;
  game: GameInfo;
  config: ExperimentConfig;
}

/** Reads and checks a model folder (or a training run's folder): ModelFileError names what is wrong. */
export async function inspectModel(dir: string): Promise<ModelInfo> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('inspectModel: dir must be the path of a model folder');
  return inspect(dir);
}

/** The folder holding the models that ship with the package. */
export const SHIPPED_MODELS: string = join(PACKAGE_ROOT, 'models');

/** The names of the shipped models (e.g. "meeting-fig2b"). */
export function shippedModels(): string[] {
  if (!existsSync(SHIPPED_MODELS)) return [];
  return readdirSync(SHIPPED_MODELS, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(SHIPPED_MODELS, d.name, 'model.json')))
    .map((d) => d.name)
    .sort();
}

/** The folder of a shipped model, for loadModel: `loadModel(shippedModel('meeting-fig2b'))`. */
export function shippedModel(name: string): string {
  if (typeof name !== 'string') throw new TypeError(`shippedModel: name must be a string, got ${typeof name}`);
  const names = shippedModels();
  if (!names.includes(name)) throw new RangeError(`shippedModel: no shipped model "${name}"; the package ships ${names.join(', ')}`);
  return join(SHIPPED_MODELS, name);
}
