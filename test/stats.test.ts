import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mean, std, wasserstein1 } from '../src/data/stats.ts';

test('Wasserstein-1 of a shift is the shift, and of identical samples 0', () => {
  assert.ok(Math.abs(wasserstein1([1, 2, 3], [2, 3, 4]) - 1) < 1e-12);
  assert.is(wasserstein1([5, 1, 3], [1, 3, 5]), 0);
});

test('Wasserstein-1 between samples of different sizes integrates |F_a − F_b|', () => {
  // F_a jumps to 1 at 0; F_b is 1/2 on [0, 2): area 1/2·2 = 1
  assert.ok(Math.abs(wasserstein1([0], [0, 2]) - 1) < 1e-12);
  assert.ok(Math.abs(wasserstein1([0, 0, 0, 0], [1]) - 1) < 1e-12);
});

test('mean and population standard deviation', () => {
  assert.is(mean([1, 2, 3, 6]), 3);
  assert.ok(Math.abs(std([1, 3]) - 1) < 1e-12);
});

test.run();
