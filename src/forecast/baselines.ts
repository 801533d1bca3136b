// The forecasts a practitioner would make without this tool, that every forecast here is scored
// against (README "Forecasts on real data"): the naive forecast (the last fitted week's growth
// rate continued) and a classical SIR with constant rates fitted by least squares on the same
// window (β, γ and the initial infected share, on log counts). Inputs are 7-day trailing means of
// daily new confirmed cases; outputs are the same quantity, day by day.
import { levenbergMarquardt } from 'ml-levenberg-marquardt';

/**
 * The naive forecast: the growth rate of the window's last week, r = ln(y[n−1] / y[n−8]) / 7,
 * continued: y[n−1] · exp(r·h) on day h = 1 … days after the window. Flat (r = 0) where either
 * end of that week is 0 or not known (no rate to continue).
 */
export function naiveForecast(fitted: ArrayLike<number>, days: number): Float64Array {
  const n = fitted.length;
  if (n < 8) throw new Error(`naiveForecast: the window needs at least 8 days, got ${n}`);
  const last = fitted[n - 1];
  const weekBefore = fitted[n - 8];
  if (!Number.isFinite(last)) throw new Error('naiveForecast: the window\'s last 7-day mean is not known');
  const rate = last > 0 && weekBefore > 0 ? Math.log(last / weekBefore) / 7 : 0;
  return Float64Array.from({ length: days }, (_, h) => last * Math.exp(rate * (h + 1)));
}

/** What a SIR fit starts from besides the counts. */
export interface SirSetting {
  /** people */
  population: number;
  /**
   * share of the population already removed (recovered or dead) when the window starts: the
   * cumulative confirmed count before it over the population (every case counted, as the
   * classical per-phase fits assume)
   */
  removedShare: number;
}

/** SIR parameters: rates per day, the infected share on the window's first morning. */
export interface SirParameters {
  beta: number;
  gamma: number;
  infectedShare: number;
}

/** A fitted SIR and what it says about the window. */
export interface SirFit extends SirParameters {
  /** the model's new cases a day over the window */
  fitted: Float64Array;
  /** root mean square of log(1 + model) − log(1 + observed) over the window's days with a count */
  rmsLogError: number;
}

/** RK4 substeps per day (h = 0.25 day: the daily incidence within 1e-4 of the closed form, tested). */
const SUBSTEPS = 4;

/**
 * New cases a day, N · (S(k) − S(k+1)), for `days` days of the SIR
 *   dS/dt = −β S I,  dI/dt = β S I − γ I,  dR/dt = γ I  (shares of N)
 * from S = 1 − i0 − removed, I = i0 on the morning of day 0 (RK4, SUBSTEPS a day).
 */
export function sirIncidence(p: SirParameters, s: SirSetting, days: number): Float64Array {
  let S = 1 - p.infectedShare - s.removedShare;
  let I = p.infectedShare;
  const h = 1 / SUBSTEPS;
  const out = new Float64Array(days);
  const f = (S: number, I: number): [number, number] => {
    const infection = p.beta * S * I;
    return [-infection, infection - p.gamma * I];
  };
  for (let k = 0; k < days; k++) {
    const before = S;
    for (let j = 0; j < SUBSTEPS; j++) {
      const [a1, b1] = f(S, I);
      const [a2, b2] = f(S + (h / 2) * a1, I + (h / 2) * b1);
      const [a3, b3] = f(S + (h / 2) * a2, I + (h / 2) * b2);
      const [a4, b4] = f(S + h * a3, I + h * b3);
      S += (h / 6) * (a1 + 2 * a2 + 2 * a3 + a4);
      I += (h / 6) * (b1 + 2 * b2 + 2 * b3 + b4);
    }
    out[k] = Math.max(0, s.population * (before - S));
  }
  return out;
}

/** Where the fit looks (per day; the infected share as a share of the population). */
const BOUNDS = { beta: [1e-3, 5], gamma: [1 / 60, 1], infectedShare: [1e-10, 0.2] } as const;

const toVector = (p: SirParameters) => [Math.log(p.beta), Math.log(p.gamma), Math.log(p.infectedShare)];
const fromVector = (v: ArrayLike<number>): SirParameters => ({ beta: Math.exp(v[0]), gamma: Math.exp(v[1]), infectedShare: Math.exp(v[2]) });

/** Sum over days of (log(1 + model) − log(1 + observed))². */
function logSquaredError(model: ArrayLike<number>, observed: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < observed.length; k++) if (Number.isFinite(observed[k])) sum += (Math.log1p(model[k]) - Math.log1p(observed[k])) ** 2;
  return sum;
}

/**
 * The least-squares SIR of the window: minimises Σ_k (log(1 + model_k) − log(1 + observed_k))²
 * over log β, log γ and the log initial infected share by Levenberg–Marquardt (mljs), from
 * several starts (recovery times of 4, 7, 14 and 28 days, the rate β − γ from the first and the
 * last week's growth, the infected share that gives the first day's count): each start 30
 * iterations, the three best on to 200, the best of all kept.
 */
export function fitSir(observed: ArrayLike<number>, setting: SirSetting): SirFit {
  const n = observed.length;
  if (n < 14) throw new Error(`fitSir: the window needs at least 14 days, got ${n}`);
  if (!(setting.population > 0)) throw new Error(`fitSir: population must be > 0, got ${setting.population}`);
  if (!(setting.removedShare >= 0 && setting.removedShare < 1)) throw new Error(`fitSir: removedShare must be in [0, 1), got ${setting.removedShare}`);
  const y = Float64Array.from(observed);
  // the days with a count (a 7-day mean with no known day is NaN): the fit reads those only
  const days = Array.from({ length: n }, (_, k) => k).filter((k) => Number.isFinite(y[k]));
  if (days.length < 7) throw new Error(`fitSir: the window needs at least 7 days with a count, got ${days.length}`);
  const x = Float64Array.from(days);
  const logY = Float64Array.from(days, (k) => Math.log1p(y[k]));
  // one simulation per parameter vector: the library asks for the model one day at a time
  const model = (v: number[]) => {
    const inc = sirIncidence(fromVector(v), setting, n);
    return (k: number) => Math.log1p(inc[k]);
  };
  const [first, last] = [days[0], days[days.length - 1]];
  const growth = (a: number, b: number) => (Math.log1p(y[b]) - Math.log1p(y[a])) / (b - a);
  const rates = [growth(first, days[6]), growth(days[days.length - 7], last), growth(first, last)];
  const s0 = 1 - setting.removedShare;
  const starts: SirParameters[] = [];
  for (const gamma of [1 / 4, 1 / 7, 1 / 14, 1 / 28]) {
    for (const r of rates) {
      const beta = clamp(Math.max(gamma + r, 0.01) / s0, BOUNDS.beta);
      const infectedShare = clamp(Math.max(y[first], 1) / (setting.population * beta * s0), BOUNDS.infectedShare);
      starts.push({ beta, gamma, infectedShare });
    }
  }
  const lower = toVector({ beta: BOUNDS.beta[0], gamma: BOUNDS.gamma[0], infectedShare: BOUNDS.infectedShare[0] });
  const upper = toVector({ beta: BOUNDS.beta[1], gamma: BOUNDS.gamma[1], infectedShare: BOUNDS.infectedShare[1] });
  const descend = (start: SirParameters, maxIterations: number) => {
    const r = levenbergMarquardt({ x, y: logY }, model, {
      initialValues: toVector(start),
      minValues: lower,
      maxValues: upper,
      damping: 1e-2,
      gradientDifference: 1e-6,
      centralDifference: true,
      maxIterations,
      errorTolerance: 1e-12,
    });
    const p = fromVector(r.parameterValues);
    return { p, error: logSquaredError(sirIncidence(p, setting, n), y) };
  };
  // every start a short way, then the three best to convergence
  const scouted = starts.map((start) => descend(start, 30)).filter((r) => Number.isFinite(r.error));
  scouted.sort((a, b) => a.error - b.error);
  const polished = scouted.slice(0, 3).map((r) => descend(r.p, 200));
  const best = [...polished, ...scouted].filter((r) => Number.isFinite(r.error)).sort((a, b) => a.error - b.error)[0];
  if (!best) throw new Error('fitSir: no start gave a finite fit');
  const fitted = sirIncidence(best.p, setting, n);
  return { ...best.p, fitted, rmsLogError: Math.sqrt(best.error / days.length) };
}

/** The fitted SIR continued `days` days after the window (the same run, not restarted). */
export function sirForecast(fit: SirFit, setting: SirSetting, days: number): Float64Array {
  const n = fit.fitted.length;
  return sirIncidence(fit, setting, n + days).slice(n);
}

function clamp(v: number, [lo, hi]: readonly [number, number]): number {
  return Math.min(Math.max(v, lo), hi);
}
