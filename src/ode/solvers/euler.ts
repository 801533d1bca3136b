// Explicit Euler: y_{k+1} = y_k + Σ_terms contribution(t_k, h, y_k). Order 1 for ODEs. With a
// control (noise) term this is exactly Euler–Maruyama (Itô), strong order 0.5 (1 for additive noise).
import { tf } from '../../tf.ts';
import { totalContribution } from '../terms.ts';
import type { Solver } from './solver.ts';

export const euler: Solver = {
  name: 'euler',
  order: 1,
  strongOrder: 0.5,
  acceptsNoise: true,
  step: (terms, t, dt, y, k) => tf.add(y, totalContribution(terms, t, dt, y, k)),
};
