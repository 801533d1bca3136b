// What a forecast adds to the model's own noise paths (README "Forecasts on real data"): the
// paths start from the data at the window's end (the anchor: the last observed week's level, or
// its level and growth rate, the game giving how the growth changes from there), and carry the
// uncertainty the window shows, fitted on it alone: a level error (the spread of the fit's log
// residuals) and a growth-rate error (the spread of the window's weekly growth rates), drawn once
// per path, so that the bands widen with the horizon as a trend that may change does. Process
// noise on the contact levels alone gives bands far too narrow to cover real counts.
import type { RandomStream } from '../random.ts';

/** The dispersion fitted on a window (natural-log scale). */
export interface ForecastDispersion {
  /** standard deviation of log(1 + observed) − log(1 + fitted) over the window's days */
  level: number;
  /** standard deviation of the weekly growth rates ln((1 + y_d) / (1 + y_{d−7})) / 7 over the window, per day */
  growth: number;
}

function std(values: number[]): number {
  if (values.length < 2) return 0;
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1));
}

/** The dispersion of a window: its 7-day means observed and fitted (NaN: not known). */
export function windowDispersion(observed: ArrayLike<number>, fitted: ArrayLike<number>): ForecastDispersion {
  const residuals: number[] = [];
  const growth: number[] = [];
  for (let d = 0; d < observed.length; d++) {
    if (Number.isFinite(observed[d]) && Number.isFinite(fitted[d])) residuals.push(Math.log1p(observed[d]) - Math.log1p(fitted[d]));
    if (d >= 7 && Number.isFinite(observed[d]) && Number.isFinite(observed[d - 7])) growth.push((Math.log1p(observed[d]) - Math.log1p(observed[d - 7])) / 7);
  }
  const rms = residuals.length > 0 ? Math.sqrt(residuals.reduce((a, e) => a + e * e, 0) / residuals.length) : 0;
  return { level: rms, growth: std(growth) };
}

/**
 * The factor that moves the model's level at the window's last day onto the data's:
 * (1 + observed) / (1 + fitted) of the last 7-day mean (1 where either is not known).
 */
export function anchorFactor(observed: ArrayLike<number>, fitted: ArrayLike<number>): number {
  const n = observed.length;
  const o = observed[n - 1];
  const f = fitted[n - 1];
  return Number.isFinite(o) && Number.isFinite(f) ? (1 + o) / (1 + f) : 1;
}

/**
 * Each path's horizon (7-day means, paths[p][h] for day h + 1 after the window) anchored and
 * perturbed: (1 + y) · a · exp(σ_level z_p + σ_growth g_p (h + 1)) − 1, clipped at 0, with z_p, g_p
 * standard normal draws, one pair per path.
 */
export function calibratePaths(paths: ArrayLike<number>[], anchor: number, dispersion: ForecastDispersion, rng: RandomStream): Float64Array[] {
  return paths.map((path) => {
    const z = rng.normal();
    const g = rng.normal();
    return Float64Array.from(path, (y, h) => Math.max(0, (1 + y) * anchor * Math.exp(dispersion.level * z + dispersion.growth * g * (h + 1)) - 1));
  });
}

/**
 * Paths anchored on the last observed week's level and growth rate: path p's horizon is
 *   (1 + o_T) · exp(Σ_{j ≤ h} (r_obs + r_p(j) − r_p)) − 1, clipped at 0,
 * with r_obs = ln((1 + o_T)/(1 + o_{T−7}))/7 the data's last weekly growth rate, r_p the path's own
 * over the same week, and r_p(j) its daily growth on day j after the window: the data give the
 * level and the trend at the origin, the game how the trend changes from there (an epidemic that
 * slows as contacts are cut or susceptibles run out). `paths` are 7-day means over the window
 * (n days) and the horizon.
 */
export function anchorTrend(paths: ArrayLike<number>[], n: number, observed: ArrayLike<number>): Float64Array[] {
  const oT = observed[n - 1];
  const oW = observed[n - 8];
  const rObs = Number.isFinite(oT) && Number.isFinite(oW) ? Math.log((1 + oT) / (1 + oW)) / 7 : 0;
  const level = Number.isFinite(oT) ? Math.log1p(oT) : 0;
  return paths.map((path) => {
    const log = (k: number) => Math.log1p(Math.max(0, path[k]));
    const rPath = (log(n - 1) - log(n - 8)) / 7;
    const days = path.length - n;
    const out = new Float64Array(days);
    let x = level;
    for (let h = 0; h < days; h++) {
      x += rObs + (log(n + h) - log(n + h - 1)) - rPath;
      // below 0 cases a day is 0 (a path that dies out)
      out[h] = Math.max(0, Math.expm1(x));
    }
    return out;
  });
}
