// The figures of docs/meeting.md §6, docs/el-farol.md §6, docs/framework.md §6 rendered headless to SVG: what a reader must find in them
// (axis titles, one box per turn, clock labels, reference-line legend), and input checks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  linePlot,
  lossCurve,
  populationBoxPlot,
  populationBoxPlotSpec,
  renderSvg,
  writeSvg,
} from '../src/plot/figures.ts';

const TURNS = Array.from({ length: 15 }, (_, k) => k + 1);
// docs/meeting.md §6 [re-run]: Fig. 2a means per turn; 42 agents spread evenly around each mean
const MEETING_MEANS = [12.09, 12.25, 12.38, 12.29, 11.03, 11.15, 9.79, 7.58, 6.3, 6.46, 7.92, 4.64, 5.3, 6.64, 9.43];
const spreadAround = (mean: number, halfWidth: number, n = 42) =>
  Array.from({ length: n }, (_, i) => mean + halfWidth * (2 * i / (n - 1) - 1));
const MEETING = MEETING_MEANS.map((m) => spreadAround(m, 0.05));

/** Number of SVG items vega tagged with this aria role description (e.g. "box", "rule mark"). */
function countRole(svg: string, role: string): number {
  return svg.split(`aria-roledescription="${role}"`).length - 1;
}

/** The text content of every <text> element. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}

/** Runs f while recording everything written to stderr and console.warn/error. */
async function captureStderr<T>(f: () => Promise<T>): Promise<{ result: T; stderr: string }> {
  let stderr = '';
  const write = process.stderr.write;
  const { warn, error } = console;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  console.warn = (...args: unknown[]) => void (stderr += args.join(' ') + '\n');
  console.error = console.warn;
  try {
    return { result: await f(), stderr };
  } finally {
    process.stderr.write = write;
    console.warn = warn;
    console.error = error;
  }
}

test('meeting box plot (Fig. 2a) has one box per turn 1..15, axis titles and HH:MM labels', async () => {
  const svg = await populationBoxPlot({ turns: TURNS, values: MEETING, yTitle: 'Arrival time', yFormat: 'clock' });
  assert.ok(svg.startsWith('<svg'), 'SVG text');
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assert.is(countRole(svg, 'box'), 15);
  const labels = texts(svg);
  assert.ok(labels.includes('Arrival time'));
  assert.ok(labels.includes('Turn'));
  for (const turn of TURNS) assert.ok(labels.includes(String(turn)), `x label ${turn}`);
  assert.ok(labels.includes('12:00'), 'clock label 12:00');
  assert.ok(labels.every((t) => !/^\d+(\.\d+)?$/.test(t) || Number(t) <= 15), 'y labels are clock times, not decimals');
  assert.not.ok(svg.includes('NaN'));
});

test('clock labels format hours as HH:MM: 4.5 -> 04:30, 12.5 -> 12:30, 15.0 -> 15:00', async () => {
  const early = await populationBoxPlot({
    turns: [1, 2],
    values: [[4.6, 4.8, 5.0], [5.2, 5.5, 5.9]],
    yTitle: 'Arrival time',
    yFormat: 'clock',
    yDomain: [4.5, 6],
  });
  const earlyLabels = texts(early);
  for (const label of ['04:30', '04:45', '05:00', '06:00']) assert.ok(earlyLabels.includes(label), label);
  const late = await populationBoxPlot({
    turns: [1, 2],
    values: [[12.1, 12.6, 13.0], [14.2, 14.5, 14.9]],
    yTitle: 'Arrival time',
    yFormat: 'clock',
    yDomain: [12, 15],
  });
  const lateLabels = texts(late);
  for (const label of ['12:00', '12:30', '15:00']) assert.ok(lateLabels.includes(label), label);
});

test('reference lines are drawn as rules in their colour with a legend entry each (Fig. 3b)', async () => {
  const svg = await populationBoxPlot({
    turns: TURNS,
    values: TURNS.map((t) => spreadAround(0.9 - 0.4 / t, 0.1 / t)),
    yTitle: 'Probability of going',
    referenceLines: [
      { y: 0.9, label: 'Crowding threshold', color: '#000000', dash: true },
      { y: 0.2, label: 'μ_data = 0.2', color: '#d62728' },
    ],
  });
  assert.is(countRole(svg, 'rule mark'), 2);
  assert.is(countRole(svg, 'legend'), 1);
  const labels = texts(svg);
  assert.ok(labels.includes('Crowding threshold'));
  assert.ok(labels.includes('μ_data = 0.2'));
  // the rule and its legend symbol both carry the colour; the threshold is dashed
  assert.ok(svg.split('stroke="#d62728"').length - 1 >= 2, 'red rule and red legend symbol');
  assert.ok(/stroke-dasharray="6,4"/.test(svg), 'dashed threshold');
});

test('El Farol histogram (Fig. 3a): bins of 0.05 on [0, 1] beside the boxes, width 5:1, fractions sum to 1', async () => {
  const values = TURNS.map((t) => spreadAround(0.886 - 0.38 / t, 0.27 / t));
  const histogram = { binWidth: 0.05, domain: [0, 1] as [number, number], xTitle: 'Density at t=15' };
  const spec = populationBoxPlotSpec({ turns: TURNS, values, yTitle: 'p', lastTurnHistogram: histogram }) as {
    hconcat: { width: number; data?: { values: { fraction: number }[] } }[];
  };
  assert.is(spec.hconcat.length, 2);
  assert.is(spec.hconcat[0].width / spec.hconcat[1].width, 5);
  const bins = spec.hconcat[1].data!.values;
  assert.is(bins.length, 20);
  assert.ok(Math.abs(bins.reduce((s, b) => s + b.fraction, 0) - 1) < 1e-12);

  const svg = await populationBoxPlot({ turns: TURNS, values, yTitle: 'p', lastTurnHistogram: histogram });
  assert.is(countRole(svg, 'box'), 15);
  assert.is(countRole(svg, 'rect mark'), 20);
  assert.ok(texts(svg).includes('Density at t=15'));
});

test('whiskers: Tukey (1.5 IQR) shows a far value as an outlier point, min-max does not', async () => {
  const values = [[...spreadAround(10, 1, 20), 30]];
  const tukey = await populationBoxPlot({ turns: [1], values, yTitle: 'v' });
  const minMax = await populationBoxPlot({ turns: [1], values, yTitle: 'v', whiskers: 'min-max' });
  assert.is(countRole(tukey, 'point'), 1);
  assert.is(countRole(minMax, 'point'), 0);
  assert.is(countRole(minMax, 'box'), 1);
});

test('loss curve: training and validation lines on a log axis, validation gaps skipped', async () => {
  const steps = Array.from({ length: 300 }, (_, i) => i);
  // docs/meeting.md §6 [re-run]: 6.38 at step 0 falling to ≈0.93
  const train = steps.map((s) => 0.93 + 5.45 * Math.exp(-s / 40));
  const validation = steps.map((s) => (s % 100 === 0 || s === 299 ? 0.94 + 5.44 * Math.exp(-s / 40) : null));
  const svg = await lossCurve({ steps, train, validation, logY: true });
  assert.ok(svg.startsWith('<svg'));
  assert.is(countRole(svg, 'line mark'), 2);
  const labels = texts(svg);
  for (const label of ['Step', 'Loss', 'Training', 'Validation']) assert.ok(labels.includes(label), label);
  assert.not.ok(svg.includes('NaN'));
});

test('line plot: one error bar per point with a spread, series in the legend (Fig. 4-6)', async () => {
  const x = Array.from({ length: 11 }, (_, i) => i);
  const svg = await linePlot({
    xTitle: 'Initial bluff rate',
    yTitle: 'Game length',
    series: [
      { name: 'MFG', x, y: x.map((l) => 10 - 0.5 * l), spread: x.map(() => 1.5) },
      { name: 'Neural ODE', x, y: x.map((l) => 9 - 0.4 * l) },
    ],
  });
  assert.is(countRole(svg, 'errorbar'), 11);
  assert.is(countRole(svg, 'line mark'), 2);
  const labels = texts(svg);
  for (const label of ['Initial bluff rate', 'Game length', 'MFG', 'Neural ODE']) assert.ok(labels.includes(label), label);
  // Fig. 6 on a log axis: an error bar larger than its mean must not break the plot
  const dice = [4, 8, 12];
  const kl = await linePlot({
    xTitle: 'Number of training dice',
    yTitle: 'KL',
    logY: true,
    series: [{ name: 'KL', x: dice, y: [0.15, 0.1, 0.08], spread: [0.2, 0.1, 0.05] }],
  });
  assert.is(countRole(kl, 'errorbar'), 3);
  assert.not.ok(kl.includes('NaN'));
});

test('every figure renders without a word on stderr', async () => {
  const { stderr } = await captureStderr(async () => {
    await populationBoxPlot({
      title: 'El Farol',
      turns: TURNS,
      values: TURNS.map((t) => spreadAround(0.5 + 0.02 * t, 0.2 / t)),
      yTitle: 'p',
      referenceLines: [{ y: 0.9, label: 'Crowding threshold', dash: true }],
      lastTurnHistogram: { binWidth: 0.05, domain: [0, 1], xTitle: 'Density at t=15' },
    });
    await populationBoxPlot({ turns: TURNS, values: MEETING, yTitle: 'Arrival time', yFormat: 'clock' });
    await lossCurve({ steps: [0, 1, 2], train: [3, 2, 1], validation: [3.1, null, 1.2] });
    await linePlot({ xTitle: 'x', yTitle: 'y', series: [{ name: 'a', x: [1, 2], y: [1, 2], spread: [0.1, 0.2] }] });
  });
  assert.is(stderr, '');
});

test('renderSvg turns a vega-lite warning into an error instead of printing it', async () => {
  const { result } = await captureStderr(() =>
    renderSvg({
      data: { values: [{ a: 1, b: 'x' }] },
      mark: 'bar',
      encoding: { x: { field: 'a', type: 'quantitative' }, shape: { field: 'b', type: 'nominal' } },
    }).then(
      () => 'resolved',
      (err: Error) => err.message,
    ),
  );
  assert.match(result, /warning/);
  assert.match(result, /shape/);
});

test('invalid input throws an error naming the field', () => {
  const ok = { turns: [1, 2], values: [[1, 2], [3, 4]], yTitle: 'v' };
  assert.throws(() => populationBoxPlotSpec({ ...ok, values: [[1, 2]] }), /values\.length \(1\) must equal turns\.length \(2\)/);
  assert.throws(() => populationBoxPlotSpec({ ...ok, values: [[1, 2], [3, NaN]] }), /values\[1\]\[1\] must be a finite number, got NaN/);
  assert.throws(() => populationBoxPlotSpec({ ...ok, values: [[1, 2], []] }), /values\[1\] must not be empty/);
  assert.throws(() => populationBoxPlotSpec({ ...ok, turns: [1, Infinity] }), /turns\[1\] must be a finite number/);
  assert.throws(() => populationBoxPlotSpec({ ...ok, yTitle: '' }), /yTitle/);
  assert.throws(
    () => populationBoxPlotSpec({ ...ok, referenceLines: [{ y: 1, label: 'a' }, { y: 2, label: 'a' }] }),
    /referenceLines\[1\]\.label/,
  );
  assert.throws(
    () => populationBoxPlotSpec({ ...ok, referenceLines: [{ y: Number.NaN, label: 'a' }] }),
    /referenceLines\[0\]\.y/,
  );
  assert.throws(
    () => populationBoxPlotSpec({ ...ok, lastTurnHistogram: { binWidth: 0, domain: [0, 1], xTitle: 'h' } }),
    /lastTurnHistogram\.binWidth/,
  );
  assert.throws(() => populationBoxPlotSpec({ ...ok, yDomain: [2, 1] }), /yDomain/);
});

test('invalid loss and line-plot input is rejected, naming the field', async () => {
  const rejects = async (p: Promise<unknown>, pattern: RegExp) => {
    const message = await p.then(
      () => 'resolved',
      (err: Error) => err.message,
    );
    assert.match(message, pattern);
  };
  await rejects(lossCurve({ steps: [0, 1], train: [1] }), /lossCurve: train\.length \(1\) must equal steps\.length \(2\)/);
  await rejects(lossCurve({ steps: [0, 1], train: [1, 2], validation: [1] }), /validation\.length/);
  await rejects(lossCurve({ steps: [0, 1], train: [1, 0], logY: true }), /train\[1\] must be positive on a log axis/);
  await rejects(lossCurve({ steps: [0, 1], train: [1, 2], validation: [null, Number.NaN] }), /validation\[1\]/);
  const series = { name: 'a', x: [1, 2], y: [1, 2] };
  await rejects(linePlot({ xTitle: 'x', yTitle: 'y', series: [] }), /series must be a non-empty array/);
  await rejects(linePlot({ xTitle: 'x', yTitle: 'y', series: [{ ...series, y: [1] }] }), /series\[0\]\.y\.length/);
  await rejects(linePlot({ xTitle: 'x', yTitle: 'y', series: [{ ...series, spread: [0.1, -1] }] }), /series\[0\]\.spread\[1\] must not be negative/);
  await rejects(linePlot({ xTitle: 'x', yTitle: 'y', series: [series, series] }), /series\[1\]\.name "a"/);
});

test('writeSvg creates the folder and leaves only the finished file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'plot-test-'));
  try {
    const path = join(dir, 'figures', 'nested', 'loss.svg');
    const svg = await lossCurve({ steps: [0, 1, 2], train: [3, 2, 1] });
    await writeSvg(path, svg);
    assert.is(await readFile(path, 'utf8'), svg);
    assert.equal(await readdir(join(dir, 'figures', 'nested')), ['loss.svg']);
    const notSvg = await writeSvg(join(dir, 'x.svg'), 'hello').then(
      () => 'resolved',
      (err: Error) => err.message,
    );
    assert.match(notSvg, /svg must be SVG text/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
