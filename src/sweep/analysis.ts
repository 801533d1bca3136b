// The paper's analyses on the sweep machinery: an analysis with several points (or seeds) becomes a
// sweep whose jobs are analyze requests of one point and one seed each (DIR/jobs/…), run on the
// local pool or planned for a cluster; its result is then put back together from the jobs'
// summary.json files by the analysis's own `combine` (the same numbers as a whole run in one
// process, for one seed), and written as a whole run writes it (src/run/analysis.ts).
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { AnalysisResult, PointRun } from '../game.ts';
import { analysisOf, writeAnalysis, type AnalysisFacts } from '../run/analysis.ts';
import { withoutOutput, type AnalyzeRequest } from '../run/requests.ts';
import { gameByName } from '../../games/index.ts';
import { jobState } from './job.ts';
import { buildManifest, clearSweep, writeManifest, type SweepManifest } from './manifest.ts';
import { bundleRequest, copyInputs, isBundled } from './inputs.ts';
import { runSession, sessionVerdict } from './session.ts';

/**
 * The sweep of an analysis: a job per point and seed, each the analyze request with the point's
 * overrides and the seed.
 */
export function analysisManifest(req: AnalyzeRequest, seeds: number[]): SweepManifest {
  const { game, analysis, exp, plan } = analysisOf(req);
  if (!analysis.sweep) throw new Error(`the ${plan.name} analysis of ${game.name} does not split into points`);
  const points = analysis.sweep.points(exp.config);
  const fields = [...new Set(points.flatMap((p) => Object.keys(p.values)))];
  return buildManifest({
    target: game.name,
    // the jobs read the data file from wherever they run: its copy in the sweep's folder, else its absolute path
    base: { ...withoutOutput(req), ...(req.data ? { data: isBundled(req.data) ? req.data : resolve(req.data) } : {}) },
    seeds,
    points,
    grid: fields.map((field) => ({ field, values: points.map((p) => p.values[field]) })),
    analysis: plan,
  });
}

export async function pointRun(dir: string, manifest: SweepManifest, index: number): Promise<PointRun> {
  const job = manifest.jobs[index];
  const summary = JSON.parse(await readFile(join(dir, job.dir, 'summary.json'), 'utf8')) as Record<string, unknown>;
  return { seed: job.seed, point: job.pointIndex, summary };
}

/** The line of a finished point, as the analysis words it. */
export async function describePoint(dir: string, manifest: SweepManifest, index: number): Promise<string> {
  const plan = manifest.analysis!;
  const game = gameByName(plan.game);
  const sweep = game.analyses![plan.name].sweep!;
  const total = Math.max(...manifest.jobs.map((j) => j.pointIndex)) + 1;
  const run = await pointRun(dir, manifest, index);
  return sweep.describe(game.parseConfig(plan.config), run, { index: run.point, total });
}

/**
 * Puts the analysis back together from its finished jobs and writes it into DIR. A seed with a
 * point that has not finished is left out (and said so); with none complete, an error.
 */
export async function combineAnalysis(dir: string, manifest: SweepManifest, started: number): Promise<{ result: AnalysisResult; files: string[]; facts: AnalysisFacts; leftOut: number[] }> {
  const plan = manifest.analysis!;
  const game = gameByName(plan.game);
  const sweep = game.analyses?.[plan.name]?.sweep;
  if (!sweep) throw new Error(`${dir}: the ${plan.name} analysis of ${plan.game} does not split into points`);
  const states = await Promise.all(manifest.jobs.map((j) => jobState(dir, j)));
  const complete = manifest.seeds.filter((seed) => manifest.jobs.every((j, i) => j.seed !== seed || states[i].state === 'done'));
  const leftOut = manifest.seeds.filter((s) => !complete.includes(s));
  if (complete.length === 0) throw new Error(`${dir}: no seed has all its points finished yet (neural-mfg sweep status ${dir})`);
  const runs = await Promise.all(manifest.jobs.filter((j) => complete.includes(j.seed)).map((j) => pointRun(dir, manifest, j.index)));
  const result = await sweep.combine(game.parseConfig(plan.config), runs);
  const first = runs[0].summary as { backend?: string | null; engine?: string };
  const facts: AnalysisFacts = {
    plan,
    seed: complete[0],
    ...(complete.length > 1 ? { seeds: complete } : {}),
    backend: first.backend ?? null,
    engine: first.engine ?? 'fused',
    wallSeconds: (performance.now() - started) / 1000,
    sweep: { id: manifest.id, jobs: runs.length },
  };
  const files = await writeAnalysis(dir, result, facts);
  return { result, files, facts, leftOut };
}

/**
 * An analysis of several points or seeds as a sweep in DIR: planned (a job per point and seed),
 * then, unless `planOnly`, run on the local pool and put back together. The same analysis planned
 * again goes on where it stopped; `force` runs every point again. Returns what to print (stdout
 * when the code is 0, stderr otherwise) and the exit code (sessionVerdict's).
 */
export async function runAnalysisSweep(
  dir: string,
  req: AnalyzeRequest,
  o: { seeds: number[]; label: string; workers: number; retries: number; planOnly: boolean; force: boolean; started: number },
): Promise<{ code: number; text: string }> {
  // the files the jobs read are copied into the sweep's folder (inputs.ts): it runs anywhere
  const bundled = await bundleRequest(req);
  await copyInputs(dir, bundled.inputs);
  const manifest = analysisManifest(bundled.request, o.seeds);
  // the analysis's record names the file as it was given
  if (manifest.analysis) manifest.analysis.dataFile = req.data ?? null;
  const points = manifest.jobs.length / o.seeds.length;
  if (o.force) await clearSweep(dir);
  await writeManifest(dir, manifest, true);
  if (o.planOnly) {
    return {
      code: 0,
      text:
        `planned ${manifest.jobs.length} jobs (${points} points × ${o.seeds.length} seeds) in ${join(dir, 'sweep.json')}: ` +
        `run them with neural-mfg sweep run ${dir} (or sweep export ${dir} --to slurm|kubernetes), then neural-mfg sweep aggregate ${dir}\n`,
    };
  }
  const run = await runSession(dir, manifest, { workers: o.workers, retries: o.retries, label: o.label, describe: (e) => describePoint(dir, manifest, e.job.index) });
  const verdict = sessionVerdict(dir, run);
  if (verdict.code !== 0) return { code: verdict.code, text: `${verdict.line}\n` };
  const { result, files, facts } = await combineAnalysis(dir, manifest, o.started);
  return {
    code: 0,
    text:
      `${result.text}\n${facts.wallSeconds.toFixed(1)} s in all (${manifest.jobs.length} jobs on ${Math.min(o.workers, manifest.jobs.length)} processes; ${facts.engine} engine${facts.backend ? ` on ${facts.backend}` : ''})\n` +
      `wrote ${dir}/: summary.json, ${files.join(', ')}, sweep.json, jobs/\n`,
  };
}
