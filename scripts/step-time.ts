// npx tsx scripts/step-time.ts [GAME] [PRESET] [STEPS]: trains GAME's PRESET (default: liars-dice
// train) for STEPS steps (default 300) on the fused engine, without validation, in this process, and
// prints the median ms per step after the first fifth (the JIT's warm-up). Run it in two checkouts
// in turns to compare commits; NEURAL_MFG_THREADS=1 keeps the work on this thread, and with
// `node --import tsx --cpu-prof` Node writes a profile of it. Not a test.
import { GAMES } from '../games/index.ts';
import { applyOverrides } from '../src/config.ts';
import { buildModel } from '../src/run/experiment.ts';
import { trainLoop } from '../src/train/loop.ts';

const [name = 'liars-dice', preset = 'train', steps = '300'] = process.argv.slice(2);
const game = GAMES[name];
if (!game) throw new Error(`no game "${name}": one of ${Object.keys(GAMES).join(', ')}`);
const raw = game.rawConfig ? game.rawConfig(game.parseConfig(game.presets[preset])) : game.presets[preset];
const config = game.parseConfig(applyOverrides(raw, [`training.steps=${steps}`]));
const { model, streams } = buildModel({ game, preset, config }, 10, 'fused');
const train = game.observations.generate(config, streams.data, config.training.trainSamples);
const started = performance.now();
const { metrics } = await trainLoop({ model, train, validation: null, streams });
const ms = metrics.slice(Math.floor(metrics.length / 5)).map((m) => m.ms).sort((a, b) => a - b);
console.log(
  `${name} ${preset}, ${steps} steps: median ${ms[(ms.length - 1) >> 1].toFixed(4)} ms per step, ${(performance.now() - started).toFixed(0)} ms in all (threads: ${process.env.NEURAL_MFG_THREADS ?? 'default'})`,
);
