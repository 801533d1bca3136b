// `neural-mfg config GAME [--preset P] [--set k=v] [--faithful] [--json]`: every configuration
// field of a preset, with its value, the type the parser accepts and what it means: what `--set`
// can change (src/config-fields.ts).
import { describeConfig, type ConfigRow } from '../config-fields.ts';
import type { Command } from 'commander';
import { GAMES } from '../../games/index.ts';
import { experimentOf } from '../run/experiment.ts';
import { collect } from './options.ts';

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
  const exp = experimentOf({ game: gameName, preset: opts.preset, faithful: opts.faithful === true, set: opts.set }, 'train');
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

export function registerConfig(program: Command): void {
  program
    .command('config')
    .argument('<game>', `one of: ${Object.keys(GAMES).join(', ')}`)
    .description('print every configuration field of a preset: its value, the type it accepts and what it means (what --set can change)')
    .option('--preset <name>', "configuration preset (default: the game's training preset)")
    .option('--set <key=value>', 'show the configuration with this override applied (repeatable)', collect, [])
    .option('--faithful', "with the reference's known defects (see the game's README)")
    .option('--json', 'print the fields as JSON')
    .addHelpText('after', '\nExample:\n  $ neural-mfg config meeting --preset fig2a\n  $ neural-mfg config liars-dice --preset train --json')
    .action(configCommand);
}
