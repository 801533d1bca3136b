#!/usr/bin/env node
// The neural-mfg command: runs the compiled JavaScript in dist/ (built by `npm run build`, which
// `npm ci` and `npm test` run in a checkout; the published package ships it).
import { existsSync } from 'node:fs';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('neural-mfg: dist/ is missing: run npm run build (npm ci runs it too)\n');
  process.exit(2);
}
await (await import(main.href)).main(process.argv);
