// The fuzz suite (issue #22), seeded and bounded to seconds: the properties of test/fuzz/properties.ts
// over every game's CSV reader, loadModel on mutated model folders, and --set values in-process and
// through the command line. `npx tsx scripts/fuzz.ts --long` runs them at thousands of cases.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GAMES } from '../games/index.ts';
import { fuzzCli, fuzzCsv, fuzzModels, fuzzSet, type FuzzRun } from './fuzz/properties.ts';
import { FUZZ_QUICK as Q } from './fuzz/sizes.ts';

function held(r: FuzzRun, runs: number): void {
  assert.is(r.failure, null, `${r.name}: ${r.failure}`);
  assert.is(r.cases, runs, `${r.name} ran every case`);
}

for (const game of Object.values(GAMES)) {
  test(`the ${game.name} CSV reader: random bytes, valid-looking rows and changed cells end in finite values within range or one line naming the file`, async () => {
    held(await fuzzCsv(game, { seed: Q.seed, runs: Q.csv, limitMs: Q.limitMs }), Q.csv);
  });
}

test('loadModel on mutated model folders: a model that simulates finite states, or one ModelFileError line; never weights from outside the folder', async () => {
  held(await fuzzModels({ seed: Q.seed, runs: Q.models, limitMs: Q.limitMs }), Q.models);
});

test('--set on every field of every game: a configuration of finite numbers, or one ConfigError line', async () => {
  held(await fuzzSet({ seed: Q.seed, runs: Q.set, limitMs: Q.limitMs }), Q.set);
});

test('the command with a random --set: status 0, 2 or 3, one line on failure, nothing outside --out, no lock', async () => {
  held(await fuzzCli({ seed: Q.seed, runs: Q.cli, limitMs: 30_000 }), Q.cli);
});

test.run();
