// The El Farol bar game (docs/el-farol.md) as the engine sees it: probabilities of going, attendance
// drawn at every drift evaluation, saved states clipped to [0, 1], and only attendance counts
// observed.
import { tf, type Tensor, type Scalar } from '../../src/tf.ts';
import type { Dataset, Game } from '../../src/game.ts';
import { FieldReader, readCommonConfig, type ExperimentConfig } from '../../src/config.ts';
import { NETWORK_OPTIONS } from '../../src/mfg/networks.ts';
import { groupedNormal, readGroupedNormalSpec, type GroupedNormalSpec } from '../../src/data/generators.ts';
import { mean, std } from '../../src/data/stats.ts';
import { readLongTable, writeLongTable } from '../../src/data/csv.ts';
import type { RandomStream } from '../../src/random.ts';
import { elFarolMechanics, type ElFarolMechanics } from './mechanics.ts';
import { elFarolKernels } from './kernels.ts';
import { elFarolGpuKernels } from './gpu.ts';
import fig3a from './presets/fig3a.json' with { type: 'json' };
import fig3b from './presets/fig3b.json' with { type: 'json' };
import { elFarolFields } from './fields.ts';
import { elFarolEquilibriumGap } from './equilibrium.ts';
import { elFarolChecks } from './checks.ts';

export interface ElFarolData extends GroupedNormalSpec {
  /** attendance counts observed per sample (docs/el-farol.md §4: n_obs = 10) */
  observations: number;
}

export interface ElFarolConfig extends ExperimentConfig {
  mechanics: ElFarolMechanics;
  /** initial probabilities p_0 ~ Uniform[low, high), i.i.d. */
  initial: { distribution: 'uniform'; low: number; high: number };
  /** the generator of the latent probabilities (clipped to [0, 1]) and the observation count */
  data: ElFarolData;
}

function parseConfig(raw: unknown): ElFarolConfig {
  const root = new FieldReader(raw, '');
  const common = readCommonConfig(root);
  if (common.game !== 'el-farol') root.fail('game', '"el-farol"', common.game);

  const mr = root.section('mechanics');
  const mechanics: ElFarolMechanics = {
    threshold: mr.number('threshold', { min: 0, max: 1 }),
    alpha: mr.number('alpha', { min: 0 }),
    beta: mr.number('beta', { min: 0 }),
    gamma: mr.number('gamma', { min: 0 }),
    attendance: mr.choice('attendance', ['fresh', 'frozen'] as const),
    // models saved before this field existed were trained with the zero gradient
    clipGradient: mr.has('clipGradient') ? mr.choice('clipGradient', ['zero', 'straight-through'] as const) : 'zero',
  };
  mr.done();

  const ir = root.section('initial');
  const initial = {
    distribution: ir.choice('distribution', ['uniform'] as const),
    low: ir.number('low'),
    high: ir.number('high'),
  };
  if (!(initial.high > initial.low)) ir.fail('high', `a number > initial.low = ${initial.low}`, initial.high);
  ir.done();

  const dr = root.section('data');
  const data: ElFarolData = {
    ...readGroupedNormalSpec(dr, common.agents),
    observations: dr.number('observations', { integer: true, min: 1 }),
  };
  dr.done();
  root.done();
  return { ...common, mechanics, initial, data };
}

/** One sample's latent probabilities: G(μ, σ, k, θ; N, M) clipped to [0, 1] (docs/el-farol.md §4). */
export function latentProbabilities(rng: RandomStream, data: GroupedNormalSpec): Float64Array {
  return groupedNormal(rng, data).map((p) => Math.min(1, Math.max(0, p)));
}

/** The attendance count Σ_i Bernoulli(p_i) of one observation. */
export function attendanceCount(rng: RandomStream, p: Float64Array): number {
  let count = 0;
  for (const pi of p) if (rng.uniform() < pi) count++;
  return count;
}

const CSV_HEADER = ['sample', 'observation', 'attendance'];

export const elFarol: Game<ElFarolConfig> = {
  name: 'el-farol',
  title: 'El Farol bar',
  presets: { fig3a, fig3b },
  defaultPresets: { simulate: 'fig3a', train: 'fig3b', generate: 'fig3b' },
  options: [
    {
      flag: '--attendance <mode>',
      field: 'mechanics.attendance',
      description:
        'el-farol: fresh (new Bernoulli draws at every drift evaluation) or frozen (one uniform vector per run, the reference)',
      choices: ['fresh', 'frozen'],
    },
    {
      flag: '--clip-gradient <mode>',
      field: 'mechanics.clipGradient',
      description:
        'el-farol: gradient of the clip of saved states to [0, 1]: straight-through (default: agents that end outside still feel the loss) or zero (the reference)',
      choices: ['straight-through', 'zero'],
    },
  ...NETWORK_OPTIONS,
  ],
  // docs/reference-defects.md Q4: one frozen uniform vector behind the attendance; Q5: clipped entries pass no gradient
  faithful: { 'mechanics.attendance': 'frozen', 'mechanics.clipGradient': 'zero', 'training.lastBatch': 'reference' },
  parseConfig,
  fields: elFarolFields,
  initialState: (config, rng) => {
    const { low, high } = config.initial;
    return rng.uniforms(config.agents).map((u) => low + (high - low) * u);
  },
  mechanics: (config, dynamics) => elFarolMechanics(config.mechanics, config.agents, dynamics),
  kernels: (config, dynamics) => elFarolKernels(config.mechanics, config.agents, dynamics),
  gpuKernels: (config, dynamics) => elFarolGpuKernels(config.mechanics, config.agents, dynamics),
  observations: {
    csvHeader: CSV_HEADER,
    async read(file, config) {
      const { labels, values, shape } = await readLongTable(file, {
        label: 'sample',
        indices: [{ name: 'observation', size: config.data.observations }],
        value: { name: 'attendance', kind: 'integer', min: 0, max: config.agents },
      });
      return { labels, values, shape };
    },
    async write(file, data) {
      await writeLongTable(file, CSV_HEADER, data, { digits: 6 });
    },
    // docs/el-farol.md §4: per sample, latent p ~ G clipped to [0, 1], then n_obs attendance counts.
    generate(config, rng, samples): Dataset {
      const n = config.data.observations;
      const values = new Float64Array(samples * n);
      for (let s = 0; s < samples; s++) {
        const p = latentProbabilities(rng, config.data);
        for (let o = 0; o < n; o++) values[s * n + o] = attendanceCount(rng, p);
      }
      return { values, shape: [samples, n], labels: Array.from({ length: samples }, (_, s) => String(s)) };
    },
    // generate --from-dynamics: each final population's (clipped) probabilities in place of the
    // generator's latent ones, then the n_obs attendance counts of docs/el-farol.md §4
    fromStates(finals, config, rng): Dataset {
      const n = config.data.observations;
      const values = new Float64Array(finals.length * n);
      finals.forEach((p, s) => {
        const clipped = Float64Array.from(p, (x) => Math.min(1, Math.max(0, x)));
        for (let o = 0; o < n; o++) values[s * n + o] = attendanceCount(rng, clipped);
      });
      return { values, shape: [finals.length, n], labels: finals.map((_, s) => String(s)) };
    },
    // docs/el-farol.md §6: r_b = (1/n_obs) Σ_o count_{b,o} / n; L = mean over k, b, i of (p̂_{k,i} − r_b)²
    loss: (prediction: Tensor, observations: Tensor, config): Scalar =>
      tf.tidy(() => {
        const [k, agents] = prediction.shape;
        const b = observations.shape[0];
        const rates = tf.div(tf.mean(observations, 1), config.agents); // [batch]
        // tf.squaredDifference's gradient does not reduce broadcast axes: square(sub) does.
        return tf.mean(
          tf.square(tf.sub(tf.reshape(prediction, [k, 1, agents]), tf.reshape(rates, [1, b, 1]))),
        ) as Scalar;
      }),
    comparableValues: (data, config) => {
      const [samples, n] = data.shape;
      return Array.from({ length: samples }, (_, s) => {
        let sum = 0;
        for (let o = 0; o < n; o++) sum += data.values[s * n + o];
        return sum / n / config.agents;
      });
    },
    metrics(finalPopulations, data, config) {
      const predictedRate = mean(finalPopulations.flat());
      const observedRate = mean(elFarol.observations.comparableValues!(data, config));
      return {
        // the expected attendance rate of the model's final population against the observed one
        predictedRate,
        observedRate,
        rateError: predictedRate - observedRate,
        finalStd: std(finalPopulations.flat()),
      };
    },
  },
  // README §Learning the mechanics (train --learn): the ranges the learned values are kept in
  learnable: {
    'mechanics.threshold': { min: 0, max: 1 },
    'mechanics.alpha': { min: 0 },
    'mechanics.beta': { min: 0 },
    'mechanics.gamma': { min: 0 },
  },
  // README §Equilibrium gap: on the observed (clipped) probabilities, averaged over attendance draws
  equilibriumGap: (config, population, rng) => elFarolEquilibriumGap(config.mechanics, population, rng),
  figureStyle: (config, observedMean) => ({
    yTitle: 'Probability of going',
    yFormat: 'number',
    yDomain: [0, 1],
    referenceLines: [
      { y: config.mechanics.threshold, label: 'Crowding threshold', color: 'black', dash: true },
      ...(observedMean === undefined
        ? []
        : [{ y: observedMean, label: `μ_data = ${observedMean.toFixed(3)}`, color: 'red' }]),
    ],
    lastTurnHistogram: { binWidth: 0.05, domain: [0, 1], xTitle: 'Density at t=15' },
  }),
  // the registry-driven checks' small settings (test/games.test.ts)
  checks: elFarolChecks,
};
