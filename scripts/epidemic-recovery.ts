// Issue #20's synthetic recovery and fit time, from the command-line tool alone: 56 days simulated
// by the epidemic game with known β and w (generate --from-dynamics, the synthetic preset), learned
// back from other starting values (train --learn transmission,infectionCost, no network), with the
// relative error of each; then the default 56-day fit on the bundled Japanese records (the japan
// preset, fused engine) and its wall time.
//
//   npm run build && npx tsx scripts/epidemic-recovery.ts [--bootstrap K] [--out DIR]
//
// Every command it runs is printed; recovery.md and recovery.json go to DIR (default runs/epidemic-recovery).
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BIN, failureReason, runCli, runNode } from './reproduce/run-cli.ts';

const { values: flags } = parseArgs({
  options: {
    bootstrap: { type: 'string', default: '0' },
    out: { type: 'string', default: 'runs/epidemic-recovery' },
  },
});
const BOOTSTRAP = Number(flags.bootstrap);
const OUT = resolve(flags.out!);

function fail(what: string, run: Parameters<typeof failureReason>[0]): never {
  process.stderr.write(`${what} failed (${failureReason(run)})\n${run.stderr}\n`);
  process.exit(1);
}

/** The synthetic preset's truth (games/epidemic/presets/synthetic.json) and where the fits start. */
const TRUTH = { transmission: 0.32, infectionCost: 1.5 };
const STARTS = [
  { transmission: 0.25, infectionCost: 1 },
  { transmission: 0.4, infectionCost: 2.5 },
  { transmission: 0.3, infectionCost: 0.5 },
];

async function main(): Promise<void> {
  await mkdir(OUT, { recursive: true });
  const lines: string[] = [];
  const print = (line: string) => {
    lines.push(line);
    process.stdout.write(line + '\n');
  };
  const csv = join(OUT, 'synthetic.csv');
  const generateArgs = ['generate', 'epidemic', '--preset', 'synthetic', '--from-dynamics', '--out', csv, '--force'];
  const generated = await runNode(BIN, generateArgs);
  if (generated.code !== 0) fail(`neural-mfg ${generateArgs.join(' ')}`, generated);
  print(`## Synthetic recovery: 56 days from β = ${TRUTH.transmission}, w = ${TRUTH.infectionCost} (the synthetic preset: 16 cohorts, no noise, no network)\n`);
  print(`neural-mfg ${generateArgs.join(' ')}\n`);
  print('| start β | start w | learned β | error | learned w | error | steps | ms/step | wall |');
  print('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const results: Record<string, unknown>[] = [];
  for (const [k, start] of STARTS.entries()) {
    const args = [
      'epidemic', '--preset', 'synthetic', '--data', csv, '--learn', 'transmission,infectionCost',
      '--set', `mechanics.transmission=${start.transmission}`, '--set', `mechanics.infectionCost=${start.infectionCost}`,
      ...(BOOTSTRAP > 0 ? ['--bootstrap', String(BOOTSTRAP)] : []),
    ];
    const dir = join(OUT, `fit-${k + 1}`);
    const run = await runCli('train', args, dir);
    if (!run.summary) fail(`neural-mfg train ${args.join(' ')}`, run);
    const beta = run.summary.learned['mechanics.transmission'] as number;
    const w = run.summary.learned['mechanics.infectionCost'] as number;
    const errors = { transmission: beta / TRUTH.transmission - 1, infectionCost: w / TRUTH.infectionCost - 1 };
    print(
      `| ${start.transmission} | ${start.infectionCost} | ${beta.toPrecision(5)} | ${(100 * errors.transmission).toFixed(2)}% | ${w.toPrecision(5)} | ${(100 * errors.infectionCost).toFixed(2)}% | ` +
        `${run.summary.steps} | ${(run.summary.msPerStep as number).toFixed(2)} | ${run.wallSeconds.toFixed(1)} s |`,
    );
    process.stderr.write(`  neural-mfg train ${args.join(' ')} --out ${dir}\n`);
    results.push({ start, learned: run.summary.learned, errors, intervals: run.summary.intervals ?? null, command: `neural-mfg train ${args.join(' ')} --out ${dir}`, wallSeconds: run.wallSeconds });
  }
  print('\n## The default 56-day fit on the bundled Japanese records (japan preset, fused engine)\n');
  const japanArgs = ['epidemic'];
  const japanDir = join(OUT, 'japan');
  const japan = await runCli('train', japanArgs, japanDir);
  if (!japan.summary) fail('neural-mfg train epidemic', japan);
  print(`neural-mfg train epidemic --out ${japanDir}\n`);
  print('| window | steps | ms/step | training + report (summary.json wallSeconds) | process wall time | fitMale | learned β | learned w |');
  print('| --- | --- | --- | --- | --- | --- | --- | --- |');
  const s = japan.summary;
  print(
    `| ${s.observations.from} to ${s.observations.to} | ${s.steps} | ${(s.msPerStep as number).toFixed(1)} | ${(s.wallSeconds as number).toFixed(1)} s | ${japan.wallSeconds.toFixed(1)} s | ` +
      `${(s.fitMale as number).toFixed(3)} | ${(s.learned['mechanics.transmission'] as number).toPrecision(4)} | ${(s.learned['mechanics.infectionCost'] as number).toPrecision(4)} |`,
  );
  results.push({ japan: { wallSeconds: japan.wallSeconds, summaryWallSeconds: s.wallSeconds, msPerStep: s.msPerStep, fitMale: s.fitMale, learned: s.learned } });
  await writeFile(join(OUT, 'recovery.md'), lines.join('\n') + '\n');
  await writeFile(join(OUT, 'recovery.json'), JSON.stringify(results, null, 2) + '\n');
  process.stdout.write(`\nwrote ${join(OUT, 'recovery.md')} and recovery.json\n`);
}

await main();
