// The fuzz suite (test/fuzz/properties.ts) at any size: every game's CSV reader, loadModel on
// mutated model folders, --set values in-process and through the command line. Prints each
// property's cases, its slowest case and what it found (a shrunk counterexample), and the total.
//
//   npm run build && npx tsx scripts/fuzz.ts            the sizes of npm test (seconds)
//   npm run build && npx tsx scripts/fuzz.ts --long     thousands of cases (minutes)
//   npx tsx scripts/fuzz.ts --seed 7 --csv 500 --models 300 --set 2000 --cli 40
import { parseArgs } from 'node:util';
import { fuzzAll } from '../test/fuzz/properties.ts';
import { FUZZ_QUICK, FUZZ_LONG } from '../test/fuzz/sizes.ts';

const { values } = parseArgs({
  options: {
    long: { type: 'boolean' },
    seed: { type: 'string' },
    csv: { type: 'string' },
    models: { type: 'string' },
    set: { type: 'string' },
    cli: { type: 'string' },
    limit: { type: 'string' },
  },
});
const base = values.long ? FUZZ_LONG : FUZZ_QUICK;
const sizes = {
  seed: values.seed === undefined ? base.seed : Number(values.seed),
  csv: values.csv === undefined ? base.csv : Number(values.csv),
  models: values.models === undefined ? base.models : Number(values.models),
  set: values.set === undefined ? base.set : Number(values.set),
  cli: values.cli === undefined ? base.cli : Number(values.cli),
  limitMs: values.limit === undefined ? base.limitMs : Number(values.limit),
};
process.stdout.write(`fuzz (seed ${sizes.seed}): csv ${sizes.csv} per game, models ${sizes.models}, --set ${sizes.set} in-process and ${sizes.cli} through the command; a case over ${sizes.limitMs} ms fails\n`);
const started = performance.now();
const runs = await fuzzAll(sizes);
let total = 0;
let failed = 0;
for (const r of runs) {
  total += r.cases;
  if (r.failure) failed++;
  process.stdout.write(`${r.name.padEnd(24)} ${String(r.cases).padStart(6)} cases   slowest ${String(r.slowestMs).padStart(6)} ms   ${r.failure ? `FOUND: ${r.failure}` : 'nothing found'}\n`);
}
process.stdout.write(`${total} cases in ${((performance.now() - started) / 1000).toFixed(1)} s: ${failed === 0 ? 'every property held' : `${failed} propert${failed === 1 ? 'y' : 'ies'} failed`}\n`);
process.exitCode = failed === 0 ? 0 : 1;
