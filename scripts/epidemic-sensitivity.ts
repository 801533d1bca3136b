// npx tsx scripts/epidemic-sensitivity.ts [--set FIELD=VALUE ...]: why fused and graph differ on the
// epidemic's full japan-rolling window (16 cohorts, 56 days at dt 0.5) while they agree to float32
// rounding on its small settings (test/games.test.ts). It prints, at every 7th save time, the largest
// state difference of (a) fused against graph and (b) graph against graph from initial states nudged
// by 1e-7 relative: when (b) grows like (a), the dynamics (an untrained network's feedback on the
// contact levels) amplify rounding, and neither engine is wrong (docs/epidemic.md §7).
import { parseArgs } from 'node:util';
import { GAMES } from '../games/index.ts';
import { applyOverrides } from '../src/config.ts';
import { overridable } from '../src/config-fields.ts';
import { MeanFieldModel } from '../src/mfg/model.ts';
import type { EngineName } from '../src/mfg/engine.ts';
import { randomStreams } from '../src/streams.ts';
import { batchOf } from '../src/data/dataset.ts';
import { useBackend } from '../src/backend.ts';

const { values } = parseArgs({ options: { set: { type: 'string', multiple: true, default: [] }, preset: { type: 'string', default: 'japan-rolling' } } });
await useBackend('cpu', { explicit: true });
const game = GAMES.epidemic;
const parsed = game.parseConfig(applyOverrides(overridable(game, game.parseConfig(game.presets[values.preset!])), values.set!));
// learned mechanics held at their configured values: the graph engine learns none
const config = { ...parsed, inverse: { ...parsed.inverse, learn: [] } };

function run(engine: EngineName, nudge: number) {
  const s = randomStreams(3);
  const data = game.observations.generate(config, s.data, 1);
  const model = new MeanFieldModel(game, config, s.dynamics, s.parameters, { engine });
  const n = config.training.trajectories;
  const y0 = model.startStates(game.initialState(config, s.initialState), n);
  for (let i = 0; i < y0.length; i++) y0[i] *= 1 + nudge * ((i % 3) - 1);
  const request = () => ({ y0, trajectories: n, path: model.nextPath(n), network: true });
  const { loss } = model.lossAndGradient(request(), batchOf(data, [0]));
  const simulated = model.simulate(request());
  return { loss, states: simulated.states, times: simulated.saveAt, block: n * model.size };
}

const graph = run('graph', 0);
const others: [string, ReturnType<typeof run>][] = [['fused against graph', run('fused', 0)], ['graph nudged 1e-7 against graph', run('graph', 1e-7)]];
for (const [name, other] of others) {
  process.stdout.write(`${name}: loss ${other.loss.toPrecision(6)} against ${graph.loss.toPrecision(6)} (relative ${(Math.abs(other.loss - graph.loss) / graph.loss).toExponential(2)})\n`);
  for (let k = 0; k < graph.times.length; k += 14) {
    let top = 1e-30;
    let worst = 0;
    for (let i = k * graph.block; i < (k + 1) * graph.block; i++) {
      top = Math.max(top, Math.abs(graph.states[i]));
      worst = Math.max(worst, Math.abs(graph.states[i] - other.states[i]));
    }
    process.stdout.write(`  t = ${graph.times[k]}: largest state difference ${(worst / top).toExponential(2)} of the largest state\n`);
  }
}
