// npx tsx scripts/count-kernels.ts [game] [preset] [backend]: TF.js kernels run and tensor reads
// back to the host per training step (3 steps, no validation), the two numbers that set a step's
// cost on a GPU backend (each kernel is one dispatch, each read a round trip). Prints figures.
import { tf } from '../src/tf.ts';
import { useBackend } from '../src/backend.ts';
import { GAMES } from '../games/index.ts';
import { MeanFieldModel } from '../src/mfg/model.ts';
import { randomStreams } from '../src/streams.ts';
import { trainLoop } from '../src/train/loop.ts';
import { applyOverrides } from '../src/config.ts';

const [gameName = 'meeting', preset, backend = 'cpu'] = process.argv.slice(2);
await useBackend(backend, { explicit: true });
const game = GAMES[gameName];
if (!game) throw new Error(`unknown game ${gameName}: one of ${Object.keys(GAMES).join(', ')}`);
const presetName = preset ?? game.defaultPresets.train;
// Liar's dice has its own preset schema (no training.validationSamples)
const overrides = gameName === 'liars-dice' ? ['training.steps=3'] : ['training.steps=3', 'training.validationSamples=0'];
const config = game.parseConfig(applyOverrides(game.presets[presetName], overrides));

const backendImpl = tf.backend() as unknown as { readSync(id: object): unknown };
const engine = tf.engine() as unknown as { runKernel(...args: unknown[]): unknown };
let reads = 0;
let kernels = 0;
const readSync = backendImpl.readSync.bind(backendImpl);
backendImpl.readSync = (id) => {
  reads++;
  return readSync(id);
};
const runKernel = engine.runKernel.bind(engine);
engine.runKernel = (...args) => {
  kernels++;
  return runKernel(...args);
};

const streams = randomStreams(10);
const train = game.observations.generate(config, streams.data, config.training.trainSamples);
const model = new MeanFieldModel(game, config, streams.dynamics, streams.parameters, { engine: 'fused' });
console.log(`${gameName}/${presetName} on ${backend}:`);
await trainLoop({
  model,
  train,
  validation: null,
  streams,
  onStep: (m) => {
    console.log(`  step ${m.step}: ${kernels} kernels, ${reads} reads to the host`);
    kernels = 0;
    reads = 0;
  },
});

