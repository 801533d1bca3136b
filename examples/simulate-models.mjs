// Example: load every model shipped under models/ and print a short simulation.
// Run from the repository root: node examples/simulate-models.mjs
import { readdir } from 'node:fs/promises';
import { loadModel } from 'neural-mfg';

for (const name of (await readdir('models', { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
  const model = await loadModel(`models/${name}`);
  const { t0, t1 } = model.config.time;
  const times = [t0, (t0 + t1) / 2, t1].map(Math.round);
  const { states } = model.simulate({ times });
  const mfgOnly = model.simulate({ times, network: false }).states;
  console.log(`${name}: ${model.game} (preset ${model.preset}), ${model.config.agents} agents`);
  states.forEach((pop, k) => {
    const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;
    console.log(`  t=${String(times[k]).padStart(2)}  mean ${mean(pop).toFixed(3)}  (MFG only ${mean(mfgOnly[k]).toFixed(3)})`);
  });
  model.dispose();
}
