// A short training run of a preset on one engine, and the check that two engines' runs end alike:
// the engine comparisons of engines.test.ts (fused against graph) and gpu.test.ts (GPU against CPU).
import * as assert from 'uvu/assert';
import { GAMES } from '../../games/index.ts';
import { applyOverrides } from '../../src/config.ts';
import { MeanFieldModel } from '../../src/mfg/model.ts';
import type { EngineName } from '../../src/mfg/engine.ts';
import { randomStreams } from '../../src/streams.ts';
import { trainLoop } from '../../src/train/loop.ts';

export async function shortRun(gameName: string, preset: string, sets: string[], engine: EngineName) {
  const game = GAMES[gameName];
  const config = game.parseConfig(applyOverrides(game.presets[preset], sets));
  const s = randomStreams(7);
  const train = game.observations.generate(config, s.data, config.training.trainSamples);
  const validation = game.observations.generate(config, s.data, config.training.validationSamples);
  const model = new MeanFieldModel(game, config, s.dynamics, s.parameters, { engine });
  const { metrics } = await trainLoop({ model, train, validation, streams: s });
  return { metrics, params: model.params };
}

/** `engine`'s run of a preset ends at `reference`'s final losses and weights (1e-4). */
export async function assertSameTraining(game: string, preset: string, sets: string[], engine: EngineName, reference: EngineName): Promise<void> {
  const a = await shortRun(game, preset, sets, reference);
  const b = await shortRun(game, preset, sets, engine);
  const last = a.metrics[a.metrics.length - 1];
  const other = b.metrics[b.metrics.length - 1];
  for (const key of ['trainLoss', 'validationLoss'] as const) {
    const error = Math.abs(other[key]! - last[key]!) / Math.abs(last[key]!);
    assert.ok(error < 1e-4, `${game}: final ${key} ${engine} ${other[key]} vs ${reference} ${last[key]}`);
  }
  let worst = 0;
  a.params.forEach((p, i) => (worst = Math.max(worst, Math.abs(b.params[i] - p))));
  assert.ok(worst < 1e-4, `${game}: the trained weights differ by ${worst}`);
}
