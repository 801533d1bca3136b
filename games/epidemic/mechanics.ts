// The epidemic game's mechanics on TF.js (docs/epidemic.md §2-§3), the reference the fused kernels
// (kernels.ts) are held against. Each cohort j chooses its contact level x_j by the drift minus the
// gradient of its cost, the force of infection Λ held fixed (the mean-field statistic); its
// compartments move by the SIR-F transfers, which read Λ live (the epidemic's own feedback, so that
// gradients through the solve see it). The state is [trajectories, ROWS, N] (layout.ts).
import { tf, type Tensor } from '../../src/tf.ts';
import type { Mechanics, NetworkAdapter } from '../../src/game.ts';
import { heldFixed } from '../../src/mfg/functions.ts';
import type { EpidemicMechanics } from './config.ts';
import { PER_MILLE, ROW, ROWS } from './layout.ts';
import type { PerceptionKind } from './perception.ts';

/**
 * Below this, the living contact mass Σ_j χ_j(1 − f_j) counts as none (Λ = 0 rather than 0/0). Its
 * square stays a normal float32 (a smaller one would make the quotient's gradient 0/0 = NaN).
 */
export const TINY = 1e-12;

/** Row r of states [trajectories, ROWS, N]: [trajectories, 1, N]. */
export function row(y: Tensor, r: number): Tensor {
  return tf.slice(y, [0, r, 0], [-1, 1, -1]);
}

/**
 * docs/epidemic.md §2: the force of infection of each trajectory [trajectories, 1, 1],
 *   Λ = Σ_j χ_j i_j / Σ_j χ_j (1 − f_j),  χ_j = [x_j]₊
 * the contact-weighted infected share among the living.
 */
export function forceOfInfection(y: Tensor): Tensor {
  const contact = tf.relu(row(y, ROW.contact));
  const infectious = tf.sum(tf.mul(contact, row(y, ROW.infected)), -1, true);
  const living = tf.sum(tf.mul(contact, tf.sub(1, row(y, ROW.fatal))), -1, true);
  return tf.div(infectious, tf.maximum(living, TINY));
}

/** ψ(Λ) of perception.ts on tensors: 1000 Λ (linear), log(1 + 1000 Λ) (log). */
export function perceivedRiskOf(kind: PerceptionKind, lambda: Tensor): Tensor {
  return kind === 'linear' ? tf.mul(PER_MILLE, lambda) : tf.log1p(tf.mul(PER_MILLE, lambda));
}

export function epidemicMechanics(m: EpidemicMechanics): Mechanics {
  return {
    // held fixed in every gradient (src/mfg/drift.ts), like every game's statistic: each cohort takes Λ as given
    population: (y: Tensor) => forceOfInfection(y),
    // docs/epidemic.md §3: C(x_j; Λ) = w·β·[x_j]₊·ψ(Λ) + (κ/2)(x̄ − x_j)², on the contact row
    cost: (u: Tensor, lambda: Tensor) => {
      const x = row(u, ROW.contact);
      // linear: (w·β·1000)·Λ, as in the first version; log: (w·β)·log(1 + 1000 Λ)
      const risk = m.perception === 'linear' ? tf.mul(m.infectionCost * m.transmission * PER_MILLE, lambda) : tf.mul(m.infectionCost * m.transmission, perceivedRiskOf(m.perception, lambda));
      return tf.add(
        tf.mul(risk, tf.relu(x)),
        tf.mul(m.contactCost / 2, tf.square(tf.sub(m.normalContact, x))),
      );
    },
    // docs/epidemic.md §2: the SIR-F transfers, each computed once and moved from one compartment
    // to the next (so that the shares of a cohort keep their sum); Λ read live from the state
    transition: (_lambda: Tensor, y: Tensor) => {
      // [s]₊: a step that overshoots below 0 (a huge β·x·Λ·dt) stops infecting rather than turning the transfer round
      const infections = tf.mul(tf.mul(tf.mul(m.transmission, tf.relu(row(y, ROW.contact))), tf.relu(row(y, ROW.susceptible))), forceOfInfection(y));
      const infected = row(y, ROW.infected);
      const recoveries = tf.mul(m.recovery, infected);
      const deaths = tf.mul(m.fatality, infected);
      const rates = new Array<Tensor>(ROWS);
      rates[ROW.contact] = tf.zerosLike(infections);
      rates[ROW.susceptible] = tf.neg(infections);
      rates[ROW.infected] = tf.sub(tf.sub(infections, recoveries), deaths);
      rates[ROW.recovered] = recoveries;
      rates[ROW.fatal] = deaths;
      rates[ROW.infections] = infections;
      return tf.concat(rates, 1);
    },
  };
}

/**
 * docs/epidemic.md §10: the population network reads the contact levels and the prevalence
 * feature φ = log(1 + 1000 Λ) (held fixed), and writes the contact row only, so that the
 * compartments keep their totals whatever it learns: [x_1..x_N, φ] → N increments.
 */
export function epidemicNetwork(cohorts: number): NetworkAdapter {
  return {
    inputSize: cohorts + 1,
    outputSize: cohorts,
    input: (_t, y) => {
      const rows = y.shape[0];
      const contact = tf.reshape(row(y, ROW.contact), [rows, cohorts]);
      const prevalence = heldFixed((state) => tf.log1p(tf.mul(PER_MILLE, tf.reshape(forceOfInfection(state), [rows, 1]))), y);
      return tf.concat([contact, prevalence], 1);
    },
    output: (_t, out, y) => {
      const rows = y.shape[0];
      return tf.concat([tf.reshape(out, [rows, 1, cohorts]), tf.zeros([rows, ROWS - 1, cohorts])], 1);
    },
  };
}
