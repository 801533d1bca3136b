import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mean, sortedCopy, std, wasserstein1 } from '../src/data/stats.ts';

test('Wasserstein-1 of a shift is the shift, and of identical samples 0', () => {
  assert.ok(Math.abs(wasserstein1([1, 2, 3], [2, 3, 4]) - 1) < 1e-12);
  assert.is(wasserstein1([5, 1, 3], [1, 3, 5]), 0);
});

test('Wasserstein-1 between samples of different sizes integrates |F_a − F_b|', () => {
  // F_a jumps to 1 at 0; F_b is 1/2 on [0, 2): area 1/2·2 = 1
  assert.ok(Math.abs(wasserstein1([0], [0, 2]) - 1) < 1e-12);
  assert.ok(Math.abs(wasserstein1([0, 0, 0, 0], [1]) - 1) < 1e-12);
});

for (const kind of ['float32', 'float64'] as const) {
  test(`a large ${kind} sample is sorted by its bits exactly as by comparison: negatives, ±0, ties, extremes`, () => {
    let state = 12345;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const values = kind === 'float32' ? new Float32Array(50_000) : new Float64Array(50_000);
    for (let i = 0; i < values.length; i++) {
      const u = next();
      values[i] = u < 0.05 ? 0 : u < 0.1 ? -0 : u < 0.2 ? Math.round(next() * 10) : (next() - 0.4) * 10 ** Math.floor(next() * 12 - 6);
    }
    values[7] = kind === 'float32' ? 3.4028234663852886e38 : Number.MAX_VALUE;
    values[8] = -values[7];
    values[9] = kind === 'float32' ? 1e-45 : Number.MIN_VALUE;
    values[10] = -values[9];
    const before = Array.from(values);
    const radix = sortedCopy(values);
    assert.ok(radix instanceof values.constructor, `the ${kind} route`);
    assert.equal(Array.from(values), before, 'the input is left as it was');
    const reference = Float64Array.from(values).sort();
    assert.is(radix.length, reference.length);
    for (let i = 0; i < radix.length; i++) if (radix[i] !== reference[i]) assert.unreachable(`position ${i}: ${radix[i]} against ${reference[i]}`);
    // −0 before +0, as the typed array's own sort puts them
    const zeros = Array.from(radix.filter((v) => v === 0), (v) => Object.is(v, -0));
    assert.ok(zeros.indexOf(false) === -1 || zeros.lastIndexOf(true) < zeros.indexOf(false));
    // and the distance on it is the one on the comparison-sorted route
    const small = Array.from(values.subarray(0, 300));
    assert.is(wasserstein1(small, values), wasserstein1(small, Array.from(values)));
  });
}

test('mean and population standard deviation', () => {
  assert.is(mean([1, 2, 3, 6]), 3);
  assert.ok(Math.abs(std([1, 3]) - 1) < 1e-12);
});

test.run();
