// The epidemic in the registry-driven checks (test/games.test.ts): its presets made small (4 cohorts,
// a two-week window: the time grid follows data.from/data.to), the network and noise settings worth
// checking on every engine, random contact levels and compartment shares.
import type { GameChecks } from '../../src/game.ts';
import type { EpidemicConfig } from './config.ts';
import { ROW, ROWS } from './layout.ts';

export const epidemicChecks: GameChecks<EpidemicConfig> = {
  small: {
    japan: ['agents=4', 'data.to="2020-07-14"'],
    'japan-rolling': ['agents=4', 'data.to="2020-04-14"'],
    synthetic: ['agents=4', 'time.dt=0.5', 'data.to="2021-01-14"'],
  },
  variants: [
    { preset: 'test', sets: ['noise.layout="common"'] },
    { preset: 'test', sets: ['network.kind="agent"'] },
    { preset: 'test', sets: ['network.kind="agent"', 'noise.diffusion="neural"'] },
    { preset: 'test', sets: ['noise.diffusion="neural"', 'noise.layout="common"'] },
    { preset: 'test', sets: ['solver="heun"', 'noise.layout="none"'] },
  ],
  // docs/epidemic.md §1: contact levels around 1 (some below 0, where the cost's indicator is off),
  // every compartment's share, infections counted so far
  perturb: (config, state, rng) => {
    const N = config.agents;
    for (let r = 0; r < state.length / (ROWS * N); r++) {
      const o = r * ROWS * N;
      for (let j = 0; j < N; j++) {
        const infected = 0.02 * rng.uniform();
        const recovered = 0.3 * rng.uniform();
        const fatal = 0.01 * rng.uniform();
        state[o + ROW.contact * N + j] = rng.normal(0.9, 0.4);
        state[o + ROW.susceptible * N + j] = 1 - infected - recovered - fatal;
        state[o + ROW.infected * N + j] = infected;
        state[o + ROW.recovered * N + j] = recovered;
        state[o + ROW.fatal * N + j] = fatal;
        state[o + ROW.infections * N + j] = 0;
      }
    }
  },
  training: { preset: 'japan', sets: ['agents=4', 'data.to="2020-07-14"', 'training.steps=8', 'training.validationSamples=1'] },
};
