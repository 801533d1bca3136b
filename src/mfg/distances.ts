// Distributional losses on TF.js, the graph engine's own (src/fused/distances.ts sorts instead, and
// the engines are held against each other):
// the distance between each simulated final population p (a row of pred; the engine passes one row,
// every trajectory pooled) and the observed population q (constant: the batch's observations pooled
// on an agent's scale), averaged over the rows.
//   energy: pairwise, 2·mean|p_i − q_j| − mean|p_i − p_i'| − mean|q_j − q_j'| (the last a constant),
//           with d|z|/dz = sign(z), 0 at 0 (TF.js's abs takes −1 there);
//   sliced-wasserstein: the sorted p (a gather by topk's order, differentiable) against sorted q
//           on the merged breakpoints of the two quantile functions (which depend on n and m only).
import { tf, type GradSaveFunc, type Scalar, type Tensor } from '../tf.ts';
import type { ExperimentConfig, LossKind } from '../config.ts';
import type { Game } from '../game.ts';
import type { ObservationBatch } from '../data/dataset.ts';

/** The observations of a batch pooled on the scale of an agent's state (the game's comparableValues). */
export function observedPopulation<C extends ExperimentConfig>(game: Game<C>, config: C, observations: ObservationBatch): Float64Array {
  const comparable = game.observations.comparableValues;
  if (!comparable) throw new Error(`the ${game.name} game has no observations on the scale of an agent's state for training.loss`);
  const data = { values: Float64Array.from(observations.values), shape: observations.shape.slice(), labels: [] };
  return Float64Array.from(comparable(data, config));
}

type CustomGradientFunc = Parameters<typeof tf.customGrad>[0];

let absOp: ((z: Tensor) => Tensor) | null = null;
/** |z| with derivative sign(z) (0 at 0, symmetric in ties). */
function absolute(z: Tensor): Tensor {
  absOp ??= tf.customGrad(((x: Tensor, save: GradSaveFunc) => {
    save([x]);
    return { value: tf.abs(x), gradFunc: (dy: Tensor, saved: Tensor[]) => tf.mul(dy, tf.sign(saved[0])) };
  }) as unknown as CustomGradientFunc) as (z: Tensor) => Tensor;
  return absOp(z);
}

/** mean over j, j' of |q_j − q_j'| (host, float64, by sorting). */
function meanSelfDistance(q: Float64Array): number {
  const s = Float64Array.from(q).sort();
  const m = s.length;
  let total = 0;
  for (let k = 0; k < m; k++) total += (2 * k - m + 1) * s[k];
  return (2 * total) / (m * m);
}

function energyTensor(pred: Tensor, q: Float64Array): Scalar {
  const [k, n] = pred.shape as [number, number];
  const qs = tf.tensor(Float32Array.from(q), [1, 1, q.length]);
  const cross = tf.mean(absolute(tf.sub(tf.reshape(pred, [k, n, 1]), qs)), [1, 2]); // [k]
  const own = tf.mean(absolute(tf.sub(tf.reshape(pred, [k, n, 1]), tf.reshape(pred, [k, 1, n]))), [1, 2]); // [k]
  return tf.mean(tf.sub(tf.sub(tf.mul(cross, 2), own), meanSelfDistance(q))) as Scalar;
}

/** Where the quantile functions of n and m points step: (index into sorted p, into sorted q, weight). */
function breakpoints(n: number, m: number): { a: Int32Array; b: Int32Array; w: Float32Array } {
  const a: number[] = [];
  const b: number[] = [];
  const w: number[] = [];
  let i = 0;
  let j = 0;
  let u = 0;
  while (i < n && j < m) {
    const next = Math.min((i + 1) * m, (j + 1) * n);
    a.push(i);
    b.push(j);
    w.push((next - u) / (n * m));
    u = next;
    if ((i + 1) * m === next) i++;
    if ((j + 1) * n === next) j++;
  }
  return { a: Int32Array.from(a), b: Int32Array.from(b), w: Float32Array.from(w) };
}

function slicedWassersteinTensor(pred: Tensor, q: Float64Array): Scalar {
  const [k, n] = pred.shape as [number, number];
  const { a, b, w } = breakpoints(n, q.length);
  const qSorted = Float32Array.from(Float64Array.from(q).sort());
  const qAt = tf.tensor1d(Float32Array.from(b, (j) => qSorted[j]));
  const weights = tf.tensor1d(w);
  const positions = tf.tensor1d(a, 'int32');
  const rows: Tensor[] = [];
  for (let r = 0; r < k; r++) {
    const p = tf.reshape(tf.slice(pred, [r, 0], [1, n]), [n]);
    // ascending order: topk's descending order reversed, read back so that no gradient reaches the indices
    const ascending = tf.tensor1d(Int32Array.from(tf.topk(p, n).indices.dataSync()).reverse(), 'int32');
    const sorted = tf.gather(p, ascending);
    rows.push(tf.sum(tf.mul(weights, tf.square(tf.sub(tf.gather(sorted, positions), qAt)))));
  }
  return tf.mean(tf.stack(rows)) as Scalar;
}

/** The distributional loss of the final populations pred [trajectories, agents] against q. */
export function distributionalLossTensor(kind: Exclude<LossKind, 'mse'>, pred: Tensor, q: Float64Array): Scalar {
  if (q.length === 0) throw new Error(`training.loss ${kind}: no observed values to compare with`);
  return tf.tidy(() => (kind === 'energy' ? energyTensor(pred, q) : slicedWassersteinTensor(pred, q)));
}
