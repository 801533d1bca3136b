// `npm run reproduce [-- fig2a … --quick --out DIR --backend NAME]`: the same as
// `neural-mfg reproduce`, which runs the paper's experiments and writes reports/REPORT.md.
import { main } from '../src/cli/main.ts';

await main([process.argv[0], 'neural-mfg', 'reproduce', ...process.argv.slice(2)]);
