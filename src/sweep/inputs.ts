// The files a sweep's jobs read (observations, an eval sweep's model folder, a forecast's run), copied into the
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

/** A request's fields that name a file a job reads, and how a person calls each in an error. */
const INPUT_FIELDS = { data: '--data', validation: '--validation', model: 'the model folder', run: "a forecast's run folder" } as const;
type InputField = keyof typeof INPUT_FIELDS;

/** The request's file fields that are set, as [field, path]. */
function fileFields(request: object): [InputField, string][] {
  const r = request as Partial<Record<InputField, unknown>>;
  return (Object.keys(INPUT_FIELDS) as InputField[]).filter((f) => typeof r[f] === 'string').map((f) => [f, r[f] as string]);
}

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
 * A job's request with the files it reads (data, validation, an eval's model folder) replaced by
 * their copies' references, and the copies to make.
 */
export async function bundleRequest<R extends object>(request: R): Promise<{ request: R; inputs: BundledInput[] }> {
  const inputs: BundledInput[] = [];
  const out: Record<string, unknown> = { ...(request as Record<string, unknown>) };
  for (const [field, path] of fileFields(request)) {
    if (isBundled(path)) continue;
    const input = await bundledInput(path, INPUT_FIELDS[field]);
    inputs.push(input);
    out[field] = input.ref;
  }
  return { request: out as R, inputs };
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
export function foreignInputs(sweepDir: string, jobs: { index: number; request: object }[]): string[] {
  const problems = new Map<string, string>();
  for (const job of jobs) {
    for (const [, value] of fileFields(job.request)) {
      if (problems.has(value)) continue;
      if (!isBundled(value)) problems.set(value, `job ${job.index} reads ${value}, outside the sweep's folder`);
      else if (!existsSync(join(sweepDir, value))) problems.set(value, `job ${job.index} reads ${value}, which is not in ${sweepDir}`);
    }
  }
  return [...problems.values()];
}

/** A job's request as it runs here: references to copies made paths inside the sweep's folder. */
export function resolveInputs<R extends object>(sweepDir: string, request: R): R {
  const out: Record<string, unknown> = { ...(request as Record<string, unknown>) };
  for (const [field, path] of fileFields(request)) out[field] = inputPath(sweepDir, path);
  return out as R;
}
