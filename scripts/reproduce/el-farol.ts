// The El Farol bar's part of the reproduction: Figure 3a (MFG only; T7) and Figure 3b (MFG +
// neural term; T8): T7 with the reference's frozen attendance draws and with fresh ones, T8 also
// with the reference's zero clip gradient (`--faithful`) against the default straight-through one.
// docs/el-farol.md §6, docs/targets.md §2.
import { readMetrics, type CliRun } from './run-cli.ts';
import { errorRow, fixed, range, turnsFrom } from './check.ts';
import type { ReproduceContext, TargetRow } from './types.ts';

const MODES = [
  ['reference', 'frozen'],
  ['default', 'fresh'],
] as const;

export async function reproduceFig3a(ctx: ReproduceContext): Promise<TargetRow[]> {
  const rows: TargetRow[] = [];
  for (const [variant, attendance] of MODES) {
    const name = attendance === 'frozen' ? 'fig3a' : 'fig3a-fresh-attendance';
    const run = await ctx.run('fig3a', name, 'simulate', ['el-farol', '--preset', 'fig3a', '--attendance', attendance], [
      { from: 'turns.svg', to: `${name}.svg`, caption: `Fig. 3a: MFG only, ${attendance} attendance draws` },
    ]);
    rows.push(checkT7(run, variant, attendance));
  }
  return rows;
}

function checkT7(run: CliRun, variant: 'reference' | 'default', attendance: string): TargetRow {
  const base = {
    id: 'T7',
    variant,
    setting: `Fig. 3a, \`--attendance ${attendance}\` (ϑ = 0.9, p₀ ~ U[0,1)^42, h = 0.05)`,
    expected: 'from t = 9: mean 0.886 ± 0.02 and std < 0.01 (re-run: 0.51 → 0.69 → 0.79 → … → 0.886)',
  };
  if (!run.summary) return errorRow(base, [run]);
  const early = turnsFrom(run, 1).slice(0, 3);
  const later = turnsFrom(run, 9);
  const [mLo, mHi] = range(later.map((s) => s.mean));
  const maxStd = Math.max(...later.map((s) => s.std));
  const ok = later.every((s) => Math.abs(s.mean - 0.886) <= 0.02) && maxStd < 0.01;
  return {
    ...base,
    measured: `t = 1..3: ${early.map((s) => s.mean.toFixed(2)).join(' → ')}; t ≥ 9: mean ${mLo.toFixed(3)}–${mHi.toFixed(3)}, max std ${maxStd.toFixed(3)}`,
    status: ok ? 'pass' : 'fail',
  };
}

/**
 * Fig. 3b runs: the reference (`--faithful`: frozen attendance, clipped entries pass no gradient),
 * the preset's default (frozen attendance, straight-through clip gradient), and fresh attendance.
 */
const FIG3B_MODES = [
  { variant: 'reference', stem: 'fig3b-faithful', label: '`--faithful` (frozen attendance, zero clip gradient)', args: ['--faithful'] },
  { variant: 'default', stem: 'fig3b', label: 'preset default (frozen attendance, straight-through clip gradient)', args: [] },
  {
    variant: 'default',
    stem: 'fig3b-fresh-attendance',
    label: '`--attendance fresh` (straight-through clip gradient)',
    args: ['--attendance', 'fresh'],
  },
] as const;

export async function reproduceFig3b(ctx: ReproduceContext): Promise<TargetRow[]> {
  const rows: TargetRow[] = [];
  const seeds = ctx.seeds([5, 10, 11]);
  for (const mode of FIG3B_MODES) {
    const runs: CliRun[] = [];
    for (const seed of seeds) {
      const name = `${mode.stem}${seed === seeds[0] ? '' : `-seed${seed}`}`;
      runs.push(
        await ctx.run(
          'fig3b',
          `${mode.stem}-seed${seed}`,
          'train',
          ['el-farol', '--preset', 'fig3b', ...mode.args, '--seed', String(seed), ...ctx.trainingOverrides],
          [
            { from: 'turns.svg', to: `${name}.svg`, caption: `Fig. 3b: trained model, ${mode.label}, seed ${seed}` },
            { from: 'loss.svg', to: `${name}-loss.svg`, caption: `Fig. 3b: loss curves, ${mode.label}, seed ${seed}` },
          ],
        ),
      );
    }
    rows.push(await checkT8(runs, mode.variant, mode.label));
  }
  return rows;
}

/**
 * T8. The reference's window 0.20–0.23 sits around its data's rate (0.2145); our data, drawn from
 * other streams, have rates of 0.20–0.22, so the mean is checked against each run's own data rate
 * (± 0.015; the reference: +0.005). A validation MSE below the reference's 0.036 is no failure.
 */
async function checkT8(runs: CliRun[], variant: TargetRow['variant'], label: string): Promise<TargetRow> {
  const base = {
    id: 'T8',
    variant,
    setting:
      `Fig. 3b, ${label} (μ = 0.2, 10 training samples × 10 observations, batch 4, ` +
      `${runs[0]?.summary?.steps ?? 300} steps, h = 1, fixed p₀), seeds ${runs.map((r) => r.summary?.seed ?? '?').join(', ')}`,
    expected:
      'every seed: final-turn mean probability within ± 0.015 of the training data\'s rate and in [0.19, 0.23], validation MSE ≤ 0.056 ' +
      '(re-run: 0.219 against data 0.2145; MSE 0.40 → 0.036)',
  };
  if (runs.some((r) => !r.summary)) return errorRow(base, runs);
  let passing = 0;
  const parts: string[] = [];
  for (const r of runs) {
    const s = r.summary!;
    const ok =
      Math.abs(s.finalMean - s.dataMean) <= 0.015 && s.finalMean >= 0.19 && s.finalMean <= 0.23 &&
      s.validationLoss !== null && s.validationLoss <= 0.056;
    if (ok) passing++;
    const first = (await readMetrics(r.dir))[0];
    parts.push(
      `seed ${s.seed}: mean ${fixed(s.finalMean, 3)} (data ${fixed(s.dataMean, 3)}, MFG only ${fixed(s.mfgOnlyFinalMean, 3)}), ` +
        `MSE ${fixed(first?.train, 3)}/${fixed(first?.validation, 3)} → ${fixed(s.trainLoss, 4)}/${fixed(s.validationLoss, 4)} ` +
        `${ok ? 'ok' : 'out of tolerance'}`,
    );
  }
  return {
    ...base,
    measured: `${parts.join('; ')} — ${passing}/${runs.length} seeds within tolerance`,
    status: passing === runs.length ? 'pass' : 'fail',
  };
}
