// Heun's method (explicit trapezoidal rule): predictor ỹ = y + K1, corrector y + (K1 + K2)/2.
// Order 2 for ODEs. With a noise term it converges to the Stratonovich solution (strong order
// 0.5; 1 for additive noise, where Itô and Stratonovich coincide).
import { tf } from '../../tf.ts';
import { totalContribution } from '../terms.ts';
import type { Solver } from './solver.ts';

export const heun: Solver = {
  name: 'heun',
  order: 2,
  strongOrder: 0.5,
  acceptsNoise: true,
  step: (terms, t, dt, y, k) => {
    const k1 = totalContribution(terms, t, dt, y, k);
    const k2 = totalContribution(terms, t + dt, dt, tf.add(y, k1), k);
    return tf.add(y, tf.mul(tf.add(k1, k2), 0.5));
  },
};
