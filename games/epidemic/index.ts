// The epidemic game (docs/epidemic.md) as the engine sees it: cohorts that choose their contact
// levels against the risk of infection, SIR-F compartments moved by the contacts, observed as daily
// time series of confirmed cases (and deaths, severe cases) on real records or synthetic ones.
import type { Game } from '../../src/game.ts';
import { NETWORK_OPTIONS } from '../../src/mfg/networks.ts';
import { parseEpidemicConfig, type EpidemicConfig } from './config.ts';
import { epidemicFields } from './fields.ts';
import { epidemicMechanics, epidemicNetwork } from './mechanics.ts';
import { epidemicKernels } from './kernels.ts';
import { epidemicObservations } from './observations.ts';
import { describeEpidemic } from './describe.ts';
import { ROW, ROWS } from './layout.ts';
import japan from './presets/japan.json' with { type: 'json' };
import synthetic from './presets/synthetic.json' with { type: 'json' };
import testPreset from './presets/test.json' with { type: 'json' };
import japanRolling from './presets/japan-rolling.json' with { type: 'json' };
import { analyses } from './analyses.ts';

export type { EpidemicConfig } from './config.ts';

/**
 * docs/epidemic.md §4: one initial state [ROWS, N]: contact levels spread evenly over
 * [mean − spread, mean + spread] (no draw: a fit and the data it is checked on start alike), the
 * same compartment shares in every cohort, no infection counted yet.
 */
export function epidemicInitialState(config: EpidemicConfig): Float64Array {
  const N = config.agents;
  const { contactMean, contactSpread, infected, recovered, fatal } = config.initial;
  const y = new Float64Array(ROWS * N);
  for (let j = 0; j < N; j++) {
    y[ROW.contact * N + j] = contactMean + contactSpread * (N === 1 ? 0 : (2 * j) / (N - 1) - 1);
    y[ROW.susceptible * N + j] = 1 - infected - recovered - fatal;
    y[ROW.infected * N + j] = infected;
    y[ROW.recovered * N + j] = recovered;
    y[ROW.fatal * N + j] = fatal;
  }
  return y;
}

export const epidemic: Game<EpidemicConfig> = {
  name: 'epidemic',
  title: 'Epidemic with chosen contact levels (SIR-F mean-field game)',
  presets: { japan, synthetic, test: testPreset, 'japan-rolling': japanRolling },
  defaultPresets: { simulate: 'japan', train: 'japan', generate: 'synthetic' },
  options: [
    { flag: '--location <name>', field: 'data.location', description: 'epidemic: the location read from the file (upstream Japanese file: Domestic, Airport or Returnee; a generic file: its location column)', choices: [] },
    { flag: '--from <date>', field: 'data.from', description: 'epidemic: first day of the fitted window, YYYY-MM-DD (inclusive)', choices: [] },
    { flag: '--to <date>', field: 'data.to', description: 'epidemic: last day of the fitted window, YYYY-MM-DD (inclusive)', choices: [] },
    // --neural, --diffusion (the distributional losses compare final populations: not a time series)
    ...NETWORK_OPTIONS.filter((o) => o.field !== 'training.loss'),
  ],
  parseConfig: parseEpidemicConfig,
  fields: epidemicFields,
  stateShape: (config) => [ROWS, config.agents],
  // the contact levels lead the state: the noise, the agent network and the neural diffusion reach them alone
  agentStates: (config) => config.agents,
  initialState: (config) => epidemicInitialState(config),
  network: (config) => epidemicNetwork(config.agents),
  mechanics: (config) => epidemicMechanics(config.mechanics),
  kernels: (config) => epidemicKernels(config),
  observations: epidemicObservations,
  describeRun: (config, states) => describeEpidemic(config, states),
  // docs/epidemic.md §8 (train --learn): the ranges the learned values are kept in
  learnable: {
    'mechanics.transmission': { min: 0 },
    'mechanics.infectionCost': { min: 0 },
    'mechanics.recovery': { min: 0 },
    'mechanics.fatality': { min: 0 },
    'mechanics.contactCost': { min: 0 },
    'mechanics.normalContact': { min: 0 },
  },
  analyses,
};
