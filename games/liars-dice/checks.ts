// Liar's dice in the registry-driven checks (test/games.test.ts): every preset made small, random
// beliefs and bluff rates per player (rounds that end at different turns).
import type { GameChecks } from '../../src/game.ts';
import type { LiarsDiceExperiment } from './engine-config.ts';
import { carryColumns } from './carry.ts';

export const liarsDiceChecks: GameChecks<LiarsDiceExperiment> = {
  small: {
    train: ['training.batchSize=6', 'data.trainGames=6'],
    'bluff-sweep-fair': ['training.batchSize=3', 'data.trainGames=3', 'layout.players=10', 'turns.saves=30'],
    'bluff-sweep-unfair': ['training.batchSize=3', 'data.trainGames=3', 'layout.players=10', 'initial.bluffRate=3'],
    'data-efficiency': ['training.batchSize=4', 'data.trainGames=4'],
  },
  // carry rows 2.. hold each player's logits and raw bluff rate (docs/liars-dice.md §2)
  perturb: (config, state, rng) => {
    const cols = carryColumns(config.scenario.layout);
    for (let i = 2 * cols; i < state.length; i++) state[i] = i % cols === cols - 1 ? rng.uniform() * 3 - 0.5 : rng.normal(0, 1);
  },
  training: { preset: 'train', sets: ['training.steps=8', 'training.batchSize=8', 'data.trainGames=16', 'data.validationGames=8', 'layout.players=3', 'layout.dice=5'] },
};
