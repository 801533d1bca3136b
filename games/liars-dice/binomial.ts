// The binomial tail Pr[Bin(n, p) ≥ r] behind the plausibility checks of the bidding rule
// (GAMES.md §4.5), on the host in float64. The dice logic is discrete and runs on the host, so no
// TF.js version is needed. Two conventions: the mathematically correct one (default) and the
// reference's index clamping (faithful, GAMES.md Q13).

/** default: Pr[X ≥ r] = 0 for r > n and 1 for r ≤ 0; faithful: r > n reads Pr[X = n] (Q13). */
export type TailConvention = 'default' | 'faithful';

/** The binomial probability mass Pr[Bin(n, p) = k] (float64; 0 outside 0..n). */
export function binomialPmf(n: number, p: number, k: number): number {
  checkArguments(n, p);
  if (!Number.isInteger(k) || k < 0 || k > n) return 0;
  return massFunction(n, p)[k];
}

/**
 * Pr[X = j] for j = 0..n, by the recursion log f(j+1) = log f(j) + log((n−j)/(j+1)) + log(p/(1−p))
 * in log space (no underflow for hundreds of dice; O(n) per call, the rule calls it every turn).
 */
function massFunction(n: number, p: number): Float64Array {
  const pmf = new Float64Array(n + 1);
  if (p === 0 || p === 1) {
    pmf[p === 0 ? 0 : n] = 1;
    return pmf;
  }
  const logOdds = Math.log(p) - Math.log1p(-p);
  let logMass = n * Math.log1p(-p);
  for (let j = 0; j <= n; j++) {
    pmf[j] = Math.exp(logMass);
    logMass += Math.log(n - j) - Math.log(j + 1) + logOdds;
  }
  return pmf;
}

/**
 * The reference's table T[r] = Σ_{j=r}^{n} Pr[X = j] for r = 1..n (a reverse cumulative sum of
 * the mass function), as an array indexed by r (index 0 holds Pr[X ≥ 0] = 1).
 */
export function binomialTailTable(n: number, p: number): Float64Array {
  checkArguments(n, p);
  const pmf = massFunction(n, p);
  const table = new Float64Array(n + 1);
  let acc = 0;
  for (let j = n; j >= 1; j--) {
    acc += pmf[j];
    table[j] = Math.min(acc, 1);
  }
  table[0] = 1; // exact, whatever the rounding of the sum
  return table;
}

/**
 * Pr[Bin(n, p) ≥ r].
 * default: 1 for r ≤ 0, 0 for r > n.
 * faithful (Q13): the reference only builds T[1..n] and clamps the index, so r > n returns
 * Pr[X = n] = T[n] and r < 1 returns T[1] = Pr[X ≥ 1].
 *
 *   binomialTail(5, 1/6, 2) // 0.196245…
 */
export function binomialTail(n: number, p: number, r: number, convention: TailConvention = 'default'): number {
  checkArguments(n, p);
  if (!Number.isInteger(r)) throw new Error(`binomialTail: r must be an integer, got ${r}`);
  if (convention === 'faithful') {
    if (n === 0) return r <= 0 ? 1 : 0; // no table to clamp into
    const index = Math.min(Math.max(r, 1), n);
    return binomialTailTable(n, p)[index];
  }
  if (r <= 0) return 1;
  if (r > n) return 0;
  return binomialTailTable(n, p)[r];
}

function checkArguments(n: number, p: number): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`binomial: n must be an integer ≥ 0, got ${n}`);
  if (!(p >= 0 && p <= 1)) throw new Error(`binomial: p must be a probability in [0, 1], got ${p}`);
}
