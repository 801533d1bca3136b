// tsx scripts/gpu/bench-gpu.ts [--sizes paper,elfarol,4200,100000,1000000] [--steps 5] [--cpu-up-to 100000]
//   [--out gpu-bench.json]: the fused GPU engine's training step (scripts/gpu/measure.ts: through
// the training loop, and with the optimiser and parameters on the GPU), its kernels, host reads and
// bytes moved per step, beside the fused CPU engine (up to --cpu-up-to agents). Prints a table and
// writes JSON. Software rendering is measured too, and labelled as such: it is no GPU timing.
// --report DIR writes DIR/NAME.md and NAME.json with their provenance (--name, default bench-gpu;
// `npm run reports -- gpu-software` on Mesa's llvmpipe).
import { parseArgs } from 'node:util';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { startGpu } from '../../src/gpu/device.ts';
import { adapterName } from '../../src/gpu/dawn.ts';
import { writeReport } from '../provenance.ts';
import { gpuCase, gpuTableHeader, gpuTableRow, measureGpuStep, type GpuStepResult } from './measure.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: 'paper,elfarol,4200,100000,1000000' },
    steps: { type: 'string', default: '5' },
    'cpu-up-to': { type: 'string', default: '100000' },
    seed: { type: 'string', default: '10' },
    out: { type: 'string' },
    report: { type: 'string' },
    name: { type: 'string', default: 'bench-gpu' },
  },
});

const ctx = await startGpu({ allowSoftware: true });
const a = ctx.adapter;
console.log(`bench-gpu — ${adapterName(a)}${a.software ? ' — SOFTWARE RENDERING on the CPU: these are no GPU timings' : ''}`);
console.log(`host: ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, node ${process.version}`);
console.log(gpuTableHeader());
const results: (GpuStepResult | { case: string; error: string })[] = [];
for (const label of values.sizes.split(',').filter(Boolean)) {
  const c = gpuCase(label);
  try {
    const r = await measureGpuStep(c, { steps: Number(values.steps), seed: Number(values.seed), cpu: c.agents <= Number(values['cpu-up-to']) });
    results.push(r);
    console.log(gpuTableRow(r));
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    results.push({ case: c.name, error });
    console.log(`${c.name.padEnd(40)} failed: ${error}`);
  }
}
const report = {
  adapter: a,
  software: a.software,
  host: { cpu: os.cpus()[0]?.model ?? 'cpu', cores: os.cpus().length, node: process.version },
  columns: {
    loop: 'ms per step through src/train/loop.ts (lossAndGradient: loss and gradient read back, host optimiser, parameters uploaded)',
    resident: 'ms per step with GpuFusedEngine.trainStep (optimiser on the GPU, parameters stay there, one read: the loss)',
    cpuFusedMs: 'the fused CPU engine through src/train/loop.ts',
  },
  results,
};
if (values.out) {
  await writeFile(values.out, JSON.stringify(report, null, 2) + '\n');
  console.log(`wrote ${values.out}`);
}
if (values.report) {
  const kib = (x: number) => (x >= 1024 ? `${(x / 1024).toFixed(1)} MiB` : x >= 1 ? `${x.toFixed(1)} KiB` : `${Math.round(x * 1024)} bytes`);
  const ms = (x: number | null) => (x === null ? '—' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toPrecision(2));
  const body = [
    `On ${adapterName(a)}${a.software ? ': **software rendering on the CPU, no GPU timings**' : ''}; ${Number(values.steps)} steps per size, medians. loop: through src/train/train.ts; resident: \`trainStep\` (the optimiser on the GPU).`,
    '',
    '| case | loop: ms/step | resident: ms/step | CPU fused | dispatches | read per step (loop / resident) | uploaded per step (loop / resident) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...results.map((r) =>
      'error' in r
        ? `| ${r.case} | failed: ${r.error.split('\n')[0]} | | | | | |`
        : `| ${r.case} | ${ms(r.loop.msPerStep)} | ${ms(r.resident.msPerStep)} | ${ms(r.cpuFusedMs)} | ${r.loop.dispatches} | ${kib(r.loop.readKiB)} / ${kib(r.resident.readKiB)} | ${kib(r.loop.writeKiB)} / ${kib(r.resident.writeKiB)} |`,
    ),
  ];
  writeReport(values.report, values.name, { title: `The fused GPU engine's training step${a.software ? ' on software rendering' : ''}`, body, raw: report });
}
process.exit(results.some((r) => 'error' in r) ? 1 : 0);
