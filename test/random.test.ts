import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RandomStream } from '../src/random.ts';
import { randomStreams } from '../src/streams.ts';

test('a stream restored from its saved state repeats the same draws of every distribution', () => {
  const g = new RandomStream(3);
  g.normal();
  const saved = Uint32Array.from(g.state);
  const draw = (r: RandomStream) => [r.normal(), r.uniform(), r.gamma(2, 0.2), r.gamma(0.5, 1), r.normal(3, 2)];
  const first = draw(g);
  g.state = saved;
  assert.equal(draw(g), first);
  const other = new RandomStream(99);
  other.state = saved;
  assert.equal(draw(other), first);
});

test('the streams of one seed are distinct and reproducible', () => {
  const a = randomStreams(1);
  const b = randomStreams(1);
  assert.is(a.data.uniform(), b.data.uniform());
  assert.is.not(a.data.uniform(), a.dynamics.uniform());
  assert.is.not(randomStreams(2).data.uniform(), randomStreams(1).data.uniform());
});

test('normal and gamma draws have the right mean and variance', () => {
  const g = new RandomStream(5);
  const moments = (f: () => number, n = 100_000) => {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const v = f();
      s += v;
      s2 += v * v;
    }
    return [s / n, s2 / n - (s / n) ** 2];
  };
  const [nm, nv] = moments(() => g.normal(1, 2));
  assert.ok(Math.abs(nm - 1) < 0.03 && Math.abs(nv - 4) < 0.08, `normal ${nm}, ${nv}`);
  const [gm, gv] = moments(() => g.gamma(2, 0.2));
  assert.ok(Math.abs(gm - 0.4) < 0.005 && Math.abs(gv - 0.08) < 0.003, `gamma ${gm}, ${gv}`);
  const [sm, sv] = moments(() => g.gamma(0.5, 2));
  assert.ok(Math.abs(sm - 1) < 0.03 && Math.abs(sv - 2) < 0.1, `gamma(0.5) ${sm}, ${sv}`);
});

test('a permutation contains every index once', () => {
  const p = Array.from(new RandomStream(1).permutation(50)).sort((a, b) => a - b);
  assert.equal(p, Array.from({ length: 50 }, (_, i) => i));
});

test.run();
