// npx tsx scripts/bench-csv.ts [--sizes 200,1000] [--dir /tmp/neural-mfg-big]: large observation
// files. For each size (MB), a meeting CSV of about that size is generated once (`neural-mfg
// generate`), then timed from the shell: `eval models/meeting-fig2b --data FILE` (wall seconds,
// peak RSS, MB/s) and the start of training on it (`train --data FILE`: the process's start plus
// reading the file, the only work before the first step). Prints figures; it is not a test.
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GAMES } from '../games/index.ts';
import { writeReport } from './provenance.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '200' },
    dir: { type: 'string', default: '/tmp/neural-mfg-big' },
    /** where bench-csv.md and bench-csv.json go, with their provenance (`npm run reports -- csv`) */
    report: { type: 'string' },
  },
});
const lines: string[] = [];
const rows: Record<string, unknown>[] = [];
const say = (line: string) => {
  lines.push(`- ${line}`);
  console.log(line);
};
mkdirSync(values.dir, { recursive: true });
const BIN = 'bin/neural-mfg.js';
// one meeting sample is 42 rows of about 17 bytes
const BYTES_PER_SAMPLE = 725;

function timed(args: string[]): { seconds: number; peakMb: number | null; stdout: string; stderr: string; code: number | null } {
  const gnuTime = existsSync('/usr/bin/time');
  const started = performance.now();
  const r = gnuTime
    ? spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 })
    : spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = (performance.now() - started) / 1000;
  const kb = gnuTime ? Number(r.stderr.trim().split('\n').pop()) : NaN;
  return { seconds, peakMb: Number.isFinite(kb) ? kb / 1024 : null, stdout: r.stdout, stderr: r.stderr, code: r.status };
}

for (const size of values.sizes.split(',').map(Number)) {
  const file = join(values.dir, `meeting-${size}mb.csv`);
  if (!existsSync(file)) {
    const samples = Math.round((size * 1e6) / BYTES_PER_SAMPLE);
    process.stdout.write(`generating ${file} (${samples.toLocaleString('en')} samples)… `);
    const g = timed([BIN, 'generate', 'meeting', '--samples', String(samples), '--out', file]);
    if (g.code !== 0) throw new Error(g.stderr);
    process.stdout.write(`${g.seconds.toFixed(0)} s\n`);
  }
  const mb = statSync(file).size / 1e6;
  const ev = timed([BIN, 'eval', 'models/meeting-fig2b', '--data', file, '--out', join(values.dir, `eval-${size}`), '--force']);
  const ok = ev.code === 0 ? '' : ` FAILED (exit ${ev.code}): ${ev.stderr.split('\n')[0]}`;
  say(`\`eval\` of a ${mb.toFixed(0)} MB meeting file: ${ev.seconds.toFixed(1)} s (${(mb / ev.seconds).toFixed(1)} MB/s), peak ${ev.peakMb?.toFixed(0) ?? '—'} MB${ok}`);
  // what stands between `train --data FILE` and its first step: the process's start and reading the file
  const game = GAMES.meeting;
  const config = game.parseConfig(game.presets.fig2b);
  const t = performance.now();
  const data = await game.observations.read(file, config);
  const read = (performance.now() - t) / 1000;
  const start = timed([BIN, '--version']).seconds;
  say(
    `\`train --data\` on ${mb.toFixed(0)} MB: the first step after about ${(start + read).toFixed(1)} s ` +
      `(start ${start.toFixed(1)} s, reading ${data.shape[0].toLocaleString('en')} samples ${read.toFixed(1)} s = ${(mb / read).toFixed(1)} MB/s)`,
  );
  rows.push({ megabytes: mb, samples: data.shape[0], eval: { seconds: ev.seconds, peakMb: ev.peakMb, code: ev.code }, startSeconds: start, readSeconds: read });
}
if (values.report) writeReport(values.report, 'bench-csv', { title: 'Large observation files', body: lines, raw: { rows } });
