// NEURAL_MFG_THREADS=1 node --import tsx --cpu-prof scripts/profile-dice.ts [STEPS]: trains Liar's
// dice `train` (the preset, fused engine, no validation) for STEPS steps (default 60) in this
// process and prints the median ms per step; with --cpu-prof, Node writes a profile of it (where a
// step's time goes: the network's passes, the turn rules, the binomial tails). Not a test.
import { GAMES } from '../games/index.ts';
import { applyOverrides } from '../src/config.ts';
import { buildModel } from '../src/run/experiment.ts';
import { trainModel } from '../src/train/train.ts';

const steps = process.argv[2] ?? '60';
const game = GAMES['liars-dice'];
const config = game.parseConfig(applyOverrides(game.rawConfig!(game.parseConfig(game.presets.train)), [`training.steps=${steps}`]));
const { model, streams } = buildModel({ game, preset: 'train', config }, 10, 'fused');
const train = game.observations.generate(config, streams.data, config.training.trainSamples);
const started = performance.now();
const { metrics } = await trainModel({ model, train, validation: null, streams });
const ms = metrics.map((m) => m.ms).sort((a, b) => a - b);
console.log(`${steps} steps: median ${ms[ms.length >> 1].toFixed(2)} ms per step, ${(performance.now() - started).toFixed(0)} ms in all (threads: ${process.env.NEURAL_MFG_THREADS ?? 'default'})`);
