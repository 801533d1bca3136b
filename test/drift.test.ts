import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tf, type Scalar } from '../src/tf.ts';
import { testBackend } from './helpers/backend.ts';
import { meanFieldDrift } from '../src/mfg/drift.ts';
import { solve } from '../src/ode/solve.ts';
import { odeTerm } from '../src/ode/terms.ts';
import { SOLVERS } from '../src/ode/solvers/index.ts';
import { elFarol } from '../games/el-farol/index.ts';
import { randomStreams } from '../src/streams.ts';

test.before(testBackend);

test('drift gradients on a local tape give the same outer gradient as on the shared tape', () => {
  // El Farol's drift has a non-zero Jacobian (−0.66 on the diagonal), so the outer gradient
  // really goes through the nested drift gradients.
  const config = elFarol.parseConfig(elFarol.presets.fig3b);
  const theta = tf.variable(tf.randomUniform([42], -0.1, 0.1, 'float32', 3));
  const grads = [true, false].map((localTape) => {
    const mechanics = elFarol.mechanics(config, randomStreams(1).dynamics);
    const { grads } = tf.variableGrads(() => {
      const terms = [odeTerm(meanFieldDrift(mechanics, undefined, { localTape })), odeTerm((_t, y) => tf.mul(theta, y))];
      const y0 = tf.tensor2d(Array.from({ length: 42 }, (_, i) => i / 42), [1, 42]);
      const { ys } = solve({ terms, solver: SOLVERS.euler, t0: 0, t1: 10, dt: 1, y0 });
      return tf.sum(tf.square(ys)) as Scalar;
    }, [theta]);
    return Array.from(grads[theta.name].dataSync());
  });
  assert.ok(grads[0].some((g) => Math.abs(g) > 1e-3), 'a non-trivial gradient');
  assert.equal(grads[0], grads[1]);
  theta.dispose();
});

test.run();
