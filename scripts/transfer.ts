// npx tsx scripts/transfer.ts [--out runs/transfer] [--sizes 42,4200,100002,1000002] [--train 42,420] [--draws 8]
// Transfer of the mean-field agent network (--neural agent) across population sizes (issue #15):
// train the meeting game's agent network on 42 agents (fig2b, the paper's data from the seed), then
// through the command line, at every size N:
//   neural-mfg eval MODEL --data DATA_N.csv --set agents=N      the trained model on N agents
//   neural-mfg simulate meeting --set agents=N                  the MFG dynamics alone on N agents
// and report the final-turn Wasserstein-1 distance and mean error against the data. The same again
// for a model trained on 420 agents (--train): it separates what the network carries over from the
// game's own finite-size effect at 42 agents (docs in README.md § Transfer across population sizes).
//
// The data: generator G of docs/meeting.md §4 at every size, with common random numbers. Each of
// --draws samples draws its six group means and variances once, shared by every size (a seed per
// draw); its agents are then drawn at each size, in as many populations as it takes for about
// 100,000 values per draw (2,381 populations of 42 agents, 24 of 4,200, one of 100,002 or
// 1,000,002). Every size is thus compared with the same mixture, estimated with about the same
// precision; sizes are multiples of data.groups = 6 (100,002 and 1,000,002: `--set agents=N` sets
// data.perGroup = N / 6). The model's evaluation populations are sized alike (training.evaluationPopulations).
// Needs `npm run build` first (it runs bin/neural-mfg.js). Writes OUT/transfer.md, OUT/transfer.json and
// the figures OUT/transfer-w1.svg, OUT/transfer-mean-error.svg (--report DIR: those four there, with
// their provenance, and the runs in OUT; `npm run reports -- transfer` writes reports/beyond-the-paper/).
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GAMES } from '../games/index.ts';
import { deriveSeed, RandomStream } from '../src/random.ts';
import type { Dataset } from '../src/data/dataset.ts';
import { linePlot, writeSvg } from '../src/plot/figures.ts';
import { writeReport } from './provenance.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'runs/transfer' },
    sizes: { type: 'string', default: '42,4200,100002,1000002' },
    train: { type: 'string', default: '42,420' },
    draws: { type: 'string', default: '8' },
    seed: { type: 'string', default: '10' },
    /** values per draw at every size (populations per draw = ceil(this / N)) */
    values: { type: 'string', default: '100000' },
    /** where transfer.md, transfer.json and the figures go (default: --out) */
    report: { type: 'string' },
  },
});
const out = resolve(values.out);
const reportDir = resolve(values.report ?? values.out);
const trainSizes = values.train.split(',').map(Number);
// every trained model is also evaluated at its own size (the reference of its row)
const sizes = [...new Set([...values.sizes.split(',').map(Number), ...trainSizes])].sort((a, b) => a - b);
const draws = Number(values.draws);
const seed = Number(values.seed);
const perDraw = Number(values.values);
const bin = resolve('bin/neural-mfg.js');
if (!existsSync(bin.replace('bin/neural-mfg.js', 'dist/src/cli/main.js'))) throw new Error('run `npm run build` first');
mkdirSync(out, { recursive: true });

function cli(args: string[]): string {
  const started = performance.now();
  const r = spawnSync(process.execPath, ['--max-old-space-size=8192', bin, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`neural-mfg ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  process.stderr.write(`  neural-mfg ${args.join(' ')}  (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  return r.stdout;
}

const game = GAMES.meeting;
const config = game.parseConfig(game.presets.fig2b);
const { groups } = config.data;

/** G at N agents with common random numbers: draw d's group parameters do not depend on N. */
function dataAt(N: number): Dataset {
  const { mean, std, gammaShape, gammaScale } = config.data;
  const populations = Math.ceil(perDraw / N);
  const values = new Float64Array(draws * populations * N);
  let row = 0;
  for (let d = 0; d < draws; d++) {
    const groupRng = new RandomStream(deriveSeed(seed, 7000 + d));
    const means = groupRng.normals(groups, mean, std);
    const variances = Float64Array.from({ length: groups }, () => groupRng.gamma(gammaShape, gammaScale));
    // the agents of draw d at size N: a stream of their own
    const agentRng = new RandomStream(deriveSeed(deriveSeed(seed, 8000 + d), N));
    for (let p = 0; p < populations; p++, row++) {
      // agent i belongs to group i mod N_groups (docs/meeting.md §4)
      for (let i = 0; i < N; i++) values[row * N + i] = agentRng.normal(means[i % groups], Math.sqrt(variances[i % groups]));
    }
  }
  return { values, shape: [row, N], labels: Array.from({ length: row }, (_, s) => String(s)) };
}

interface Row {
  trainedOn: number;
  agents: number;
  samples: number;
  populations: number;
  wasserstein1: number;
  meanError: number;
  finalMean: number;
  observedMean: number;
  finalStd: number;
  observedStd: number;
  mfgOnlyFinalMean: number;
  evalSeconds: number;
}

const rows: Row[] = [];
const models = new Map<number, string>();
for (const n of trainSizes) {
  const dir = join(out, `train-${n}`);
  cli(['train', 'meeting', '--neural', 'agent', '--seed', String(seed), '--set', `agents=${n}`, '--out', dir, '--force', '--quiet']);
  models.set(n, dir);
}
const simulated = new Map<number, number>();
for (const N of sizes) {
  const file = join(out, `data-${N}.csv`);
  const data = dataAt(N);
  await game.observations.write(file, data);
  const simDir = join(out, `simulate-${N}`);
  cli(['simulate', 'meeting', '--preset', 'fig2b', '--set', `agents=${N}`, '--seed', String(seed), '--out', simDir, '--force']);
  const turns = (JSON.parse(readFileSync(join(simDir, 'summary.json'), 'utf8')) as { turns: { mean: number }[] }).turns;
  simulated.set(N, turns[turns.length - 1].mean);
  for (const [trainedOn, model] of models) {
    if (N < trainedOn) continue;
    const populations = Math.ceil(perDraw / N);
    const evalDir = join(out, `eval-${trainedOn}-on-${N}`);
    const started = performance.now();
    cli(['eval', model, '--data', file, '--set', `agents=${N}`, '--set', `training.evaluationPopulations=${populations}`, '--out', evalDir, '--force']);
    const s = JSON.parse(readFileSync(join(evalDir, 'summary.json'), 'utf8')) as Record<string, number>;
    rows.push({
      trainedOn,
      agents: N,
      samples: data.shape[0],
      populations,
      wasserstein1: s.wasserstein1,
      meanError: Math.abs(s.finalMean - s.observedMean),
      finalMean: s.finalMean,
      observedMean: s.observedMean,
      finalStd: s.finalStd,
      observedStd: s.observedStd,
      mfgOnlyFinalMean: simulated.get(N)!,
      evalSeconds: (performance.now() - started) / 1000,
    });
  }
  rmSync(file, { force: true }); // a million-agent file is large; regenerate it with this script
}

const fmt = (x: number, d = 3) => x.toFixed(d);
const lines = [
  `Meeting fig2b, --neural agent, seed ${seed}; data: generator G, ${draws} draws of group parameters shared by every size (common random numbers), ~${perDraw.toLocaleString('en')} values per draw. Final turn, against the data:`,
  '',
  '| trained on | agents | samples × agents | model populations | W1 (h) | W1 vs trained size | mean error (h) | model mean | data mean | model std | data std | simulate (MFG only) final mean |',
  '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
];
for (const r of rows) {
  const base = rows.find((b) => b.trainedOn === r.trainedOn && b.agents === r.trainedOn)!;
  const change = (100 * (r.wasserstein1 - base.wasserstein1)) / base.wasserstein1;
  lines.push(
    `| ${r.trainedOn} | ${r.agents.toLocaleString('en')} | ${r.samples.toLocaleString('en')} × ${r.agents.toLocaleString('en')} | ${r.populations} | ${fmt(r.wasserstein1)} | ${r === base ? '—' : `${change >= 0 ? '+' : ''}${change.toFixed(1)} %`} | ${fmt(r.meanError)} | ${fmt(r.finalMean)} | ${fmt(r.observedMean)} | ${fmt(r.finalStd)} | ${fmt(r.observedStd)} | ${fmt(r.mfgOnlyFinalMean)} |`,
  );
}
console.log(lines.join('\n'));
writeReport(reportDir, 'transfer', { title: 'Transfer across population sizes', body: lines, raw: { seed, draws, perDraw, sizes, trainSizes, rows } });
const byModel = (key: 'wasserstein1' | 'meanError') =>
  trainSizes.map((n) => {
    const mine = rows.filter((r) => r.trainedOn === n);
    return { name: `trained on ${n} agents`, x: mine.map((r) => Math.log10(r.agents)), y: mine.map((r) => r[key]) };
  });
await writeSvg(join(reportDir, 'transfer-w1.svg'), await linePlot({ title: 'Final-turn W1 to the data, by population size', xTitle: 'log10(agents)', yTitle: 'Wasserstein-1 (h)', series: byModel('wasserstein1') }));
await writeSvg(join(reportDir, 'transfer-mean-error.svg'), await linePlot({ title: 'Final-turn mean error, by population size', xTitle: 'log10(agents)', yTitle: '|model mean − data mean| (h)', series: byModel('meanError') }));
