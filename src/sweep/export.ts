// `sweep export DIR --to slurm|kubernetes`: the sweep as a job of an existing cluster engine, each
// array task or indexed pod running `neural-mfg sweep run-one DIR --index I` for its own index.
// A finished job is skipped, so resubmitting the whole array after a failure redoes only the rest.
import { chmod, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { writeFileAtomic } from '../io/atomic.ts';
import { PACKAGE_ROOT } from '../package.ts';
import type { SweepManifest } from './manifest.ts';
import { foreignInputs } from './inputs.ts';

/** How this installation's command is started: `node /…/bin/neural-mfg.js`. */
export function defaultCommand(): string {
  return `node ${join(PACKAGE_ROOT, 'bin', 'neural-mfg.js')}`;
}

export interface SlurmOptions {
  /** the neural-mfg command on the compute nodes (NEURAL_MFG overrides it at run time) */
  command: string;
  cpusPerTask: number;
  /** at most this many array tasks at once (%N) */
  maxParallel?: number;
  partition?: string;
  /** wall time per task, e.g. 00:30:00 */
  time?: string;
  /** memory per task, e.g. 2G */
  memory?: string;
  account?: string;
}

/** An sbatch job-array script: SLURM_ARRAY_TASK_ID selects the job. */
export function slurmScript(dir: string, manifest: SweepManifest, o: SlurmOptions): string {
  const n = manifest.jobs.length;
  const sweepDir = resolve(dir);
  const directives = [
    `--job-name=neural-mfg-${manifest.id}`,
    `--array=0-${n - 1}${o.maxParallel ? `%${o.maxParallel}` : ''}`,
    `--cpus-per-task=${o.cpusPerTask}`,
    `--output=${join(sweepDir, 'slurm', '%A_%a.out')}`,
    // SIGTERM a minute before the time limit: a train job saves a checkpoint; resubmitting resumes it
    '--signal=B:TERM@60',
    ...(o.partition ? [`--partition=${o.partition}`] : []),
    ...(o.time ? [`--time=${o.time}`] : []),
    ...(o.memory ? [`--mem=${o.memory}`] : []),
    ...(o.account ? [`--account=${o.account}`] : []),
  ];
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return [
    '#!/bin/bash',
    `# neural-mfg sweep ${manifest.id}: ${n} jobs (${manifest.command} ${manifest.target}), from ${join(sweepDir, 'sweep.json')}.`,
    `# Submit with: sbatch ${join(sweepDir, 'sweep.sbatch')}`,
    '# Array task I runs job I. A finished job is skipped, so resubmitting the array (or some',
    '# tasks: sbatch --array=3,7 …) redoes only what is left; neural-mfg sweep status shows where it stands.',
    ...directives.map((d) => `#SBATCH ${d}`),
    'set -euo pipefail',
    `SWEEP_DIR=\${SWEEP_DIR:-${q(sweepDir)}}`,
    `NEURAL_MFG=\${NEURAL_MFG:-${q(o.command)}}`,
    'INDEX="${SLURM_ARRAY_TASK_ID:?run this script as an array job (sbatch), or set SLURM_ARRAY_TASK_ID}"',
    `if [ "$INDEX" -lt 0 ] || [ "$INDEX" -ge ${n} ]; then echo "no job $INDEX: this sweep has jobs 0 to ${n - 1}" >&2; exit 2; fi`,
    '# the fused engine\'s threads: the cores Slurm gave this task',
    'export NEURAL_MFG_THREADS="${SLURM_CPUS_PER_TASK:-1}"',
    'exec $NEURAL_MFG sweep run-one "$SWEEP_DIR" --index "$INDEX"',
    '',
  ].join('\n');
}

export interface KubernetesOptions {
  /** a container image with neural-mfg installed */
  image: string;
  /** the command that starts neural-mfg in the image */
  command: string[];
  /** the PersistentVolumeClaim that holds the sweep's folder (sweep.json at its root, or at subPath) */
  claim: string;
  subPath?: string;
  /** where the sweep's folder is mounted in the container */
  mountPath: string;
  /** pods at once */
  parallelism: number;
  /** retries of each index (spec.backoffLimitPerIndex) */
  backoffLimitPerIndex: number;
  /** CPU per pod (also the fused engine's threads) */
  cpu: number;
  /** memory per pod, e.g. 2Gi */
  memory?: string;
  namespace?: string;
}

/** A Kubernetes Indexed Job (batch/v1): JOB_COMPLETION_INDEX selects the job. */
export function kubernetesJob(manifest: SweepManifest, o: KubernetesOptions): Record<string, unknown> {
  const labels = { 'app.kubernetes.io/name': 'neural-mfg', 'neural-mfg/sweep': manifest.id };
  const resources = { cpu: String(o.cpu), ...(o.memory ? { memory: o.memory } : {}) };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: `neural-mfg-sweep-${manifest.id}`, ...(o.namespace ? { namespace: o.namespace } : {}), labels },
    spec: {
      completionMode: 'Indexed',
      completions: manifest.jobs.length,
      parallelism: Math.min(o.parallelism, manifest.jobs.length),
      // each index is retried on its own; pods evicted or preempted do not count (they resume from the checkpoint)
      backoffLimitPerIndex: o.backoffLimitPerIndex,
      podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }] },
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'neural-mfg',
              image: o.image,
              command: o.command,
              args: ['sweep', 'run-one', o.mountPath, '--index', '$(JOB_COMPLETION_INDEX)'],
              env: [
                // set by the Job controller as well; declared here so that $(…) in args expands
                { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } },
                { name: 'NEURAL_MFG_THREADS', value: String(o.cpu) },
              ],
              resources: { requests: resources, limits: resources },
              volumeMounts: [{ name: 'sweep', mountPath: o.mountPath, ...(o.subPath ? { subPath: o.subPath } : {}) }],
            },
          ],
          volumes: [{ name: 'sweep', persistentVolumeClaim: { claimName: o.claim } }],
        },
      },
    },
  };
}

/** Writes DIR/sweep.sbatch (and DIR/slurm/ for its logs); returns the file. */
export async function writeSlurm(dir: string, manifest: SweepManifest, o: SlurmOptions): Promise<string> {
  await mkdir(join(dir, 'slurm'), { recursive: true });
  const file = join(dir, 'sweep.sbatch');
  await writeFileAtomic(file, slurmScript(dir, manifest, o));
  await chmod(file, 0o755);
  return file;
}

/** Writes DIR/sweep-job.yaml; returns the file. */
export async function writeKubernetes(dir: string, manifest: SweepManifest, o: KubernetesOptions): Promise<string> {
  const file = join(dir, 'sweep-job.yaml');
  const job = kubernetesJob(manifest, o);
  await writeFileAtomic(
    file,
    `# neural-mfg sweep ${manifest.id}: ${manifest.jobs.length} jobs as a Kubernetes Indexed Job.\n` +
      `# Copy the sweep's folder to the volume "${o.claim}"${o.subPath ? ` (at ${o.subPath})` : ''}, then: kubectl apply -f sweep-job.yaml\n` +
      stringify(job),
  );
  return file;
}

/** Memory per job when --memory is not given (the --help's promise). */
export const DEFAULT_MEMORY = { slurm: '2G', kubernetes: '2Gi' } as const;

/** `sweep export DIR --to …` from the command's flags; returns what to tell the user. */
export async function exportSweep(dir: string, manifest: SweepManifest, to: 'slurm' | 'kubernetes', o: Record<string, string | number | undefined>): Promise<string> {
  const str = (k: string) => (o[k] === undefined ? undefined : String(o[k]));
  const num = (k: string, d: number) => (o[k] === undefined ? d : Number(o[k]));
  // the folder must hold what its jobs read: a pod sees only the volume; a Slurm node sees the
  // shared file systems, where a path outside the folder may still be there
  const foreign = foreignInputs(dir, manifest.jobs);
  const replan = `plan the sweep again (sweep plan copies the files its jobs read into ${join(dir, 'inputs')})`;
  if (foreign.length > 0 && to === 'kubernetes') {
    throw new Error(`${dir} is not self-contained, and the pods see only its volume: ${foreign.slice(0, 3).join('; ')}${foreign.length > 3 ? ` (and ${foreign.length - 3} more)` : ''}; ${replan}`);
  }
  const note = foreign.length > 0 ? `\nnote: ${foreign.slice(0, 3).join('; ')}: every compute node must see ${foreign.length === 1 ? 'it' : 'them'} at that path, or ${replan}` : '';
  if (to === 'slurm') {
    const file = await writeSlurm(dir, manifest, {
      command: str('command') ?? defaultCommand(),
      cpusPerTask: num('cpus', 1),
      maxParallel: o.parallelism === undefined ? undefined : Number(o.parallelism),
      partition: str('partition'),
      time: str('time'),
      memory: str('memory') ?? DEFAULT_MEMORY.slurm,
      account: str('account'),
    });
    return `wrote ${file}: a job array of ${manifest.jobs.length} tasks; submit it with sbatch ${file}, then neural-mfg sweep aggregate ${dir}${note}`;
  }
  const image = str('image');
  const claim = str('claim');
  if (!image || !claim) throw new Error('sweep export --to kubernetes needs --image (an image with neural-mfg installed) and --claim (the PersistentVolumeClaim holding the sweep\'s folder)');
  const file = await writeKubernetes(dir, manifest, {
    image,
    command: (str('command') ?? 'neural-mfg').split(' ').filter(Boolean),
    claim,
    subPath: str('subPath'),
    mountPath: str('mount') ?? '/sweep',
    parallelism: num('parallelism', manifest.jobs.length),
    backoffLimitPerIndex: num('retries', 2),
    cpu: num('cpus', 1),
    memory: str('memory') ?? DEFAULT_MEMORY.kubernetes,
    namespace: str('namespace'),
  });
  return `wrote ${file}: an Indexed Job of ${manifest.jobs.length} pods; copy ${dir} to the volume ${claim}, kubectl apply -f ${file}, then neural-mfg sweep aggregate on the copy`;
}
