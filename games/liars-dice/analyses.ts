// The paper's Liar's dice analyses, each a sweep of whole experiments run from the preset of the
// same name: Figures 4/5 (round length, learned bluff rate and challenge success against the
// initial bluff rate λ₀, docs/liars-dice.md §14) and Figure 6 (KL to the true odds against the number of
// training dice, docs/liars-dice.md §15).
import type { Analysis, AnalysisEvaluation as Evaluation, AnalysisInput, AnalysisPoint, AnalysisResult, AnalysisSweep, Dataset, Game, PointRun } from '../../src/game.ts';
import { ConfigError } from '../../src/config.ts';
import { subset } from '../../src/data/dataset.ts';
import { RandomStream } from '../../src/random.ts';
import { drawSeed, streamOf } from '../../src/streams.ts';
import { mean, std } from '../../src/data/stats.ts';
import { seedStats } from '../../src/data/seed-stats.ts';
import { linePlot, linePlotSpec, renderSvg, type LineSeries } from '../../src/plot/figures.ts';
import { carryColumns, initialCarry, STATE_ROW } from './carry.ts';
import type { LiarsDiceConfig } from './config.ts';
import { toExperiment, type LiarsDiceExperiment } from './engine-config.ts';
import { klDivergence, meanBeliefs } from './metrics.ts';


type SweepField = NonNullable<LiarsDiceConfig['sweep']>['field'];

function sweepOf(s: LiarsDiceConfig, field: SweepField): number[] {
  if (!s.sweep) throw new ConfigError(`configuration field "sweep": the ${s.name} analysis needs a sweep over ${field}`);
  if (s.sweep.field !== field) {
    throw new ConfigError(`configuration field "sweep.field": the ${s.name} analysis sweeps ${field}, got ${JSON.stringify(s.sweep.field)}`);
  }
  return s.sweep.values;
}

/** The test games, from a stream of their own: the same games at every sweep point. */
function testGames(game: Game<LiarsDiceExperiment>, config: LiarsDiceExperiment, seed: number): Dataset {
  return game.observations.generate(config, streamOf(seed, 'testData'), config.scenario.evaluation.games);
}

/** The carry every test game starts from: docs/liars-dice.md §14 writes the data odds into it, §15 the preset's own. */
function testStart(s: LiarsDiceConfig): Float64Array {
  const own = s.initial.odds === 'uniform' ? undefined : s.initial.odds;
  const odds = s.evaluation.initialOdds === 'data' ? s.data.odds : own;
  return initialCarry(s.layout, { odds, bluffRate: s.initial.bluffRate, logits: s.variant.initialLogits });
}

const seconds = (since: number) => (performance.now() - since) / 1000;

// ---------------------------------------------------------------------------------------------
// Figures 4/5 (docs/liars-dice.md §14, T13/T14)

interface BluffRow {
  lambda: number;
  model: 'mfg' | 'network';
  length_mu: number;
  length_s: number;
  bluff_mu: number;
  bluff_s: number;
  challenge_ratio: number;
}

/**
 * Per test game: length = turns played (the cap if the round never ended), learned λ = mean over
 * players of max(λ_p, 0) at the end, success = the final game state is +1 (docs/liars-dice.md §14). Unlike the
 * reference, rounds longer than the 100 saved turns are measured, not cut at 100 (Q14).
 */
function roundRow(ev: Evaluation, s: LiarsDiceConfig, lambda: number, model: BluffRow['model']): BluffRow {
  const { players: P, faces: F } = s.layout;
  const cols = carryColumns(s.layout);
  const length = ev.finalPopulations.map((_, i) => ev.endSteps?.[i] ?? s.turns.max);
  const bluff = ev.finalPopulations.map((c) => mean(Array.from({ length: P }, (_, p) => Math.max(c[(2 + p) * cols + F], 0))));
  const success = ev.finalPopulations.map((c) => (c[STATE_ROW * cols] === 1 ? 1 : 0));
  return {
    lambda,
    model,
    length_mu: mean(length),
    length_s: std(length),
    bluff_mu: mean(bluff),
    bluff_s: std(bluff),
    challenge_ratio: mean(success),
  };
}

const BLUFF_COLUMNS = ['lambda', 'model', 'length_mu', 'length_s', 'bluff_mu', 'bluff_s', 'challenge_ratio'] as const;
const SERIES_NAME = { mfg: 'MFG only', network: 'MFG + network' } as const;

/**
 * A Fig. 4/5 panel: MFG as squares, the network as circles, each with its spread; with `seeds`
 * (several seeds), every seed's own value as a faint hollow mark behind.
 */
async function bluffFigure(
  rows: BluffRow[],
  title: string,
  yTitle: string,
  y: (r: BluffRow) => number,
  spread?: (r: BluffRow) => number,
  seeds?: { model: BluffRow['model']; lambda: number; y: number }[],
) {
  const series: LineSeries[] = (['mfg', 'network'] as const).map((m) => {
    const own = rows.filter((r) => r.model === m);
    return { name: SERIES_NAME[m], x: own.map((r) => r.lambda), y: own.map(y), ...(spread ? { spread: own.map(spread) } : {}) };
  });
  const spec = linePlotSpec({ title, xTitle: 'Initial bluff rate λ₀', yTitle, series }) as unknown as {
    layer: Record<string, unknown>[];
  };
  // the line layer draws no points; a point layer on top draws them with one shape per series
  const line = spec.layer[0] as { mark: Record<string, unknown>; encoding: Record<string, unknown> };
  line.mark = { ...line.mark, point: false };
  const shape = { field: 'series', type: 'nominal', scale: { domain: series.map((s) => s.name), range: ['square', 'circle'] }, legend: { title: null } };
  spec.layer.push({
    mark: { type: 'point', filled: true, size: 50, opacity: 1 },
    encoding: { x: line.encoding.x, y: line.encoding.y, color: line.encoding.color, shape },
  });
  if (seeds) {
    // after the means (the legend's symbols come from the first layer that draws a shape), faint and hollow
    spec.layer.push({
      data: { values: seeds.map((p) => ({ series: SERIES_NAME[p.model], x: p.lambda, y: p.y })) },
      mark: { type: 'point', filled: false, size: 30, opacity: 0.45 },
      encoding: { x: line.encoding.x, y: line.encoding.y, color: line.encoding.color, shape },
    });
  }
  return renderSvg(spec as never, `${title} figure`);
}

/**
 * The first `games` games of the file's training set (`analyze --data`), for draw r: in the
 * file's order for the first draw, in an order shuffled by the draw's seed for the others.
 */
function gamesFromFile(data: Dataset, dataFile: string | undefined, games: number, r: number, seed: number): Dataset {
  const available = data.shape[0];
  if (games > available) {
    throw new ConfigError(`${dataFile ?? '--data'}: holds ${available} games, but the analysis needs ${games} (sweep value or data.trainGames)`);
  }
  const order = r === 0 ? Array.from({ length: available }, (_, i) => i) : Array.from(new RandomStream(drawSeed(seed, r)).permutation(available));
  return subset(data, order.slice(0, games));
}

/** Timing of one sweep point. */
interface BluffPoint {
  lambda: number;
  trainSeconds: number;
  seconds: number;
}

/** What a bluff sweep reports of one point when it finishes (the same words in a whole run and in a sweep's job). */
function describeBluffPoint(s: LiarsDiceConfig, [mfg, net]: BluffRow[], p: BluffPoint, index: number, total: number, seed?: number): string {
  return (
    `${s.name} λ₀ = ${p.lambda} (${index + 1}/${total}): length MFG ${mfg.length_mu.toFixed(1)}, network ${net.length_mu.toFixed(1)}; ` +
    `learned λ ${mfg.bluff_mu.toFixed(2)} / ${net.bluff_mu.toFixed(2)}; challenge ratio ${mfg.challenge_ratio.toFixed(2)} / ${net.challenge_ratio.toFixed(2)}; ` +
    `${p.seconds.toFixed(1)} s (training ${p.trainSeconds.toFixed(1)} s)${seed === undefined ? '' : `, seed ${seed}`}`
  );
}

async function bluffSweep({ game, config, seed, data, progress, fit, evaluate }: AnalysisInput<LiarsDiceExperiment>): Promise<AnalysisResult> {
  const s = config.scenario;
  const lambdas = sweepOf(s, 'initial.bluffRate');
  if (s.sweep!.draws !== 1) throw new ConfigError('configuration field "sweep.draws": the bluff sweeps take one training set (1)');
  const test = testGames(game, config, seed);
  const rows: BluffRow[] = [];
  const points: BluffPoint[] = [];
  for (const [i, lambda] of lambdas.entries()) {
    const started = performance.now();
    // λ₀ in the training carry and in the test carry (docs/liars-dice.md §14)
    const pointConfig = toExperiment({ ...s, initial: { ...s.initial, bluffRate: lambda } });
    // analyze --data: the file's games are the training set; trained as `train liars-dice` trains
    // it with the same seed, without the per-step validation loss (which does not change the result)
    const model = await fit(pointConfig, seed, data);
    const trainSeconds = seconds(started);
    {
      const starts = () => ({ states: testStart(pointConfig.scenario), keys: streamOf(seed, 'evaluationKeys') });
      const n = test.shape[0];
      const mfg = roundRow(evaluate(model, test, starts(), n, { network: false }), s, lambda, 'mfg');
      const net = roundRow(evaluate(model, test, starts(), n, { network: true }), s, lambda, 'network');
      rows.push(mfg, net);
      points.push({ lambda, trainSeconds, seconds: seconds(started) });
      progress(describeBluffPoint(s, [mfg, net], points[i], i, lambdas.length));
    }
  }
  return bluffResult(config, [{ seed, rows, points }], test.shape[0], data ? data.shape[0] : config.training.trainSamples);
}

/** A bluff row's numbers averaged over seeds (the rows of one λ₀ and model, one per seed). */
function meanBluffRow(rows: BluffRow[]): BluffRow {
  const m = (k: keyof BluffRow) => mean(rows.map((r) => r[k] as number));
  return { lambda: rows[0].lambda, model: rows[0].model, length_mu: m('length_mu'), length_s: m('length_s'), bluff_mu: m('bluff_mu'), bluff_s: m('bluff_s'), challenge_ratio: m('challenge_ratio') };
}

const OVER_SEEDS: Record<string, keyof BluffRow> = { length: 'length_mu', bluff: 'bluff_mu', challenge_ratio: 'challenge_ratio' };

/**
 * The tables, figures and text of a bluff sweep from the rows of each seed. One seed: exactly the
 * whole run's. Several: the main table holds the means over seeds, `<name>-seeds.csv` every seed's
 * rows and `<name>-over-seeds.csv` the mean, standard deviation and 95% confidence interval over
 * seeds; the figures show the mean ± 95% CI over seeds and each seed's own value.
 */
async function bluffResult(config: LiarsDiceExperiment, bySeed: { seed: number; rows: BluffRow[]; points: BluffPoint[] }[], testGames: number, trainGames: number): Promise<AnalysisResult> {
  const s = config.scenario;
  const header = [...BLUFF_COLUMNS];
  const setting = `${s.layout.players} × ${s.layout.dice} dice, ${testGames} test games`;
  const several = bySeed.length > 1;
  const rows = several ? bySeed[0].rows.map((r, i) => meanBluffRow(bySeed.map((b) => b.rows[i]))) : bySeed[0].rows;
  const overSeeds = several
    ? bySeed[0].rows.map((r, i) => {
        const out: Record<string, number | string> = { lambda: r.lambda, model: r.model, seeds: bySeed.length };
        for (const [name, k] of Object.entries(OVER_SEEDS)) {
          const st = seedStats(bySeed.map((b) => b.rows[i][k] as number));
          Object.assign(out, { [`${name}_mean`]: st.mean, [`${name}_std`]: st.std, [`${name}_ci95`]: st.ci95 ?? 0 });
        }
        return out;
      })
    : [];
  const ci = (i: number, name: string) => (several ? (overSeeds[i][`${name}_ci95`] as number) : 0);
  const label = several ? `; mean of ${bySeed.length} seeds ± 95% CI` : '';
  const seedPoints = (k: keyof BluffRow) => (several ? bySeed.flatMap((b) => b.rows.map((r) => ({ model: r.model, lambda: r.lambda, y: r[k] as number }))) : undefined);
  // the error bars: the spread over test games for one seed, the 95% CI over seeds for several
  const spreadOf = (name: string, own?: (r: BluffRow) => number) => (several ? (r: BluffRow) => ci(rows.indexOf(r), name) : own);
  const lines = [
    `${s.name}: ${setting}, network trained ${config.training.steps} steps on ${trainGames} games${several ? `; mean over ${bySeed.length} seeds (${bySeed.map((b) => b.seed).join(', ')}) ± 95% CI` : ''}`,
    `${'λ₀'.padStart(5)}  ${'model'.padEnd(8)}${'length'.padStart(16)}${'learned λ'.padStart(16)}${'challenge ratio'.padStart(17)}`,
    ...rows.map((r, i) =>
      several
        ? `${String(r.lambda).padStart(5)}  ${r.model.padEnd(8)}${`${r.length_mu.toFixed(1)} ± ${ci(i, 'length').toFixed(1)}`.padStart(16)}` +
          `${`${r.bluff_mu.toFixed(2)} ± ${ci(i, 'bluff').toFixed(2)}`.padStart(16)}${`${r.challenge_ratio.toFixed(2)} ± ${ci(i, 'challenge_ratio').toFixed(2)}`.padStart(17)}`
        : `${String(r.lambda).padStart(5)}  ${r.model.padEnd(8)}${`${r.length_mu.toFixed(1)} ± ${r.length_s.toFixed(1)}`.padStart(16)}` +
          `${`${r.bluff_mu.toFixed(2)} ± ${r.bluff_s.toFixed(2)}`.padStart(16)}${r.challenge_ratio.toFixed(2).padStart(17)}`,
    ),
  ];
  const tables: AnalysisResult['tables'] = { [s.name]: { header, rows: rows.map((r) => header.map((k) => r[k])) } };
  if (several) {
    tables[`${s.name}-seeds`] = { header: ['seed', ...header], rows: bySeed.flatMap((b) => b.rows.map((r) => [b.seed, ...header.map((k) => r[k])])) };
    const overHeader = Object.keys(overSeeds[0]);
    tables[`${s.name}-over-seeds`] = { header: overHeader, rows: overSeeds.map((o) => overHeader.map((k) => o[k])) };
  }
  return {
    summary: {
      sweep: { field: 'initial.bluffRate', values: rows.filter((r) => r.model === 'mfg').map((r) => r.lambda) },
      testGames,
      trainGames,
      steps: config.training.steps,
      rows,
      points: bySeed.flatMap((b) => b.points.map((p) => (several ? { seed: b.seed, ...p } : p))),
      ...(several ? { seeds: bySeed.map((b) => b.seed), seedRows: bySeed.flatMap((b) => b.rows.map((r) => ({ seed: b.seed, ...r }))), overSeeds } : {}),
    },
    tables,
    figures: {
      'initial-bluff-vs-game-length': await bluffFigure(rows, `Round length (${setting}${label})`, 'Round length (turns)', (r) => r.length_mu, spreadOf('length', (r) => r.length_s), seedPoints('length_mu')),
      'initial-bluff-vs-learned-bluff': await bluffFigure(rows, `Learned bluff rate (${setting}${label})`, 'Learned bluff rate λ', (r) => r.bluff_mu, spreadOf('bluff', (r) => r.bluff_s), seedPoints('bluff_mu')),
      'initial-bluff-vs-challenge-ratio': await bluffFigure(rows, `Successful challenges (${setting}${label})`, 'Ratio of successful challenges', (r) => r.challenge_ratio, spreadOf('challenge_ratio'), seedPoints('challenge_ratio')),
    },
    text: lines.join('\n'),
  };
}

/** The seeds of some point runs, in the order first seen, each with its runs in point order. */
function bySeedOf(runs: PointRun[]): { seed: number; runs: PointRun[] }[] {
  const seeds = [...new Set(runs.map((r) => r.seed))];
  return seeds.map((seed) => ({ seed, runs: runs.filter((r) => r.seed === seed).sort((a, b) => a.point - b.point) }));
}

/** One point per sweep value: the analysis with `sweep.values` set to that value alone. */
function sweepPoints(field: SweepField) {
  return (config: LiarsDiceExperiment): AnalysisPoint[] =>
    sweepOf(config.scenario, field).map((v) => ({ values: { [field]: String(v) }, set: [`sweep.values=[${v}]`] }));
}

const bluffSweepParts: AnalysisSweep<LiarsDiceExperiment> = {
  points: sweepPoints('initial.bluffRate'),
  describe(config, run, { index, total }) {
    const sum = run.summary as { rows: BluffRow[]; points: BluffPoint[] };
    return describeBluffPoint(config.scenario, sum.rows, sum.points[0], index, total, run.seed);
  },
  async combine(config, runs) {
    const bySeed = bySeedOf(runs).map(({ seed, runs: own }) => ({
      seed,
      rows: own.flatMap((r) => (r.summary as { rows: BluffRow[] }).rows),
      points: own.flatMap((r) => (r.summary as { points: BluffPoint[] }).points),
    }));
    const first = runs[0].summary as { testGames: number; trainGames: number };
    return bluffResult(config, bySeed, first.testGames, first.trainGames);
  },
};

// ---------------------------------------------------------------------------------------------
// Figure 6 (docs/liars-dice.md §15, T12)

interface EfficiencyRow {
  dice: number;
  /** mean over draws and test games */
  kl_mean: number;
  /** standard deviation over the test games (the reference's error bar), averaged over draws */
  kl_std: number;
  /** standard deviation over draws of each draw's mean (0 with one draw) */
  kl_draw_std: number;
  draws: number;
}

/** KL(y_true ‖ p̄) per test game, p̄ = mean over players of the final beliefs (docs/liars-dice.md §15). */
function klPerGame(ev: Evaluation, config: LiarsDiceExperiment): number[] {
  return meanBeliefs(ev.finalPopulations, config).map((p) => klDivergence(config.scenario.data.odds, p));
}

/** What the data-efficiency analysis reports of one dataset size when it finishes. */
function describeEfficiencyPoint(s: LiarsDiceConfig, row: EfficiencyRow, means: number[], p: EfficiencyPoint, index: number, total: number, seed?: number): string {
  const draws = means.length;
  return (
    `${s.name} ${p.games} game${p.games === 1 ? '' : 's'} = ${row.dice} dice (${index + 1}/${total}): ` +
    `KL ${row.kl_mean.toFixed(3)} ± ${row.kl_std.toFixed(3)}` +
    (draws > 1 ? ` (${draws} draws: ${means.map((m) => m.toFixed(3)).join(', ')})` : '') +
    `; ${p.seconds.toFixed(1)} s${seed === undefined ? '' : `, seed ${seed}`}`
  );
}

interface EfficiencyPoint {
  games: number;
  seconds: number;
}

/** One seed's data-efficiency results: a row per size, each draw's mean KL per size, the MFG-only reference. */
interface EfficiencySeed {
  seed: number;
  rows: EfficiencyRow[];
  /** perDraw[r][i]: mean KL of draw r at the i-th size */
  perDraw: number[][];
  mfgOnly: { mean: number; std: number };
  points: EfficiencyPoint[];
}

async function dataEfficiency({ game, config, seed, data, dataFile, progress, fit, evaluate }: AnalysisInput<LiarsDiceExperiment>): Promise<AnalysisResult> {
  const s = config.scenario;
  const sizes = sweepOf(s, 'data.trainGames');
  const draws = s.sweep!.draws;
  const dicePerGame = s.layout.players * s.layout.dice;
  const test = testGames(game, config, seed);
  const n = test.shape[0];
  const starts = () => ({ states: testStart(s), keys: streamOf(seed, 'evaluationKeys') });
  let mfgOnly: { mean: number; std: number } | null = null;
  const rows: EfficiencyRow[] = [];
  const points: EfficiencyPoint[] = [];
  /** perDraw[r][i]: mean KL of draw r at sizes[i] */
  const perDraw: number[][] = Array.from({ length: draws }, () => []);
  for (const [i, games] of sizes.entries()) {
    if (!Number.isInteger(games) || games < 1) {
      throw new ConfigError(`configuration field "sweep.values": dataset sizes must be whole numbers ≥ 1, got ${games}`);
    }
    const started = performance.now();
    const pointConfig = toExperiment({ ...s, data: { ...s.data, trainGames: games } });
    const stds: number[] = [];
    for (let r = 0; r < draws; r++) {
      const given = data ? gamesFromFile(data, dataFile, games, r, seed) : undefined;
      const model = await fit(pointConfig, drawSeed(seed, r), given);
      {
        if (!mfgOnly) {
          // the MFG-only dynamics do not depend on the training set: one reference for all sizes
          const kl = klPerGame(evaluate(model, test, starts(), n, { network: false }), pointConfig);
          mfgOnly = { mean: mean(kl), std: std(kl) };
        }
        const kl = klPerGame(evaluate(model, test, starts(), n, { network: true }), pointConfig);
        perDraw[r].push(mean(kl));
        stds.push(std(kl));
      }
    }
    const means = perDraw.map((d) => d[i]);
    rows.push({ dice: games * dicePerGame, kl_mean: mean(means), kl_std: mean(stds), kl_draw_std: draws > 1 ? std(means) : 0, draws });
    points.push({ games, seconds: seconds(started) });
    progress(describeEfficiencyPoint(s, rows[i], means, points[i], i, sizes.length));
  }
  return efficiencyResult(config, [{ seed, rows, perDraw, mfgOnly: mfgOnly!, points }], n);
}

/**
 * The table, figure and text of the data-efficiency analysis from each seed's results. One seed:
 * exactly the whole run's. Several: every seed's draws count alike (the main table's KL is the
 * mean over seeds, its `kl_draw_std` the spread of all draws); `<name>-seeds.csv` holds each
 * seed's rows, `<name>-over-seeds.csv` the mean, standard deviation and 95% CI over seeds, and the
 * figure's error bars are that CI.
 */
async function efficiencyResult(config: LiarsDiceExperiment, bySeed: EfficiencySeed[], n: number): Promise<AnalysisResult> {
  const s = config.scenario;
  const dicePerGame = s.layout.players * s.layout.dice;
  const uniform = klDivergence(s.data.odds, new Array<number>(s.layout.faces).fill(1 / s.layout.faces));
  const several = bySeed.length > 1;
  const first = bySeed[0];
  const draws = first.perDraw.length;
  const allDraws = bySeed.flatMap((b) => b.perDraw);
  const rows: EfficiencyRow[] = several
    ? first.rows.map((r, i) => ({
        dice: r.dice,
        kl_mean: mean(bySeed.map((b) => b.rows[i].kl_mean)),
        kl_std: mean(bySeed.map((b) => b.rows[i].kl_std)),
        kl_draw_std: std(allDraws.map((d) => d[i])),
        draws: allDraws.length,
      }))
    : first.rows;
  const overSeeds = several
    ? first.rows.map((r, i) => {
        const st = seedStats(bySeed.map((b) => b.rows[i].kl_mean));
        return { dice: r.dice, seeds: bySeed.length, kl_mean: st.mean, kl_std: st.std, kl_ci95: st.ci95 ?? 0 };
      })
    : [];
  const mfg = several ? { mean: mean(bySeed.map((b) => b.mfgOnly.mean)), std: mean(bySeed.map((b) => b.mfgOnly.std)) } : first.mfgOnly;
  const x = rows.map((r) => r.dice);
  const what = several
    ? `mean of ${bySeed.length} seeds × ${draws} draw${draws === 1 ? '' : 's'} ± 95% CI over seeds`
    : draws > 1
      ? `mean of ${draws} training-set draws ± std over draws`
      : 'mean ± std over test games';
  const spread = several ? overSeeds.map((o) => o.kl_ci95) : rows.map((r) => (draws > 1 ? r.kl_draw_std : r.kl_std));
  const figure = await linePlot({
    title: `Data efficiency (${s.layout.players} players × ${s.layout.dice} dice, ${n} test games; ${what})`,
    xTitle: 'Number of training dice',
    yTitle: 'KL(θ ‖ θ̂_T)',
    series: [
      { name: 'MFG + network', x, y: rows.map((r) => r.kl_mean), spread },
      ...(draws > 1 || several ? [{ name: `seed ${first.seed} alone`, x, y: first.perDraw[0] }] : []),
      { name: `uniform ${uniform.toFixed(3)}`, x, y: x.map(() => uniform) },
      { name: `MFG only ${mfg.mean.toFixed(3)}`, x, y: x.map(() => mfg.mean) },
    ],
  });
  const header = ['dice', 'kl_mean', 'kl_std', 'kl_draw_std', 'draws'];
  const lines = [
    `${s.name}: KL(y_true ‖ p̄) over ${n} test games, ${draws} training-set draw${draws === 1 ? '' : 's'} per size` +
      `${several ? ` and seed, ${bySeed.length} seeds (${bySeed.map((b) => b.seed).join(', ')})` : ''} ` +
      `(uniform belief ${uniform.toFixed(3)}, MFG only ${mfg.mean.toFixed(3)} ± ${mfg.std.toFixed(3)})`,
    `${'dice'.padStart(5)}${'KL mean'.padStart(10)}${'KL std'.padStart(10)}${draws > 1 || several ? 'over draws'.padStart(12) : ''}${several ? '95% CI over seeds'.padStart(19) : ''}`,
    ...rows.map(
      (r, i) =>
        `${String(r.dice).padStart(5)}${r.kl_mean.toFixed(3).padStart(10)}${r.kl_std.toFixed(3).padStart(10)}` +
        (draws > 1 || several ? r.kl_draw_std.toFixed(3).padStart(12) : '') +
        (several ? `± ${overSeeds[i].kl_ci95.toFixed(3)}`.padStart(19) : ''),
    ),
  ];
  const tables: AnalysisResult['tables'] = { [s.name]: { header, rows: rows.map((r) => header.map((k) => r[k as keyof EfficiencyRow])) } };
  if (several) {
    tables[`${s.name}-seeds`] = { header: ['seed', ...header], rows: bySeed.flatMap((b) => b.rows.map((r) => [b.seed, ...header.map((k) => r[k as keyof EfficiencyRow])])) };
    const overHeader = Object.keys(overSeeds[0]);
    tables[`${s.name}-over-seeds`] = { header: overHeader, rows: overSeeds.map((o) => overHeader.map((k) => o[k as keyof typeof o])) };
  }
  return {
    summary: {
      sweep: { field: 'data.trainGames', values: first.points.map((p) => p.games), draws },
      testGames: n,
      steps: config.training.steps,
      dicePerGame,
      uniformKl: uniform,
      mfgOnlyKl: mfg,
      rows,
      draws: bySeed.flatMap((b) => b.perDraw.map((means, r) => ({ seed: drawSeed(b.seed, r), klMeans: means }))),
      points: bySeed.flatMap((b) => b.points.map((p) => (several ? { seed: b.seed, ...p } : p))),
      ...(several ? { seeds: bySeed.map((b) => b.seed), seedRows: bySeed.flatMap((b) => b.rows.map((r) => ({ seed: b.seed, ...r }))), overSeeds } : {}),
    },
    tables,
    figures: { [`data-efficiency-${dicePerGame}-dice`]: figure },
    text: lines.join('\n'),
  };
}

/** The summary of one data-efficiency size run alone. */
interface EfficiencyPointSummary {
  rows: EfficiencyRow[];
  draws: { seed: number; klMeans: number[] }[];
  mfgOnlyKl: { mean: number; std: number };
  points: EfficiencyPoint[];
  testGames: number;
}

const dataEfficiencyParts: AnalysisSweep<LiarsDiceExperiment> = {
  points: sweepPoints('data.trainGames'),
  describe(config, run, { index, total }) {
    const sum = run.summary as unknown as EfficiencyPointSummary;
    return describeEfficiencyPoint(config.scenario, sum.rows[0], sum.draws.map((d) => d.klMeans[0]), sum.points[0], index, total, run.seed);
  },
  async combine(config, runs) {
    const bySeed = bySeedOf(runs).map(({ seed, runs: own }): EfficiencySeed => {
      const sums = own.map((r) => r.summary as unknown as EfficiencyPointSummary);
      return {
        seed,
        rows: sums.flatMap((x) => x.rows),
        perDraw: sums[0].draws.map((_, r) => sums.map((x) => x.draws[r].klMeans[0])),
        // computed by the first size's run, as in a whole run
        mfgOnly: sums[0].mfgOnlyKl,
        points: sums.flatMap((x) => x.points),
      };
    });
    return efficiencyResult(config, bySeed, (runs[0].summary as unknown as EfficiencyPointSummary).testGames);
  },
};

// ---------------------------------------------------------------------------------------------

const BLUFF_QUICK = ['sweep.values=[0,2,5,10]', 'training.steps=30', 'training.batchSize=16', 'evaluation.games=20'];

export const analyses: Record<string, Analysis<LiarsDiceExperiment>> = {
  'bluff-sweep-fair': {
    description: 'Figs. 4/5, fair dice (docs/liars-dice.md §14, T13): round length, learned bluff rate and challenge success vs λ₀, MFG only and MFG + neural term',
    quick: BLUFF_QUICK,
    run: bluffSweep,
    sweep: bluffSweepParts,
  },
  'bluff-sweep-unfair': {
    description: 'Figs. 4/5, unfair dice (docs/liars-dice.md §14, T14): as bluff-sweep-fair with odds (0.1, 0.2, 0, 0.4, 0.1, 0.2)',
    quick: BLUFF_QUICK,
    run: bluffSweep,
    sweep: bluffSweepParts,
  },
  'data-efficiency': {
    description: 'Fig. 6 (docs/liars-dice.md §15, T12): KL(y_true ‖ p̄) on the test games vs the number of training dice',
    quick: ['sweep.values=[1,2,5,10,19]', 'sweep.draws=2', 'training.steps=50', 'evaluation.games=200'],
    run: dataEfficiency,
    sweep: dataEfficiencyParts,
  },
};
