// Terms: what the right-hand side of dy = f(t, y) dt + g(t, y) dW is made of (as diffrax's
// ODETerm / ControlTerm / MultiTerm). A solver only asks each term for its contribution to a step.
import { tf, type Tensor } from '../tf.ts';
import type { BrownianIncrements } from './brownian.ts';

export type VectorField = (t: number, y: Tensor) => Tensor;

export interface Term {
  /** 'ode' terms scale with dt; 'control' terms with a Brownian increment. */
  readonly kind: 'ode' | 'control';
  /**
   * The term's contribution to the step from t to t + dt taken at state y; k is the index of the
   * step on the solver's grid (control terms read their increment ΔW_k by it).
   */
  contribution(t: number, dt: number, y: Tensor, k: number): Tensor;
}

/** f(t, y)·dt — a drift, or the neural term. */
export function odeTerm(field: VectorField): Term {
  return {
    kind: 'ode',
    contribution: (t, dt, y) => tf.mul(field(t, y), dt),
  };
}

/**
 * g(t, y)·ΔW_k — additive or multiplicative noise. `diffusion` may return a number (constant σ)
 * or a tensor that broadcasts against the increment.
 */
export function controlTerm(
  diffusion: number | ((t: number, y: Tensor) => Tensor),
  brownian: BrownianIncrements,
): Term {
  return {
    kind: 'control',
    contribution: (t, _dt, y, k) => {
      const dW = brownian.increment(k);
      const g = typeof diffusion === 'number' ? diffusion : diffusion(t, y);
      // a common path of shape [1] broadcasts onto every agent when the solver adds it to y
      return tf.mul(g, dW);
    },
  };
}

/** Σ of the terms' contributions (helper shared by all solvers). */
export function totalContribution(terms: Term[], t: number, dt: number, y: Tensor, k: number): Tensor {
  let acc: Tensor | null = null;
  for (const term of terms) {
    const c = term.contribution(t, dt, y, k);
    acc = acc === null ? c : tf.add(acc, c);
  }
  if (acc === null) throw new Error('solve(): at least one term is needed');
  return acc;
}
