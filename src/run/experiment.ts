// What a run is made of before it starts: the game, its validated configuration, the seed, and the
// engine it runs on. A request names its experiment (ExperimentSpec: a preset, the reference's
// behaviour, overrides, the game's own options); experimentOf validates it once, and buildModel
// makes the model with the run's streams.
import { applyOverrides, ConfigError, setField, type ExperimentConfig } from '../config.ts';
import type { Game } from '../game.ts';
import { overridable } from '../config-fields.ts';
import { generatorFollowsAgents } from '../data/generators.ts';
import type { EngineName } from '../mfg/engine.ts';
import { MeanFieldModel } from '../mfg/model.ts';
import type { RandomStream } from '../random.ts';
import { randomStreams, type TrainingStreamName } from '../streams.ts';
import { gameByName, REGISTRY_MODULE } from '../../games/index.ts';

export interface Experiment<C extends ExperimentConfig = ExperimentConfig> {
  game: Game<C>;
  /** the preset it started from (null for a configuration given whole) */
  preset: string;
  config: C;
}

/** How a request names an experiment: a game, a preset, the reference's behaviour, overrides, game options. */
export interface ExperimentSpec {
  game: string;
  /** default: the game's preset for the role */
  preset?: string;
  /** the reference's known defects (the game's `faithful` fields) */
  faithful?: boolean;
  /** `key=value` overrides of configuration fields, in order */
  set: string[];
  /** the game's own options (its command-line flags) as configuration field → value, applied after `set` */
  options?: Record<string, string>;
  /** the solver (src/ode/solvers/: euler, euler-maruyama, heun, rk4), applied last; default: the configuration's */
  solver?: string;
}

/**
 * The validated configuration of an experiment: the preset, then the reference's behaviour, then
 * the overrides, then the game's own options. Errors name the preset or the field.
 */
export function experimentOf(spec: ExperimentSpec, role: 'simulate' | 'train' | 'generate'): Experiment {
  const game = gameByName(spec.game);
  const preset = spec.preset ?? game.defaultPresets[role];
  const raw = game.presets[preset];
  if (raw === undefined) {
    throw new ConfigError(`game "${game.name}" has no preset "${preset}": choose one of ${Object.keys(game.presets).join(', ')}`);
  }
  // overrides apply to the whole configuration, defaults included (a field a preset leaves to its
  // default can be set all the same)
  let cfg: unknown = overridable(game, game.parseConfig(raw));
  if (spec.faithful) {
    for (const [field, value] of Object.entries(game.faithful ?? {})) cfg = setField(cfg, field, value);
  }
  cfg = generatorFollowsAgents(applyOverrides(cfg, spec.set), spec.set);
  for (const [field, value] of Object.entries(spec.options ?? {})) {
    if (!game.options.some((o) => o.field === field)) throw new ConfigError(`game "${game.name}" has no option for the field ${field}`);
    cfg = setField(cfg, field, value);
  }
  if (spec.solver !== undefined) cfg = setField(cfg, 'solver', spec.solver);
  return { game, preset, config: game.parseConfig(cfg) };
}

/**
 * A model of the experiment built from the seed (its streams, its initial or given parameters),
 * on the engine the run layer chose (src/run/engine.ts).
 */
export function buildModel<C extends ExperimentConfig>(
  exp: Experiment<C>,
  seed: number,
  engine: EngineName,
  params?: Float32Array,
): { model: MeanFieldModel<C>; streams: Record<TrainingStreamName, RandomStream> } {
  const streams = randomStreams(seed);
  const model = new MeanFieldModel(exp.game, exp.config, streams.dynamics, params ?? streams.parameters, { engine, registry: REGISTRY_MODULE });
  return { model, streams };
}
