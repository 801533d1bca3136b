// Issue 16's numbers, from the command-line tool alone: the LQ game's convergence orders against
// its closed form, and the recovery of mechanics parameters from observations simulated with known
// values (generate --from-dynamics, then train --learn --neural none --bootstrap K).
//
//   npm run build && npx tsx scripts/recovery.ts [--datasets N] [--bootstrap K] [--out DIR]
//
// --datasets N repeats each recovery on the data of seeds 1..N (default 1): how often the estimate
// is within 2% of the truth and the interval covers it, with every data set's estimate. Data set d
// is trained with the seed TRAINING_SEEDS + d, disjoint from every data seed: a training that
// shared its data's seed would share their random streams (the same noise paths and initial
// populations), and fit them better than new data. Every command it runs is printed. --report DIR
// writes recovery.md and recovery.json there with their provenance (`npm run reports -- recovery`).
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BIN, failureReason, runCli, runNode } from './reproduce/run-cli.ts';
import { analyticMean, analyticVariance } from '../games/lq/analytic.ts';
import { writeReport } from './provenance.ts';

const { values: flags } = parseArgs({
  options: {
    datasets: { type: 'string', default: '1' },
    bootstrap: { type: 'string', default: '40' },
    out: { type: 'string', default: 'runs/recovery' },
    report: { type: 'string' },
  },
});
const DATASETS = Number(flags.datasets);
const BOOTSTRAP = Number(flags.bootstrap);
const OUT = resolve(flags.out!);
/** data set d (data seed d) is trained with seed TRAINING_SEEDS + d */
const TRAINING_SEEDS = 1000;
if (!(DATASETS >= 1 && DATASETS < TRAINING_SEEDS)) throw new Error(`--datasets must be 1 to ${TRAINING_SEEDS - 1}: data seeds 1..N stay below the training seeds ${TRAINING_SEEDS + 1}..`);

function fail(what: string, run: Parameters<typeof failureReason>[0]): never {
  process.stderr.write(`${what} failed (${failureReason(run)})\n${run.stderr}\n`);
  process.exit(1);
}

// ---- 1. LQ: the MFG-only solve against the Ornstein–Uhlenbeck closed form -------------------------

const LQ_SOLVERS = [
  { solver: 'euler', order: 1, steps: [0.1, 0.05, 0.025, 0.0125] },
  { solver: 'heun', order: 2, steps: [0.2, 0.1, 0.05, 0.025] },
  { solver: 'rk4', order: 4, steps: [0.4, 0.2, 0.1] },
];
// no noise, a population far from the target (x₀ ~ N(−5, 3²), ξ = 1, a = b = 1), t ∈ [0, 2]
const LQ_SETS = ['--noise', 'none', '--engine', 'graph', '--set', 'time.t1=2', '--set', 'time.saveAt=[0,2]', '--set', 'initial.mean=-5', '--set', 'initial.std=3'];

async function lqOrders(): Promise<string[]> {
  const lines = ['| solver | h | error of the mean | order | error of the spread | order |', '| --- | --- | --- | --- | --- | --- |'];
  for (const { solver, order, steps } of LQ_SOLVERS) {
    let previous: { mean: number; spread: number } | null = null;
    for (const h of steps) {
      const args = ['lq', '--preset', 'relax', ...LQ_SETS, '--set', `solver="${solver}"`, '--set', `time.dt=${h}`];
      const run = await runCli('simulate', args, join(OUT, 'lq', `${solver}-${h}`));
      if (!run.summary) fail(`simulate ${args.join(' ')}`, run);
      const [start, end] = run.summary.turns as { t: number; mean: number; std: number }[];
      const mechanics = run.summary.config.mechanics;
      const mean = Math.abs(end.mean - analyticMean(mechanics, start.mean, end.t - start.t));
      const spread = Math.abs(end.std - Math.sqrt(analyticVariance(mechanics, start.std ** 2, end.t - start.t, { layout: 'none', sigma: 0, agents: run.summary.config.agents })));
      const rate = (a: number, b: number) => (previous ? Math.log2(a / b).toFixed(2) : '');
      lines.push(`| ${solver} (order ${order}) | ${h} | ${mean.toExponential(2)} | ${rate(previous?.mean ?? 0, mean)} | ${spread.toExponential(2)} | ${rate(previous?.spread ?? 0, spread)} |`);
      previous = { mean, spread };
    }
  }
  return lines;
}

// ---- 2. Recovery: data simulated with a known parameter, learned back ------------------------------

interface RecoveryCase {
  game: string;
  preset: string;
  field: string;
  truth: number;
  /** what one sample observes */
  sample: string;
  /** the dynamics of both the data and the model */
  dynamics: string[];
  /** the training's own settings */
  training: string[];
}

const CASES: RecoveryCase[] = [
  {
    game: 'meeting',
    preset: 'fig2b',
    field: 'scheduledTime',
    truth: 13.5,
    sample: '42 arrival times',
    // independent noise (a common path would shift the whole population with its one realisation)
    dynamics: ['--noise', 'independent', '--noise-path', 'fresh'],
    training: ['--set', 'training.steps=500', '--set', 'training.optimizer="adam"', '--set', 'inverse.learningRate=0.01'],
  },
  {
    game: 'el-farol',
    preset: 'fig3a',
    field: 'threshold',
    truth: 0.7,
    sample: '10 attendance counts of 42',
    // fig3a's grid (h = 0.05) settles each population just below ϑ; fresh attendance draws (the
    // frozen vector of the data's seed is not the model's); a fresh initial population every step
    dynamics: ['--attendance', 'fresh'],
    training: ['--set', 'training.steps=500', '--set', 'training.optimizer="adam"', '--set', 'inverse.learningRate=0.002', '--set', 'training.initialState="fresh"'],
  },
  {
    game: 'lq',
    preset: 'train',
    field: 'target',
    truth: 2,
    sample: '20 positions',
    dynamics: [],
    training: ['--set', 'inverse.learningRate=0.02'],
  },
];

const SAMPLES = 10;

async function recover(c: RecoveryCase, dataSeed: number) {
  const dir = join(OUT, c.game, `data-seed-${dataSeed}`);
  await mkdir(dir, { recursive: true });
  const csv = join(dir, 'train.csv');
  const generateArgs = ['generate', c.game, '--preset', c.preset, '--from-dynamics', '--samples', String(SAMPLES), '--seed', String(dataSeed), ...c.dynamics, '--set', `mechanics.${c.field}=${c.truth}`, '--out', csv, '--force'];
  const generated = await runNode(BIN, generateArgs);
  if (generated.code !== 0) fail(`generate ${generateArgs.join(' ')}`, generated);
  const trainingSeed = TRAINING_SEEDS + dataSeed;
  const trainArgs = [c.game, '--preset', c.preset, '--data', csv, ...c.dynamics, '--learn', c.field, '--neural', 'none', '--bootstrap', String(BOOTSTRAP), '--seed', String(trainingSeed), ...c.training];
  const run = await runCli('train', trainArgs, join(dir, 'train'));
  if (!run.summary) fail(`train ${trainArgs.join(' ')}`, run);
  const field = `mechanics.${c.field}`;
  // where training started: the preset's value
  const start = run.summary.config.mechanics[c.field] as number;
  const estimate = run.summary.learned[field] as number;
  const [low, high] = run.summary.intervals[field] as [number, number];
  const [pLow, pHigh] = run.summary.bootstrap.percentile[field] as [number, number];
  return {
    commands: [`neural-mfg ${generateArgs.join(' ')}`, `neural-mfg train ${trainArgs.join(' ')} --out ${join(dir, 'train')}`],
    trainingSeed,
    start,
    estimate,
    error: estimate / c.truth - 1,
    interval: [low, high] as [number, number],
    covers: low <= c.truth && c.truth <= high,
    percentile: [pLow, pHigh] as [number, number],
    percentileCovers: pLow <= c.truth && c.truth <= pHigh,
    seconds: run.wallSeconds,
  };
}

async function main(): Promise<void> {
  await mkdir(OUT, { recursive: true });
  const orders = await lqOrders();
  const perDataSet = [
    '| game | parameter | truth | data seed | training seed | estimate | error | 90% interval | covers | percentile interval | covers | wall |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const summary = [
    `| game | parameter | truth | start | data size | estimates, data seeds 1–${DATASETS} | within 2% | 90% interval covers | percentile interval covers | estimates: mean ± sd |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const results: Record<string, unknown>[] = [];
  for (const c of CASES) {
    const mine: Awaited<ReturnType<typeof recover>>[] = [];
    for (let seed = 1; seed <= DATASETS; seed++) {
      const r = await recover(c, seed);
      mine.push(r);
      results.push({ game: c.game, field: c.field, truth: c.truth, dataSeed: seed, samples: SAMPLES, ...r });
      const line =
        `| ${c.game} (${c.preset}) | ${c.field} | ${c.truth} | ${seed} | ${r.trainingSeed} | ${r.estimate.toPrecision(5)} | ${(100 * r.error).toFixed(2)}% | ` +
        `[${r.interval[0].toPrecision(5)}, ${r.interval[1].toPrecision(5)}] | ${r.covers ? 'yes' : 'no'} | [${r.percentile[0].toPrecision(5)}, ${r.percentile[1].toPrecision(5)}] | ${r.percentileCovers ? 'yes' : 'no'} | ${r.seconds.toFixed(0)} s |`;
      perDataSet.push(line);
      process.stdout.write(line + '\n');
      for (const cmd of r.commands) process.stderr.write(`  ${cmd}\n`);
    }
    const estimates = mine.map((r) => r.estimate);
    const mean = estimates.reduce((a, b) => a + b, 0) / estimates.length;
    const sd = estimates.length > 1 ? Math.sqrt(estimates.reduce((a, b) => a + (b - mean) ** 2, 0) / (estimates.length - 1)) : 0;
    const worst = mine.reduce((w, r) => (Math.abs(r.error) > Math.abs(w) ? r.error : w), 0);
    const count = (ok: (r: (typeof mine)[number]) => boolean) => `${mine.filter(ok).length}/${mine.length}`;
    const digits = c.truth >= 10 ? 4 : 3;
    summary.push(
      `| ${c.game} (\`${c.preset}\`) | \`${c.field}\` | ${c.truth} | ${mine[0].start} | ${SAMPLES} × ${c.sample} | ${estimates.map((e) => e.toFixed(digits)).join(', ')} | ` +
        `${count((r) => Math.abs(r.error) <= 0.02)} (worst ${worst >= 0 ? '+' : ''}${(100 * worst).toFixed(2)}%) | ${count((r) => r.covers)} | ${count((r) => r.percentileCovers)} | ${mean.toFixed(digits)} ± ${sd.toFixed(digits)} |`,
    );
  }
  const body = [
    `${SAMPLES} training samples per data set, simulated with the truth (\`generate --from-dynamics\`, data seeds 1–${DATASETS}), learned back from the preset's value with \`--neural none --bootstrap ${BOOTSTRAP}\` (training seeds ${TRAINING_SEEDS + 1}–${TRAINING_SEEDS + DATASETS}, disjoint from the data seeds); 90% intervals (src/run/inverse.ts):`,
    '',
    ...summary,
    '',
    '## Every data set',
    '',
    ...perDataSet,
    '',
    '## LQ game: the MFG-only solve against the closed form (noise none, graph engine, float32)',
    '',
    `\`neural-mfg simulate lq --preset relax ${LQ_SETS.join(' ')} --set solver=S --set time.dt=h\``,
    '',
    ...orders,
  ];
  process.stdout.write('\n' + summary.join('\n') + '\n');
  const reportDir = flags.report ? resolve(flags.report) : OUT;
  writeReport(reportDir, 'recovery', { title: 'Recovery of mechanics parameters (train --learn)', body, raw: { datasets: DATASETS, bootstrap: BOOTSTRAP, samples: SAMPLES, trainingSeeds: TRAINING_SEEDS, results } });
  process.stdout.write(`\nwrote ${join(reportDir, 'recovery.md')} and recovery.json (the commands of every run are in it)\n`);
}

await main();
