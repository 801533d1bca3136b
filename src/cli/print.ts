// What the commands print for people: state values as the game's figures show them, quantile
// tables, metrics, and the closing lines of a training run.
import type { TrainingReport } from '../run/report.ts';
import { mean, quantiles } from '../data/stats.ts';

/** Formats a state value the way the game's figures do (clock times for arrival times). */
export function formatValue(x: number, style: 'clock' | 'number'): string {
  if (style === 'number') return x.toFixed(3);
  const sign = x < 0 ? '-' : '';
  const minutes = Math.round(Math.abs(x) * 60);
  return `${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** A metric for people: 4 decimals, lists in brackets. */
export function formatMetric(v: number | number[]): string {
  return Array.isArray(v) ? `[${v.map((x) => x.toFixed(4)).join(', ')}]` : v.toFixed(4);
}

/** A time per step for people: three significant digits (fused steps take fractions of a millisecond). */
export function formatMs(ms: number | null): string {
  if (ms === null) return '—';
  return ms >= 10 ? ms.toFixed(1) : ms.toPrecision(3);
}

/** "fused engine", or "graph engine on wasm". */
export function engineLabel(s: { engine?: unknown; backend?: unknown }): string {
  return `${String(s.engine)} engine${s.backend ? ` on ${String(s.backend)}` : ''}`;
}

/** The table and closing lines of a finished training run (stdout). */
export function printTrainingReport(r: TrainingReport, style: 'clock' | 'number', title: string, dir: string, out: NodeJS.WritableStream = process.stdout): void {
  const s = r.summary as Record<string, any>;
  if (r.kind === 'population') {
    const qs = [0, 0.25, 0.5, 0.75, 1];
    const row = (name: string, v: ArrayLike<number>) =>
      `${name.padEnd(22)}${quantiles(v, qs).map((x) => formatValue(x, style).padStart(9)).join('')}   mean ${formatValue(mean(v), style)}\n`;
    const starts = r.fixedStart ? `${r.populations} runs from the training's initial population` : `${r.populations} initial populations`;
    out.write(`\n${title}, final turn t=${r.final.t}, ${starts} (${s.steps} steps, seed ${s.seed}, ${engineLabel(s)})\n`);
    out.write(`${''.padEnd(22)}${['min', 'q25', 'median', 'q75', 'max'].map((h) => h.padStart(9)).join('')}\n`);
    out.write(row('model', r.model));
    out.write(row('data (training set)', r.data));
    out.write(row('MFG only (no network)', r.mfgOnly));
  } else {
    out.write(`\n${title}: metrics on ${r.evaluatedOn} (${s.steps} steps, seed ${s.seed}, ${engineLabel(s)})\n`);
    out.write(`${'metric'.padEnd(28)}${'model'.padStart(14)}   MFG only\n`);
    for (const [k, v] of Object.entries(r.metrics)) {
      const m = r.mfgOnly[k];
      out.write(`${k.padEnd(28)}${formatMetric(v).padStart(14)}   ${m === undefined ? '' : formatMetric(m)}\n`);
    }
  }
  // train --learn: the learned mechanics (with --bootstrap, their intervals); the equilibrium gap
  if (s.learned) {
    for (const [field, value] of Object.entries(s.learned as Record<string, number>)) {
      const interval = s.intervals?.[field] as [number, number] | undefined;
      const ci = interval ? `   ${Math.round(s.bootstrap.level * 100)}% interval [${interval[0].toPrecision(5)}, ${interval[1].toPrecision(5)}] (${s.bootstrap.replicates} resamples of ${s.bootstrap.samples})` : '';
      out.write(`learned ${field} = ${value.toPrecision(5)}${ci}\n`);
    }
  }
  if (s.nashGap) out.write(`equilibrium gap at the final turn: model mean ${s.nashGap.mean.toPrecision(3)} (largest ${s.nashGap.max.toPrecision(3)}), MFG only mean ${s.mfgOnlyNashGap.mean.toPrecision(3)} (largest ${s.mfgOnlyNashGap.max.toPrecision(3)})\n`);
  const which = r.kind === 'population' ? 'loss' : 'loss (last step)';
  out.write(
    `${which}: train ${s.trainLoss?.toFixed(4) ?? '—'}, validation ${s.validationLoss?.toFixed(4) ?? '—'}; ` +
      `${formatMs(s.msPerStep)} ms/step; ${s.wallSeconds.toFixed(1)} s in all\n`,
  );
  out.write(`wrote ${dir}/: ${r.files.join(', ')}\n`);
}
