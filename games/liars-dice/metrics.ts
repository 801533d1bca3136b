// What is measured of Liar's dice rounds on the host, in float64: the players' mean beliefs and the
// KL divergence, the one KL function of the game's reports and of its fused loss.
import { carryColumns, softmax } from './carry.ts';
import type { LiarsDiceExperiment } from './engine-config.ts';

/** Mean beliefs softmax(z_p) over the players of each final carry: [games][F]. */
export function meanBeliefs(finals: number[][], config: LiarsDiceExperiment): number[][] {
  const { layout } = config.scenario;
  const cols = carryColumns(layout);
  return finals.map((carry) => {
    const avg = new Array<number>(layout.faces).fill(0);
    for (let p = 0; p < layout.players; p++) {
      const pi = softmax(carry.slice((2 + p) * cols, (2 + p) * cols + layout.faces));
      pi.forEach((v, k) => (avg[k] += v / layout.players));
    }
    return avg;
  });
}

/** One term of the KL divergence: x ln(x/y) − x + y, with the scipy convention kl(0, y) = y. */
export function klTerm(x: number, y: number): number {
  return x > 0 ? x * Math.log(x / y) - x + y : y;
}

/** KL(y ‖ p) = Σ_k kl(y_k, p_k) with the scipy convention kl(0, q) = q (docs/liars-dice.md §15). */
export function klDivergence(y: ArrayLike<number>, p: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < y.length; k++) s += klTerm(y[k], p[k]);
  return s;
}

