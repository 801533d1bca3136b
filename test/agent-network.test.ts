// The mean-field agent network (network.kind "agent", --neural agent): one small MLP shared by every
// agent, reading its own state, the time and a fixed-size population summary. It is equivariant to
// the order of the agents, the same weights run at any population size, eval and simulate take
// --set agents=N for it, and the paper's population network stays the default, drawn as before.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testBackend } from './helpers/backend.ts';
import { GAMES } from '../games/index.ts';
import { ConfigError, type ExperimentConfig } from '../src/config.ts';
import { withOverrides } from '../src/config-fields.ts';
import type { MeetingConfig } from '../games/meeting/index.ts';
import { experimentOf } from '../src/run/experiment.ts';
import { experimentSpec } from '../src/cli/options.ts';
import { gpuUnsupported } from '../src/gpu/support.ts';
import { MeanFieldModel, networkSpec } from '../src/mfg/model.ts';
import { agentFeatures } from '../src/mfg/agent-network.ts';
import { agentNetworkKernels } from '../src/fused/agent-network.ts';
import { FusedMlp } from '../src/fused/mlp.ts';
import { fusedForward, fusedReverse, type FusedSystem } from '../src/fused/solve.ts';
import { bindMlp } from '../src/nn/mlp.ts';
import { initialParameters, parameterCount } from '../src/nn/spec.ts';
import { RandomStream } from '../src/random.ts';
import { randomStreams } from '../src/streams.ts';
import { populationsAt } from '../src/mfg/model.ts';
import { tf } from '../src/tf.ts';
import type { EngineName } from '../src/mfg/engine.ts';

test.before(testBackend);

const meeting = GAMES.meeting;

/** The meeting game's fig2b with `--set` overrides over the parsed preset (as the CLI applies them). */
function meetingConfig(sets: string[]): ExperimentConfig {
  return withOverrides(meeting, meeting.parseConfig(meeting.presets.fig2b), sets);
}

function permutation(n: number, rng: RandomStream): Int32Array {
  return rng.permutation(n);
}

test('the paper\'s model stays the default: a population network, a constant σ, the mse loss, parameters drawn as before', () => {
  const config = meeting.parseConfig(meeting.presets.fig2b);
  assert.is(config.network.kind, 'population');
  assert.is(config.noise.diffusion, 'fixed');
  assert.is(config.training.loss, 'mse');
  const spec = networkSpec(meeting, config);
  assert.equal(spec, { inputSize: 42, outputSize: 42, width: 8, depth: 3, activation: 'softplus', outputActivation: 'identity' });
  const model = new MeanFieldModel(meeting, config, randomStreams(10).dynamics, randomStreams(10).parameters, { engine: 'fused' });
  assert.is(model.diffusionSpec, null);
  assert.equal(Array.from(model.params), Array.from(Float32Array.from(initialParameters(spec, randomStreams(10).parameters))));
});

test('the agent network reads x_i, t and [mean, std, quantiles]: its size does not depend on the number of agents', () => {
  const small = networkSpec(meeting, meetingConfig(['network.kind="agent"']));
  const large = networkSpec(meeting, meetingConfig(['network.kind="agent"', 'agents=4200']));
  assert.equal(small, large);
  assert.is(small.inputSize, 4 + 3);
  assert.is(small.outputSize, 1);
  assert.is(networkSpec(meeting, meetingConfig(['network.kind="agent"', 'network.quantiles=[0.8]'])).inputSize, 5);
});

test('permuting the agents permutes the agent network\'s drift: fused exactly, graph to float32', () => {
  const rng = new RandomStream(4);
  const config = meetingConfig(['network.kind="agent"']);
  const spec = networkSpec(meeting, config);
  const params = Float32Array.from(initialParameters(spec, rng));
  const n = 42;
  const y = Float32Array.from({ length: 2 * n }, () => rng.normal(13, 1.5)); // two populations
  const perm = permutation(n, rng);
  const permuted = Float32Array.from(y, (_, j) => y[Math.floor(j / n) * n + perm[j % n]]);
  const kernels = agentNetworkKernels(n, [0.2, 0.5, 0.8]);
  const mlp = new FusedMlp(spec);
  const drift = (state: Float32Array) => {
    const input = new Float32Array(2 * n * kernels.inputSize);
    kernels.input(3, state, 2, { observations: null, keys: new Uint32Array(2) }, input, null);
    const out = new Float32Array(2 * n);
    mlp.forward(params, input, 2 * n, out, null, false);
    return out;
  };
  const a = drift(y);
  const b = drift(permuted);
  for (let j = 0; j < 2 * n; j++) assert.is(b[j], a[Math.floor(j / n) * n + perm[j % n]], `fused agent ${j}`);
  // the graph engine's network on the same states
  const graph = (state: Float32Array) =>
    tf.tidy(() => bindMlp(spec, tf.tensor1d(params))(agentFeatures(3, tf.tensor2d(state, [2, n]), [0.2, 0.5, 0.8])).dataSync() as Float32Array);
  const ga = graph(y);
  const gb = graph(permuted);
  for (let j = 0; j < 2 * n; j++) {
    assert.ok(Math.abs(gb[j] - ga[Math.floor(j / n) * n + perm[j % n]]) < 1e-5, `graph agent ${j}`);
    assert.ok(Math.abs(ga[j] - a[j]) < 1e-5, `graph = fused, agent ${j}`);
  }
});

test('a whole solve is equivariant: permuted initial arrival times end permuted (both engines)', () => {
  const config = meetingConfig(['network.kind="agent"']);
  const rng = new RandomStream(7);
  const x0 = meeting.initialState(config, rng);
  const perm = permutation(42, rng);
  for (const engine of ['fused', 'graph'] as EngineName[]) {
    const run = (start: Float64Array) => {
      const s = randomStreams(3);
      const model = new MeanFieldModel(meeting, config, s.dynamics, s.parameters, { engine });
      return populationsAt(model.simulate({ y0: Float32Array.from(start), trajectories: 1, path: model.nextPath(1), network: true }), 1);
    };
    const a = run(x0);
    const b = run(Float64Array.from(perm, (p) => x0[p]));
    for (let k = 0; k < a.length; k++) {
      for (let i = 0; i < 42; i++) assert.ok(Math.abs(b[k][i] - a[k][perm[i]]) < 1e-5, `${engine}: save ${k}, agent ${i}`);
    }
  }
});

test('the same weights run at 42 and 4,200 agents: a population copied 100 times gets the same drift', () => {
  const quantiles = [0, 0.5, 1]; // order statistics that a copied population keeps exactly
  const config = meetingConfig(['network.kind="agent"', `network.quantiles=${JSON.stringify(quantiles)}`]);
  const spec = networkSpec(meeting, config);
  const rng = new RandomStream(5);
  const params = Float32Array.from(initialParameters(spec, rng));
  const small = Float32Array.from({ length: 42 }, () => rng.normal(12, 0.5));
  const large = new Float32Array(4200);
  for (let c = 0; c < 100; c++) large.set(small, c * 42);
  const mlp = new FusedMlp(spec);
  const drift = (y: Float32Array) => {
    const kernels = agentNetworkKernels(y.length, quantiles);
    const input = new Float32Array(y.length * kernels.inputSize);
    kernels.input(1, y, 1, { observations: null, keys: new Uint32Array(1) }, input, null);
    const out = new Float32Array(y.length);
    mlp.forward(params, input, y.length, out, null, false);
    return out;
  };
  const a = drift(small);
  const b = drift(large);
  for (let i = 0; i < 4200; i++) assert.is(b[i], a[i % 42], `agent ${i}`);
  // and whole models of either size run with them: solved from the copied population (with the
  // common noise path of fig2b), every copy of an agent follows that agent's path at every save
  // time, and the population moves as the 42 agents do, but for the game's own percentile T: that
  // of 100 copies is an order statistic of the 42, not their interpolation, which moves one agent
  // of 42 differently at the first step (1/42 h) and the mean by 0.19 h at the last
  const runs = [42, 4200].map((agents) => {
    const sized = withOverrides(meeting, config, [`agents=${agents}`]);
    const s = randomStreams(2);
    const model = new MeanFieldModel(meeting, sized, s.dynamics, params, { engine: 'fused' });
    const y0 = agents === 42 ? small : large;
    const run = model.simulate({ y0: Float32Array.from(y0), trajectories: 1, path: model.nextPath(1), network: true });
    assert.is(run.states.length, sized.time.saveAt.length * agents);
    return populationsAt(run, 1);
  });
  const [alone, copied] = runs;
  for (let k = 0; k < copied.length; k++) {
    for (let i = 0; i < 4200; i++) assert.is(copied[k][i], copied[k][i % 42], `save ${k}: copy ${Math.floor(i / 42)} of agent ${i % 42}`);
    const meanOf = (v: ArrayLike<number>, n: number) => Array.from(v).slice(0, n).reduce((a, b) => a + b, 0) / n;
    const gap = Math.abs(meanOf(copied[k], 42) - meanOf(alone[k], 42));
    assert.ok(gap < 0.25, `save ${k}: the mean of 100 copies is ${gap.toFixed(3)} h from the 42 agents' own`);
  }
  assert.ok(Math.abs(copied.at(-1)![0] - small[0]) > 0.5, 'the agents moved');
});

test('the reverse pass gives the same gradient whether it keeps the network\'s tapes or recomputes them', () => {
  const config = meetingConfig(['network.kind="agent"', 'noise.diffusion="neural"', 'noise.layout="independent"']);
  const s = randomStreams(6);
  const model = new MeanFieldModel(meeting, config, s.dynamics, s.parameters, { engine: 'fused' });
  const spec = model.spec;
  const diffusion = model.diffusionSpec!;
  const path = model.nextPath(2)!;
  const offset = Math.log(Math.expm1(config.noise.sigma));
  const sys: FusedSystem = {
    kernels: meeting.kernels!(config, s.dynamics),
    network: { mlp: new FusedMlp(spec), params: model.params, adapter: agentNetworkKernels(42, [0.2, 0.5, 0.8]) },
    diffusion: { mlp: new FusedMlp(diffusion), params: model.params.subarray(parameterCount(spec)), adapter: agentNetworkKernels(42, [0.2, 0.5, 0.8]), offset },
    size: 42,
    t0: 1,
    dt: 1,
    noise: { sigma: config.noise.sigma, increments: path.values, trajectories: 2, perTrajectory: 42 },
  };
  const y0 = model.startStates(meeting.initialState(config, s.initialState), 2);
  const ctx = { observations: null, keys: new Uint32Array(2) };
  const seed = new Map([[14, Float64Array.from({ length: 84 }, (_, i) => Math.sin(i))]]);
  const gradients = [false, true].map((recompute) => {
    const run = fusedForward(sys, y0, 2, ctx, { steps: 14, record: true, recompute });
    assert.is(run.recompute, recompute);
    return fusedReverse(sys, run, 2, ctx, seed);
  });
  assert.is(gradients[0].length, model.params.length);
  assert.equal(Array.from(gradients[1]), Array.from(gradients[0]));
});

test('--set agents=N alone resizes the population, the generator following (data.perGroup = N / data.groups)', () => {
  const { config } = experimentOf({ game: 'meeting', set: ['agents=4200'] }, 'train') as { config: MeetingConfig };
  assert.is(config.agents, 4200);
  assert.equal(config.data.groups * config.data.perGroup, 4200);
  assert.is(config.data.groups, 6);
  // a size the groups do not divide: the error says which sizes work
  assert.throws(() => experimentOf({ game: 'meeting', set: ['agents=1000000'] }, 'train'), (e: Error) => e instanceof ConfigError && /multiple of data\.groups = 6, e\.g\. 1000002/.test(e.message));
  // data.perGroup given too: taken as it is
  const own = experimentOf({ game: 'meeting', set: ['agents=120', 'data.groups=10', 'data.perGroup=12'] }, 'train') as { config: MeetingConfig };
  assert.equal([own.config.data.groups, own.config.data.perGroup], [10, 12]);
});

test('the GPU engine runs the paper\'s model only: the new options say why they stay on the CPU', () => {
  assert.is(gpuUnsupported(meeting, meeting.parseConfig(meeting.presets.fig2b)), null);
  assert.match(gpuUnsupported(meeting, meetingConfig(['network.kind="agent"']))!, /network\.kind "agent"/);
  assert.match(gpuUnsupported(meeting, meetingConfig(['noise.diffusion="neural"']))!, /noise\.diffusion/);
  assert.match(gpuUnsupported(meeting, meetingConfig(['training.loss="energy"']))!, /training\.loss "energy"/);
});

test('--neural is refused where it does not apply; network.kind "none" needs a neural diffusion', () => {
  // the CLI maps a game's flag onto its field: a flag of another game is refused there
  assert.throws(() => experimentSpec('liars-dice', { seed: 10, backend: 'wasm', set: [], neural: 'agent' }), /--neural is an option of the/);
  assert.throws(() => meetingConfig(['network.kind="none"']), (e: Error) => e instanceof ConfigError && /network\.kind/.test(e.message));
  const agent = experimentOf(experimentSpec('el-farol', { seed: 10, backend: 'wasm', set: [], neural: 'agent' }), 'train');
  assert.is(agent.config.network.kind, 'agent');
});

/** The values of a generated meeting CSV (sample,agent,arrival), read here independently of the package. */
function csvValues(file: string): number[] {
  return readFileSync(file, 'utf8').trim().split('\n').slice(1).map((line) => Number(line.split(',')[2]));
}

/** Linear interpolation between order statistics. */
function quantileOf(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const r = q * (s.length - 1);
  const lo = Math.floor(r);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (r - lo);
}

test('CLI: eval --set agents=N runs an agent network on N agents, against samples of N agents or of the trained size, and refuses it for the population network', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nmfg-agent-'));
  const cli = (args: string[]) => spawnSync(process.execPath, ['bin/neural-mfg.js', ...args], { encoding: 'utf8' });
  const summaryOf = (name: string) => JSON.parse(readFileSync(join(dir, name, 'summary.json'), 'utf8'));
  try {
    const quick = ['--set', 'training.steps=3', '--set', 'training.validationSamples=8', '--set', 'training.evaluationPopulations=2', '--quiet'];
    assert.is(cli(['train', 'meeting', '--neural', 'agent', ...quick, '--out', join(dir, 'agent')]).status, 0);
    assert.is(cli(['train', 'meeting', ...quick, '--out', join(dir, 'population')]).status, 0);
    for (const agents of [42, 420]) {
      const generated = cli(['generate', 'meeting', '--set', `agents=${agents}`, '--samples', '3', '--out', join(dir, `data${agents}.csv`)]);
      assert.is(generated.status, 0, generated.stderr);
    }
    // samples of N agents: the loss pairs agent with agent
    const ev = cli(['eval', join(dir, 'agent'), '--data', join(dir, 'data420.csv'), '--set', 'agents=420', '--set', 'training.evaluationPopulations=2', '--out', join(dir, 'eval')]);
    assert.is(ev.status, 0, ev.stderr);
    const paired = summaryOf('eval');
    assert.ok(Number.isFinite(paired.loss) && paired.loss > 0, `loss ${paired.loss}`);
    assert.is(paired.lossNotComputed, undefined);
    // samples of the trained size (42) with the model on 4,200 agents: the distributions compare, the loss is not computed
    const other = cli(['eval', join(dir, 'agent'), '--data', join(dir, 'data42.csv'), '--set', 'agents=4200', '--set', 'training.evaluationPopulations=2', '--out', join(dir, 'eval-42')]);
    assert.is(other.status, 0, other.stderr);
    assert.match(other.stdout, /loss not computed: the observations are populations of 42 agents and the model runs 4,200/);
    const unpaired = summaryOf('eval-42');
    assert.is(unpaired.loss, null);
    assert.is(unpaired.dataAgents, 42);
    assert.is(unpaired.populations, 2);
    for (const [name, s, file] of [['paired', paired, 'data420.csv'], ['unpaired', unpaired, 'data42.csv']] as const) {
      const observed = csvValues(join(dir, file));
      assert.ok(Math.abs(s.observedMean - observed.reduce((a, b) => a + b, 0) / observed.length) < 1e-6, `${name}: observed mean`);
      [0.1, 0.25, 0.5, 0.75, 0.9].forEach((q, k) => assert.ok(Math.abs(s.observedQuantiles[k] - quantileOf(observed, q)) < 1e-6, `${name}: observed quantile ${q}`));
      // W1 is at least the distance between the means, and the quantiles are ordered
      assert.ok(s.wasserstein1 >= Math.abs(s.finalMean - s.observedMean) - 1e-9, `${name}: W1 ${s.wasserstein1} against the means' gap`);
      assert.ok(s.finalQuantiles.every((x: number, k: number) => k === 0 || x >= s.finalQuantiles[k - 1]), `${name}: model quantiles`);
    }
    const refused = cli(['eval', join(dir, 'population'), '--data', join(dir, 'data420.csv'), '--set', 'agents=420', '--out', join(dir, 'eval-population')]);
    assert.is(refused.status, 2);
    assert.match(refused.stderr, /changes the network/);
    const sim = cli(['simulate', 'meeting', '--set', 'agents=4200', '--out', join(dir, 'simulate')]);
    assert.is(sim.status, 0, sim.stderr);
    assert.is(summaryOf('simulate').config.agents, 4200);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an agent network trained on 420 agents carries over to 4,200: W1 against the same samples within 10 % of its value at 420', () => {
  // README § Transfer across population sizes (scripts/transfer.ts at full size): the same 420-agent
  // samples against the model on 420 agents (20 populations) and on 4,200 (2 populations, the same
  // number of values): only the model's population size changes
  const dir = mkdtempSync(join(tmpdir(), 'nmfg-transfer-'));
  const cli = (args: string[]) => spawnSync(process.execPath, ['bin/neural-mfg.js', ...args], { encoding: 'utf8' });
  const summaryOf = (name: string) => JSON.parse(readFileSync(join(dir, name, 'summary.json'), 'utf8'));
  try {
    const train = cli(['train', 'meeting', '--neural', 'agent', '--seed', '10', '--set', 'agents=420', '--set', 'training.steps=150', '--set', 'training.validationSamples=10', '--set', 'training.evaluationPopulations=2', '--quiet', '--out', join(dir, 'model')]);
    assert.is(train.status, 0, train.stderr);
    assert.is(cli(['generate', 'meeting', '--set', 'agents=420', '--samples', '40', '--seed', '3', '--out', join(dir, 'data.csv')]).status, 0);
    const evalAt = (agents: number, populations: number) => {
      const r = cli(['eval', join(dir, 'model'), '--data', join(dir, 'data.csv'), '--set', `agents=${agents}`, '--set', `training.evaluationPopulations=${populations}`, '--out', join(dir, `eval-${agents}`)]);
      assert.is(r.status, 0, r.stderr);
      return summaryOf(`eval-${agents}`);
    };
    const trained = evalAt(420, 20);
    const large = evalAt(4200, 2);
    assert.is(large.loss, null);
    // trained: far from the untrained network (W1 of hours)
    assert.ok(trained.wasserstein1 < 0.5, `W1 at 420 agents: ${trained.wasserstein1}`);
    const change = (large.wasserstein1 - trained.wasserstein1) / trained.wasserstein1;
    assert.ok(Math.abs(change) < 0.1, `W1 ${trained.wasserstein1.toFixed(4)} at 420 agents, ${large.wasserstein1.toFixed(4)} at 4,200: ${(100 * change).toFixed(1)} %`);
    assert.ok(Math.abs(large.finalMean - trained.finalMean) < 0.05, `final mean ${trained.finalMean} at 420, ${large.finalMean} at 4,200`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
