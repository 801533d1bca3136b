// What the commands print for people: state values as the game's figures show them, quantile
// tables, metrics, and the closing lines of a training run.
import type { TrainingReport } from './report.ts';
import { mean, quantiles } from '../data/stats.ts';

/**
 * A state value for people: decimal, as summary.json and `eval` give it (arrival times in decimal
 * hours, 15.500 = 15:30; the figures draw clock times); 4 significant digits beyond 10^6.
 */
export function formatValue(x: number): string {
  return Math.abs(x) >= 1e6 ? x.toPrecision(4) : x.toFixed(3);
}

/** What the values of a table are, for its heading: " (hours: 15.500 = 15:30)" for arrival times. */
export function valueUnit(style: 'clock' | 'number'): string {
  return style === 'clock' ? ' (decimal hours: 15.500 = 15:30)' : '';
}

/**
 * A metric for people: 4 decimals (4 significant digits beyond 10^6), lists in brackets (a long
 * one, a time series: its ends and its length; summary.json has it whole).
 */
export function formatMetric(v: number | number[]): string {
  const one = (x: number) => (Math.abs(x) >= 1e6 ? x.toPrecision(4) : x.toFixed(4));
  if (!Array.isArray(v)) return one(v);
  if (v.length <= 12) return `[${v.map(one).join(', ')}]`;
  return `[${v.slice(0, 3).map(one).join(', ')}, …, ${v.slice(-3).map(one).join(', ')}] (${v.length} values)`;
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

/** The table and closing lines of a finished training run. */
export function trainingText(r: TrainingReport, style: 'clock' | 'number', title: string, dir: string): string {
  const lines: string[] = [];
  const out = { write: (text: string) => void lines.push(text) };
  const s = r.summary as Record<string, any>;
  if (r.kind === 'population') {
    const qs = [0, 0.25, 0.5, 0.75, 1];
    const row = (name: string, v: ArrayLike<number>) =>
      `${name.padEnd(22)}${quantiles(v, qs).map((x) => formatValue(x).padStart(9)).join('')}   mean ${formatValue(mean(v))}\n`;
    const starts = r.fixedStart ? `${r.populations} runs from the training's initial population` : `${r.populations} initial populations`;
    out.write(`\n${title}, final turn t=${r.final.t}, ${starts} (${s.steps} steps, seed ${s.seed}, ${engineLabel(s)})${valueUnit(style)}\n`);
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
    `${which}: train ${s.trainLoss == null ? '—' : formatMetric(s.trainLoss)}, validation ${s.validationLoss == null ? '—' : formatMetric(s.validationLoss)}; ` +
      `${formatMs(s.msPerStep)} ms/step; ${s.wallSeconds.toFixed(1)} s in all\n`,
  );
  out.write(`wrote ${dir}/: ${r.files.join(', ')}\n`);
  return lines.join('');
}
