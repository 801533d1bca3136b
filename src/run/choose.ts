// How a front end turns its choices into an experiment and an engine: the game by name from the
// registry, the preset with the reference's behaviour, overrides and game options on top, and the
// engine with what it runs on started.
import { applyOverrides, ConfigError, setField, type ExperimentConfig } from '../config.ts';
import type { Game } from '../game.ts';
import { overridable } from '../config-fields.ts';
import { generatorFollowsAgents } from '../data/generators.ts';
import { GAMES, gameByName } from '../../games/index.ts';
import { DEFAULT_BACKEND, startEngineBackend } from '../backend.ts';
import { resolveEngine, type EngineName } from '../mfg/engine.ts';
import type { EngineChoice, Experiment } from './experiment.ts';

/** How a front end names an experiment: a preset, the reference's behaviour, overrides, game flags. */
export interface ExperimentChoice {
  /** default: the game's preset for the role */
  preset?: string;
  /** the reference's known defects (the game's `faithful` fields) */
  faithful?: boolean;
  /** `key=value` overrides of configuration fields */
  set: string[];
  /** the values of games' own options, by option flag (e.g. "--noise <layout>"); undefined: not given */
  options: Record<string, unknown>;
}

/**
 * The validated configuration of an experiment: the preset, then the reference's behaviour, then
 * the overrides, then the game's own options. Errors name the preset, the field or the option.
 */
export function experimentOf(gameName: string, choice: ExperimentChoice, role: 'simulate' | 'train' | 'generate'): Experiment {
  const game = gameByName(gameName);
  const preset = choice.preset ?? game.defaultPresets[role];
  const raw = game.presets[preset];
  if (raw === undefined) {
    throw new ConfigError(`game "${game.name}" has no preset "${preset}": choose one of ${Object.keys(game.presets).join(', ')}`);
  }
  // overrides apply to the whole configuration, defaults included (a field a preset leaves to its
  // default can be set all the same)
  let cfg: unknown = overridable(game, game.parseConfig(raw));
  if (choice.faithful) {
    for (const [field, value] of Object.entries(game.faithful ?? {})) cfg = setField(cfg, field, value);
  }
  cfg = generatorFollowsAgents(applyOverrides(cfg, choice.set), choice.set);
  for (const g of Object.values(GAMES)) {
    for (const o of g.options) {
      const value = choice.options[o.flag];
      if (value === undefined) continue;
      if (g !== game && !game.options.some((mine) => mine.flag === o.flag)) {
        throw new ConfigError(`${o.flag.split(' ')[0]} is an option of the ${g.name} game, not of ${game.name}`);
      }
      cfg = setField(cfg, o.field, value);
    }
  }
  return { game, preset, config: game.parseConfig(cfg) };
}

/**
 * Decides the engine (the one asked for, else fused where the game has kernels; an explicit
 * TF.js backend means graph, webgpu the GPU engine) and starts what it runs on: a TF.js backend
 * only for the graph engine (a fused run loads no TF.js), the GPU for the GPU engine.
 */
export async function chooseEngine<C extends ExperimentConfig>(
  game: Game<C>,
  config: C,
  opts: { engine?: EngineName; backend: string; allowSoftware?: boolean },
): Promise<EngineChoice> {
  const explicit = opts.backend !== DEFAULT_BACKEND;
  const { engine, note } = resolveEngine(game, config, opts.engine, { backend: explicit ? opts.backend : undefined, gpu: true });
  const backend = await startEngineBackend(engine, opts.backend, { explicit, allowSoftware: opts.allowSoftware === true });
  return { engine, backend, note };
}
