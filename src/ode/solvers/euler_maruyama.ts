// Euler–Maruyama for Itô SDEs: the Euler step with the Brownian increment ΔW_k ~ N(0, h).
// Weak order 1, strong order 0.5 (strong order 1 when the noise is additive). For ODE terms alone
// it is explicit Euler. It is the scheme of the reference (docs/framework.md §2).
import type { Solver } from './solver.ts';
import { euler } from './euler.ts';

export const eulerMaruyama: Solver = { ...euler, name: 'euler-maruyama' };
