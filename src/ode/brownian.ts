// Brownian increments on a fixed step grid, seeded and reproducible. Shape [1] gives one common
// scalar path shared by every agent (the reference's behaviour, docs/reference-defects.md Q3); a state-shaped
// path gives independent noise per agent. The path lives on the host; a solve on TF.js uploads each
// increment as it needs it (inside its own tidy scope), so a path owns no tensors.
import { tf, type Tensor } from '../tf.ts';
import type { RandomStream } from '../random.ts';

export class BrownianIncrements {
  /** host copy, [steps, ...shape], float64 */
  readonly values: Float64Array;

  constructor(
    readonly steps: number,
    readonly dt: number,
    readonly shape: number[],
    values: Float64Array,
  ) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (values.length !== steps * size) {
      throw new Error(`BrownianIncrements: expected ${steps * size} values, got ${values.length}`);
    }
    this.values = values;
  }

  /** ΔW_k ~ N(0, dt) i.i.d. from `rng`. */
  static sample(rng: RandomStream, steps: number, dt: number, shape: number[]): BrownianIncrements {
    const size = shape.reduce((a, b) => a * b, 1);
    return new BrownianIncrements(steps, dt, shape, rng.normals(steps * size, 0, Math.sqrt(dt)));
  }

  /** The same path on a grid `factor` times coarser (increments summed): for convergence tests. */
  coarsen(factor: number): BrownianIncrements {
    const size = this.shape.reduce((a, b) => a * b, 1);
    const steps = Math.floor(this.steps / factor);
    const out = new Float64Array(steps * size);
    for (let k = 0; k < steps; k++) {
      for (let j = 0; j < factor; j++) {
        for (let i = 0; i < size; i++) out[k * size + i] += this.values[(k * factor + j) * size + i];
      }
    }
    return new BrownianIncrements(steps, this.dt * factor, this.shape, out);
  }

  /** W(t_k) − W(t_0) for k = 0..steps, on the host. */
  cumulative(): Float64Array[] {
    const size = this.shape.reduce((a, b) => a * b, 1);
    const out = [new Float64Array(size)];
    for (let k = 0; k < this.steps; k++) {
      const next = Float64Array.from(out[k]);
      for (let i = 0; i < size; i++) next[i] += this.values[k * size + i];
      out.push(next);
    }
    return out;
  }

  /** ΔW_k as a float32 tensor of `shape`, owned by the caller's tidy scope. */
  increment(k: number): Tensor {
    if (k < 0 || k >= this.steps) throw new Error(`Brownian increment ${k} outside 0..${this.steps - 1}`);
    const size = this.shape.reduce((a, b) => a * b, 1);
    return tf.tensor(Float32Array.from(this.values.subarray(k * size, (k + 1) * size)), this.shape);
  }
}
