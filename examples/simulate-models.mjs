// Example: load every model that ships with neural-mfg and print a short simulation.
// Run from the repository root (after npm ci, which builds the package): node examples/simulate-models.mjs
import { loadModel, shippedModel, shippedModels } from 'neural-mfg';

const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;

for (const name of shippedModels()) {
  const model = await loadModel(shippedModel(name));
  console.log(`${name}: ${model.game} (preset ${model.preset}), ${model.config.agents} ${model.game === 'liars-dice' ? 'players' : 'agents'}`);
  if (model.game === 'liars-dice') {
    // one round on a roll drawn from the game's data generator; the state is the carry
    // [P + 2, F + 1]: row 1 holds the game state g, rows 2.. each player's logits and bluff rate
    const { states, endStep } = model.simulate();
    const faces = model.config.scenario.layout.faces;
    const carry = states.at(-1);
    const g = carry[faces + 1];
    const logits = carry.slice(2 * (faces + 1), 2 * (faces + 1) + faces);
    const beliefs = logits.map(Math.exp);
    const total = beliefs.reduce((a, b) => a + b, 0);
    console.log(`  round over after ${endStep} turns, ${g > 0 ? 'successful' : 'failed'} challenge`);
    console.log(`  player 1 believes the faces come up with odds ${beliefs.map((b) => (b / total).toFixed(3)).join(' ')}`);
  } else {
    const { t0, t1 } = model.config.time;
    const times = [t0, (t0 + t1) / 2, t1].map(Math.round);
    const { states } = model.simulate({ times });
    const mfgOnly = model.simulate({ times, network: false }).states;
    states.forEach((pop, k) => {
      console.log(`  t=${String(times[k]).padStart(2)}  mean ${mean(pop).toFixed(3)}  (MFG only ${mean(mfgOnly[k]).toFixed(3)})`);
    });
  }
  model.dispose();
}
