// Classical fourth-order Runge–Kutta. Order 4; ODE terms only (it is no SDE scheme).
import { tf } from '../../tf.ts';
import { totalContribution } from '../terms.ts';
import type { Solver } from './solver.ts';

export const rk4: Solver = {
  name: 'rk4',
  order: 4,
  strongOrder: null,
  acceptsNoise: false,
  step: (terms, t, dt, y, k) => {
    const k1 = totalContribution(terms, t, dt, y, k);
    const k2 = totalContribution(terms, t + dt / 2, dt, tf.add(y, tf.mul(k1, 0.5)), k);
    const k3 = totalContribution(terms, t + dt / 2, dt, tf.add(y, tf.mul(k2, 0.5)), k);
    const k4 = totalContribution(terms, t + dt, dt, tf.add(y, k3), k);
    const sum = tf.addN([k1, tf.mul(k2, 2), tf.mul(k3, 2), k4]);
    return tf.add(y, tf.div(sum, 6));
  },
};
