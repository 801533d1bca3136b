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

test('simulate writes nashGap (last turn), nashGapTurns and nash-gap.svg for meeting, El Farol and LQ', async () => {
  for (const [name, preset] of [['meeting', 'fig2b'], ['el-farol', 'fig3b'], ['lq', 'relax']] as const) {
    const dir = await tmp();
    const exp = { game: GAMES[name], preset, config: configOf(name, preset) };
    const req = { exp, seed: 3, engine: 'fused' as const, network: false };
    const saved = await saveSimulation(dir, req, simulate(req), { backend: null, started: performance.now() });
    const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8'));
    assert.equal(Object.keys(summary.nashGap), ['mean', 'max'], name);
    assert.ok(summary.nashGap.mean >= 0 && summary.nashGap.max >= summary.nashGap.mean, name);
    assert.is(summary.nashGapTurns.length, exp.config.time.saveAt.length);
    assert.equal(summary.nashGapTurns.at(-1), { t: exp.config.time.saveAt.at(-1), ...summary.nashGap });
    assert.ok(saved.files.includes('nash-gap.svg') && existsSync(join(dir, 'nash-gap.svg')), name);
    assert.match(await readFile(join(dir, 'nash-gap.svg'), 'utf8'), /^<svg/);
  }
});

test('train and eval summaries give nashGap of the model and mfgOnlyNashGap of the MFG-only dynamics, with the figure', async () => {
  const dir = await tmp();
  const exp = { game: GAMES.meeting, preset: 'fig2b', config: configOf('meeting', 'fig2b', ['training.steps=2', 'training.validationSamples=4', 'training.evaluationPopulations=4']) };
  const started = performance.now();
  const fitted = await fitModel(exp, 10, 'fused');
  const req = { exp, seed: 10, engine: { name: 'fused' as const, backend: null, note: null }, data: null, validation: null, dir };
  const report = await saveTrainedRun({ req, ...fitted, started });
  const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8'));
  for (const key of ['nashGap', 'mfgOnlyNashGap']) assert.equal(Object.keys(summary[key]), ['mean', 'max'], key);
  assert.equal(Object.keys(summary.nashGapTurns), ['model', 'mfgOnly']);
  assert.is(summary.nashGapTurns.model.length, 15);
  assert.ok(report.files.includes('nash-gap.svg') && existsSync(join(dir, 'nash-gap.svg')));
  const evalDir = await tmp();
  const data = GAMES.meeting.observations.generate(exp.config, new RandomStream(5), 3);
  const ev = await evaluateOnData({ dir: evalDir, exp, params: fitted.model.params, seed: 10, engine: { name: 'fused', backend: null }, data, dataPath: 'x.csv', modelDir: dir, started });
  assert.equal(Object.keys(ev.summary.nashGap as object), ['mean', 'max']);
  assert.equal(Object.keys(ev.summary.mfgOnlyNashGap as object), ['mean', 'max']);
  assert.ok(ev.files.includes('nash-gap.svg'));
});

test.run();
