import type { Solver } from './solver.ts';
import { euler } from './euler.ts';
import { eulerMaruyama } from './euler_maruyama.ts';
import { heun } from './heun.ts';
import { rk4 } from './rk4.ts';

export type { Solver } from './solver.ts';
export const SOLVERS: Record<string, Solver> = {
  euler,
  'euler-maruyama': eulerMaruyama,
  heun,
  rk4,
};
export const SOLVER_NAMES = Object.keys(SOLVERS);

export function solverByName(name: string): Solver {
  const s = SOLVERS[name];
  if (!s) throw new Error(`unknown solver "${name}": choose one of ${SOLVER_NAMES.join(', ')}`);
  return s;
}
