// npm run bench [-- --backend wasm,cpu --steps 300 --games meeting,el-farol,liars-dice]: ms per
// training step and the wall time of each game's training run (meeting fig2b and El Farol fig3b:
// 300 steps with per-step validation; Liar's dice `train`: its 500 steps by default are long, so
// `--dice-steps` (default 100) bounds it), then the wall time of each game's analyses
// (`--analyses quick` by default: their --quick preview; `full`: the paper's setting, where the
// bluff sweeps take about an hour each on 2 cores; `none`). Prints figures; it is not a test.
// Reference (Python/JAX, 2-core CPU): meeting 2.7 ms/step and ≈40 s; El Farol 1.4 ms/step and
// 17 s; Liar's dice ≈16 ms/step.
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
    games: { type: 'string', default: 'meeting,el-farol,liars-dice' },
    'dice-steps': { type: 'string', default: '100' },
    analyses: { type: 'string', default: 'quick' },
  },
});

// game → preset that `npm run bench` times (each game adds its training preset here)
const BENCHMARKS: [string, string][] = [
  ['meeting', 'fig2b'],
  ['el-farol', 'fig3b'],
  ['liars-dice', 'train'],
].filter(([game]) => values.games.split(',').includes(game)) as [string, string][];

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
console.log(`neural-mfg benchmark — ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, node ${process.version}, tfjs ${tf.version_core}`);
for (const backend of values.backend.split(',')) {
  await useBackend(backend, { explicit: true });
  for (const [gameName, preset] of BENCHMARKS) {
    const game = GAMES[gameName];
    const steps = gameName === 'liars-dice' ? values['dice-steps'] : values.steps;
    const config = game.parseConfig(applyOverrides(game.presets[preset], [`training.steps=${steps}`]));
    const started = performance.now();
    const streams = randomStreams(Number(values.seed));
    const train = game.observations.generate(config, streams.data, config.training.trainSamples);
    const validation = game.observations.generate(config, streams.data, config.training.validationSamples);
    const model = new MeanFieldModel(game, config, streams.dynamics, streams.parameters);
    const { metrics } = await trainModel({ model, train, validation, streams });
    const wall = (performance.now() - started) / 1000;
    const last = metrics[metrics.length - 1];

    console.log(
      `${backend.padEnd(5)} ${gameName}/${preset}: ${median(metrics.map((m) => m.ms)).toFixed(2)} ms/step (median, incl. validation on ${config.training.validationSamples} samples), ` +
        `${metrics.length} steps in ${wall.toFixed(1)} s; final train/val loss ${last.trainLoss.toFixed(3)}/${last.validationLoss?.toFixed(3)}`,
    );
  }
}

// The analyses (sweeps of whole experiments) of the selected games, on the first backend.
const analysesMode = values.analyses;
if (!['quick', 'full', 'none'].includes(analysesMode)) throw new Error(`--analyses ${analysesMode}: expected quick, full or none`);
if (analysesMode !== 'none') {
  const backend = values.backend.split(',')[0];
  await useBackend(backend, { explicit: true });
  for (const [gameName] of BENCHMARKS) {
    const game = GAMES[gameName];
    for (const [name, analysis] of Object.entries(game.analyses ?? {})) {
      const config = game.parseConfig(applyOverrides(game.presets[name], analysesMode === 'quick' ? analysis.quick : []));
      const started = performance.now();
      await analysis.run({ game, config, seed: Number(values.seed), progress: () => {} });
      const wall = (performance.now() - started) / 1000;
      console.log(`${backend.padEnd(5)} analyze ${gameName} --preset ${name}${analysesMode === 'quick' ? ' --quick' : ''}: ${wall.toFixed(1)} s`);
    }
  }
}
