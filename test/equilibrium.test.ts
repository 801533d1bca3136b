// The equilibrium (Nash) gap, gap_i = C(x_i; m) − min_y C(y; m) with the population held fixed: on
// populations whose gap is known by hand (meeting, El Farol, LQ), and in the summaries and figures
// of simulate, train and eval (src/run/equilibrium.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testBackend } from './helpers/backend.ts';
import { GAMES } from '../games/index.ts';
import { applyOverrides, type ExperimentConfig } from '../src/config.ts';
import { RandomStream } from '../src/random.ts';
import { nashGap } from '../src/run/equilibrium.ts';
import { streamOf } from '../src/streams.ts';
import { saveSimulation, simulate } from '../src/run/simulate.ts';
import { fitModel, saveTrainedRun } from '../src/run/training.ts';
import { evaluateOnData } from '../src/run/report.ts';
import { meetingEquilibriumGap } from '../games/meeting/equilibrium.ts';
import { elFarolEquilibriumGap } from '../games/el-farol/equilibrium.ts';

test.before(testBackend);

function configOf(game: string, preset: string, sets: string[] = []): ExperimentConfig {
  return GAMES[game].parseConfig(applyOverrides(GAMES[game].presets[preset], sets));
}

const close = (a: ArrayLike<number>, b: number[], what: string) =>
  Array.from(a).forEach((x, i) => assert.ok(Math.abs(x - b[i]) < 1e-12, `${what}: agent ${i} ${x} vs ${b[i]}`));

test('meeting: with T held fixed the best arrival is s or T; arrivals 10…14 around T = 12 with s = 11 have gaps 1, 0, 0, 2, 4', () => {
  // C(y; 12) = [y − 11]₊ + [y − 12]₊ + [12 − y]₊: C(11) = C(12) = 1 is the minimum
  const m = { scheduledTime: 11, quantile: 0.5, alpha: 1, beta: 1, gamma: 1 };
  close(meetingEquilibriumGap(m, [10, 11, 12, 13, 14]), [1, 0, 0, 2, 4], 'α = β = γ = 1');
  // s = 13 after T = 12 (α = 2, β = 1, γ = 0.5): arriving at T costs nothing
  close(meetingEquilibriumGap({ ...m, scheduledTime: 13, alpha: 2, gamma: 0.5 }, [10, 11, 12, 13, 14]), [1, 0.5, 0, 1, 4], 'T before s');
  // q = 0.8 of 6 agents: r = 4, T = x₍₄₎ = 14; C is 3 all along [11, 14]
  close(meetingEquilibriumGap({ ...m, quantile: 0.8 }, [9, 10, 11, 12, 14, 15]), [2, 1, 0, 0, 0, 2], 'q = 0.8');
});

test('El Farol: with the attendance held fixed, went to a crowded bar or stayed home from a pleasant one, by hand', () => {
  // p ∈ {0, 1} attend deterministically. ϑ = 0.5, α = β = γ = 1.
  const m = { threshold: 0.5, alpha: 1, beta: 1, gamma: 1, attendance: 'fresh' as const, clipGradient: 'zero' as const };
  // three of four went: P = 0.75 > ϑ (crowded). Went: f(y) = [y − ½]₊ + (y − ¾)², f(1) = 0.5625, min f(½) = 0.0625.
  // Stayed: f(y) = (y − ¾)², f(0) = 0.5625, min 0.
  close(elFarolEquilibriumGap(m, [1, 1, 1, 0], new RandomStream(1)), [0.5, 0.5, 0.5, 0.5625], 'crowded');
  // one of four went: P = 0.25 ≤ ϑ (pleasant). Stayed: f(y) = [½ − y]₊ + (y − ¼)², f(0) = 0.5625, min f(½) = 0.0625.
  // Went: f(y) = (y − ¼)², f(1) = 0.5625, min 0.
  close(elFarolEquilibriumGap(m, [1, 0, 0, 0], new RandomStream(2)), [0.5625, 0.5, 0.5, 0.5], 'pleasant');
  // conformity only (α = β = 0): gap (p − P)², with P = ½
  close(elFarolEquilibriumGap({ ...m, alpha: 0, beta: 0 }, [1, 0], new RandomStream(3)), [0.25, 0.25], 'conformity');
});

test('El Farol: a population at the threshold, all going with probability ϑ, has a small gap; the draws are averaged', () => {
  const m = { threshold: 0.7, alpha: 0.33, beta: 0.33, gamma: 0.33, attendance: 'fresh' as const, clipGradient: 'zero' as const };
  const atThreshold = elFarolEquilibriumGap(m, new Float64Array(42).fill(0.7), new RandomStream(4));
  const spread = elFarolEquilibriumGap(m, Float64Array.from({ length: 42 }, (_, i) => i / 41), new RandomStream(4));
  const meanOf = (v: Float64Array) => v.reduce((a, b) => a + b, 0) / v.length;
  assert.ok(meanOf(atThreshold) < 0.02, `at ϑ: ${meanOf(atThreshold)}`);
  assert.ok(meanOf(spread) > 5 * meanOf(atThreshold), `spread over [0, 1]: ${meanOf(spread)}`);
});

test("nashGap pools populations: the mean over every agent, the largest of all; games without a gap (Liar's dice) give null", () => {
  const meeting = GAMES.meeting;
  const config = configOf('meeting', 'fig2b', ['agents=5', 'data.groups=5', 'data.perGroup=1', 'mechanics.scheduledTime=11', 'mechanics.quantile=0.5']);
  const gap = nashGap(meeting, config, [[10, 11, 12, 13, 14], [12, 12, 12, 12, 12]], 1)!;
  // first population: 1, 0, 0, 2, 4; the second is at T = s? C(y; 12) = [y − 11]₊ + … min 1 at 11 and 12: every gap 0
  assert.is(gap.mean, 7 / 10);
  assert.is(gap.max, 4);
  assert.is(nashGap(GAMES['liars-dice'], configOf('liars-dice', 'demo'), [[0]], 1), null);
});

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'nmfg-gap-'));
}

/** Each agent's gap by the game's own function (checked by hand above), then the mean and the largest. */
/** The simulated population at save time k (Simulated.values is [times, ...state] row-major). */
function stateAt(s: { values: Float32Array; shape: number[] }, k: number): Float32Array {
  const size = s.shape.reduce((a, b) => a * b, 1);
  return s.values.subarray(k * size, (k + 1) * size);
}

function gapOf(name: string, config: ExperimentConfig, population: ArrayLike<number>, seed: number): { mean: number; max: number } {
  const gaps = GAMES[name].equilibriumGap!(config, Float64Array.from(population), streamOf(seed, 'equilibriumGap'));
  return { mean: gaps.reduce((a, b) => a + b, 0) / gaps.length, max: Math.max(...gaps) };
}

const closeGap = (actual: { mean: number; max: number }, expected: { mean: number; max: number }, tolerance: number, what: string) => {
  assert.ok(Math.abs(actual.mean - expected.mean) <= tolerance, `${what}: mean ${actual.mean} vs ${expected.mean}`);
  assert.ok(Math.abs(actual.max - expected.max) <= tolerance, `${what}: max ${actual.max} vs ${expected.max}`);
};

/** The population of trajectory.csv (turn,t,agent,value; 5 decimals) at its last turn. */
async function lastTurnOf(file: string): Promise<number[]> {
  const rows = (await readFile(file, 'utf8')).trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
  const last = Math.max(...rows.map((r) => r[0]));
  return rows.filter((r) => r[0] === last).sort((a, b) => a[2] - b[2]).map((r) => r[3]);
}

test('simulate writes nashGap (last turn), nashGapTurns and nash-gap.svg for meeting, El Farol and LQ: the gaps of the simulated populations', async () => {
  for (const [name, preset] of [['meeting', 'fig2b'], ['el-farol', 'fig3b'], ['lq', 'relax']] as const) {
    const dir = await tmp();
    const exp = { game: GAMES[name], preset, config: configOf(name, preset) };
    const req = { exp, seed: 3, engine: 'fused' as const, network: false };
    const simulated = simulate(req);
    const saved = await saveSimulation(dir, req, simulated, { backend: null, started: performance.now() });
    const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8'));
    assert.equal(Object.keys(summary.nashGap), ['mean', 'max'], name);
    // every turn's gap is that of the simulated population at that turn
    assert.is(summary.nashGapTurns.length, exp.config.time.saveAt.length);
    summary.nashGapTurns.forEach((turn: { t: number; mean: number; max: number }, k: number) => {
      assert.is(turn.t, exp.config.time.saveAt[k]);
      closeGap(turn, gapOf(name, exp.config, stateAt(simulated, k), 3), 1e-12, `${name} at t = ${turn.t}`);
    });
    closeGap(summary.nashGap, gapOf(name, exp.config, stateAt(simulated, simulated.times.length - 1), 3), 1e-12, `${name}: nashGap`);
    assert.ok(summary.nashGap.mean > 0 && summary.nashGap.max > summary.nashGap.mean, `${name}: ${JSON.stringify(summary.nashGap)}`);
    assert.ok(saved.files.includes('nash-gap.svg') && existsSync(join(dir, 'nash-gap.svg')), name);
    assert.match(await readFile(join(dir, 'nash-gap.svg'), 'utf8'), /^<svg/);
  }
});

test('train and eval summaries give nashGap of the model and mfgOnlyNashGap of the MFG-only dynamics: the gaps of their populations', async () => {
  const dir = await tmp();
  // one fixed initial population and no noise: every evaluation population is the figure's own, so
  // the pooled final-turn gaps equal the figure trajectory's last turn
  const sets = ['training.steps=2', 'training.validationSamples=4', 'training.evaluationPopulations=4', 'training.initialState="fixed"', 'noise.layout="none"', 'solver="euler"'];
  const exp = { game: GAMES.meeting, preset: 'fig2b', config: configOf('meeting', 'fig2b', sets) };
  const started = performance.now();
  const fitted = await fitModel(exp, 10, 'fused');
  const req = { exp, seed: 10, engine: { name: 'fused' as const, backend: null, note: null }, data: null, validation: null, dir };
  const report = await saveTrainedRun({ req, ...fitted, started });
  const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8'));
  assert.equal(Object.keys(summary.nashGapTurns), ['model', 'mfgOnly']);
  assert.is(summary.nashGapTurns.model.length, 15);
  closeGap(summary.nashGap, summary.nashGapTurns.model.at(-1), 1e-9, 'train: model');
  closeGap(summary.mfgOnlyNashGap, summary.nashGapTurns.mfgOnly.at(-1), 1e-9, 'train: MFG only');
  // the figure's trajectory (trajectory.csv, 5 decimals) has that gap at its last turn
  closeGap(summary.nashGapTurns.model.at(-1), gapOf('meeting', exp.config, await lastTurnOf(join(dir, 'trajectory.csv')), 10), 1e-4, 'train: trajectory.csv');
  assert.ok(summary.nashGap.mean > 0 && summary.mfgOnlyNashGap.mean > 0);
  assert.ok(report.files.includes('nash-gap.svg') && existsSync(join(dir, 'nash-gap.svg')));
  const evalDir = await tmp();
  const data = GAMES.meeting.observations.generate(exp.config, new RandomStream(5), 3);
  const ev = await evaluateOnData({ dir: evalDir, exp, params: fitted.model.params, seed: 10, engine: { name: 'fused', backend: null }, data, dataPath: 'x.csv', modelDir: dir, started });
  const turns = ev.summary.nashGapTurns as { model: { mean: number; max: number }[]; mfgOnly: { mean: number; max: number }[] };
  closeGap(ev.summary.nashGap as { mean: number; max: number }, turns.model.at(-1)!, 1e-9, 'eval: model');
  closeGap(ev.summary.mfgOnlyNashGap as { mean: number; max: number }, turns.mfgOnly.at(-1)!, 1e-9, 'eval: MFG only');
  closeGap(turns.model.at(-1)!, gapOf('meeting', exp.config, await lastTurnOf(join(evalDir, 'trajectory.csv')), 10), 1e-4, 'eval: trajectory.csv');
  // the same model from the same start: train and eval agree
  closeGap(ev.summary.nashGap as { mean: number; max: number }, summary.nashGap, 1e-9, 'eval = train');
  assert.ok(ev.files.includes('nash-gap.svg'));
});

test.run();
