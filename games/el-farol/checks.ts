// El Farol in the registry-driven checks (test/games.test.ts): its presets made small, the options
// beyond the paper worth checking on every engine, random attendance probabilities.
import type { GameChecks } from '../../src/game.ts';

export const elFarolChecks: GameChecks = {
  small: { fig3a: ['time.t1=6', 'time.saveAt=[1,2,3,4,5,6]'] },
  variants: [
    { preset: 'fig3b', sets: ['mechanics.attendance="fresh"', 'mechanics.clipGradient="zero"', 'training.trajectories=2'] },
    { preset: 'fig3b', sets: ['network.kind="agent"'] },
    { preset: 'fig3b', sets: ['network.kind="agent"', 'mechanics.attendance="fresh"', 'mechanics.clipGradient="zero"', 'training.trajectories=2'] },
    { preset: 'fig3b', sets: ['training.loss="energy"'] },
    { preset: 'fig3b', sets: ['training.loss="sliced-wasserstein"', 'network.kind="agent"'] },
    { preset: 'fig3b', sets: ['network.kind="agent"', 'noise.diffusion="neural"', 'noise.layout="independent"', 'noise.sigma=0.1', 'solver="euler-maruyama"', 'training.loss="energy"'] },
    { preset: 'fig3b', sets: ['solver="heun"'] },
    { preset: 'fig3b', sets: ['mechanics.attendance="fresh"', 'solver="heun"', 'network.depth=1'] },
  ],
  // probabilities, partly outside [0, 1]
  perturb: (_config, state, rng) => state.forEach((_, i) => (state[i] = rng.uniform() * 1.4 - 0.2)),
  // docs/el-farol.md §3: the threshold's indicator takes a smoothed delta (README §Learning the mechanics)
  surrogateParameters: ['threshold'],
  training: { preset: 'fig3b', sets: ['training.steps=25'] },
};
