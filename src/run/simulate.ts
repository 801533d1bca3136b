// One simulated trajectory of an experiment, as a simulate request and the library's
// `model.simulate()` run it: the initial state and (for paired games) the observation drawn from
// the seed unless given, the frozen or fresh noise path, the states at the save times.
import type { ExperimentConfig } from '../config.ts';
import type { Dataset } from '../game.ts';
import type { EngineName } from '../mfg/engine.ts';
import { saveTimes, type SaveAt } from '../ode/solve.ts';
import type { TurnStats } from '../mfg/model.ts';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic.ts';
import { buildModel, experimentOf, type Experiment } from './experiment.ts';
import { chooseEngine } from './engine.ts';
import { claimOutput } from './folder.ts';
import { RequestError, type SimulateRequest } from './requests.ts';
import type { RunIO } from './io.ts';
import { formatValue, valueUnit } from './text.ts';
import { writePopulation } from './outputs.ts';
import { nashGapTurns, writeNashGapFigure, type NashGap } from './equilibrium.ts';
import { join } from 'node:path';
import { firstNonFinite, NonFiniteError } from '../finite.ts';

/** One trajectory to simulate: the experiment, the seed, the engine, and what is given instead of drawn. */
export interface SimulationSetup<C extends ExperimentConfig = ExperimentConfig> {
  exp: Experiment<C>;
  seed: number;
  engine: EngineName;
  /** false: the MFG dynamics alone */
  network: boolean;
  /** a trained network's parameters (default: the seed's untrained initialisation) */
  params?: Float32Array;
  /** the initial state, flattened (default: drawn from the configuration's distribution) */
  initialState?: ArrayLike<number>;
  /** games that pair trajectories with observations: one observation (default: drawn from the generator) */
  observation?: Dataset;
  /** what to save (times, 'steps', 'final'; src/ode/solve.ts); default: the configuration's save times */
  saveAt?: SaveAt;
}

export interface Simulated {
  times: number[];
  /** the observed states at the save times, [times, ...state] row-major (no boxed numbers at any population size) */
  values: Float32Array;
  /** the shape of one state */
  shape: number[];
  /** for games that end: the step after which the run ended (null: still running at the cap) */
  endStep: number | null;
  initialState: Float64Array;
  /** the observation the trajectory was paired with (paired games), else null */
  observation: Dataset | null;
  /** the trajectory's key (its per-trajectory randomness derives from it) */
  key: number;
}

/** Simulates one trajectory; arguments are checked with errors that name them. */
export function simulate<C extends ExperimentConfig>(req: SimulationSetup<C>): Simulated {
  const { exp, seed } = req;
  const { game, config } = exp;
  const times = saveTimes(req.saveAt, config.time);
  const { t0, t1 } = config.time;
  times.forEach((t, k) => {
    if (!Number.isFinite(t) || t < t0 || t > t1) throw new RangeError(`simulate: times[${k}] = ${t} lies outside [${t0}, ${t1}]`);
    if (k > 0 && !(t > times[k - 1])) throw new RangeError('simulate: times must increase');
  });
  const { model, streams } = buildModel(exp, seed, req.engine, req.params);
  const start = req.initialState ? Float64Array.from(req.initialState) : game.initialState(config, streams.initialState);
  if (start.length !== model.size) {
    const what = model.shape.length === 1 ? `${model.size} agents` : `a state of ${model.shape.join(' × ')} values`;
    throw new RangeError(`simulate: initialState has ${start.length} values, the game has ${what}`);
  }
  if (!start.every(Number.isFinite)) throw new RangeError('simulate: initialState holds a NaN or infinite value');
  const paired = game.observations.pairing === 'paired';
  const observation = paired ? (req.observation ?? game.observations.generate(config, streams.data, 1)) : null;
  if (observation && observation.shape[0] !== 1) throw new RangeError('simulate: give one observation (its first axis must be 1)');
  // paired games key their trajectory's randomness; the others draw nothing here
  const keys = paired ? streams.dynamics.keys(1) : new Uint32Array(1);
  const run = model.simulate({
    y0: Float32Array.from(start),
    trajectories: 1,
    path: model.nextPath(1),
    network: req.network,
    ctx: { observations: observation, keys },
    saveAt: times,
  });
  const size = run.states.length / times.length;
  const bad = firstNonFinite(run.states);
  if (bad >= 0) {
    throw new NonFiniteError(
      `the simulated states are not finite (${run.states[bad]} for value ${bad % size} at t = ${times[Math.floor(bad / size)]}): the dynamics overflow under this configuration (is a field such as noise.sigma, mechanics.* or initial.* too large?)${req.params ? ' or these weights' : ''}`,
    );
  }
  return {
    times: times.slice(),
    values: run.states,
    shape: model.shape.slice(),
    endStep: run.endSteps?.[0] ?? null,
    initialState: start,
    observation,
    key: keys[0],
  };
}

/** states[k]: the observed state at times[k], flattened, as plain arrays (for writing and describing a run). */
export function nestedStates(sim: Simulated): number[][] {
  const size = sim.values.length / sim.times.length;
  return sim.times.map((_, k) => Array.from(sim.values.subarray(k * size, (k + 1) * size)));
}

/** What `simulate` prints: the game's own description (Liar's dice's transcript) or the per-turn statistics. */
export type SavedSimulation =
  | { kind: 'described'; text: string; files: string[] }
  | { kind: 'population'; turns: TurnStats[]; files: string[]; /** at the last save time, for games that define it */ nashGap?: NashGap };

/**
 * Writes a simulation's folder: summary.json (with the run's facts), and either the game's own
 * description (transcript.txt) or trajectory.csv and the box plot per turn.
 */
export async function saveSimulation<C extends ExperimentConfig>(
  dir: string,
  req: SimulationSetup<C>,
  sim: Simulated,
  facts: { backend: string | null; started: number },
): Promise<SavedSimulation> {
  const { game, config } = req.exp;
  const states = nestedStates(sim);
  const head = { command: 'simulate', game: game.name, preset: req.exp.preset, seed: req.seed, backend: facts.backend, engine: req.engine };
  if (game.describeRun) {
    const { text, summary } = game.describeRun(config, states, sim.endStep, { observation: sim.observation, key: sim.key, seed: req.seed });
    await writeFileAtomic(join(dir, 'transcript.txt'), text + '\n');
    await writeJsonAtomic(join(dir, 'summary.json'), {
      ...head,
      observation: sim.observation ? Array.from(sim.observation.values) : null,
      ...summary,
      wallSeconds: (performance.now() - facts.started) / 1000,
      config,
    });
    return { kind: 'described', text, files: ['summary.json', 'transcript.txt'] };
  }
  const what = req.network ? 'MFG + neural term' : 'MFG only';
  const turns = await writePopulation(dir, req.exp, states, { title: `${game.title}: ${what} (${req.exp.preset})` });
  const files = ['summary.json', 'trajectory.csv', 'turns.svg'];
  // the equilibrium gap turn by turn (nash-gap.svg), and at the last save time
  const gapTurns = nashGapTurns(game, config, sim.times, states, req.seed);
  const nashGap = gapTurns ? { mean: gapTurns[gapTurns.length - 1].mean, max: gapTurns[gapTurns.length - 1].max } : undefined;
  if (gapTurns) files.push(await writeNashGapFigure(dir, `${game.title}: equilibrium gap, ${what} (${req.exp.preset})`, [{ name: req.network ? 'model' : 'MFG only', turns: gapTurns }]));
  const gap = gapTurns ? { nashGap, nashGapTurns: gapTurns } : {};
  await writeJsonAtomic(join(dir, 'summary.json'), { ...head, config, turns, ...gap, wallSeconds: (performance.now() - facts.started) / 1000 });
  return { kind: 'population', turns, files, ...(nashGap ? { nashGap } : {}) };
}

/** `simulate GAME`: the MFG-only dynamics of the experiment into `out`, and what it printed. */
export async function runSimulate(r: SimulateRequest, io: RunIO): Promise<number> {
  const started = performance.now();
  if (!r.out) throw new RequestError('a simulate request needs an output folder (out)');
  const exp = experimentOf(r, 'simulate');
  const claim = await claimOutput(r.out, { command: 'simulate', game: exp.game.name, force: r.force === true });
  let saved;
  try {
    const choice = await chooseEngine(exp.game, exp.config, r);
    if (choice.note) io.note(`note: ${choice.note}`);
    const req = { exp, seed: r.seed, engine: choice.name, network: false };
    saved = await saveSimulation(r.out, req, simulate(req), { backend: choice.backend, started });
  } finally {
    await claim.release();
  }
  const lines: string[] = [];
  if (saved.kind === 'described') lines.push(saved.text);
  else {
    const style = exp.game.figureStyle?.(exp.config).yFormat ?? 'number';
    if (style === 'clock') lines.push(`${exp.game.title}${valueUnit(style)}`);
    for (const s of saved.turns) {
      lines.push(`t=${String(s.t).padStart(3)}  mean ${formatValue(s.mean)}  std ${formatValue(s.std)}  min ${formatValue(s.min)}  max ${formatValue(s.max)}`);
    }
    if (saved.nashGap) lines.push(`equilibrium gap at the last turn: mean ${saved.nashGap.mean.toPrecision(4)}, largest ${saved.nashGap.max.toPrecision(4)}`);
  }
  lines.push(`wrote ${r.out}/${saved.files.join(', ')}`);
  io.out(lines.join('\n'));
  return 0;
}
