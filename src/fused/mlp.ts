// The neural term's MLP on typed arrays, for the fused engine: a forward pass over the rows of a
// batch that keeps what its reverse pass needs (the inputs and the pre-activations of every layer),
// and the reverse pass itself (vector-Jacobian products for the flat parameter vector and for the
// input). Same flat layout as src/nn/mlp.ts: per layer W row-major [fanIn, fanOut], then b [fanOut].
// Products are summed in float64 and every stored value is rounded to float32, so the values are
// those of TF.js's float32 kernels up to the order of summation.
import { layerShapes, type Activation, type MlpSpec } from '../nn/spec.ts';

const fround = Math.fround;

// tfjs-backend-cpu's softplus (mirrors tf.nn.softplus): x above −threshold is x, below threshold exp(x)
const SOFTPLUS_THRESHOLD = Math.log(1.1920928955078125e-7) + 2;
const LEAKY_SLOPE = 0.01;

/** act(z) for one value (float64 arithmetic; the caller rounds). */
export function activate(z: number, a: Activation): number {
  switch (a) {
    case 'identity':
      return z;
    case 'softplus':
      if (z < SOFTPLUS_THRESHOLD) return Math.exp(z);
      if (z > -SOFTPLUS_THRESHOLD) return z;
      return Math.log(1 + Math.exp(z));
    case 'tanh':
      return Math.tanh(z);
    case 'relu':
      return z > 0 ? z : 0;
    case 'leaky-relu':
      return z < 0 ? LEAKY_SLOPE * z : z;
    case 'sigmoid':
      return 1 / (1 + Math.exp(-z));
  }
}

/** act'(z), as TF.js's gradients define it (relu and leaky-relu: the slope left of 0 at 0). */
export function activationSlope(z: number, a: Activation): number {
  switch (a) {
    case 'identity':
      return 1;
    case 'softplus':
      return 1 / (1 + Math.exp(-z));
    case 'tanh': {
      const t = Math.tanh(z);
      return 1 - t * t;
    }
    case 'relu':
      return z > 0 ? 1 : 0;
    case 'leaky-relu':
      return z > 0 ? 1 : LEAKY_SLOPE;
    case 'sigmoid': {
      const s = 1 / (1 + Math.exp(-z));
      return s * (1 - s);
    }
  }
}

/** What one forward pass keeps for its reverse pass: the input, and each layer's output and slope. */
export interface MlpTape {
  /** [rows, inputSize] */
  input: Float32Array;
  /** per layer [rows, fanOut]: a_l = act(z_l), z_l = a_{l−1} W_l + b_l (the last one is the output) */
  post: Float32Array[];
  /** per layer [rows, fanOut]: act'(z_l); null for an identity activation (slope 1) */
  slope: (Float32Array | null)[];
  /** the batch rows that were computed (null: all `rows`) */
  active: Int32Array | null;
  rows: number;
  /** the first layer's constant inputs of this pass (null: every input column was multiplied) */
  constant: ConstantInputs | null;
}

/**
 * The first layer's constant inputs (NetworkKernels.constantInputs): columns [variable, fanIn) of
 * network row r are those of constant row rowOf[r], multiplied into the first layer once per solve
 * (`base`, from FusedMlp.constantBase) instead of at every pass.
 */
export interface ConstantInputs {
  variable: number;
  /** Σ_{i ≥ variable} c_i·W_i per constant row: [constantRows, fanOut of the first layer] (float64) */
  base: Float64Array;
  /** the constant row of each network row [rows] */
  rowOf: Int32Array;
}

/**
 * a = act(z) and, when `slope` is given, act'(z) for the entries [from, from + count) of z,
 * written into a and slope at the same places. One switch per call, not per entry.
 */
function activateRow(z: Float64Array, count: number, a: Float32Array, slope: Float32Array | null, at: number, activation: Activation): void {
  switch (activation) {
    case 'identity':
      for (let o = 0; o < count; o++) a[at + o] = z[o];
      return;
    case 'softplus':
      for (let o = 0; o < count; o++) {
        const x = z[o];
        // e^{−|x|} never overflows: softplus and its slope (the logistic function) from it
        const e = Math.exp(-Math.abs(x));
        a[at + o] = x < SOFTPLUS_THRESHOLD ? Math.exp(x) : x > -SOFTPLUS_THRESHOLD ? x : x > 0 ? x + Math.log(1 + e) : Math.log(1 + e);
        if (slope) slope[at + o] = x >= 0 ? 1 / (1 + e) : e / (1 + e);
      }
      return;
    case 'leaky-relu':
      for (let o = 0; o < count; o++) {
        const x = z[o];
        a[at + o] = x < 0 ? LEAKY_SLOPE * x : x;
        if (slope) slope[at + o] = x > 0 ? 1 : LEAKY_SLOPE;
      }
      return;
    default:
      for (let o = 0; o < count; o++) {
        a[at + o] = activate(z[o], activation);
        if (slope) slope[at + o] = activationSlope(z[o], activation);
      }
  }
}

export class FusedMlp {
  readonly layers: { fanIn: number; fanOut: number; w: number; b: number; activation: Activation }[];
  readonly parameterCount: number;
  private readonly acc: Float64Array;
  private readonly delta: Float64Array[];

  constructor(readonly spec: MlpSpec) {
    let offset = 0;
    const shapes = layerShapes(spec);
    this.layers = shapes.map(([fanIn, fanOut], l) => {
      const layer = {
        fanIn,
        fanOut,
        w: offset,
        b: offset + fanIn * fanOut,
        activation: l === shapes.length - 1 ? spec.outputActivation : spec.activation,
      };
      offset += fanIn * fanOut + fanOut;
      return layer;
    });
    this.parameterCount = offset;
    const widest = Math.max(spec.inputSize, ...shapes.map(([, o]) => o));
    this.acc = new Float64Array(widest);
    this.delta = [new Float64Array(widest), new Float64Array(widest)];
  }

  /**
   * out = MLP(x) for the rows of x [rows, inputSize] (only the rows listed in `active`, when
   * given; the others of `out` are left as they are). With `record`, returns the tape for
   * `backward`; the tape holds `x` itself, so the caller must not overwrite it while it is needed.
   */
  /**
   * base [constantRows, fanOut of the first layer] = constants [constantRows, fanIn − variable] ·
   * W[variable:, :] (float64, summed over the columns in order): the constant inputs' share of the
   * first layer, for ConstantInputs.
   */
  constantBase(params: Float32Array, constants: ArrayLike<number>, variable: number): Float64Array {
    const { fanIn, fanOut, w } = this.layers[0];
    const width = fanIn - variable;
    const count = constants.length / width;
    const base = new Float64Array(count * fanOut);
    for (let c = 0; c < count; c++) {
      for (let j = 0; j < width; j++) {
        const v = constants[c * width + j];
        if (v === 0) continue;
        const wRow = w + (variable + j) * fanOut;
        for (let o = 0; o < fanOut; o++) base[c * fanOut + o] += v * params[wRow + o];
      }
    }
    return base;
  }

  /**
   * The constant inputs' share of ∂L/∂W: gParams[W[variable:, :]] += constantsᵀ · gBase, where
   * gBase [constantRows, fanOut] sums the first layer's pre-activation gradients of every row that
   * read the constant row (backward's `gBase`).
   */
  addConstantGradient(constants: ArrayLike<number>, variable: number, gBase: Float64Array, gParams: Float64Array): void {
    const { fanIn, fanOut, w } = this.layers[0];
    const width = fanIn - variable;
    const count = constants.length / width;
    for (let c = 0; c < count; c++) {
      for (let j = 0; j < width; j++) {
        const v = constants[c * width + j];
        if (v === 0) continue;
        const wRow = w + (variable + j) * fanOut;
        for (let o = 0; o < fanOut; o++) gParams[wRow + o] += v * gBase[c * fanOut + o];
      }
    }
  }

  forward(params: Float32Array, x: Float32Array, rows: number, out: Float32Array, active: Int32Array | null = null, record = true, constant: ConstantInputs | null = null): MlpTape | null {
    const post: Float32Array[] = [];
    const slopes: (Float32Array | null)[] = [];
    let input = x;
    const count = active ? active.length : rows;
    const acc = this.acc;
    const L = this.layers.length;
    for (let l = 0; l < L; l++) {
      const { fanIn, fanOut, w, b, activation } = this.layers[l];
      const a = l === L - 1 ? out : new Float32Array(rows * fanOut);
      const slope = record && activation !== 'identity' ? new Float32Array(rows * fanOut) : null;
      for (let c = 0; c < count; c++) {
        const r = active ? active[c] : c;
        for (let o = 0; o < fanOut; o++) acc[o] = 0;
        const inRow = r * fanIn;
        const multiplied = l === 0 && constant ? constant.variable : fanIn;
        for (let i = 0; i < multiplied; i++) {
          const xi = input[inRow + i];
          if (xi === 0) continue;
          const wRow = w + i * fanOut;
          for (let o = 0; o < fanOut; o++) acc[o] += xi * params[wRow + o];
        }
        if (l === 0 && constant) {
          const at = constant.rowOf[r] * fanOut;
          for (let o = 0; o < fanOut; o++) acc[o] += constant.base[at + o];
        }
        // (x·W) rounded, then + b rounded: TF.js's matMul then add
        for (let o = 0; o < fanOut; o++) acc[o] = fround(fround(acc[o]) + params[b + o]);
        activateRow(acc, fanOut, a, slope, r * fanOut, activation);
      }
      post.push(a);
      slopes.push(slope);
      input = a;
    }
    return record ? { input: x, post, slope: slopes, active, rows, constant } : null;
  }

  /**
   * The reverse pass of one forward pass: given gOut = ∂L/∂out [rows, outputSize] (float64),
   * adds ∂L/∂θ into gParams and, when gIn is given, writes ∂L/∂x into gIn [rows, inputSize]. A pass
   * with constant inputs adds their rows' first-layer gradients into gBase [constantRows, fanOut]
   * instead (addConstantGradient turns them into ∂L/∂W) and writes no gIn for those columns.
   */
  backward(params: Float32Array, tape: MlpTape, gOut: Float64Array, gParams: Float64Array, gIn: Float64Array | null, gBase: Float64Array | null = null): void {
    const constant = tape.constant;
    if (constant && !gBase) throw new Error('FusedMlp.backward: a pass with constant inputs needs gBase');
    const count = tape.active ? tape.active.length : tape.rows;
    const L = this.layers.length;
    for (let c = 0; c < count; c++) {
      const r = tape.active ? tape.active[c] : c;
      // delta of the current layer's output, then of its pre-activation
      let cur = this.delta[0];
      let next = this.delta[1];
      const outSize = this.layers[L - 1].fanOut;
      for (let o = 0; o < outSize; o++) cur[o] = gOut[r * outSize + o];
      for (let l = L - 1; l >= 0; l--) {
        const { fanIn, fanOut, w, b } = this.layers[l];
        const slope = tape.slope[l];
        const zRow = r * fanOut;
        if (slope) for (let o = 0; o < fanOut; o++) cur[o] *= slope[zRow + o];
        const input = l === 0 ? tape.input : tape.post[l - 1];
        const inRow = r * fanIn;
        for (let o = 0; o < fanOut; o++) gParams[b + o] += cur[o];
        const needInput = l > 0 || gIn !== null;
        const multiplied = l === 0 && constant ? constant.variable : fanIn;
        if (l === 0 && constant) {
          const at = constant.rowOf[r] * fanOut;
          for (let o = 0; o < fanOut; o++) gBase![at + o] += cur[o];
        }
        for (let i = 0; i < multiplied; i++) {
          const xi = input[inRow + i];
          const wRow = w + i * fanOut;
          let back = 0;
          if (xi !== 0) {
            for (let o = 0; o < fanOut; o++) {
              gParams[wRow + o] += xi * cur[o];
              back += cur[o] * params[wRow + o];
            }
          } else if (needInput) {
            for (let o = 0; o < fanOut; o++) back += cur[o] * params[wRow + o];
          }
          if (needInput) next[i] = back;
        }
        if (l === 0) {
          if (gIn) for (let i = 0; i < multiplied; i++) gIn[inRow + i] = next[i];
        } else {
          const t = cur;
          cur = next;
          next = t;
        }
      }
    }
  }
}
