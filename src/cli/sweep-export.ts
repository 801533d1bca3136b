// `neural-mfg sweep export DIR --to slurm|kubernetes`: the sweep as a job of a cluster engine, each
// array task or indexed pod running `sweep run-one DIR --index I` (src/sweep/export.ts).
import { Option, type Command } from 'commander';
import { readManifest } from '../sweep/manifest.ts';
import { parseCount, parsePositiveInt } from './options.ts';

export function registerSweepExport(sweep: Command): void {
  sweep
    .command('export')
    .argument('<dir>', 'a sweep folder')
    .description('write the sweep for a cluster engine: an sbatch job-array script (slurm) or an Indexed Job manifest (kubernetes), each task running sweep run-one DIR --index I')
    .addOption(new Option('--to <engine>', 'the cluster engine').choices(['slurm', 'kubernetes']).makeOptionMandatory())
    .option('--command <cmd>', 'how neural-mfg is started there (slurm default: node <this checkout>/bin/neural-mfg.js; kubernetes: neural-mfg)')
    .option('--cpus <n>', 'CPUs per job (also its NEURAL_MFG_THREADS)', parsePositiveInt('--cpus'))
    .option('--memory <size>', 'memory per job (default: slurm 2G, kubernetes 2Gi; written into the script or manifest)')
    .option('--parallelism <n>', "jobs at once (slurm: the array's %N; kubernetes: spec.parallelism)", parsePositiveInt('--parallelism'))
    .option('--partition <name>', 'slurm: the partition')
    .option('--time <limit>', 'slurm: wall time per task, e.g. 00:30:00')
    .option('--account <name>', 'slurm: the account')
    .option('--image <image>', 'kubernetes: a container image with neural-mfg installed')
    .option('--claim <pvc>', "kubernetes: the PersistentVolumeClaim holding the sweep's folder")
    .option('--sub-path <path>', 'kubernetes: the folder inside the volume (default: its root)')
    .option('--mount <path>', 'kubernetes: where the folder is mounted in the container', '/sweep')
    .option('--retries <n>', 'kubernetes: spec.backoffLimitPerIndex (retries of each index)', parseCount('--retries'), 2)
    .option('--namespace <ns>', 'kubernetes: the namespace')
    .action(async (dir: string, opts: Record<string, string | number | undefined> & { to: 'slurm' | 'kubernetes' }) => {
      const { exportSweep } = await import('../sweep/export.ts');
      process.stdout.write(`${await exportSweep(dir, await readManifest(dir), opts.to, opts)}\n`);
    });
}
