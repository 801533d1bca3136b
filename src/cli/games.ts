// `neural-mfg games`: the registered games, their presets, CSV headers and own flags.
import type { Command } from 'commander';
import { GAMES } from '../../games/index.ts';

export function registerGames(program: Command): void {
  program
    .command('games')
    .description('list the games, their presets and game-specific options')
    .action(() => {
      for (const g of Object.values(GAMES)) {
        process.stdout.write(`${g.name}: ${g.title}\n  presets: ${Object.keys(g.presets).join(', ')}\n`);
        process.stdout.write(`  CSV header: ${g.observations.csvHeader.join(',')}\n`);
        for (const o of g.options) process.stdout.write(`  ${o.flag}  ${o.description}\n`);
        const faithful = Object.entries(g.faithful ?? {});
        if (faithful.length > 0) {
          process.stdout.write(`  --faithful sets: ${faithful.map(([field, value]) => `${field}=${JSON.stringify(value)}`).join(', ')}\n`);
        }
      }
    });
}
