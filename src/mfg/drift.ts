// The mean-field drift, derived by autodiff: b_i = −∂C(y_i; m)/∂y_i with the population
// statistic m computed from the current state first and held fixed (docs/framework.md §2). A game may
// write its cost in decoded coordinates (u = decode(y)) and add a discrete transition from m.
import { tf, type Tensor } from '../tf.ts';
import type { Mechanics, SolveContext } from '../game.ts';
import type { VectorField } from '../ode/terms.ts';
import { heldFixed } from './functions.ts';

interface EngineTapeState {
  gradientDepth: number;
  activeTape: unknown[] | null;
}

/**
 * Runs `fn` (which takes a gradient) on a tape of its own, then hands its nodes to the enclosing
 * tape. TF.js's tf.grad filters the whole active tape on every call; inside the outer gradient of
 * a training step that tape holds every earlier solver step, so nested drift gradients cost
 * O(steps²) (a Liar's dice round of 50 turns spent 20% of its time there). The enclosing
 * gradient still sees every node, in order. Reaches into TF.js's engine state (4.22.0).
 */
export function onLocalTape<T>(fn: () => T): T {
  const state = (tf.engine() as unknown as { state: EngineTapeState }).state;
  if (state.gradientDepth === 0 || state.activeTape === null) return fn();
  const outer = state.activeTape;
  state.activeTape = [];
  try {
    return fn();
  } finally {
    const inner = state.activeTape ?? [];
    state.activeTape = outer;
    for (const node of inner) outer.push(node);
  }
}

export function meanFieldDrift(mechanics: Mechanics, ctx?: SolveContext, opts: { localTape?: boolean } = {}): VectorField {
  const decode = mechanics.decode ?? ((y: Tensor) => y);
  const local = opts.localTape ?? true;
  return (t: number, y: Tensor) => {
    const m = heldFixed((state) => mechanics.population(state, t, ctx), y);
    // Each agent's cost depends on its own state only (m is fixed), so the gradient of the
    // summed cost is the vector of per-agent derivatives.
    const total = (u: Tensor) => tf.sum(mechanics.cost(u, m, ctx));
    const gradient = () =>
      mechanics.gradientIn === 'decoded'
        ? tf.grad(total)(decode(y))
        : tf.grad((state: Tensor) => total(decode(state)))(y);
    const drift = tf.neg(local ? onLocalTape(gradient) : gradient());
    return mechanics.transition ? tf.add(drift, mechanics.transition(m, y)) : drift;
  };
}
