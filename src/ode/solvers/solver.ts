// The solver interface: how one step is taken. Any solver works with any list of terms (RK4
// refuses noise terms). Adding a solver means one file here, one line in SOLVERS and its name in names.ts.
import type { Tensor } from '../../tf.ts';
import type { Term } from '../terms.ts';

export interface Solver {
  readonly name: string;
  /** convergence order for ODEs */
  readonly order: number;
  /** strong order for SDEs with multiplicative noise; null when the solver takes no noise */
  readonly strongOrder: number | null;
  readonly acceptsNoise: boolean;
  /** one step from (t, y) over dt; k is the index of the step on the grid */
  step(terms: Term[], t: number, dt: number, y: Tensor, k: number): Tensor;
}
