// The explicit Runge–Kutta schemes of the fused solve, as tableaux: the same solvers as
// src/ode/solvers/ (euler, euler-maruyama, heun, rk4), with every stage input and the step's
// combination rounded to float32 in the order the TF.js ops of those files round them, so that the
// fused and graph engines take the same steps. A stage contribution K_s is what one step of Euler
// would add at the stage's input Y_s and time t + c_s·h (drift·h + network·h + σ·ΔW_k); the step is
// y_{k+1} = y_k + Σ_s b_s·K_s. The reverse pass (solve.ts) reads a, b and c alone.

const fround = Math.fround;

export interface FusedScheme {
  name: string;
  /** c_s: stage s is taken at t + c_s·h */
  c: number[];
  /** Y_s = y + weight·K_from (each stage reads one earlier contribution; stage 0 reads y itself) */
  inputs: ({ from: number; weight: number } | null)[];
  /** b_s: the weights of the contributions in the step */
  b: number[];
  /** y_{k+1}[i] from y[i] and the contributions K_s[i], rounded as the TF.js solver rounds it */
  combine(y: number, K: Float32Array[], i: number): number;
  /** the stage input Y_s[i] = y[i] + weight·K_from[i], rounded as the TF.js solver rounds it */
  stageInput(y: number, K: Float32Array[], s: number, i: number): number;
}

function stageInput(this: FusedScheme, y: number, K: Float32Array[], s: number, i: number): number {
  const input = this.inputs[s]!;
  return input.weight === 1 ? fround(y + K[input.from][i]) : fround(y + fround(K[input.from][i] * input.weight));
}

/** src/ode/solvers/euler.ts (and euler_maruyama.ts): y + K₁. */
const euler: FusedScheme = { name: 'euler', c: [0], inputs: [null], b: [1], combine: (y, K, i) => fround(y + K[0][i]), stageInput };

/** src/ode/solvers/heun.ts: y + (K₁ + K₂)/2 with K₂ at (t + h, y + K₁). */
const heun: FusedScheme = {
  name: 'heun',
  c: [0, 1],
  inputs: [null, { from: 0, weight: 1 }],
  b: [0.5, 0.5],
  combine: (y, K, i) => fround(y + fround(fround(K[0][i] + K[1][i]) * 0.5)),
  stageInput,
};

/** src/ode/solvers/rk4.ts: y + (K₁ + 2K₂ + 2K₃ + K₄)/6 (the sum as tf.addN adds, left to right). */
const rk4: FusedScheme = {
  name: 'rk4',
  c: [0, 0.5, 0.5, 1],
  inputs: [null, { from: 0, weight: 0.5 }, { from: 1, weight: 0.5 }, { from: 2, weight: 1 }],
  b: [1 / 6, 2 / 6, 2 / 6, 1 / 6],
  combine: (y, K, i) => {
    const sum = fround(fround(fround(K[0][i] + fround(K[1][i] * 2)) + fround(K[2][i] * 2)) + K[3][i]);
    return fround(y + fround(sum / 6));
  },
  stageInput,
};

export const FUSED_SCHEMES: Record<string, FusedScheme> = { euler, 'euler-maruyama': { ...euler, name: 'euler-maruyama' }, heun, rk4 };

export function fusedScheme(solver: string): FusedScheme {
  const s = FUSED_SCHEMES[solver];
  if (!s) throw new Error(`the fused engine has no scheme for the solver "${solver}": it integrates ${Object.keys(FUSED_SCHEMES).join(', ')}`);
  return s;
}
