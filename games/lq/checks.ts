// The LQ game in the registry-driven checks (test/games.test.ts): its presets made small, its noise
// layouts and solvers, random positions.
import type { GameChecks } from '../../src/game.ts';

export const lqChecks: GameChecks = {
  small: { relax: ['time.t1=1', 'time.saveAt=[0,0.5,1]', 'training.trajectories=2'] },
  variants: [
    { preset: 'relax', sets: ['time.t1=1', 'time.saveAt=[0.5,1]', 'noise.layout="common"', 'noise.path="frozen"'] },
    { preset: 'relax', sets: ['time.t1=1', 'time.saveAt=[0.5,1]', 'solver="heun"'] },
    { preset: 'train', sets: ['solver="rk4"'] },
  ],
  perturb: (_config, state, rng) => state.forEach((x, i) => (state[i] = x + rng.normal(0, 2))),
  training: { preset: 'train', sets: ['training.steps=25'] },
};
