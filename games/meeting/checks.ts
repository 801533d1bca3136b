// The meeting game in the registry-driven checks (test/games.test.ts): its presets made small, the
// options beyond the paper worth checking on every engine, random arrival times.
import type { GameChecks } from '../../src/game.ts';

export const meetingChecks: GameChecks = {
  small: { fig2a: ['time.t1=6', 'time.saveAt=[1,2,3,4,5,6]'] },
  variants: [
    { preset: 'fig2b', sets: ['noise.path="fresh"', 'noise.layout="independent"', 'training.trajectories=3'] },
    // a save time inside a step (the interpolation of two states)
    { preset: 'fig2a', sets: ['time.t1=4', 'time.saveAt=[1,2.5,3,4]'] },
    // beyond the paper (issue #15): the agent network, the neural diffusion and the distributional losses
    { preset: 'fig2b', sets: ['network.kind="agent"'] },
    { preset: 'fig2b', sets: ['network.kind="agent"', 'noise.path="fresh"', 'noise.layout="independent"', 'training.trajectories=3'] },
    { preset: 'fig2a', sets: ['network.kind="agent"', 'network.quantiles=[0.8]', 'time.t1=6', 'time.saveAt=[1,2.5,6]'] },
    { preset: 'fig2b', sets: ['network.kind="agent"', 'noise.diffusion="neural"', 'noise.layout="independent"', 'noise.path="fresh"', 'training.trajectories=2'] },
    { preset: 'fig2b', sets: ['noise.diffusion="neural"'] },
    { preset: 'fig2b', sets: ['network.kind="none"', 'noise.diffusion="neural"', 'noise.layout="independent"', 'training.loss="energy"'] },
    { preset: 'fig2b', sets: ['training.loss="energy"', 'training.trajectories=2', 'noise.path="fresh"'] },
    { preset: 'fig2b', sets: ['training.loss="sliced-wasserstein"', 'network.kind="agent"', 'training.batchSize=3'] },
    // every solver on every engine (src/fused/schemes.ts)
    { preset: 'fig2b', sets: ['solver="heun"'] },
    { preset: 'fig2b', sets: ['solver="rk4"', 'noise.layout="none"'] },
  ],
  // arrival times spread over hours
  perturb: (_config, state, rng) => state.forEach((x, i) => (state[i] = x + rng.normal(0, 2))),
  // docs/meeting.md §3: the indicators' thresholds take a smoothed delta (README §Learning the mechanics)
  surrogateParameters: ['scheduledTime', 'quantile'],
  training: { preset: 'fig2b', sets: ['training.steps=25', 'training.validationSamples=50'] },
};
