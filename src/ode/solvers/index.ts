import type { Solver } from './solver.ts';
import { SOLVER_NAMES, type SolverName } from './names.ts';
import { euler } from './euler.ts';
import { eulerMaruyama } from './euler_maruyama.ts';
import { heun } from './heun.ts';
import { rk4 } from './rk4.ts';

export type { Solver } from './solver.ts';
export { SOLVER_NAMES, type SolverName } from './names.ts';
/** every solver by its name (names.ts: the type makes this table hold each name once) */
export const SOLVERS: Record<string, Solver> = {
  euler,
  'euler-maruyama': eulerMaruyama,
  heun,
  rk4,
} satisfies Record<SolverName, Solver>;

export function solverByName(name: string): Solver {
  const s = SOLVERS[name];
  if (!s) throw new Error(`unknown solver "${name}": choose one of ${SOLVER_NAMES.join(', ')}`);
  return s;
}
