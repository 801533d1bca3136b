// `neural-mfg config GAME [--preset P] [--set k=v] [--faithful] [--json]`: every configuration
// field of a preset, with its value, the type the parser accepts and what it means: what `--set`
// can change (src/config-fields.ts).
import { describeConfig, type ConfigRow } from '../config-fields.ts';
import { experimentOf } from '../run/choose.ts';

export interface ConfigCommandOptions {
  preset?: string;
  set: string[];
  faithful?: boolean;
  json?: boolean;
}

function formatValue(v: unknown): string {
  const text = JSON.stringify(v);
  return text.length > 48 ? `${text.slice(0, 45)}…` : text;
}

export function formatConfigTable(rows: ConfigRow[]): string {
  const cells = rows.map((r) => [r.field, formatValue(r.value), r.type, r.meaning]);
  const widths = [0, 1, 2].map((c) => Math.max(...cells.map((row) => row[c].length), ['field', 'value', 'type'][c].length));
  const line = (row: string[]) => row.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]) : cell)).join('  ').trimEnd();
  return [line(['field', 'value', 'type', 'meaning']), ...cells.map(line)].join('\n');
}

export function configCommand(gameName: string, opts: ConfigCommandOptions): void {
  const exp = experimentOf(gameName, { preset: opts.preset, faithful: opts.faithful === true, set: opts.set, options: {} }, 'train');
  const rows = describeConfig(exp.game, exp.config);
  if (opts.json) {
    process.stdout.write(JSON.stringify({ game: exp.game.name, preset: exp.preset, fields: rows }, null, 2) + '\n');
    return;
  }
  const presets = Object.keys(exp.game.presets).join(', ');
  process.stdout.write(`${exp.game.title}: preset ${exp.preset} (presets: ${presets})${opts.faithful ? ', --faithful' : ''}${opts.set.length ? `, ${opts.set.map((s) => `--set ${s}`).join(' ')}` : ''}\n`);
  process.stdout.write('Every field below can be changed with --set field=value (values are JSON: numbers, lists, strings).\n\n');
  process.stdout.write(formatConfigTable(rows) + '\n');
}
