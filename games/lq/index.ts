// The linear-quadratic game (README.md) as the engine sees it: one position per agent, a quadratic
// cost towards a target and towards the population mean, observed final positions.
import { tf, type Tensor, type Scalar } from '../../src/tf.ts';
import type { Dataset, Game } from '../../src/game.ts';
import { FieldReader, readCommonConfig, type ExperimentConfig } from '../../src/config.ts';
import { readLongTable, writeLongTable } from '../../src/data/csv.ts';
import { datasetOfRows } from '../../src/data/dataset.ts';
import { NETWORK_OPTIONS } from '../../src/mfg/networks.ts';
import { mean, std, wasserstein1 } from '../../src/data/stats.ts';
import { lqEquilibriumGap, lqMechanics, type LqMechanics } from './mechanics.ts';
import { lqKernels } from './kernels.ts';
import { lqFields } from './fields.ts';
import relax from './presets/relax.json' with { type: 'json' };
import train from './presets/train.json' with { type: 'json' };

export interface LqConfig extends ExperimentConfig {
  mechanics: LqMechanics;
  /** initial positions x₀ ~ N(mean, std²), i.i.d. */
  initial: { mean: number; std: number };
  /** the generator of observed final positions: i.i.d. N(mean, std²) per agent */
  data: { mean: number; std: number };
}

function parseConfig(raw: unknown): LqConfig {
  const root = new FieldReader(raw, '');
  const common = readCommonConfig(root);
  if (common.game !== 'lq') root.fail('game', '"lq"', common.game);

  const mr = root.section('mechanics');
  const mechanics: LqMechanics = {
    target: mr.number('target'),
    targetWeight: mr.number('targetWeight', { min: 0 }),
    meanWeight: mr.number('meanWeight', { min: 0 }),
  };
  mr.done();

  const ir = root.section('initial');
  const initial = { mean: ir.number('mean'), std: ir.number('std', { min: 0 }) };
  ir.done();

  const dr = root.section('data');
  const data = { mean: dr.number('mean'), std: dr.number('std', { min: 0 }) };
  dr.done();
  root.done();
  return { ...common, mechanics, initial, data };
}

const CSV_HEADER = ['sample', 'agent', 'position'];

export const lq: Game<LqConfig> = {
  name: 'lq',
  title: 'Linear-quadratic game (closed form)',
  presets: { relax, train },
  defaultPresets: { simulate: 'relax', train: 'train', generate: 'train' },
  options: [
    {
      flag: '--noise <layout>',
      field: 'noise.layout',
      description: 'lq: common (one path for all agents), independent (per agent) or none',
      choices: ['common', 'independent', 'none'],
    },
    // --neural, --diffusion, --loss (src/mfg/networks.ts)
    ...NETWORK_OPTIONS,
  ],
  parseConfig,
  fields: lqFields,
  initialState: (config, rng) => rng.normals(config.agents, config.initial.mean, config.initial.std),
  mechanics: (config) => lqMechanics(config.mechanics),
  kernels: (config) => lqKernels(config.mechanics, config.agents),
  observations: {
    csvHeader: CSV_HEADER,
    async read(file, config) {
      const { labels, values, shape } = await readLongTable(file, {
        label: 'sample',
        indices: [{ name: 'agent', size: config.agents }],
        value: { name: 'position', kind: 'number' },
      });
      return { labels, values, shape };
    },
    async write(file, data) {
      await writeLongTable(file, CSV_HEADER, data, { digits: 6 });
    },
    // README §Observations: every agent of every sample i.i.d. N(data.mean, data.std²)
    generate(config, rng, samples): Dataset {
      const values = rng.normals(samples * config.agents, config.data.mean, config.data.std);
      return { values, shape: [samples, config.agents], labels: Array.from({ length: samples }, (_, s) => String(s)) };
    },
    // README §Observations: L = mean over trajectories k, samples b and agents i of (y_{b,i} − x̂_{k,i})²
    loss: (prediction: Tensor, observations: Tensor): Scalar =>
      tf.tidy(() => {
        const [k, agents] = prediction.shape;
        const b = observations.shape[0];
        // tf.squaredDifference's gradient does not reduce broadcast axes: square(sub) does.
        return tf.mean(
          tf.square(tf.sub(tf.reshape(prediction, [k, 1, agents]), tf.reshape(observations, [1, b, agents]))),
        ) as Scalar;
      }),
    // generate --from-dynamics: the simulated final arrival times / positions are the observations
    fromStates: (finals, config) => datasetOfRows(finals, [config.agents]),
    comparableValues: (data) => data.values,
    metrics(finalPopulations, data) {
      const predicted = finalPopulations.flat();
      return {
        finalMean: mean(predicted),
        finalStd: std(predicted),
        observedMean: mean(data.values),
        observedStd: std(data.values),
        wasserstein1: wasserstein1(predicted, data.values),
      };
    },
  },
  // README §Learning the mechanics (train --learn): the ranges the learned values are kept in
  learnable: {
    'mechanics.target': {},
    'mechanics.targetWeight': { min: 0 },
    'mechanics.meanWeight': { min: 0 },
  },
  // README §Equilibrium gap: ((a + b)/2)(x_i − y*)², y* the best response to the population's mean
  equilibriumGap: (config, population) => lqEquilibriumGap(config.mechanics, population),
  figureStyle: (config, observedMean) => ({
    yTitle: 'Position',
    yFormat: 'number',
    referenceLines: [
      { y: config.mechanics.target, label: `target ξ = ${config.mechanics.target}`, color: 'black', dash: true },
      ...(observedMean === undefined ? [] : [{ y: observedMean, label: `μ_data = ${observedMean.toFixed(3)}`, color: 'red' }]),
    ],
  }),
};
