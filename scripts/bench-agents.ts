// npx tsx scripts/bench-agents.ts [--sizes 10002,100002,1000002] [--steps 4] [--cli] [--json FILE]
// Million-agent populations (issue #15): ms per training step of the meeting game (fig2b: batch 4,
// 14 solver steps) with the mean-field agent network (--neural agent) on the default fused engine,
// at each population size, each size in a process of its own so that its peak resident memory is
// its own. Sizes are multiples of data.groups = 6 (10,002 ≈ 10^4, 100,002 ≈ 10^5, 1,000,002 ≈ 10^6).
// The median step after the first (which also pays for compilation). With --cli, also the whole
// command `neural-mfg train meeting --neural agent --set agents=N` at the largest size (3 steps,
// its defaults otherwise: generated data, per-step validation, the evaluation report), timed with
// its peak memory (needs `npm run build` and GNU time). Prints a table; it is not a test. --report DIR
// writes it with its provenance to DIR/bench-agents.md and .json (`npm run reports -- agents`).
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import os from 'node:os';
import { join } from 'node:path';
import { writeReport } from './provenance.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10002,100002,1000002' },
    steps: { type: 'string', default: '4' },
    seed: { type: 'string', default: '10' },
    cli: { type: 'boolean', default: false },
    json: { type: 'string' },
    /** where bench-agents.md and bench-agents.json go, with their provenance */
    report: { type: 'string' },
    /** internal: measure one size in this process and print its JSON */
    one: { type: 'string' },
  },
});
const steps = Number(values.steps);
const seed = Number(values.seed);

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

if (values.one) {
  const { GAMES } = await import('../games/index.ts');
  const { withOverrides } = await import('../src/config-fields.ts');
  const { MeanFieldModel } = await import('../src/mfg/model.ts');
  const { randomStreams } = await import('../src/streams.ts');
  const { trainLoop } = await import('../src/train/loop.ts');
  const agents = Number(values.one);
  const game = GAMES.meeting;
  const config = withOverrides(game, game.parseConfig(game.presets.fig2b), [
    `agents=${agents}`,
    'network.kind="agent"',
    `training.steps=${steps}`,
    'training.validationSamples=0',
  ]);
  const streams = randomStreams(seed);
  const train = game.observations.generate(config, streams.data, config.training.trainSamples);
  const model = new MeanFieldModel(game, config, streams.dynamics, streams.parameters, { engine: 'fused' });
  const { metrics } = await trainLoop({ model, train, validation: null, streams });
  const ms = metrics.map((m) => m.ms);
  console.log(JSON.stringify({ agents, ms, msPerStep: median(ms.slice(1)), peakMb: process.resourceUsage().maxRSS / 1024, params: model.params.length }));
} else {
  const lines = [
    'Meeting fig2b, `--neural agent`, fused engine, batch 4, 14 solver steps, one population per step:',
    '',
    '| agents | ms per training step (median) | per agent and solver step | peak memory |',
    '| ---: | ---: | ---: | ---: |',
  ];
  console.log(`neural-mfg agent-network benchmark — ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, node ${process.version}`);
  const say = (line: string) => {
    lines.push(line);
    console.log(line);
  };
  lines.forEach((l) => console.log(l));
  const results: Record<string, unknown>[] = [];
  for (const size of values.sizes.split(',').map(Number)) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', process.argv[1], '--one', String(size), '--steps', String(steps), '--seed', String(seed)], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    if (r.status !== 0) throw new Error(`size ${size}: ${r.stderr}`);
    const one = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { agents: number; msPerStep: number; peakMb: number };
    const perAgent = (1e3 * one.msPerStep) / (one.agents * 14); // µs
    say(`| ${one.agents.toLocaleString('en')} | ${one.msPerStep.toLocaleString('en', { maximumFractionDigits: 0 })} | ${perAgent.toFixed(1)} µs | ${one.peakMb.toFixed(0)} MB |`);
    results.push(one);
  }
  if (values.cli) {
    const size = Math.max(...values.sizes.split(',').map(Number));
    const dir = mkdtempSync(join(tmpdir(), 'nmfg-bench-agents-'));
    const args = ['bin/neural-mfg.js', 'train', 'meeting', '--neural', 'agent', '--set', `agents=${size}`, '--set', 'training.steps=3', '--out', join(dir, 'run'), '--quiet'];
    const gnuTime = existsSync('/usr/bin/time');
    const started = performance.now();
    const r = gnuTime ? spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...args], { encoding: 'utf8' }) : spawnSync(process.execPath, args, { encoding: 'utf8' });
    const seconds = (performance.now() - started) / 1000;
    if (r.status !== 0) throw new Error(`train at ${size} agents: ${r.stderr}`);
    const peak = gnuTime ? Number(r.stderr.trim().split('\n').at(-1)) / 1024 : null;
    say('');
    say(`The whole command \`neural-mfg train meeting --neural agent --set agents=${size} --set training.steps=3\`: ${seconds.toFixed(0)} s, peak ${peak === null ? 'not measured (no GNU time)' : `${(peak / 1024).toFixed(1)} GB`}.`);
    results.push({ cli: args.slice(1).join(' '), seconds, peakMb: peak });
    rmSync(dir, { recursive: true, force: true });
  }
  if (values.json) writeFileSync(values.json, JSON.stringify(results, null, 2) + '\n');
  if (values.report) writeReport(values.report, 'bench-agents', { title: 'A million agents: training steps of the agent network', body: lines, raw: { steps, seed, results } });
}
