// tsx scripts/gpu/bench-backends.ts [--backends webgpu,wasm] [--sizes paper,4200,100000] [--steps 5]
//   [--out gpu-check.json]: ms per training step of the graph engine (TF.js's kernels; trainLoop,
// median after the first step, which includes shader compilation) of the meeting game at the paper's size (fig2b: 42 agents, batch 4)
// and at large populations (batch 64), per backend, on this machine. Prints a line per run and
// writes all results as JSON. A backend that is missing or does not start is recorded, not fatal.
import { parseArgs } from 'node:util';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { tf } from '../../src/tf.ts';
import { checkBackend, useBackend, type BackendReport } from '../../src/backend.ts';
import { GAMES } from '../../games/index.ts';
import { MeanFieldModel } from '../../src/mfg/model.ts';
import { randomStreams } from '../../src/streams.ts';
import { trainLoop } from '../../src/train/loop.ts';
import { applyOverrides } from '../../src/config.ts';

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'webgpu,wasm' },
    sizes: { type: 'string', default: 'paper,4200,100000' },
    steps: { type: 'string', default: '5' },
    out: { type: 'string' },
  },
});

interface Size {
  label: string;
  agents: number;
  batchSize: number;
  overrides: string[];
}

/** The paper's fig2b, or `agents` agents in 20 data groups with batch 64 and no validation set. */
function size(label: string): Size {
  if (label === 'paper') return { label: 'paper (fig2b)', agents: 42, batchSize: 4, overrides: [] };
  const agents = Number(label);
  if (!Number.isInteger(agents) || agents % 20 !== 0) throw new Error(`--sizes ${label}: expected "paper" or a multiple of 20 agents`);
  return {
    label: `${agents} agents`,
    agents,
    batchSize: 64,
    overrides: [
      `agents=${agents}`, 'data.groups=20', `data.perGroup=${agents / 20}`,
      'training.batchSize=64', 'training.trainSamples=64', 'training.validationSamples=0',
    ],
  };
}

interface Result {
  backend: string;
  size: string;
  agents: number;
  batchSize: number;
  eulerSteps: number;
  steps: number;
  firstStepMs: number | null;
  msPerStep: number | null;
  trainLoss: number | null;
  error: string | null;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const steps = Number(values.steps);
const game = GAMES.meeting;
const backends: BackendReport[] = [];
const results: Result[] = [];

console.log(`bench-backends — ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, node ${process.version}, tfjs ${tf.version_core}`);
for (const name of values.backends.split(',')) {
  const report = await checkBackend(name);
  backends.push(report);
  console.log(`${name}: ${report.starts ? `runs on ${report.device}` : `unavailable: ${report.problem}`}`);
  if (!report.starts) continue;
  await useBackend(name, { explicit: true });
  for (const label of values.sizes.split(',')) {
    const s = size(label);
    const config = game.parseConfig(applyOverrides(game.presets.fig2b, [...s.overrides, `training.steps=${steps}`]));
    const eulerSteps = Math.round((config.time.t1 - config.time.t0) / config.time.dt);
    const result: Result = {
      backend: name, size: s.label, agents: s.agents, batchSize: s.batchSize, eulerSteps, steps,
      firstStepMs: null, msPerStep: null, trainLoss: null, error: null,
    };
    const streams = randomStreams(10);
    // the graph engine: TF.js's kernels on this backend (the fused GPU engine: scripts/gpu/bench-gpu.ts)
    const model = new MeanFieldModel(game, config, streams.dynamics, streams.parameters, { engine: 'graph' });
    try {
      const train = game.observations.generate(config, streams.data, config.training.trainSamples);
      const validation = config.training.validationSamples > 0
        ? game.observations.generate(config, streams.data, config.training.validationSamples)
        : null;
      const { metrics } = await trainLoop({ model, train, validation, streams });
      result.firstStepMs = metrics[0].ms;
      result.msPerStep = median(metrics.slice(metrics.length > 1 ? 1 : 0).map((m) => m.ms));
      result.trainLoss = metrics[metrics.length - 1].trainLoss;
      console.log(
        `${name.padEnd(7)} ${s.label.padEnd(16)} batch ${String(s.batchSize).padStart(2)}, ${eulerSteps} Euler steps: ` +
          `${result.msPerStep.toFixed(1)} ms/step (median of ${Math.max(steps - 1, 1)}; first step ${result.firstStepMs.toFixed(0)} ms), loss ${result.trainLoss.toFixed(4)}`,
      );
    } catch (err) {
      result.error = err instanceof Error ? err.message : String(err);
      console.log(`${name.padEnd(7)} ${s.label.padEnd(16)} failed: ${result.error}`);
    }
    results.push(result);
  }
}

const report = {
  machine: { cpu: os.cpus()[0]?.model ?? 'cpu', cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, tfjs: tf.version_core },
  backends,
  results,
};
if (values.out) await writeFile(values.out, JSON.stringify(report, null, 2) + '\n');
