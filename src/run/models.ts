// Trained model folders as runs see them: read and checked against the games this version knows
// (src/io/model.ts reads the files; here the game and configuration are found and matched).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GAMES } from '../../games/index.ts';
import type { Game } from '../game.ts';
import { ConfigError, type ExperimentConfig } from '../config.ts';
import { withOverrides } from '../config-fields.ts';
import { RequestError } from './requests.ts';
import { diffusionSpec, networkSpec } from '../mfg/model.ts';
import { parameterCount, type MlpSpec } from '../nn/spec.ts';
import { readModel, ModelFileError, type ModelManifest } from '../io/model.ts';

export interface InspectedModel {
  manifest: ModelManifest;
  params: Float32Array;
  game: Game;
  config: ExperimentConfig;
}

/**
 * The model folder `dir` names: the folder itself, or the model/ folder of a training run's
 * folder (`eval runs/x` finds runs/x/model).
 */
export function modelFolder(dir: string): string {
  if (!existsSync(join(dir, 'model.json')) && existsSync(join(dir, 'model', 'model.json'))) return join(dir, 'model');
  return dir;
}

/**
 * Checks a model folder (or a run folder holding model/) against the games this version knows and
 * returns the parts to build it.
 */
export async function inspectModel(runOrModelDir: string): Promise<InspectedModel & { dir: string }> {
  const dir = modelFolder(runOrModelDir);
  const { manifest, params } = await readModel(dir);
  const where = join(dir, 'model.json');
  const game = GAMES[manifest.game];
  if (!game) {
    throw new ModelFileError(`${where}: unknown game "${manifest.game}" (this neural-mfg knows ${Object.keys(GAMES).join(', ')})`);
  }
  let config: ExperimentConfig;
  try {
    config = game.parseConfig(manifest.config);
  } catch (err) {
    if (err instanceof ConfigError) throw new ModelFileError(`${where}: ${err.message}`);
    throw err;
  }
  const spec = networkSpec(game, config);
  const diffusion = diffusionSpec(config);
  const expected = parameterCount(spec) + (diffusion ? parameterCount(diffusion) : 0);
  const declared = manifest.network;
  const matches = (a: MlpSpec, b: MlpSpec | undefined) => (Object.keys(a) as (keyof MlpSpec)[]).every((k) => b?.[k] === a[k]);
  const same = matches(spec, declared) && (diffusion ? matches(diffusion, manifest.diffusion) : manifest.diffusion === undefined);
  if (!same || params.length !== expected) {
    throw new ModelFileError(
      `${where}: the network (${JSON.stringify(declared)}) does not match its configuration (${JSON.stringify(spec)}, ${expected} weights)`,
    );
  }
  return { manifest, params, game, config, dir };
}

/**
 * A model's configuration with overrides for one use of it (eval --set, the library's simulate
 * options): populations, times, mechanics, the number of agents where the network does not depend
 * on it (the agent network), never the network itself. `what` names the overrides in errors.
 */
export function overriddenConfig(model: { game: Game; config: ExperimentConfig; dir: string }, sets: string[], what: string, use: string): ExperimentConfig {
  if (sets.length === 0) return model.config;
  const { game } = model;
  let config: ExperimentConfig;
  try {
    config = withOverrides(game, model.config, sets);
  } catch (err) {
    if (err instanceof ConfigError) throw new RequestError(err.message);
    throw err;
  }
  // the agent network's shape does not depend on the number of agents: agents=N runs it on N
  const networks = (c: ExperimentConfig) => JSON.stringify([networkSpec(game, c), diffusionSpec(c), c.network.kind, c.network.quantiles, c.noise.diffusion]);
  if (networks(config) !== networks(model.config)) {
    throw new RequestError(`${what}: that changes the network of the model in ${model.dir}, which ${use} cannot do (train a new model)`);
  }
  return config;
}
