// The solvers' names (index.ts holds the solvers themselves): what a configuration and a run request
// may name, in a module that loads no TF.js, so that readers of requests that run no solve (the
// dashboard reading a sweep's manifest) can check them.

const NAMES = ['euler', 'euler-maruyama', 'heun', 'rk4'] as const;
export type SolverName = (typeof NAMES)[number];
export const SOLVER_NAMES: string[] = [...NAMES];
