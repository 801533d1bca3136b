// El Farol bar (docs/el-farol.md): each agent holds its probability p_i of going to the bar. At every
// drift evaluation the population draws its attendance A_i = 1[u_i < p_i]; the attending fraction
// P decides whether going (crowded, P > ϑ) or staying home (pleasant, P ≤ ϑ) is regretted, and a
// conformity term pulls p_i towards P. The drift comes from this cost by autodiff.
import { tf, type Tensor } from '../../src/tf.ts';
import type { Mechanics } from '../../src/game.ts';
import type { RandomStream } from '../../src/random.ts';
import { hinge, straightThrough } from '../../src/mfg/functions.ts';

export interface ElFarolMechanics {
  /** crowding threshold ϑ: the bar is pleasant while the attending fraction P ≤ ϑ */
  threshold: number;
  /** weight α of having gone to a crowded bar */
  alpha: number;
  /** weight β of having stayed home while the bar was pleasant */
  beta: number;
  /** weight γ of the peer-pressure (conformity) term */
  gamma: number;
  /**
   * fresh: new uniforms u behind the Bernoulli draws at every drift evaluation; frozen: one
   * uniform vector per experiment, reused at every step, sample and iteration (the reference, Q4)
   */
  attendance: 'fresh' | 'frozen';
  /**
   * The gradient of the clip of the saved states to [0, 1] (docs/el-farol.md §5, docs/reference-defects.md Q5): zero (the
   * reference: a clipped entry passes no gradient, so an agent that ends outside [0, 1] can never
   * be pulled back by the loss) or straight-through (the gradient passes as if unclipped; the
   * values are clipped all the same).
   */
  clipGradient: 'zero' | 'straight-through';
}

// The largest float32 below 1: a uniform that rounds to 1 in float32 would make p = 1 stay home.
const BELOW_ONE = Math.fround(1 - 2 ** -24);

/** n uniforms on [0, 1) as float32 values (never 1). */
export function float32Uniforms(rng: RandomStream, n: number): Float32Array {
  const u = Float32Array.from(rng.uniforms(n));
  for (let i = 0; i < n; i++) if (u[i] >= 1) u[i] = BELOW_ONE;
  return u;
}

/**
 * The attendance A_i = 1[u_i < p_i] in {0, 1}, shape of p [trajectories, agents]; u [agents] is
 * broadcast over trajectories or u [trajectories, agents]. step(p − u) is 1 only for p − u > 0, so
 * p ≥ 1 always attends (u < 1) and p ≤ 0 never does (u ≥ 0). No gradient (use in heldFixed).
 */
export function attendance(p: Tensor, u: Tensor): Tensor {
  return tf.step(tf.sub(p, u));
}

/** The attending fraction P = (1/n) Σ_i A_i of each trajectory: [trajectories, 1]. */
export function attendingFraction(A: Tensor): Tensor {
  return tf.mean(A, -1, true);
}

export function elFarolMechanics(m: ElFarolMechanics, agents: number, dynamics: RandomStream): Mechanics {
  // docs/el-farol.md §2, docs/reference-defects.md Q4: the faithful mode draws its uniforms once, when the experiment is built.
  const frozen = m.attendance === 'frozen' ? float32Uniforms(dynamics, agents) : null;
  return {
    // docs/el-farol.md §2: A_i ~ Bernoulli(p_i) on the unclipped state (Q12) [trajectories, agents]
    population: (p: Tensor) => {
      const [trajectories, n] = p.shape as [number, number];
      const u = frozen ? tf.tensor2d(frozen, [1, n]) : tf.tensor2d(float32Uniforms(dynamics, trajectories * n), [trajectories, n]);
      return attendance(p, u);
    },
    // docs/el-farol.md §3: C = α·A·1[P > ϑ]·[p − ϑ]₊ + β·(1 − A)·1[P ≤ ϑ]·[ϑ − p]₊ + γ·(p − P)²
    cost: (p: Tensor, A: Tensor) => {
      const P = attendingFraction(A); // [trajectories, 1]
      const crowded = tf.step(tf.sub(P, m.threshold)); // 1[P > ϑ]
      const pleasant = tf.sub(1, crowded); // 1[P ≤ ϑ]
      return tf.addN([
        // crowded and I went
        tf.mul(tf.mul(m.alpha, tf.mul(A, crowded)), hinge(tf.sub(p, m.threshold))),
        // pleasant and I stayed home
        tf.mul(tf.mul(m.beta, tf.mul(tf.sub(1, A), pleasant)), hinge(tf.sub(m.threshold, p))),
        // peer pressure / conformity
        tf.mul(m.gamma, tf.square(tf.sub(p, P))),
      ]);
    },
    // docs/el-farol.md §5: the saved states are clipped to [0, 1]; the internal state is not. The
    // reference's clip passes gradient 1 inside and 0 outside; straight-through passes 1 everywhere.
    observe:
      m.clipGradient === 'zero'
        ? (ys: Tensor) => tf.clipByValue(ys, 0, 1)
        : (ys: Tensor) => straightThrough((y) => tf.clipByValue(y, 0, 1), ys),
  };
}
