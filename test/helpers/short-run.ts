// A short training run of a preset on one engine, and the check that two engines' runs end alike:
// the engine comparisons of games.test.ts (fused against graph) and gpu.test.ts (GPU against CPU).
import * as assert from 'uvu/assert';
import { GAMES } from '../../games/index.ts';
import { applyOverrides, type ExperimentConfig } from '../../src/config.ts';
import { MeanFieldModel } from '../../src/mfg/model.ts';
import type { EngineName } from '../../src/mfg/engine.ts';
import { randomStreams } from '../../src/streams.ts';
import { trainLoop } from '../../src/train/loop.ts';

/**
 * The configuration two engines can both run: learned mechanics (inverse.learn) held at their
 * configured values, where a learned one starts. The fused engine alone learns them (src/mfg/model.ts);
 * its ∂b/∂θ is checked against finite differences instead (games.test.ts). Built past parseConfig,
 * which refuses network.kind "none" with nothing learned: such a run compares losses and states.
 */
export function heldMechanics<C extends ExperimentConfig>(config: C): C {
  if (!config.inverse || config.inverse.learn.length === 0) return config;
  return { ...config, inverse: { ...config.inverse, learn: [] } };
}

export async function shortRun(gameName: string, preset: string, sets: string[], engine: EngineName, held = false) {
  const game = GAMES[gameName];
  const parsed = game.parseConfig(applyOverrides(game.presets[preset], sets));
  const config = held ? heldMechanics(parsed) : parsed;
  const s = randomStreams(7);
  const train = game.observations.generate(config, s.data, config.training.trainSamples);
  const validation = game.observations.generate(config, s.data, config.training.validationSamples);
  const model = new MeanFieldModel(game, config, s.dynamics, s.parameters, { engine });
  const { metrics } = await trainLoop({ model, train, validation, streams: s });
  return { metrics, params: model.params };
}

/** `engine`'s run of a preset ends at `reference`'s final losses and weights (1e-4), learned mechanics held. */
export async function assertSameTraining(game: string, preset: string, sets: string[], engine: EngineName, reference: EngineName): Promise<void> {
  const a = await shortRun(game, preset, sets, reference, true);
  const b = await shortRun(game, preset, sets, engine, true);
  const last = a.metrics[a.metrics.length - 1];
  const other = b.metrics[b.metrics.length - 1];
  for (const key of ['trainLoss', 'validationLoss'] as const) {
    // a preset without validation samples has no validation loss to compare
    if (last[key] === null || last[key] === undefined) {
      assert.is(other[key], last[key], `${game}: ${key}`);
      continue;
    }
    const error = Math.abs(other[key]! - last[key]!) / Math.abs(last[key]!);
    assert.ok(error < 1e-4, `${game}: final ${key} ${engine} ${other[key]} vs ${reference} ${last[key]}`);
  }
  let worst = 0;
  a.params.forEach((p, i) => (worst = Math.max(worst, Math.abs(b.params[i] - p))));
  assert.ok(worst < 1e-4, `${game}: the trained weights differ by ${worst}`);
}
