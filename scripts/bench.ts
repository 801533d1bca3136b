// npm run bench [-- --backend wasm,cpu --steps 300]: ms per training step and the wall time of the
// whole fig2b run (300 steps, per-step validation on 1,000 samples), per backend. Prints figures;
// it is not a test. Reference (Python/JAX, 2-core CPU): 2.7 ms/step, ≈40 s for the run.
import { parseArgs } from 'node:util';
import os from 'node:os';
import { tf } from '../src/tf.ts';
import { useBackend } from '../src/backend.ts';
import { GAMES } from '../games/index.ts';
import { MeanFieldModel } from '../src/mfg/model.ts';
import { randomStreams } from '../src/random.ts';
import { trainModel } from '../src/train/train.ts';
import { applyOverrides } from '../src/config.ts';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm,cpu' },
    steps: { type: 'string', default: '300' },
    seed: { type: 'string', default: '10' },
  },
});

// game → preset that `npm run bench` times (each game adds its training preset here)
const BENCHMARKS: [string, string][] = [['meeting', 'fig2b'], ['el-farol', 'fig3b']];

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
console.log(`neural-mfg benchmark — ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, node ${process.version}, tfjs ${tf.version_core}`);
for (const backend of values.backend.split(',')) {
  await useBackend(backend, { explicit: true });
  for (const [gameName, preset] of BENCHMARKS) {
    const game = GAMES[gameName];
    const config = game.parseConfig(applyOverrides(game.presets[preset], [`training.steps=${values.steps}`]));
    const started = performance.now();
    const streams = randomStreams(Number(values.seed));
    const train = game.observations.generate(config, streams.data, config.training.trainSamples);
    const validation = game.observations.generate(config, streams.data, config.training.validationSamples);
    const model = new MeanFieldModel(game, config, streams.dynamics, streams.parameters);
    const { metrics } = await trainModel({ model, train, validation, streams });
    const wall = (performance.now() - started) / 1000;
    const last = metrics[metrics.length - 1];
    model.dispose();
    console.log(
      `${backend.padEnd(5)} ${gameName}/${preset}: ${median(metrics.map((m) => m.ms)).toFixed(2)} ms/step (median, incl. validation on ${config.training.validationSamples} samples), ` +
        `${metrics.length} steps in ${wall.toFixed(1)} s; final train/val loss ${last.trainLoss.toFixed(3)}/${last.validationLoss?.toFixed(3)}`,
    );
  }
}
