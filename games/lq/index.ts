// The linear-quadratic game (README.md) as the engine sees it: one position per agent, a quadratic
// cost towards a target and towards the population mean, observed final positions.
import type { Game } from '../../src/game.ts';
import { FieldReader, readCommonConfig, type ExperimentConfig } from '../../src/config.ts';
import { NETWORK_OPTIONS } from '../../src/mfg/networks.ts';
import { agentStateObservations, readAcceptedRange } from '../../src/mfg/agent-observations.ts';
import { lqEquilibriumGap, lqMechanics, type LqMechanics } from './mechanics.ts';
import { lqKernels } from './kernels.ts';
import { lqGpuKernels } from './gpu.ts';
import { lqFields } from './fields.ts';
import relax from './presets/relax.json' with { type: 'json' };
import train from './presets/train.json' with { type: 'json' };
import { lqChecks } from './checks.ts';

export interface LqConfig extends ExperimentConfig {
  mechanics: LqMechanics;
  /** initial positions x₀ ~ N(mean, std²), i.i.d. */
  initial: { mean: number; std: number };
  /** the generator of observed final positions: i.i.d. N(mean, std²) per agent; the range an observed one must lie in */
  data: { mean: number; std: number; range: [number, number] };
}

/**
 * README, "Accepted ranges": positions on the scale of the presets' targets and spreads (order 1),
 * with room to spare; the float32 engines square them, so 1e20 would overflow the loss.
 */
export const POSITION_RANGE: [number, number] = [-1e6, 1e6];

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
  const data = { mean: dr.number('mean'), std: dr.number('std', { min: 0 }), range: readAcceptedRange(dr, 'range', POSITION_RANGE) };
  dr.done();
  root.done();
  return { ...common, mechanics, initial, data };
}

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
  gpuKernels: (config) => lqGpuKernels(config.mechanics, config.agents),
  // README §Observations: every agent of every sample i.i.d. N(data.mean, data.std²); the mean
  // squared error against them
  observations: agentStateObservations(
    'position',
    (config, rng, samples) => rng.normals(samples * config.agents, config.data.mean, config.data.std),
    (config) => ({ field: 'data.range', what: 'a position', min: config.data.range[0], max: config.data.range[1], usual: POSITION_RANGE }),
  ),
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
  // the registry-driven checks' small settings (test/games.test.ts)
  checks: lqChecks,
};
