// The files a sweep's jobs read (observations, an eval sweep's model folder), copied into the
// sweep's folder when it is planned, so that the folder is self-contained: copied to a cluster's
// volume (`sweep export --to kubernetes`), it runs there. A manifest names such a copy by a path
// relative to the sweep's folder (`inputs/<hash>-<name>`), which a job resolves against the folder
// it runs in; the name holds the content's hash, so that the same data planned again are the same
// jobs, and changed data are new ones.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { cp, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';

/** The sweep's folder of copied inputs. */
export const INPUTS_DIR = 'inputs';

/** Options whose value is a file a job reads. */
const INPUT_OPTIONS = ['--data', '--validation'];

/** A file or folder of the user's, and the reference to its copy in the sweep's folder. */
export interface BundledInput {
  source: string;
  /** `inputs/<first 12 hex digits of the content's sha256>-<name>`, relative to the sweep's folder */
  ref: string;
}

/** Whether a manifest's path names a copy inside the sweep's folder. */
export function isBundled(path: string): boolean {
  return !isAbsolute(path) && path.startsWith(`${INPUTS_DIR}/`);
}

/** The path a manifest's reference names here: a copy inside the sweep's folder, else the path itself. */
export function inputPath(sweepDir: string, path: string): string {
  return isBundled(path) ? join(sweepDir, path) : path;
}

async function sha256Of(path: string, hash = createHash('sha256')): Promise<ReturnType<typeof createHash>> {
  const info = await stat(path);
  if (info.isDirectory()) {
    // a model folder: every file's name and bytes, in name order
    for (const name of (await readdir(path)).sort()) {
      hash.update(`\0${name}\0`);
      await sha256Of(join(path, name), hash);
    }
    return hash;
  }
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash;
}

/** Where a file's copy goes (reads it whole for the hash). Throws when it cannot be read, naming it. */
export async function bundledInput(path: string, what: string): Promise<BundledInput> {
  const source = resolve(path);
  let hash: string;
  try {
    hash = (await sha256Of(source)).digest('hex').slice(0, 12);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${what} ${path}: ${code === 'ENOENT' ? 'not found' : `cannot be read (${(err as Error).message})`}; a sweep copies the files its jobs read into its folder when it is planned`);
  }
  return { source, ref: `${INPUTS_DIR}/${hash}-${basename(source).replace(/[^\w.+=,-]/g, '_')}` };
}

/**
 * A job's command line with the files it reads replaced by their copies' references (the values
 * of --data and --validation; with `target`, an eval's model folder in argv position `target`),
 * and the copies to make.
 */
export async function bundleArgv(argv: string[], opts: { target?: number } = {}): Promise<{ argv: string[]; inputs: BundledInput[] }> {
  const inputs: BundledInput[] = [];
  const out = argv.slice();
  for (let i = 0; i < out.length; i++) {
    const isInput = (INPUT_OPTIONS.includes(out[i - 1]) && i > 0) || i === opts.target;
    if (!isInput || isBundled(out[i])) continue;
    const input = await bundledInput(out[i], i === opts.target ? 'the model folder' : out[i - 1]);
    inputs.push(input);
    out[i] = input.ref;
  }
  return { argv: out, inputs };
}

/** Copies the inputs into the sweep's folder (a copy already there is the same content: kept). */
export async function copyInputs(sweepDir: string, inputs: BundledInput[]): Promise<void> {
  for (const { source, ref } of inputs) {
    const target = join(sweepDir, ref);
    if (existsSync(target)) continue;
    await mkdir(join(sweepDir, INPUTS_DIR), { recursive: true });
    // under a temporary name, then renamed: an interrupted copy is never taken for a whole one
    const partial = `${target}.partial-${process.pid}`;
    await cp(source, partial, { recursive: true, dereference: true });
    await rename(partial, target).catch(async (err) => {
      await rm(partial, { recursive: true, force: true });
      if (!existsSync(target)) throw err;
    });
  }
}

/**
 * What keeps a sweep's folder from running elsewhere: each job's input that lies outside it (an
 * absolute path, from a sweep planned before inputs were copied) or whose copy is missing. One
 * line per input, in words; empty when the folder is self-contained.
 */
export function foreignInputs(sweepDir: string, jobs: { index: number; argv: string[] }[]): string[] {
  const problems = new Map<string, string>();
  for (const job of jobs) {
    job.argv.forEach((value, i) => {
      const isInput = (i > 0 && INPUT_OPTIONS.includes(job.argv[i - 1])) || (i === 1 && job.argv[0] === 'eval');
      if (!isInput || problems.has(value)) return;
      if (!isBundled(value)) problems.set(value, `job ${job.index} reads ${value}, outside the sweep's folder`);
      else if (!existsSync(join(sweepDir, value))) problems.set(value, `job ${job.index} reads ${value}, which is not in ${sweepDir}`);
    });
  }
  return [...problems.values()];
}

/** A job's command line as it runs here: references to copies made paths inside the sweep's folder. */
export function resolveInputs(sweepDir: string, argv: string[]): string[] {
  return argv.map((value, i) => ((i > 0 && INPUT_OPTIONS.includes(argv[i - 1])) || (i === 1 && argv[0] === 'eval') ? inputPath(sweepDir, value) : value));
}
