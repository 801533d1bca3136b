// Numerical parity of the optional backends with cpu: for every installed optional backend
// (webgpu, tensorflow, cuda), the loss of one training step of every registered game and its
// gradient with respect to the network's parameters match cpu within float32 tolerance (the graph
// engine: TF.js's kernels; the fused GPU engine's parity is test/gpu.test.ts). CI installs webgpu
// (on Mesa's software rendering; elsewhere its tests are reported skipped without it) and none of
// the others: a missing tensorflow or cuda is checked to be reported missing by doctor.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BACKENDS, checkBackend, missingPackages, useBackend } from '../src/backend.ts';
import { GAMES } from '../games/index.ts';
import { applyOverrides } from '../src/config.ts';
import { batchOf, subset } from '../src/data/dataset.ts';
import { MeanFieldModel } from '../src/mfg/model.ts';
import { randomStreams } from '../src/streams.ts';
import { testWith } from './helpers/requires.ts';
import { webgpu } from './helpers/webgpu.ts';

const OPTIONAL = BACKENDS.filter((b) => !['wasm', 'cpu'].includes(b.name));
// float32 through a few hundred solver steps: relative to the largest gradient entry
const RELATIVE_TOLERANCE = 1e-4;
// small sizes keep a step to seconds on software rendering
const SMALL: Record<string, string[]> = {
  meeting: ['time.dt=0.5', 'training.batchSize=4'],
  'el-farol': ['time.dt=0.5', 'training.batchSize=4'],
  'liars-dice': ['layout.players=3', 'layout.dice=4', 'data.trainGames=8', 'training.batchSize=4'],
  // two weeks of 4 cohorts; the network alone (the graph engine learns no mechanics parameters)
  epidemic: ['agents=4', 'data.to="2020-07-14"', 'inverse.learn=[]'],
};

interface StepResult {
  loss: number;
  gradient: Float32Array;
}

/** Loss and gradient of the first training step on the graph engine, as src/train/loop.ts computes them. */
function firstStep(gameName: string): StepResult {
  const game = GAMES[gameName];
  const config = game.parseConfig(applyOverrides(game.presets[game.defaultPresets.train], SMALL[gameName] ?? []));
  const streams = randomStreams(10);
  const train = game.observations.generate(config, streams.data, config.training.trainSamples);
  const model = new MeanFieldModel(game, config, streams.dynamics, streams.parameters, { engine: 'graph' });
  const x0 = game.initialState(config, streams.initialState);
  const batch = config.training.batchSize;
  const rows = Array.from({ length: batch }, (_, i) => i);
  // paired games (Liar's dice) simulate one trajectory per observation, which they see
  const paired = game.observations.pairing === 'paired';
  const n = paired ? batch : config.training.trajectories;
  const ctx = paired ? { observations: subset(train, rows), keys: Uint32Array.from(rows, (i) => i + 1) } : undefined;
  const request = { y0: model.startStates(x0, n), trajectories: n, path: model.nextPath(n), network: true, ctx };
  return model.lossAndGradient(request, batchOf(train, rows));
}

function assertClose(actual: StepResult, expected: StepResult, what: string): void {
  const lossError = Math.abs(actual.loss - expected.loss) / Math.max(Math.abs(expected.loss), 1e-12);
  assert.ok(lossError < RELATIVE_TOLERANCE, `${what}: loss ${actual.loss} vs cpu ${expected.loss} (relative error ${lossError})`);
  assert.is(actual.gradient.length, expected.gradient.length);
  const scale = Math.max(...expected.gradient.map(Math.abs), 1e-12);
  let worst = 0;
  expected.gradient.forEach((g, i) => (worst = Math.max(worst, Math.abs(actual.gradient[i] - g) / scale)));
  assert.ok(worst < RELATIVE_TOLERANCE, `${what}: gradient differs from cpu by ${worst} of its largest entry`);
}

for (const backend of OPTIONAL) {
  const missing = missingPackages(backend);
  // webgpu is a need (CI installs it, on Mesa's software rendering): missing, its parity tests are
  // reported skipped; tensorflow and cuda cannot be installed in CI, where doctor's report of
  // them as missing is checked instead
  if (backend.name !== 'webgpu' && missing.length > 0) {
    test(`doctor reports ${backend.name} as not installed, with "${backend.install}"`, async () => {
      const report = await checkBackend(backend.name);
      assert.is(report.installed, false);
      assert.is(report.starts, false);
      assert.is(report.install, backend.install);
      assert.match(report.install, /@4\.22\.0/);
    });
    continue;
  }
  const register = backend.name === 'webgpu' ? testWith(test, webgpu) : test;
  for (const gameName of Object.keys(GAMES)) {
    register(`${backend.name}: loss and gradient of one ${gameName} training step match cpu within ${RELATIVE_TOLERANCE} relative`, async () => {
      await useBackend('cpu', { explicit: true });
      const expected = firstStep(gameName);
      await useBackend(backend.name, { explicit: true });
      try {
        assertClose(firstStep(gameName), expected, `${backend.name}/${gameName}`);
      } finally {
        await useBackend('cpu', { explicit: true });
      }
    });
  }
}

test.run();
