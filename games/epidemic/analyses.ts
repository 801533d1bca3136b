// The rolling-origin evaluation of the epidemic game (README "Forecasts on real data"; preset
// japan-rolling): every window of the plan (56 days fitted, 28 forecast, every 4 weeks from April
// 2020 to the end of 2022) trained and forecast as `train` and `forecast` do, scored against the
// held-out days with the baselines; a point of the sweep per window, so that the local pool runs
// the windows at once. Writes rolling.csv (MALE per window and method, coverage), the medians, and
// two figures: MALE per window, and every window's forecast over the whole period.
import type { Analysis, AnalysisInput, AnalysisResult, AnalysisSweep, FittedForecast, PointRun } from '../../src/game.ts';
import { ConfigError } from '../../src/config.ts';
import { withOverrides } from '../../src/config-fields.ts';
import { rollingWindows, summariseRolling, type RollingWindow, type WindowOutcome } from '../../src/forecast/rolling.ts';
import { BASELINE_NAMES, BASELINE_TITLES } from '../../src/forecast/forecast.ts';
import type { PointScores } from '../../src/forecast/scores.ts';
import { rollingForecastsFigure, rollingMaleFigure } from '../../src/plot/forecast.ts';
import { DivergenceError } from '../../src/train/loop.ts';
import type { EpidemicConfig } from './config.ts';
import type { RollingSettings } from './rolling.ts';

/** The methods scored, the model first (rolling.csv's columns are `<method>_male`). */
export const ROLLING_METHODS = ['model', ...BASELINE_NAMES] as const;
const TITLES: Record<string, string> = { model: 'model (median)', ...BASELINE_TITLES };

/** What one window's run reports (a job's summary.json in a sweep). */
interface WindowRun {
  window: RollingWindow;
  /** why the window has no forecast (its fit diverged at every learning rate tried): not scored for any method */
  failed?: string;
  scores: Record<string, PointScores | null>;
  coveredDays: number;
  coverage50: number | null;
  coverage90: number | null;
  /** the window's and the horizon's days: the data's 7-day mean (null: not known) */
  observed: { dates: string[]; values: (number | null)[] };
  /** the horizon: the model's median and bands, and each baseline */
  forecast: { dates: string[]; median: number[]; low50: number[]; high50: number[]; low90: number[]; high90: number[] };
  baselines: Record<string, number[]>;
  /** the fit over the window: mean |log10(1 + fitted) − log10(1 + observed)| of the 7-day means (the paths' median) */
  fitMale?: number | null;
  learned: Record<string, number> | null;
  /** each fit's seed and learned values (rolling.ensemble fits per window; a fit that diverged is not among them) */
  members?: FittedForecast['members'];
  /** 1, or the factor of the learning rates after a diverged fit (trainSteadily; the smallest over the members) */
  learningRateFactor: number;
  fitSeconds: number;
  seconds: number;
}

function rollingOf(config: EpidemicConfig): RollingSettings {
  if (!config.rolling) throw new ConfigError('configuration field "rolling": the rolling evaluation needs a rolling section (preset japan-rolling)');
  return config.rolling;
}

/** The plan's windows this configuration runs (rolling.windows, or all). */
export function windowsOf(config: EpidemicConfig): RollingWindow[] {
  const r = rollingOf(config);
  const all = rollingWindows(r);
  if (r.windows.length === 0) return all;
  for (const i of r.windows) if (i >= all.length) throw new ConfigError(`configuration field "rolling.windows": window ${i} is not in the plan (${all.length} windows, 0 to ${all.length - 1})`);
  return r.windows.map((i) => all[i]);
}

const finite = (v: number) => (Number.isFinite(v) ? v : null);

/**
 * One window: trained as `train epidemic --from --to` trains it (rolling.ensemble times, from seeds
 * seed, seed + 1, …) and forecast as `forecast RUN MORE_RUNS… --combine` does, by the run layer
 * (AnalysisInput.fitAndForecast).
 */
async function runWindow(input: AnalysisInput<EpidemicConfig>, w: RollingWindow, dataFile: string): Promise<WindowRun> {
  const started = performance.now();
  const r = rollingOf(input.config);
  const config = withOverrides(input.game, input.config, [`data.from=${w.from}`, `data.to=${w.to}`]);
  let fitted;
  try {
    fitted = await input.fitAndForecast(config, input.seed, {
      data: dataFile,
      days: r.horizon,
      paths: r.paths,
      ensemble: r.ensemble,
      combine: r.combine,
      onRetry: (why, f, seed) => input.progress(`window ${w.from} to ${w.to}${r.ensemble > 1 ? `, seed ${seed}` : ''}: ${why}; again with the learning rates × ${f}`),
    });
  } catch (err) {
    if (!(err instanceof DivergenceError)) throw err;
    return failedWindow(w, err.message, started);
  }
  const { forecast: f, learned, members, learningRateFactor, fitSeconds } = fitted;
  const model = f.scores.model;
  const list = (v: ArrayLike<number>) => Array.from(v);
  return {
    window: w,
    scores: { model, ...f.scores.baselines },
    coveredDays: model?.days ?? 0,
    coverage50: model?.coverage50 ?? null,
    coverage90: model?.coverage90 ?? null,
    observed: { dates: [...f.window.dates, ...f.dates], values: [...list(f.window.observed), ...list(f.observed)].map(finite) },
    forecast: { dates: f.dates, median: list(f.bands.median), low50: list(f.bands.low50), high50: list(f.bands.high50), low90: list(f.bands.low90), high90: list(f.bands.high90) },
    baselines: Object.fromEntries(Object.entries(f.baselines).map(([name, v]) => [name, list(v)])),
    fitMale: fitMaleOf(f.window.observed, f.window.fitted),
    learned,
    members,
    learningRateFactor,
    fitSeconds,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The in-window error of the fit (the same measure as the forecast's MALE, over the window's known days). */
function fitMaleOf(observed: ArrayLike<number>, fitted: ArrayLike<number>): number | null {
  let sum = 0;
  let days = 0;
  for (let d = 0; d < observed.length; d++) {
    if (!Number.isFinite(observed[d]) || !Number.isFinite(fitted[d])) continue;
    sum += Math.abs(Math.log10(1 + Math.max(0, fitted[d])) - Math.log10(1 + observed[d]));
    days++;
  }
  return days > 0 ? sum / days : null;
}

/** A window without a forecast: scored for no method, so that every method's median is over the same windows. */
function failedWindow(w: RollingWindow, why: string, started: number): WindowRun {
  return {
    window: w,
    failed: why,
    scores: {},
    coveredDays: 0,
    coverage50: null,
    coverage90: null,
    observed: { dates: [], values: [] },
    forecast: { dates: [], median: [], low50: [], high50: [], low90: [], high90: [] },
    baselines: {},
    learned: null,
    learningRateFactor: 0.25,
    fitSeconds: (performance.now() - started) / 1000,
    seconds: (performance.now() - started) / 1000,
  };
}

const fmt = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? '—' : v.toFixed(digits));

function describeWindow(run: WindowRun, index: number, total: number): string {
  if (run.failed) return `window ${run.window.from} to ${run.window.to} (${index + 1}/${total}): no forecast, not scored (${run.failed}); ${run.seconds.toFixed(1)} s`;
  const male = ROLLING_METHODS.map((m) => `${m} ${fmt(run.scores[m]?.male)}`).join(', ');
  return `window ${run.window.from} to ${run.window.to} (${index + 1}/${total}): MALE ${male}; 90% band ${fmt(run.coverage90, 2)}; ${run.seconds.toFixed(1)} s (fit ${run.fitSeconds.toFixed(1)} s)`;
}

async function rollingRun(input: AnalysisInput<EpidemicConfig>): Promise<AnalysisResult> {
  const dataFile = input.dataFile ?? input.game.observations.defaultFile?.(input.config) ?? null;
  if (!dataFile) throw new ConfigError('the rolling evaluation needs records: --data FILE (the upstream Japanese file or the generic format)');
  const windows = windowsOf(input.config);
  const runs: WindowRun[] = [];
  for (const [i, w] of windows.entries()) {
    runs.push(await runWindow(input, w, dataFile));
    input.progress(describeWindow(runs[i], i, windows.length));
  }
  return rollingResult(input.config, runs);
}

/** The table, figures and text of the windows' runs (in plan order). */
async function rollingResult(config: EpidemicConfig, runs: WindowRun[]): Promise<AnalysisResult> {
  const r = rollingOf(config);
  const outcomes: WindowOutcome[] = runs.map((run) => ({
    window: run.window,
    male: Object.fromEntries(ROLLING_METHODS.map((m) => [m, run.scores[m]?.male ?? null])),
    coveredDays: run.coveredDays,
    coverage50: run.coverage50,
    coverage90: run.coverage90,
  }));
  const methods = ROLLING_METHODS.filter((m) => runs.some((run) => run.scores[m] !== undefined));
  const s = summariseRolling(outcomes, [...methods]);
  const header = ['window', 'from', 'to', 'forecast_from', 'forecast_to', ...methods.map((m) => `${m}_male`), 'coverage50', 'coverage90', 'covered_days'];
  const cell = (v: number | null | undefined) => (v === null || v === undefined ? '' : v);
  const rows = outcomes.map((o) => [o.window.index, o.window.from, o.window.to, o.window.forecastFrom, o.window.forecastTo, ...methods.map((m) => cell(o.male[m])), cell(o.coverage50), cell(o.coverage90), o.coveredDays]);
  const medianRow = ['median', '', '', '', '', ...methods.map((m) => cell(s.medianMale[m])), cell(s.coverage50), cell(s.coverage90), outcomes.reduce((a, o) => a + o.coveredDays, 0)];
  const setting = `${r.fitDays} days fitted, ${r.horizon} forecast, every ${r.every} days from ${r.first} (${runs.length} windows${r.ensemble > 1 ? `, ${r.ensemble} fits each` : ''})`;
  // a job of one window whose fit failed has nothing to draw
  const scoredRuns = runs.filter((run) => !run.failed);
  const maleFigure = scoredRuns.length === 0 ? '' : await rollingMaleFigure({
    title: `Forecast error per window (${setting})`,
    series: methods.map((m) => ({ name: TITLES[m], median: s.medianMale[m], points: outcomes.filter((o) => o.male[m] !== null).map((o) => ({ date: o.window.forecastFrom, male: o.male[m]! })) })),
  });
  const observed = new Map<string, number>();
  for (const run of scoredRuns) run.observed.dates.forEach((d, k) => run.observed.values[k] !== null && observed.set(d, run.observed.values[k]!));
  const forecastsFigure = scoredRuns.length === 0 ? '' : await rollingForecastsFigure({
    title: `Every window's forecast (${setting})`,
    yTitle: 'New confirmed cases a day (7-day mean)',
    observed: [...observed.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([date, value]) => ({ date, value })),
    windows: scoredRuns.map((run) => ({ index: run.window.index, days: run.forecast.dates.map((date, k) => ({ date, median: run.forecast.median[k], low90: run.forecast.low90[k], high90: run.forecast.high90[k] })) })),
  });
  const failed = runs.filter((run) => run.failed);
  const lines = [
    `rolling evaluation: ${setting}; MALE = mean |log10(1 + forecast) − log10(1 + observed)| of the 7-day mean over the held-out days`,
    `${'forecast from'.padEnd(14)}${methods.map((m) => m.padStart(12)).join('')}${'90% band'.padStart(10)}`,
    ...outcomes.map((o) => `${o.window.forecastFrom.padEnd(14)}${methods.map((m) => fmt(o.male[m]).padStart(12)).join('')}${fmt(o.coverage90, 2).padStart(10)}`),
    `${'median'.padEnd(14)}${methods.map((m) => fmt(s.medianMale[m]).padStart(12)).join('')}${fmt(s.coverage90, 2).padStart(10)}`,
    s.bestBaseline
      ? `model against the best baseline (${s.bestBaseline.name}, median MALE ${fmt(s.bestBaseline.medianMale)}): ${s.improvement === null ? '—' : `${fmt(100 * Math.abs(s.improvement), 1)}% ${s.improvement >= 0 ? 'lower' : 'higher'}`} (goal: ≥ 20% lower); 90% band covers ${fmt(s.coverage90 === null ? null : 100 * s.coverage90, 1)}% of the held-out days (goal ≥ 80%)`
      : 'no window was scored',
    ...(failed.length > 0 ? [`not scored (the fit diverged at every learning rate tried): ${failed.map((run) => `${run.window.from} to ${run.window.to} (forecast from ${run.window.forecastFrom})`).join(', ')}`] : []),
  ];
  return {
    summary: {
      plan: { first: r.first, last: r.last, fitDays: r.fitDays, horizon: r.horizon, every: r.every, paths: r.paths, ensemble: r.ensemble, combine: r.combine },
      windows: runs.length,
      failedWindows: failed.map((run) => ({ from: run.window.from, to: run.window.to, why: run.failed })),
      ...s,
      goals: {
        male: s.improvement !== null && s.improvement >= 0.2,
        coverage90: s.coverage90 !== null && s.coverage90 >= 0.8,
      },
      fitSeconds: { median: medianOf(runs.map((run) => run.fitSeconds)), max: Math.max(...runs.map((run) => run.fitSeconds)) },
      runs,
    },
    tables: { rolling: { header, rows: [...rows, medianRow] } },
    figures: scoredRuns.length > 0 ? { 'rolling-male': maleFigure, 'rolling-forecasts': forecastsFigure } : {},
    text: lines.join('\n'),
  };
}

function medianOf(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const rollingParts: AnalysisSweep<EpidemicConfig> = {
  points: (config) => windowsOf(config).map((w) => ({ values: { 'rolling.windows': w.from }, set: [`rolling.windows=[${w.index}]`] })),
  describe(config, run, { index, total }) {
    return describeWindow((run.summary as { runs: WindowRun[] }).runs[0], index, total);
  },
  async combine(config, runs: PointRun[]) {
    // one seed: the windows in plan order (several seeds: the first seed's, as the evaluation is per window)
    const seed = runs[0].seed;
    const own = runs.filter((r) => r.seed === seed).sort((a, b) => a.point - b.point);
    return rollingResult(config, own.flatMap((r) => (r.summary as { runs: WindowRun[] }).runs));
  },
};

export const analyses: Record<string, Analysis<EpidemicConfig>> = {
  'japan-rolling': {
    description: 'rolling-origin evaluation on the bundled Japanese records: fit 56 days, forecast 28, every 4 weeks from April 2020 to the end of 2022; MALE per window for the model and every baseline, with the medians and the 90% band coverage',
    quick: ['rolling.first=2021-06-01', 'rolling.last=2021-10-31', 'rolling.paths=50', 'training.steps=100'],
    run: rollingRun,
    sweep: rollingParts,
  },
};
