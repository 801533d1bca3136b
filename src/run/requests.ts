// Every unit of work as a plain, serialisable request: what the CLI makes of its flags, what a sweep
// manifest stores for each job (its hash is the job's key), what the pool, the queue worker and a
// cluster task hand to the run layer (execute.ts). A request is checked once, here (parseRequest),
// with errors that name the field; the run layer then resolves it into an experiment and an engine.
// Adding a kind of work: its request here, its executor in execute.ts.
import { createHash } from 'node:crypto';
import type { EngineAsk } from './engine.ts';
import type { ExperimentSpec } from './experiment.ts';
import { ENGINE_NAMES } from '../mfg/engine-name.ts';
// the name tables alone (no TF.js): readers of manifests that run nothing (the dashboard) load this module
import { BACKEND_NAMES } from '../backend-names.ts';
import { SOLVER_NAMES } from '../ode/solvers/names.ts';
import { ENSEMBLE_COMBINES, type EnsembleCombine } from '../forecast/ensemble-names.ts';

/** Where a request writes (absent in a sweep manifest: the job's folder is added when it runs). */
export interface OutputAsk {
  out?: string;
  /** replace another run's results in `out` */
  force?: boolean;
}

/** `train GAME`: fit the neural term (and `inverse.learn` fields) to observations, save the model. */
export interface TrainRequest extends ExperimentSpec, EngineAsk, OutputAsk {
  kind: 'train';
  seed: number;
  /** training observations (CSV); absent: generated from the seed as in the paper */
  data?: string;
  /** validation observations (CSV; needs `data`) */
  validation?: string;
}

/** `train --resume DIR`: continue a run from its checkpoint (`steps`: train a finished one further). */
export interface ResumeRequest extends EngineAsk, OutputAsk {
  kind: 'resume';
  /** the run's folder (its checkpoint.json) */
  run: string;
  /** the run must be of this game */
  game?: string;
  steps?: number;
}

/** `simulate GAME`: the MFG dynamics alone from the preset's initial population. */
export interface SimulateRequest extends ExperimentSpec, EngineAsk, OutputAsk {
  kind: 'simulate';
  seed: number;
}

/** `generate GAME`: synthetic observations (a CSV file `out`) from the generator or the dynamics. */
export interface GenerateRequest extends ExperimentSpec, EngineAsk, OutputAsk {
  kind: 'generate';
  seed: number;
  /** default: the configuration's training.trainSamples */
  samples?: number;
  fromDynamics?: boolean;
}

/** `eval MODEL`: a trained model on a file of observations. */
export interface EvalRequest extends EngineAsk, OutputAsk {
  kind: 'eval';
  /** a model folder, or a training run's folder holding model/ */
  model: string;
  data: string;
  /** default: the training seed */
  seed?: number;
  /** overrides of the model's configuration for this evaluation (never its network) */
  set: string[];
}

/** `analyze GAME --preset NAME`: one of the game's analyses, run whole in this process, for one seed. */
export interface AnalyzeRequest extends ExperimentSpec, EngineAsk, OutputAsk {
  kind: 'analyze';
  /** the analysis: a preset of the same name */
  preset: string;
  seed: number;
  /** the analysis's reduced preview settings, applied before `set` */
  quick?: boolean;
  /** training observations from a CSV file instead of generated ones */
  data?: string;
}

/**
 * `forecast RUN_DIR`: a trained run of a time-series game (the epidemic) projected past its window,
 * with bands, the baselines and the scores against the data's later days (src/run/forecast.ts;
 * README "Forecasts on real data"). Absent fields take FORECAST_DEFAULTS and the run's own.
 */
export interface ForecastRequest extends OutputAsk {
  kind: 'forecast';
  /** the training run's folder (or its model/ folder) */
  run: string;
  /**
   * other runs fitted on the same window of the same game (other seeds): an ensemble with `run`,
   * the noise paths shared out evenly among them; absent or empty: the run alone
   */
  members?: string[];
  /** how an ensemble's forecasts are combined: 'median' of the members' bands (default) or 'pool' their paths (src/forecast/forecast.ts) */
  combine?: EnsembleCombine;
  /** days forecast after the fitted window (default 28) */
  days?: number;
  /** observations to score against (the upstream file or the generic format); default: the run's own file */
  data?: string;
  /** noise paths behind the bands (default 200) */
  paths?: number;
  /** seed of the paths; default: the run's own */
  seed?: number;
  /**
   * default true: the paths anchored on the last observed week and widened by the window's
   * dispersion (src/forecast/calibration.ts); false: the model's own noise paths as they are
   */
  calibrate?: boolean;
}

export const FORECAST_DEFAULTS = { days: 28, paths: 200, combine: 'median' } as const;
/** the longest horizon: a year (the model's noise, not the data, decides the bands beyond a few weeks) */
export const MAX_FORECAST_DAYS = 366;
export const MAX_FORECAST_PATHS = 10_000;

export type RunRequest = TrainRequest | ResumeRequest | SimulateRequest | GenerateRequest | EvalRequest | ForecastRequest | AnalyzeRequest;
export type RunKind = RunRequest['kind'];
export const RUN_KINDS: RunKind[] = ['train', 'resume', 'simulate', 'generate', 'eval', 'forecast', 'analyze'];

export class RequestError extends Error {}

/** The fields of each kind besides the engine's and the output's, with their checks. */
type Check = (v: unknown) => string | null;
const str: Check = (v) => (typeof v === 'string' && v !== '' ? null : 'expected a non-empty string');
const bool: Check = (v) => (typeof v === 'boolean' ? null : 'expected true or false');
const seed: Check = (v) => (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff ? null : 'expected a whole number from 0 to 4294967295');
const count: Check = (v) => (Number.isInteger(v) && (v as number) >= 1 ? null : 'expected a positive whole number');
const strings: Check = (v) => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? null : 'expected a list of strings ("field=value")');
const record: Check = (v) =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((s) => typeof s === 'string') ? null : 'expected an object of strings (field → value)';
const oneOf = (names: readonly string[]): Check => (v) => (typeof v === 'string' && names.includes(v) ? null : `expected one of ${names.join(', ')}`);
// a forecast's fields say what they are (its command line's errors name the flag: "--days 0: the horizon …")
const whole = (what: string, min: number, max: number): Check => (v) => (Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? null : `${what} must be a whole number from ${min} to ${max}`);
const path = (what: string): Check => (v) => (typeof v === 'string' && v.trim() !== '' ? null : `${what} must be a path`);
const paths = (what: string): Check => (v) => (Array.isArray(v) && v.every((p) => path(what)(p) === null) ? null : `${what} must be a list of paths`);
const choice = (what: string, names: readonly string[]): Check => (v) => (typeof v === 'string' && names.includes(v) ? null : `${what} must be one of ${names.join(', ')}`);

const ENGINE: Record<string, Check> = { engine: oneOf(ENGINE_NAMES), backend: oneOf(BACKEND_NAMES), allowSoftware: bool, out: str, force: bool };
const EXPERIMENT: Record<string, Check> = { game: str, preset: str, faithful: bool, set: strings, options: record, solver: oneOf(SOLVER_NAMES) };
const FIELDS: Record<RunKind, { required: string[]; checks: Record<string, Check> }> = {
  train: { required: ['game', 'set', 'seed'], checks: { ...EXPERIMENT, ...ENGINE, seed, data: str, validation: str } },
  resume: { required: ['run'], checks: { ...ENGINE, run: str, game: str, steps: count } },
  simulate: { required: ['game', 'set', 'seed'], checks: { ...EXPERIMENT, ...ENGINE, seed } },
  generate: { required: ['game', 'set', 'seed'], checks: { ...EXPERIMENT, ...ENGINE, seed, samples: count, fromDynamics: bool } },
  eval: { required: ['model', 'data', 'set'], checks: { ...ENGINE, model: str, data: str, seed, set: strings } },
  forecast: {
    required: ['run'],
    checks: {
      run: path('the run folder'),
      members: paths('the other runs of the ensemble'),
      combine: choice("how the ensemble's forecasts are combined", ENSEMBLE_COMBINES),
      days: whole('the horizon in days', 1, MAX_FORECAST_DAYS),
      data: path('the observations file'),
      paths: whole('the number of noise paths', 1, MAX_FORECAST_PATHS),
      seed: whole('the seed', 0, 0xffffffff),
      calibrate: bool,
      out: path('the output folder'),
      force: bool,
    },
  },
  analyze: { required: ['game', 'preset', 'set', 'seed'], checks: { ...EXPERIMENT, ...ENGINE, seed, quick: bool, data: str } },
};

/** Whether a request trains: a stop then ends it after its current step with a checkpoint (anything else ends at once). */
export function trains(request: RunRequest): boolean {
  return request.kind === 'train' || request.kind === 'resume';
}

/**
 * Where a request comes from, for its errors: `where` names it ("request", "sweep.json job 3");
 * `flags`, for a request made of a command line's flags, names the flag of each field, so that an
 * error reads as what was typed: `--days 0: the horizon in days must be …`.
 */
export interface RequestSource {
  where?: string;
  flags?: Record<string, string>;
}

/** A value as a command line shows it: text as typed (quoted where blank), anything else as JSON. */
const typed = (v: unknown) => (typeof v === 'string' && /^\S+$/.test(v) ? v : JSON.stringify(v));

/**
 * Checks a request (from the CLI, a manifest, a queue) once: its kind, every field's type, no
 * field it does not know; `source` names it in errors ("sweep.json job 3 field …", or the flag).
 */
export function parseRequest(raw: unknown, source: string | RequestSource = 'request'): RunRequest {
  const { where = 'request', flags = {} } = typeof source === 'string' ? { where: source } : source;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new RequestError(`${where}: expected an object with a "kind"`);
  const r = raw as Record<string, unknown>;
  const kind = r.kind as RunKind;
  const fields = FIELDS[kind];
  if (!fields) throw new RequestError(`${where} field "kind": expected one of ${RUN_KINDS.join(', ')}, got ${JSON.stringify(r.kind)}`);
  for (const name of fields.required) {
    if (r[name] === undefined) throw new RequestError(`${flags[name] ?? `${where} field "${name}"`}: missing (a ${kind} request needs it)`);
  }
  for (const [name, value] of Object.entries(r)) {
    if (name === 'kind' || value === undefined) continue;
    const check = fields.checks[name];
    if (!check) throw new RequestError(`${where} field "${name}": a ${kind} request has no such field`);
    const why = check(value);
    if (why) throw new RequestError(flags[name] ? `${flags[name]} ${typed(value)}: ${why}` : `${where} field "${name}": ${why}, got ${JSON.stringify(value)}`);
  }
  if (kind === 'train' && r.validation !== undefined && r.data === undefined) throw new RequestError(`${where} field "validation": needs "data" as well`);
  return r as unknown as RunRequest;
}

/** JSON with its keys sorted at every level, undefined fields dropped: the same request, the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The request without where it writes: what a sweep stores for a job. */
export function withoutOutput<R extends RunRequest>(req: R): Omit<R, 'out' | 'force'> {
  const { out: _out, force: _force, ...rest } = req;
  return rest;
}

/** sha256 of the request (without its output): a job's key; a folder finished under another key holds a stale result. */
export function requestKey(req: RunRequest | Omit<RunRequest, 'out' | 'force'>): string {
  return createHash('sha256').update(canonicalJson(req)).digest('hex');
}
