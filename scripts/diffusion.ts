// npx tsx scripts/diffusion.ts [--out runs/diffusion] [--truths 0.5,0.8] [--starts 1,0.4] [--steps 1500] [--learning-rate 0.003]
// Recovery of a known noise level by the neural diffusion (issue #15): observations of the meeting
// game simulated by its own MFG dynamics with independent noise of a known amplitude σ*
//   neural-mfg generate meeting --from-dynamics --set noise.sigma=σ* …
// then a model whose only learned part is the noise amplitude σ_θ(x_i, t, summary), started at
// another σ, trained on them with the energy distance between final populations
//   neural-mfg train meeting --neural none --diffusion neural --loss energy --set noise.sigma=START …
// Reports the learned amplitude at the final save time (what final-turn observations identify:
// the MFG drift pulls every agent towards the meeting's start at unit speed, so the final spread
// forgets the noise of more than about an hour before; earlier times keep what they started
// with), its mean over all save times, and the final-turn spread of the model against the data.
// Needs `npm run build` first. Writes OUT/diffusion.md, OUT/diffusion.json and OUT/sigma-by-time.svg
// (--report DIR: there, with their provenance; `npm run reports -- diffusion`: reports/beyond-the-paper/).
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { linePlot, writeSvg } from '../src/plot/figures.ts';
import { writeReport } from './provenance.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'runs/diffusion' },
    truths: { type: 'string', default: '0.5,0.8' },
    starts: { type: 'string', default: '1,0.4' },
    steps: { type: 'string', default: '1500' },
    'learning-rate': { type: 'string', default: '0.003' },
    seed: { type: 'string', default: '10' },
    /** where diffusion.md, diffusion.json and the figure go (default: --out) */
    report: { type: 'string' },
  },
});
const out = resolve(values.out);
const reportDir = resolve(values.report ?? values.out);
const truths = values.truths.split(',').map(Number);
const starts = values.starts.split(',').map(Number);
mkdirSync(out, { recursive: true });
const bin = resolve('bin/neural-mfg.js');

function cli(args: string[]): void {
  const started = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`neural-mfg ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  process.stderr.write(`  neural-mfg ${args.join(' ')}  (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
}

// independent noise, a fresh path every solve, a finer grid than fig2b's hourly steps
const dynamics = ['--set', 'noise.layout=independent', '--set', 'noise.path=fresh', '--set', 'time.dt=0.1'];
const rows: Record<string, number>[] = [];
const series: { name: string; x: number[]; y: number[] }[] = [];
truths.forEach((truth, i) => {
  const start = starts[i % starts.length];
  const train = join(out, `data-${truth}.csv`);
  const validation = join(out, `validation-${truth}.csv`);
  cli(['generate', 'meeting', '--from-dynamics', ...dynamics, '--set', `noise.sigma=${truth}`, '--samples', '300', '--seed', '1', '--out', train, '--force']);
  cli(['generate', 'meeting', '--from-dynamics', ...dynamics, '--set', `noise.sigma=${truth}`, '--samples', '100', '--seed', '2', '--out', validation, '--force']);
  const dir = join(out, `train-${truth}`);
  cli([
    'train', 'meeting', '--neural', 'none', '--diffusion', 'neural', '--loss', 'energy', ...dynamics,
    '--set', `noise.sigma=${start}`, '--set', `training.learningRate=${values['learning-rate']}`, '--set', `training.steps=${values.steps}`,
    '--set', 'training.batchSize=16', '--set', 'training.trajectories=8', '--set', 'training.validationEvery=50',
    '--seed', values.seed, '--data', train, '--validation', validation, '--out', dir, '--force', '--quiet',
  ]);
  const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as {
    learnedSigma: { mean: number; byTime: number[] };
    finalStd: number;
    dataStd: number;
    config: { time: { saveAt: number[] } };
  };
  const final = s.learnedSigma.byTime.at(-1)!;
  rows.push({ truth, start, final, finalError: (final - truth) / truth, mean: s.learnedSigma.mean, finalStd: s.finalStd, dataStd: s.dataStd, spreadError: (s.finalStd - s.dataStd) / s.dataStd });
  series.push({ name: `learned (σ* = ${truth}, start ${start})`, x: s.config.time.saveAt, y: s.learnedSigma.byTime });
  series.push({ name: `σ* = ${truth}`, x: s.config.time.saveAt, y: s.config.time.saveAt.map(() => truth) });
});

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} %`;
const lines = [
  `Meeting fig2b dynamics, dt 0.1, independent noise; --neural none --diffusion neural --loss energy, ${values.steps} steps at learning rate ${values['learning-rate']}, seed ${values.seed}:`,
  '',
  '| true σ* | start σ | learned σ at t = 15 | error | learned σ, mean over t = 1…15 | final std, model | final std, data | error |',
  '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.truth} | ${r.start} | ${r.final.toFixed(3)} | ${pct(r.finalError)} | ${r.mean.toFixed(3)} | ${r.finalStd.toFixed(3)} | ${r.dataStd.toFixed(3)} | ${pct(r.spreadError)} |`),
];
console.log(lines.join('\n'));
writeReport(reportDir, 'diffusion', { title: 'Neural diffusion recovery', body: lines, raw: { steps: Number(values.steps), learningRate: Number(values['learning-rate']), seed: Number(values.seed), rows, byTime: series } });
await writeSvg(join(reportDir, 'sigma-by-time.svg'), await linePlot({ title: 'Learned noise amplitude along the solve', xTitle: 'time t (h)', yTitle: 'σ_θ, mean over agents', series }));
