// The binomial tail Pr[Bin(n, p) ≥ r] behind the plausibility checks of the bidding rule
// (docs/liars-dice.md §5), on the host in float64. The rule asks for it twice per turn of every game, so
// it is summed from the side of the distribution that needs fewer terms, starting at the term
// nearest the mode and stopping once the terms no longer change the sum; the log-factorials are
// tabulated once. Two conventions: the mathematically correct one (default) and the reference's
// index clamping (faithful, docs/reference-defects.md Q13).

/** default: Pr[X ≥ r] = 0 for r > n and 1 for r ≤ 0; faithful: r > n reads Pr[X = n] (Q13). */
export type TailConvention = 'default' | 'faithful';

/** log k! for k = 0..length − 1, grown on demand. */
let logFactorials = Float64Array.of(0);

function logFactorial(k: number): number {
  if (k >= logFactorials.length) {
    const grown = new Float64Array(Math.max(k + 1, 2 * logFactorials.length));
    grown.set(logFactorials);
    for (let i = logFactorials.length; i < grown.length; i++) grown[i] = grown[i - 1] + Math.log(i);
    logFactorials = grown;
  }
  return logFactorials[k];
}

/** Pr[Bin(n, p) = k] for 0 < p < 1, from the log-factorials (no underflow before the result's own). */
function mass(n: number, p: number, k: number): number {
  return Math.exp(logFactorial(n) - logFactorial(k) - logFactorial(n - k) + k * Math.log(p) + (n - k) * Math.log1p(-p));
}

/** The binomial probability mass Pr[Bin(n, p) = k] (float64; 0 outside 0..n). */
export function binomialPmf(n: number, p: number, k: number): number {
  checkArguments(n, p);
  if (!Number.isInteger(k) || k < 0 || k > n) return 0;
  if (p === 0) return k === 0 ? 1 : 0;
  if (p === 1) return k === n ? 1 : 0;
  return mass(n, p, k);
}

/** a term this much smaller than the sum so far no longer changes it */
const NEGLIGIBLE = 1e-18;

/**
 * Pr[X ≥ r] for 1 ≤ r ≤ n and 0 < p < 1: above the mode the terms j = r, r+1, … decrease, so
 * they are summed upwards from r; at or below it the complement Σ_{j<r} is summed downwards from
 * r − 1 (its terms decrease too). Each next term comes from the last by the ratio of consecutive
 * masses.
 */
function upperTail(n: number, p: number, r: number): number {
  const odds = p / (1 - p);
  const mode = Math.floor((n + 1) * p);
  if (r > mode) {
    let term = mass(n, p, r);
    let sum = 0;
    for (let j = r; j <= n && term > NEGLIGIBLE * sum; j++) {
      sum += term;
      term *= ((n - j) / (j + 1)) * odds;
    }
    return Math.min(sum, 1);
  }
  let term = mass(n, p, r - 1);
  let below = 0;
  for (let j = r - 1; j >= 0 && term > NEGLIGIBLE * below; j--) {
    below += term;
    term *= (j / (n - j + 1)) / odds;
  }
  return Math.min(Math.max(1 - below, 0), 1);
}

/**
 * Pr[Bin(n, p) ≥ r].
 * default: 1 for r ≤ 0, 0 for r > n.
 * faithful (Q13): the reference only builds the table T[1..n] and clamps the index, so r > n
 * returns Pr[X = n] = T[n] and r < 1 returns T[1] = Pr[X ≥ 1].
 *
 *   binomialTail(5, 1/6, 2) // 0.196245…
 */
export function binomialTail(n: number, p: number, r: number, convention: TailConvention = 'default'): number {
  checkArguments(n, p);
  if (!Number.isInteger(r)) throw new Error(`binomialTail: r must be an integer, got ${r}`);
  if (convention === 'faithful') {
    if (n === 0) return r <= 0 ? 1 : 0; // no table to clamp into
    r = Math.min(Math.max(r, 1), n);
  }
  if (r <= 0) return 1;
  if (r > n) return 0;
  if (p === 0) return 0;
  if (p === 1) return 1;
  return upperTail(n, p, r);
}

function checkArguments(n: number, p: number): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`binomial: n must be an integer ≥ 0, got ${n}`);
  if (!(p >= 0 && p <= 1)) throw new Error(`binomial: p must be a probability in [0, 1], got ${p}`);
}
