// npm run reproduce [-- all|fig2a fig2b … --quick --out DIR --backend NAME --engine NAME]: runs the
// paper's experiments through the command-line tool with fixed seeds, checks the targets T1–T14
// (docs/targets.md) and writes REPORT.md, results.json and the figures to DIR (default
// runs/reproduce; `--out reports` updates the report committed in the repository). The exit status
// is 1 only if an experiment could not run; failed targets are in the report. The reproduction is
// part of the repository, not of the package: it runs the tests named after targets as well.
import { parseArgs } from 'node:util';
import { reproduce } from './reproduce/reproduce.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string', default: 'runs/reproduce' },
    quick: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'wasm' },
    engine: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(
    'npm run reproduce -- [all|fig2a|fig2b|fig3a|fig3b|fig4|fig5|fig6 …] [--quick] [--out DIR] [--backend NAME] [--engine fused|graph]\n' +
      '  --out DIR     where REPORT.md, results.json, the figures and runs/ go (default runs/reproduce; --out reports updates the committed report)\n' +
      '  --quick       a reduced setting (20 training steps, one seed) that checks the pipeline, not the targets\n' +
      '\nExamples:\n  $ neural-mfg reproduce fig2a --quick\n  $ neural-mfg reproduce all --out runs/reproduce\n',
  );
  process.exit(0);
}
let result;
try {
  result = await reproduce({ figures: positionals, out: values.out, quick: values.quick, backend: values.backend, engine: values.engine });
} catch (err) {
  process.stderr.write(`reproduce: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
const ref = result.rows.filter((r) => r.variant === 'reference');
const n = (status: string) => ref.filter((r) => r.status === status).length;
process.stdout.write(
  `${values.quick ? 'QUICK run (targets not expected to pass): ' : ''}` +
    `${n('pass')} pass, ${n('fail')} fail, ${n('error')} error, ${n('not run')} not run, ${n('not applicable')} not applicable (reference settings); ` +
    `${result.figures.length} figures; ${result.totalSeconds.toFixed(1)} s. See ${result.reportPath}\n`,
);
process.exitCode = result.exitCode;
