// The meeting-arrival-times game (docs/meeting.md) as the engine sees it.
import type { Game } from '../../src/game.ts';
import { FieldReader, readCommonConfig, type ExperimentConfig } from '../../src/config.ts';
import { NETWORK_OPTIONS } from '../../src/mfg/networks.ts';
import { groupedNormal, readGroupedNormalSpec, type GroupedNormalSpec } from '../../src/data/generators.ts';
import { agentStateObservations, readAcceptedRange } from '../../src/mfg/agent-observations.ts';
import { meetingMechanics, type MeetingMechanics } from './mechanics.ts';
import { meetingKernels } from './kernels.ts';
import { meetingGpuKernels } from './gpu.ts';
import fig2a from './presets/fig2a.json' with { type: 'json' };
import fig2b from './presets/fig2b.json' with { type: 'json' };
import { meetingFields } from './fields.ts';
import { meetingEquilibriumGap } from './equilibrium.ts';
import { meetingChecks } from './checks.ts';

export interface MeetingConfig extends ExperimentConfig {
  mechanics: MeetingMechanics;
  /** initial arrival times x_0 ~ N(mean, std²), i.i.d. */
  initial: { mean: number; std: number };
  /** the generator of the observed final arrival times, and the range an observed one must lie in */
  data: GroupedNormalSpec & { range: [number, number] };
}

/** README, "Accepted ranges": an arrival time is a time of day, in hours. */
export const ARRIVAL_RANGE: [number, number] = [0, 24];

function parseConfig(raw: unknown): MeetingConfig {
  const root = new FieldReader(raw, '');
  const common = readCommonConfig(root);
  if (common.game !== 'meeting') root.fail('game', '"meeting"', common.game);

  const mr = root.section('mechanics');
  const mechanics: MeetingMechanics = {
    scheduledTime: mr.number('scheduledTime'),
    quantile: mr.number('quantile', { min: 0, max: 1 }),
    alpha: mr.number('alpha', { min: 0 }),
    beta: mr.number('beta', { min: 0 }),
    gamma: mr.number('gamma', { min: 0 }),
  };
  mr.done();

  const ir = root.section('initial');
  const initial = { mean: ir.number('mean'), std: ir.number('std', { min: 0 }) };
  ir.done();

  const dr = root.section('data');
  const data = { ...readGroupedNormalSpec(dr, common.agents), range: readAcceptedRange(dr, 'range', ARRIVAL_RANGE) };
  dr.done();
  root.done();
  return { ...common, mechanics, initial, data };
}

export const meeting: Game<MeetingConfig> = {
  name: 'meeting',
  title: 'Meeting arrival times (Guéant–Lasry–Lions)',
  presets: { fig2a, fig2b },
  defaultPresets: { simulate: 'fig2a', train: 'fig2b', generate: 'fig2b' },
  options: [
    {
      flag: '--noise <layout>',
      field: 'noise.layout',
      description: 'meeting: common (one path for all agents, the reference), independent (per agent) or none',
      choices: ['common', 'independent', 'none'],
    },
    {
      flag: '--noise-path <path>',
      field: 'noise.path',
      description: 'meeting: frozen (one seeded path for the whole run, the reference) or fresh (new path every solve)',
      choices: ['frozen', 'fresh'],
    },
  ...NETWORK_OPTIONS,
  ],
  // docs/reference-defects.md Q3, Q9: one common noise path, frozen for the run; full batches only (the presets already do this)
  faithful: { 'noise.layout': 'common', 'noise.path': 'frozen', 'training.lastBatch': 'reference' },
  parseConfig,
  fields: meetingFields,
  initialState: (config, rng) => rng.normals(config.agents, config.initial.mean, config.initial.std),
  mechanics: (config) => meetingMechanics(config.mechanics),
  kernels: (config) => meetingKernels(config.mechanics, config.agents),
  gpuKernels: (config) => meetingGpuKernels(config.mechanics, config.agents),
  // docs/meeting.md §6: observed arrival times, the mean squared error against them
  observations: agentStateObservations('arrival', (config, rng, samples) => {
    const values = new Float64Array(samples * config.agents);
    for (let s = 0; s < samples; s++) values.set(groupedNormal(rng, config.data), s * config.agents);
    return values;
  }, (config) => ({ field: 'data.range', what: 'an arrival time in hours', min: config.data.range[0], max: config.data.range[1], usual: ARRIVAL_RANGE })),
  // README §Learning the mechanics (train --learn): the ranges the learned values are kept in
  learnable: {
    'mechanics.scheduledTime': { min: 0, max: 24 },
    'mechanics.quantile': { min: 0, max: 1 },
    'mechanics.alpha': { min: 0 },
    'mechanics.beta': { min: 0 },
    'mechanics.gamma': { min: 0 },
  },
  // README §Equilibrium gap
  equilibriumGap: (config, population) => meetingEquilibriumGap(config.mechanics, population),
  figureStyle: (_config, observedMean) => ({
    yTitle: 'Arrival time',
    yFormat: 'clock',
    referenceLines:
      observedMean === undefined ? [] : [{ y: observedMean, label: `μ_data = ${observedMean.toFixed(2)}`, color: 'red' }],
  }),
  // the registry-driven checks' small settings (test/games.test.ts)
  checks: meetingChecks,
};
