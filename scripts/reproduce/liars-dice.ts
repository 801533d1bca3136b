// Liar's dice's part of the reproduction (T1, T9–T14; Figures 4, 5, 6). The mechanics targets
// (T1, T9, T10) are checked by the unit tests named after them, T11 by training runs.
import { join } from 'node:path';
import { BIN, failureReason, runCli, runNode, type CliRun } from './run-cli.ts';
import { errorRow, fixed, notRunRow, testRow } from './check.ts';
import { runTargetTests } from './unit-tests.ts';
import type { ReproduceContext, TargetRow } from './types.ts';
import { mean } from '../../src/data/stats.ts';

/** The targets whose statement needs a trained Liar's dice model (docs/targets.md §2). */
const TRAINING_TARGETS: Omit<TargetRow, 'measured' | 'status'>[] = [
  {
    id: 'T11',
    variant: 'reference',
    setting: "Liar's dice training, entry-point defaults (5 × 30 dice, 1000 games, batch 64, 500 steps, λ₀ = 0.1, odds (0.1, 0.2, 0, 0.4, 0.1, 0.2))",
    expected: 'learned odds within ±0.02 of the truth, KL(y_true ‖ p̄) < 0.01 (MFG only 0.159); loss 1.74 → ≈1.39 / 1.55 → ≈1.47',
  },
  {
    id: 'T12',
    variant: 'reference',
    setting: 'Fig. 6 data efficiency (2 players × 1 die, batch 1, 200 steps, 1–19 training games, 1000 test games)',
    expected: 'large KL with 1–2 games (re-run 0.733 ± 0.003 at 2 dice, 0.386 at 4) → noisy decline to ≈0.19 by 30–38 dice; better than uniform (0.321) from 6 dice',
  },
  {
    id: 'T13',
    variant: 'reference',
    setting: 'Figs. 4/5 sweep over λ₀, fair dice (30 × 15, 100 test games, network: 300 steps on 100 games)',
    expected: 'MFG: learned λ = λ₀ exactly; length falls steeply with λ₀: 80.1 (0), 27.3 (1), 20.9 (2), 14.3 (5), 7.2 (10); success 0.55–0.76. Network: length 78.1 → 12.6, learned λ 1.38 … 10.14',
  },
  {
    id: 'T14',
    variant: 'reference',
    setting: 'Figs. 4/5 sweep over λ₀, unfair dice (odds (0.1, 0.2, 0, 0.4, 0.1, 0.2))',
    expected: 'MFG: learned λ = λ₀ exactly; length 71.6 (0), 19.2 (2), 13.2 (5), 7.0 (10); success 0.10 at λ₀ = 0, 1.00 for λ₀ ≥ 2. Network: length 60.2 → 13.1, success 0.98–1.00',
  },
];

export interface LiarsDiceSupport {
  listed: boolean;
  trains: boolean;
  reason: string;
}

/** Whether `neural-mfg games` lists liars-dice and a one-step `train liars-dice` succeeds. */
export async function liarsDiceSupport(ctx: ReproduceContext): Promise<LiarsDiceSupport> {
  const games = await runNode(BIN, ['games']);
  if (!/^liars-dice:/m.test(games.stdout)) {
    return { listed: false, trains: false, reason: "Liar's dice training is not integrated yet (`neural-mfg games` does not list liars-dice)" };
  }
  const probe = await runCli('train', ['liars-dice', '--set', 'training.steps=1', '--backend', ctx.backend], join(ctx.out, 'runs', 'liars-dice-probe'));
  if (probe.code !== 0) {
    return { listed: true, trains: false, reason: `Liar's dice training is not integrated yet (\`train liars-dice\` fails: ${failureReason(probe)})` };
  }
  return { listed: true, trains: true, reason: '' };
}

export async function reproduceLiarsDice(ctx: ReproduceContext): Promise<TargetRow[]> {
  const rows: TargetRow[] = [];
  const tests = await runTargetTests(ctx, 'liars-dice.test.ts', 'T1-T9-T10-tests', 'fig4');
  rows.push(
    testRow({ id: 'T1', variant: 'reference', setting: "Liar's dice binomial / probability unit values (docs/liars-dice.md §5)", expected: 'exact to the printed decimals' }, tests),
    testRow(
      {
        id: 'T9',
        variant: 'reference',
        setting: "Liar's dice drift gradient",
        expected: '0.1·(1 − (θ̂+ε)/(π+ε)) per face, exactly 0 for λ; bluff and turn losses give zero gradient',
      },
      tests,
    ),
    testRow(
      {
        id: 'T10',
        variant: 'reference',
        setting: "Liar's dice MFG-only demo (7 × 6 dice, odds (0, .1, .2, .4, .1, .2), λ₀ = 0.1)",
        expected: 'bids on face 1 rise by one per turn to 7; the round ends after ≈7 turns with a successful challenge',
      },
      tests,
    ),
  );

  const support = await liarsDiceSupport(ctx);
  if (!support.trains) {
    rows.push(...TRAINING_TARGETS.map((t) => notRunRow(t, support.reason)));
    return rows;
  }
  rows.push(...(await reproduceLiarsDiceTraining(ctx)));
  return rows;
}

/** T11 from `train liars-dice --preset train` (per seed); T12–T14 wait for the analyses. */
async function reproduceLiarsDiceTraining(ctx: ReproduceContext): Promise<TargetRow[]> {
  const seeds = ctx.seeds([10, 11]);
  const runs: CliRun[] = [];
  for (const seed of seeds) {
    runs.push(
      await ctx.run('fig4', `liars-dice-train-seed${seed}`, 'train', ['liars-dice', '--preset', 'train', '--seed', String(seed), ...(ctx.quick ? QUICK : [])], [
        { from: 'loss.svg', to: `liars-dice-train${seed === seeds[0] ? '' : `-seed${seed}`}-loss.svg`, caption: `Liar's dice training (T11): loss curves, seed ${seed}` },
      ]),
    );
  }
  const [t11, t12, t13, t14] = TRAINING_TARGETS;
  const rows = [checkT11(runs, t11)];

  // Fig. 6: the reference's single game at one training game, then the full analysis (8 draws)
  const first = await ctx.run('fig6', 'liars-dice-data-efficiency-reference-game', 'analyze', [
    'liars-dice', '--preset', 'data-efficiency', '--data', REFERENCE_FIRST_GAME, '--set', 'sweep.values=[1]', '--set', 'sweep.draws=1',
  ], []);
  rows.push(checkT12ReferenceGame(first, t12));
  const de = await ctx.run('fig6', 'liars-dice-data-efficiency', 'analyze', ['liars-dice', '--preset', 'data-efficiency', ...(ctx.quick ? ['--quick'] : [])], [
    {
      from: 'data-efficiency-2-dice.svg',
      to: 'fig6.svg',
      caption: 'Fig. 6: KL to the true odds against the number of training dice (mean of 8 draws of the training set ± std over draws; the first draw alone)',
    },
  ]);
  rows.push(checkT12Shape(de, t12));

  // Figs. 4/5: the bluff sweeps. The MFG half over λ₀ = 0..10 (training.steps = 0), with the
  // default per-turn keys and with the reference's one constant key for several keys; then the
  // network half at the λ₀ the targets list.
  for (const [target, preset, figure] of [
    [t13, 'bluff-sweep-fair', 'fig4'],
    [t14, 'bluff-sweep-unfair', 'fig5'],
  ] as const) {
    const mfgOnly = ['--set', 'training.steps=0', ...(ctx.quick ? ['--set', 'sweep.values=[0,2,5,10]', '--set', 'evaluation.games=20'] : [])];
    const run = await ctx.run(figure, `liars-dice-${preset}-mfg`, 'analyze', ['liars-dice', '--preset', preset, ...mfgOnly], [
      { from: 'initial-bluff-vs-game-length.svg', to: `${figure}-length.svg`, caption: `Fig. ${figure.slice(3)}: game length against the initial bluff rate (MFG dynamics; the network series is untrained here)` },
      { from: 'initial-bluff-vs-learned-bluff.svg', to: `${figure}-bluff.svg`, caption: `Fig. ${figure.slice(3)}: learned bluff rate against the initial one` },
      { from: 'initial-bluff-vs-challenge-ratio.svg', to: `${figure}-challenge.svg`, caption: `Fig. ${figure.slice(3)}: share of successful challenges against the initial bluff rate` },
    ]);
    const keyed: CliRun[] = [];
    for (const seed of ctx.seeds(KEY_SEEDS)) {
      keyed.push(
        await ctx.run(figure, `liars-dice-${preset}-mfg-faithful-seed${seed}`, 'analyze', [
          'liars-dice', '--preset', preset, '--faithful', '--seed', String(seed), ...mfgOnly, '--set', 'sweep.values=[0,1,2,5,10]',
        ], []),
      );
    }
    rows.push(checkBluffSweep([run], { ...target, variant: 'default' }, preset, false));
    rows.push(checkBluffSweep(keyed, target, preset, true));
    // the network half at the λ₀ that T13/T14 list (a few minutes per sweep since training solves
    // to the final state only)
    const values = ctx.quick ? '[0,10]' : '[0,2,5,10]';
    const net = await ctx.run(figure, `liars-dice-${preset}-network`, 'analyze', [
      'liars-dice', '--preset', preset, '--set', `sweep.values=${values}`, ...(ctx.quick ? ['--set', 'training.steps=5', '--set', 'evaluation.games=20'] : []),
    ], [
      { from: 'initial-bluff-vs-game-length.svg', to: `${figure}-network-length.svg`, caption: `Fig. ${figure.slice(3)}: game length against λ₀, MFG and trained network (λ₀ = ${values})` },
      { from: 'initial-bluff-vs-learned-bluff.svg', to: `${figure}-network-bluff.svg`, caption: `Fig. ${figure.slice(3)}: learned bluff rate against λ₀, MFG and trained network` },
      { from: 'initial-bluff-vs-challenge-ratio.svg', to: `${figure}-network-challenge.svg`, caption: `Fig. ${figure.slice(3)}: successful challenges against λ₀, MFG and trained network` },
    ]);
    rows.push(checkNetworkSweep(net, target, preset));
  }
  return rows;
}

/** Re-run network results of T13/T14 by λ₀: length, learned λ, success ratio (null: not given). */
const RERUN_NETWORK: Record<string, Record<number, [number, number, number | null]>> = {
  'bluff-sweep-fair': { 0: [78.1, 1.38, null], 2: [37.7, 2.45, null], 5: [14.3, 5.16, null], 10: [12.6, 10.14, null] },
  'bluff-sweep-unfair': { 0: [60.2, 0.11, 0.98], 2: [31.0, 3.71, 0.98], 5: [13.1, 5.73, 0.98] },
};

/**
 * T13/T14, network half: the trends the targets state — the rounds shorten as λ₀ grows, the
 * network moves λ only by its output (learned λ within 1.5 of λ₀), and T14's success ratio of
 * 0.98–1.00 with unfair dice. Nothing trains the network's λ output (Q5) and the reference's
 * success ratios are those of its one key (see the MFG rows), so these rows show what our runs give.
 */
function checkNetworkSweep(run: CliRun, base: Omit<TargetRow, 'measured' | 'status'>, preset: string): TargetRow {
  const what = {
    ...base,
    setting: `${base.setting} — network half (\`analyze liars-dice --preset ${preset} --set sweep.values=[0,2,5,10]\`: one network per λ₀, 300 steps on 100 games)`,
    expected:
      'length never rising by more than 2 turns from one λ₀ to the next; learned λ within 1.5 of λ₀' +
      (preset === 'bluff-sweep-unfair' ? '; success ratio ≥ 0.9 at every λ₀ (T14: 0.98–1.00)' : ''),
  };
  if (!run.summary) return errorRow(what, [run]);
  const rows = (run.summary.rows as Record<string, any>[]).filter((r) => r.model === 'network').sort((a, b) => a.lambda - b.lambda);
  const rerun = RERUN_NETWORK[preset];
  const falls = rows.every((r, i) => i === 0 || r.length_mu <= rows[i - 1].length_mu + 2);
  const lambdaNear = rows.every((r) => Math.abs(r.bluff_mu - r.lambda) <= 1.5);
  const success = preset !== 'bluff-sweep-unfair' || rows.every((r) => r.challenge_ratio >= 0.9);
  return {
    ...what,
    measured:
      rows
        .map((r) => {
          const ref = rerun[r.lambda];
          const against = ref ? ` (re-run ${ref[0]}, ${ref[1]}${ref[2] !== null ? `, ${ref[2]}` : ''})` : '';
          return `λ₀ ${r.lambda}: length ${r.length_mu.toFixed(1)}, learned λ ${r.bluff_mu.toFixed(2)}, success ${r.challenge_ratio.toFixed(2)}${against}`;
        })
        .join('; ') +
      `; lengths fall: ${falls ? 'yes' : 'no'}; learned λ near λ₀: ${lambdaNear ? 'yes' : 'no'}` +
      (preset === 'bluff-sweep-unfair' ? `; success ≥ 0.9: ${success ? 'yes' : 'no'}` : ''),
    status: falls && lambdaNear && success ? 'pass' : 'fail',
  };
}

/** The reference's first training game of Fig. 6, inferred from its KL (see the test of T12). */
// relative: the experiments run in the package root, and the report shows the command as run
const REFERENCE_FIRST_GAME = 'data/liars-dice/fig6-reference-first-game.csv';
/** Experiment seeds whose constant keys the faithful bluff sweeps use (one key each). */
const KEY_SEEDS = [10, 11, 12, 13, 14, 15];

type KlRow = { dice: number; kl_mean: number; kl_std: number; kl_draw_std?: number };

/**
 * T12 at one game. A fitted network puts player 0's beliefs on its one training game's faces, so
 * the KL at one game is set by which two faces that game holds: the re-run's 0.733 is (θ̂ + uniform)/2
 * for faces {1, 5} (0.740 fully fitted; {1, 1} gives 0.82, {1, 2} 0.60). The re-run's game is not
 * published: {5, 1} is the game whose KL matches the target, so a KL measured on it restates the
 * target. The row is therefore not applicable; it shows the value, and T12's default row (8 draws
 * of the training set) is the independent check.
 */
export function checkT12ReferenceGame(run: CliRun, base: Omit<TargetRow, 'measured' | 'status'>): TargetRow {
  const what = {
    ...base,
    setting: `${base.setting} — one training game, the re-run's first game inferred from its KL: faces {5, 1} (\`analyze --data data/liars-dice/fig6-reference-first-game.csv\`)`,
    expected: 'KL 0.733 ± 0.015 at 2 dice, std over test games ≈ 0.003',
  };
  if (!run.summary) return errorRow(what, [run]);
  const row = (run.summary.rows as KlRow[])[0];
  return {
    ...what,
    measured:
      `KL ${row.kl_mean.toFixed(3)} ± ${row.kl_std.toFixed(3)} at ${row.dice} dice — not applicable: the re-run's training game is not published, and the game {5, 1} ` +
      'was inferred from the target KL itself, so this value cannot confirm it (the default row below checks T12 over 8 draws of the training set)',
    status: 'not applicable',
  };
}

/**
 * T12's shape over several draws of the training set: the re-run is one draw, whose first games
 * happen to hold rare faces; the mean over draws shows what to expect from any draw.
 */
function checkT12Shape(run: CliRun, base: Omit<TargetRow, 'measured' | 'status'>): TargetRow {
  const s = run.summary as Record<string, any> | null;
  const draws = (s?.sweep?.draws as number | undefined) ?? 1;
  const what = {
    ...base,
    variant: 'default' as const,
    setting: `${base.setting} — ${draws} draws of the training set (the first is seed 10's own), mean over draws`,
    expected: 'mean KL at 2–4 dice ≥ 1.2 × the level at 30–38 dice; that level 0.19 ± 0.05; below uniform (0.321) from 6 dice',
  };
  if (!s) return errorRow(what, [run]);
  const rows = s.rows as KlRow[];
  const at = (lo: number, hi: number) => rows.filter((r) => r.dice >= lo && r.dice <= hi).map((r) => r.kl_mean);
  const small = mean(at(1, 4));
  const end = mean(at(30, 38));
  const uniform = s.uniformKl as number;
  const ok = small >= 1.2 * end && Math.abs(end - 0.19) <= 0.05 && at(6, 38).every((v) => v < uniform);
  const firstDraw = (s.draws as { seed: number; klMeans: number[] }[] | undefined)?.[0];
  return {
    ...what,
    measured:
      `mean KL by dice: ${rows.map((r) => `${r.dice}: ${r.kl_mean.toFixed(3)}`).join(', ')}; std over draws ` +
      `${Math.min(...rows.map((r) => r.kl_draw_std ?? 0)).toFixed(3)}–${Math.max(...rows.map((r) => r.kl_draw_std ?? 0)).toFixed(3)}, over test games ` +
      `${Math.min(...rows.map((r) => r.kl_std)).toFixed(3)}–${Math.max(...rows.map((r) => r.kl_std)).toFixed(3)}; ` +
      (firstDraw ? `first draw alone: ${firstDraw.klMeans.map((v) => v.toFixed(3)).join(', ')}; ` : '') +
      `2–4 dice ${small.toFixed(3)} against ${end.toFixed(3)} at 30–38; uniform ${fixed(uniform, 3)}, MFG only ${fixed(s.mfgOnlyKl?.mean, 3)} ± ${fixed(s.mfgOnlyKl?.std, 3)}`,
    status: ok ? 'pass' : 'fail',
  };
}

/** Re-run MFG round lengths of T13/T14 by λ₀. */
const RERUN_LENGTHS: Record<string, Record<number, number>> = {
  'bluff-sweep-fair': { 0: 80.1, 1: 27.3, 2: 20.9, 5: 14.3, 10: 7.2 },
  'bluff-sweep-unfair': { 0: 71.6, 2: 19.2, 5: 13.2, 10: 7.0 },
};

/**
 * T13/T14, MFG half: the trends (learned λ = λ₀ exactly; lengths fall from ≈ 80 at λ₀ = 0 to
 * ≈ 7 at 10; success at the largest λ₀ not below that at 0). With the reference's constant key
 * (--faithful) the lengths in between and the success ratios depend on the key: the re-run shows
 * one key, so each key's run is listed and the re-run's lengths are placed in their range.
 */
export function checkBluffSweep(runs: CliRun[], base: Omit<TargetRow, 'measured' | 'status'>, preset: string, faithful: boolean): TargetRow {
  const command = faithful
    ? `\`analyze liars-dice --preset ${preset} --faithful --seed S --set training.steps=0\`, one constant key per seed S = ${runs.map((r) => r.summary?.seed ?? '?').join(', ')}`
    : `\`analyze liars-dice --preset ${preset} --set training.steps=0\`, per-turn keys`;
  const what = {
    ...base,
    setting: `${base.setting} — MFG dynamics only (${command})`,
    expected: faithful
      ? 'for every key: length never rising by more than 2 turns from one λ₀ to the next, success ratio at the largest λ₀ ≥ at λ₀ = 0; ' +
        "the keys' mean length at λ₀ = 0 within 15 % of the re-run, at λ₀ = 10 within 25 %; each re-run length within the keys' range ± 25 % (the re-run is one key)"
      : 'trends: length at λ₀ = 0 within 15 % of the re-run, at λ₀ = 10 within 25 %, never rising by more than 2 turns from one λ₀ to the next; ' +
        'success ratio at the largest λ₀ ≥ at λ₀ = 0'
  };
  if (runs.some((r) => !r.summary)) return errorRow(what, runs);
  const reference = RERUN_LENGTHS[preset];
  let ok = true;
  const parts: string[] = [];
  const byLambda = new Map<number, number[]>();
  for (const run of runs) {
    const rows = (run.summary!.rows as Record<string, any>[]).filter((r) => r.model === 'mfg').sort((a, b) => a.lambda - b.lambda);
    const first = rows[0];
    const last = rows[rows.length - 1];
    const lambdaExact = rows.every((r) => Math.abs(r.bluff_mu - r.lambda) < 1e-6);
    const falls = rows.every((r, i) => i === 0 || r.length_mu <= rows[i - 1].length_mu + 2);
    const ends =
      first.lambda === 0 && Math.abs(first.length_mu - reference[0]) <= 0.15 * reference[0] &&
      last.lambda === 10 && Math.abs(last.length_mu - reference[10]) <= 0.25 * reference[10];
    const success = last.challenge_ratio >= first.challenge_ratio;
    // learned λ = λ₀ holds by construction here (training.steps = 0: no network moves λ): shown,
    // not counted. With one constant key the end points depend on the key: the faithful rows hold
    // the keys' mean to the re-run's end points below
    const pass = falls && success && (faithful || ends);
    ok &&= pass;
    for (const r of rows) byLambda.set(r.lambda, [...(byLambda.get(r.lambda) ?? []), r.length_mu]);
    parts.push(
      `${faithful ? `key of seed ${run.summary!.seed}: ` : ''}${rows.map((r) => `λ₀ ${r.lambda}: length ${r.length_mu.toFixed(1)}, success ${r.challenge_ratio.toFixed(2)}`).join('; ')}` +
        ` (λ = λ₀ ${lambdaExact ? 'exactly, as it must without training' : 'NOT exactly'}${pass ? '' : '; trend not met'})`,
    );
  }
  if (faithful) {
    const placed = Object.entries(reference).map(([l, v]) => {
      const xs = byLambda.get(Number(l)) ?? [];
      const inside = xs.length > 0 && v >= 0.75 * Math.min(...xs) && v <= 1.25 * Math.max(...xs);
      ok &&= inside || xs.length === 0;
      return `λ₀ ${l}: re-run ${v} against ${xs.length ? `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}` : '—'}${inside ? '' : ' (outside ± 25 %)'}`;
    });
    parts.push(`re-run lengths in the keys' range: ${placed.join('; ')}`);
    const keysMean = (l: number) => mean(byLambda.get(l) ?? []);
    const endsMet = Math.abs(keysMean(0) - reference[0]) <= 0.15 * reference[0] && Math.abs(keysMean(10) - reference[10]) <= 0.25 * reference[10];
    ok &&= endsMet;
    parts.push(
      `end points, mean over the keys: λ₀ 0: ${keysMean(0).toFixed(1)} against the re-run's ${reference[0]}, λ₀ 10: ${keysMean(10).toFixed(1)} against ${reference[10]}${endsMet ? '' : ' (out of tolerance)'}`,
    );
  }
  return { ...what, measured: parts.join(' | '), status: ok ? 'pass' : 'fail' };
}

const TRUE_ODDS = [0.1, 0.2, 0.0, 0.4, 0.1, 0.2];
/** --quick for Liar's dice (its own preset schema): a few steps on few games */
const QUICK = ['--set', 'training.steps=5', '--set', 'evaluation.games=8', '--set', 'data.validationGames=8', '--set', 'data.trainGames=64'];

function checkT11(runs: CliRun[], base: Omit<TargetRow, 'measured' | 'status'>): TargetRow {
  if (runs.some((r) => !r.summary)) return errorRow(base, runs);
  const parts: string[] = [];
  let ok = true;
  for (const run of runs) {
    const s = run.summary as Record<string, any>;
    const odds = s.learnedOdds as number[];
    const worst = Math.max(...odds.map((p, k) => Math.abs(p - TRUE_ODDS[k])));
    const pass = worst <= 0.02 && s.klToTrue < 0.01 && s.klMfgOnly > 10 * s.klToTrue;
    ok &&= pass;
    parts.push(
      `seed ${s.seed}: odds (${odds.map((p) => p.toFixed(3)).join(', ')}) (worst face off by ${worst.toFixed(3)}), ` +
        `KL ${fixed(s.klToTrue, 4)} ± ${fixed(s.klToTrueStd, 4)} vs MFG only ${fixed(s.klMfgOnly, 3)}; ` +
        `round length ${fixed(s.meanRoundLength, 1)}, learned λ ${fixed(s.meanLearnedBluffRate, 2)}, successful challenges ${fixed(100 * s.successfulChallengeShare, 1)} %; ` +
        `loss (last step) ${fixed(s.trainLoss, 2)} / ${fixed(s.validationLoss, 2)}`,
    );
  }
  return { ...base, measured: parts.join('; '), status: ok ? 'pass' : 'fail' };
}
