// The paper's Liar's dice analyses, each a sweep of whole experiments run from the preset of the
// same name: Figures 4/5 (round length, learned bluff rate and challenge success against the
// initial bluff rate λ₀, GAMES.md §5.1) and Figure 6 (KL to the true odds against the number of
// training dice, §5.2).
import type { Analysis, AnalysisInput, AnalysisResult, Dataset, Game } from '../../src/game.ts';
import { ConfigError } from '../../src/config.ts';
import { resolveEngine, type EngineName } from '../../src/mfg/engine.ts';
import { subset } from '../../src/data/dataset.ts';
import { fitModel } from '../../src/run/training.ts';
import { evaluateModel, type Evaluation } from '../../src/train/evaluate.ts';
import { RandomStream } from '../../src/random.ts';
import { drawSeed, streamOf } from '../../src/run/streams.ts';
import { mean, std } from '../../src/data/stats.ts';
import { linePlot, linePlotSpec, renderSvg, type LineSeries } from '../../src/plot/figures.ts';
import { carryColumns, initialCarry, STATE_ROW } from './carry.ts';
import type { LiarsDiceConfig } from './config.ts';
import { toExperiment, type LiarsDiceExperiment } from './experiment.ts';
import { klDivergence, meanBeliefs } from './metrics.ts';


type SweepField = NonNullable<LiarsDiceConfig['sweep']>['field'];

function sweepOf(s: LiarsDiceConfig, field: SweepField): number[] {
  if (!s.sweep) throw new ConfigError(`configuration field "sweep": the ${s.name} analysis needs a sweep over ${field}`);
  if (s.sweep.field !== field) {
    throw new ConfigError(`configuration field "sweep.field": the ${s.name} analysis sweeps ${field}, got ${JSON.stringify(s.sweep.field)}`);
  }
  return s.sweep.values;
}

/**
 * One network trained as `train liars-dice` trains it with the same seed (same data, parameters,
 * shuffling), without the per-step validation loss, which does not change the result.
 */
async function trainedModel(game: Game<LiarsDiceExperiment>, config: LiarsDiceExperiment, seed: number, engine: EngineName | undefined, given?: Dataset) {
  const exp = { game, preset: config.scenario.name, config };
  const { model } = await fitModel(exp, seed, engine ?? resolveEngine(game, config).engine, { train: given, validation: null });
  return model;
}

/** The test games, from a stream of their own: the same games at every sweep point. */
function testGames(game: Game<LiarsDiceExperiment>, config: LiarsDiceExperiment, seed: number): Dataset {
  return game.observations.generate(config, streamOf(seed, 'testData'), config.scenario.evaluation.games);
}

/** The carry every test game starts from: §5.1 writes the data odds into it, §5.2 the preset's own. */
function testStart(s: LiarsDiceConfig): Float64Array {
  const own = s.initial.odds === 'uniform' ? undefined : s.initial.odds;
  const odds = s.evaluation.initialOdds === 'data' ? s.data.odds : own;
  return initialCarry(s.layout, { odds, bluffRate: s.initial.bluffRate, logits: s.variant.initialLogits });
}

const seconds = (since: number) => (performance.now() - since) / 1000;

// ---------------------------------------------------------------------------------------------
// Figures 4/5 (§5.1, T13/T14)

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
 * players of max(λ_p, 0) at the end, success = the final game state is +1 (§5.1). Unlike the
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

/** A Fig. 4/5 panel: MFG as squares, the network as circles, each with its spread. */
async function bluffFigure(rows: BluffRow[], title: string, yTitle: string, y: (r: BluffRow) => number, spread?: (r: BluffRow) => number) {
  const series: LineSeries[] = (['mfg', 'network'] as const).map((m) => {
    const own = rows.filter((r) => r.model === m);
    return { name: SERIES_NAME[m], x: own.map((r) => r.lambda), y: own.map(y), ...(spread ? { spread: own.map(spread) } : {}) };
  });
  const spec = linePlotSpec({ title, xTitle: 'Initial bluff rate λ₀', yTitle, series }) as unknown as {
    layer: { mark: Record<string, unknown>; encoding: Record<string, unknown> }[];
  };
  // the line layer draws no points; a point layer on top draws them with one shape per series
  const line = spec.layer[0];
  line.mark = { ...line.mark, point: false };
  spec.layer.push({
    mark: { type: 'point', filled: true, size: 50, opacity: 1 },
    encoding: {
      x: line.encoding.x,
      y: line.encoding.y,
      color: line.encoding.color,
      shape: { field: 'series', type: 'nominal', scale: { domain: series.map((s) => s.name), range: ['square', 'circle'] }, legend: { title: null } },
    },
  });
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

async function bluffSweep({ game, config, seed, data, progress, engine }: AnalysisInput<LiarsDiceExperiment>): Promise<AnalysisResult> {
  const s = config.scenario;
  const lambdas = sweepOf(s, 'initial.bluffRate');
  if (s.sweep!.draws !== 1) throw new ConfigError('configuration field "sweep.draws": the bluff sweeps take one training set (1)');
  const test = testGames(game, config, seed);
  const rows: BluffRow[] = [];
  const points: Record<string, number>[] = [];
  for (const [i, lambda] of lambdas.entries()) {
    const started = performance.now();
    // λ₀ in the training carry and in the test carry (§5.1)
    const pointConfig = toExperiment({ ...s, initial: { ...s.initial, bluffRate: lambda } });
    // analyze --data: the file's games are the training set
    const model = await trainedModel(game, pointConfig, seed, engine, data);
    const trainSeconds = seconds(started);
    {
      const starts = () => ({ states: testStart(pointConfig.scenario), keys: streamOf(seed, 'evaluationKeys') });
      const n = test.shape[0];
      const mfg = roundRow(evaluateModel(model, test, starts(), n, { network: false }), s, lambda, 'mfg');
      const net = roundRow(evaluateModel(model, test, starts(), n, { network: true }), s, lambda, 'network');
      rows.push(mfg, net);
      points.push({ lambda, trainSeconds, seconds: seconds(started) });
      progress(
        `${s.name} λ₀ = ${lambda} (${i + 1}/${lambdas.length}): length MFG ${mfg.length_mu.toFixed(1)}, network ${net.length_mu.toFixed(1)}; ` +
          `learned λ ${mfg.bluff_mu.toFixed(2)} / ${net.bluff_mu.toFixed(2)}; challenge ratio ${mfg.challenge_ratio.toFixed(2)} / ${net.challenge_ratio.toFixed(2)}; ` +
          `${seconds(started).toFixed(1)} s (training ${trainSeconds.toFixed(1)} s)`,
      );
    }
  }
  const header = [...BLUFF_COLUMNS];
  const setting = `${s.layout.players} × ${s.layout.dice} dice, ${test.shape[0]} test games`;
  const lines = [
    `${s.name}: ${setting}, network trained ${config.training.steps} steps on ${config.training.trainSamples} games`,
    `${'λ₀'.padStart(5)}  ${'model'.padEnd(8)}${'length'.padStart(16)}${'learned λ'.padStart(16)}${'challenge ratio'.padStart(17)}`,
    ...rows.map(
      (r) =>
        `${String(r.lambda).padStart(5)}  ${r.model.padEnd(8)}${`${r.length_mu.toFixed(1)} ± ${r.length_s.toFixed(1)}`.padStart(16)}` +
        `${`${r.bluff_mu.toFixed(2)} ± ${r.bluff_s.toFixed(2)}`.padStart(16)}${r.challenge_ratio.toFixed(2).padStart(17)}`,
    ),
  ];
  return {
    summary: {
      sweep: { field: 'initial.bluffRate', values: lambdas },
      testGames: test.shape[0],
      trainGames: data ? data.shape[0] : config.training.trainSamples,
      steps: config.training.steps,
      rows,
      points,
    },
    tables: { [s.name]: { header, rows: rows.map((r) => header.map((k) => r[k])) } },
    figures: {
      'initial-bluff-vs-game-length': await bluffFigure(rows, `Round length (${setting})`, 'Round length (turns)', (r) => r.length_mu, (r) => r.length_s),
      'initial-bluff-vs-learned-bluff': await bluffFigure(rows, `Learned bluff rate (${setting})`, 'Learned bluff rate λ', (r) => r.bluff_mu, (r) => r.bluff_s),
      'initial-bluff-vs-challenge-ratio': await bluffFigure(rows, `Successful challenges (${setting})`, 'Ratio of successful challenges', (r) => r.challenge_ratio),
    },
    text: lines.join('\n'),
  };
}

// ---------------------------------------------------------------------------------------------
// Figure 6 (§5.2, T12)

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

/** KL(y_true ‖ p̄) per test game, p̄ = mean over players of the final beliefs (§5.2). */
function klPerGame(ev: Evaluation, config: LiarsDiceExperiment): number[] {
  return meanBeliefs(ev.finalPopulations, config).map((p) => klDivergence(config.scenario.data.odds, p));
}

/** Seed of draw r of the training set: the experiment's own for the first, derived for the others. */

async function dataEfficiency({ game, config, seed, data, dataFile, progress, engine }: AnalysisInput<LiarsDiceExperiment>): Promise<AnalysisResult> {
  const s = config.scenario;
  const sizes = sweepOf(s, 'data.trainGames');
  const draws = s.sweep!.draws;
  const dicePerGame = s.layout.players * s.layout.dice;
  const test = testGames(game, config, seed);
  const n = test.shape[0];
  const starts = () => ({ states: testStart(s), keys: streamOf(seed, 'evaluationKeys') });
  const uniform = klDivergence(s.data.odds, new Array<number>(s.layout.faces).fill(1 / s.layout.faces));
  let mfgOnly: { mean: number; std: number } | null = null;
  const rows: EfficiencyRow[] = [];
  const points: Record<string, number>[] = [];
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
      const model = await trainedModel(game, pointConfig, drawSeed(seed, r), engine, given);
      {
        if (!mfgOnly) {
          // the MFG-only dynamics do not depend on the training set: one reference for all sizes
          const kl = klPerGame(evaluateModel(model, test, starts(), n, { network: false }), pointConfig);
          mfgOnly = { mean: mean(kl), std: std(kl) };
        }
        const kl = klPerGame(evaluateModel(model, test, starts(), n, { network: true }), pointConfig);
        perDraw[r].push(mean(kl));
        stds.push(std(kl));
      }
    }
    const means = perDraw.map((d) => d[i]);
    rows.push({ dice: games * dicePerGame, kl_mean: mean(means), kl_std: mean(stds), kl_draw_std: draws > 1 ? std(means) : 0, draws });
    points.push({ games, seconds: seconds(started) });
    const row = rows[rows.length - 1];
    progress(
      `${s.name} ${games} game${games === 1 ? '' : 's'} = ${row.dice} dice (${i + 1}/${sizes.length}): ` +
        `KL ${row.kl_mean.toFixed(3)} ± ${row.kl_std.toFixed(3)}` +
        (draws > 1 ? ` (${draws} draws: ${means.map((m) => m.toFixed(3)).join(', ')})` : '') +
        `; ${seconds(started).toFixed(1)} s`,
    );
  }
  const mfg = mfgOnly!;
  const x = rows.map((r) => r.dice);
  const what = draws > 1 ? `mean of ${draws} training-set draws ± std over draws` : 'mean ± std over test games';
  const figure = await linePlot({
    title: `Data efficiency (${s.layout.players} players × ${s.layout.dice} dice, ${n} test games; ${what})`,
    xTitle: 'Number of training dice',
    yTitle: 'KL(θ ‖ θ̂_T)',
    series: [
      { name: 'MFG + network', x, y: rows.map((r) => r.kl_mean), spread: rows.map((r) => (draws > 1 ? r.kl_draw_std : r.kl_std)) },
      ...(draws > 1 ? [{ name: `seed ${seed} alone`, x, y: perDraw[0] }] : []),
      { name: `uniform ${uniform.toFixed(3)}`, x, y: x.map(() => uniform) },
      { name: `MFG only ${mfg.mean.toFixed(3)}`, x, y: x.map(() => mfg.mean) },
    ],
  });
  const header = ['dice', 'kl_mean', 'kl_std', 'kl_draw_std', 'draws'];
  const lines = [
    `${s.name}: KL(y_true ‖ p̄) over ${n} test games, ${draws} training-set draw${draws === 1 ? '' : 's'} per size ` +
      `(uniform belief ${uniform.toFixed(3)}, MFG only ${mfg.mean.toFixed(3)} ± ${mfg.std.toFixed(3)})`,
    `${'dice'.padStart(5)}${'KL mean'.padStart(10)}${'KL std'.padStart(10)}${draws > 1 ? 'over draws'.padStart(12) : ''}`,
    ...rows.map(
      (r) =>
        `${String(r.dice).padStart(5)}${r.kl_mean.toFixed(3).padStart(10)}${r.kl_std.toFixed(3).padStart(10)}` +
        (draws > 1 ? r.kl_draw_std.toFixed(3).padStart(12) : ''),
    ),
  ];
  return {
    summary: {
      sweep: { field: 'data.trainGames', values: sizes, draws },
      testGames: n,
      steps: config.training.steps,
      dicePerGame,
      uniformKl: uniform,
      mfgOnlyKl: mfg,
      rows,
      draws: perDraw.map((means, r) => ({ seed: drawSeed(seed, r), klMeans: means })),
      points,
    },
    tables: { [s.name]: { header, rows: rows.map((r) => header.map((k) => r[k as keyof EfficiencyRow])) } },
    figures: { [`data-efficiency-${dicePerGame}-dice`]: figure },
    text: lines.join('\n'),
  };
}

// ---------------------------------------------------------------------------------------------

const BLUFF_QUICK = ['sweep.values=[0,2,5,10]', 'training.steps=30', 'training.batchSize=16', 'evaluation.games=20'];

export const analyses: Record<string, Analysis<LiarsDiceExperiment>> = {
  'bluff-sweep-fair': {
    description: 'Figs. 4/5, fair dice (GAMES.md §5.1, T13): round length, learned bluff rate and challenge success vs λ₀, MFG only and MFG + neural term',
    quick: BLUFF_QUICK,
    run: bluffSweep,
  },
  'bluff-sweep-unfair': {
    description: 'Figs. 4/5, unfair dice (GAMES.md §5.1, T14): as bluff-sweep-fair with odds (0.1, 0.2, 0, 0.4, 0.1, 0.2)',
    quick: BLUFF_QUICK,
    run: bluffSweep,
  },
  'data-efficiency': {
    description: 'Fig. 6 (GAMES.md §5.2, T12): KL(y_true ‖ p̄) on the test games vs the number of training dice',
    quick: ['sweep.values=[1,2,5,10,19]', 'sweep.draws=2', 'training.steps=50', 'evaluation.games=200'],
    run: dataEfficiency,
  },
};
