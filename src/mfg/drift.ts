// The mean-field drift, derived by autodiff: b_i = −∂C(y_i; m)/∂y_i with the population
// statistic m computed from the current state first and held fixed (GAMES.md §1.1).
import { tf, type Tensor } from '../tf.ts';
import type { Mechanics } from '../game.ts';
import type { VectorField } from '../ode/terms.ts';
import { heldFixed } from './functions.ts';

export function meanFieldDrift(mechanics: Mechanics): VectorField {
  return (t: number, y: Tensor) => {
    const m = heldFixed((state) => mechanics.population(state, t), y);
    // Each agent's cost depends on its own state only (m is fixed), so the gradient of the
    // summed cost is the vector of per-agent derivatives.
    const grad = tf.grad((state: Tensor) => tf.sum(mechanics.cost(state, m)))(y);
    return tf.neg(grad);
  };
}
