// Trained models on disk: DIR/model.json (game, full configuration, network shape, solver,
// seeds, versions, metrics) and DIR/weights.bin (the flat float32 parameter vector,
// little-endian). Written atomically as a folder.
import { readFile, realpath, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, isAbsolute, join, relative, sep } from 'node:path';
import { TFJS_VERSION } from '../tf.ts';
import type { ExperimentConfig } from '../config.ts';
import type { MlpSpec } from '../nn/spec.ts';
import { ACTIVATIONS, parameterCount, type Activation } from '../nn/spec.ts';
import { firstNonFinite } from '../finite.ts';
import { replaceDirAtomic, writeJsonAtomic } from './atomic.ts';
import { PACKAGE_VERSION } from '../package.ts';

export const MODEL_FORMAT = 'neural-mfg-model';
export const MODEL_FORMAT_VERSION = 1;

export interface ModelManifest {
  format: typeof MODEL_FORMAT;
  formatVersion: number;
  game: string;
  preset: string | null;
  config: ExperimentConfig;
  /** the neural drift's network */
  network: MlpSpec;
  /** the neural diffusion's network, whose weights follow the drift network's (noise.diffusion "neural"); absent: none */
  diffusion?: MlpSpec;
  weights: { file: string; dtype: 'float32'; count: number; sha256: string };
  seed: number;
  versions: { neuralMfg: string; tfjs: string; node: string };
  /** the TF.js backend of the graph engine (null: the fused engine ran no TF.js) */
  backend: string | null;
  /** the engine that trained it (fused or graph); absent in models saved before engines existed (graph) */
  engine?: string;
  createdAt: string;
  training: { steps: number; finalTrainLoss: number | null; finalValidationLoss: number | null; interrupted: boolean };
}

export class ModelFileError extends Error {}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function saveModel(
  dir: string,
  m: Omit<ModelManifest, 'format' | 'formatVersion' | 'weights' | 'versions' | 'createdAt'>,
  params: Float32Array,
): Promise<void> {
  const bytes = new Uint8Array(params.buffer.slice(params.byteOffset, params.byteOffset + params.byteLength));
  const manifest: ModelManifest = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    ...m,
    weights: { file: 'weights.bin', dtype: 'float32', count: params.length, sha256: sha256(bytes) },
    versions: { neuralMfg: PACKAGE_VERSION, tfjs: TFJS_VERSION, node: process.version },
    createdAt: new Date().toISOString(),
  };
  await replaceDirAtomic(dir, async (tmp) => {
    await writeFile(join(tmp, 'weights.bin'), bytes);
    await writeJsonAtomic(join(tmp, 'model.json'), manifest);
  });
}

/**
 * Reads and checks a model folder; errors say which file is wrong and how. A model folder is data
 * from someone else (README, "Model folders"): model.json's fields are checked for presence and
 * type before use, and the weights file must be a plain file name inside the folder (no path
 * separator, no `.` or `..`, no symbolic link that leaves the folder), a regular file of exactly
 * `count` float32 values whose sha256 is `sha256`, every value finite.
 */
export async function readModel(dir: string): Promise<{ manifest: ModelManifest; params: Float32Array }> {
  const manifestPath = join(dir, 'model.json');
  let text: string;
  try {
    const info = await stat(manifestPath);
    if (!info.isFile()) throw new ModelFileError(`${manifestPath}: not a regular file`);
    if (info.size > MAX_MANIFEST_BYTES) throw new ModelFileError(`${manifestPath}: ${info.size} bytes, more than a model's manifest holds (${MAX_MANIFEST_BYTES >> 20} MB at most)`);
    text = await readFile(manifestPath, 'utf8');
  } catch (err) {
    if (err instanceof ModelFileError) throw err;
    throw new ModelFileError(`${manifestPath}: not found — is ${dir} a folder written by "neural-mfg train"?`);
  }
  let manifest: ModelManifest;
  try {
    manifest = JSON.parse(text);
  } catch (err) {
    throw new ModelFileError(`${manifestPath}: not valid JSON (${(err as Error).message.replace(/\s*\n\s*/g, ' ')})`);
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest) || manifest.format !== MODEL_FORMAT) {
    throw new ModelFileError(`${manifestPath}: not a neural-mfg model file`);
  }
  if (typeof manifest.formatVersion !== 'number' || manifest.formatVersion > MODEL_FORMAT_VERSION) {
    throw new ModelFileError(
      `${manifestPath}: format version ${manifest.formatVersion} is newer than this neural-mfg reads (${MODEL_FORMAT_VERSION}); upgrade neural-mfg`,
    );
  }
  const field = (name: string, expected: string, got: unknown) =>
    new ModelFileError(`${manifestPath}: field "${name}": expected ${expected}, got ${got === undefined ? 'nothing (the field is missing)' : describeValue(got)}`);
  if (typeof manifest.game !== 'string') throw field('game', 'the name of a game', manifest.game);
  if (!Number.isSafeInteger(manifest.seed) || manifest.seed < 0) throw field('seed', 'a whole number ≥ 0', manifest.seed);
  checkNetwork(field, 'network', manifest.network);
  if (manifest.diffusion !== undefined) checkNetwork(field, 'diffusion', manifest.diffusion);
  const expected = parameterCount(manifest.network) + (manifest.diffusion ? parameterCount(manifest.diffusion) : 0);
  const weights = manifest.weights as Partial<ModelManifest['weights']> | undefined;
  if (typeof weights !== 'object' || weights === null || Array.isArray(weights)) throw field('weights', 'an object {file, dtype, count, sha256}', weights);
  const file = weights.file;
  if (typeof file !== 'string') throw field('weights.file', 'the weights file\'s name, e.g. "weights.bin"', file);
  if (!plainFileName(file)) {
    throw field('weights.file', 'a plain file name inside the model folder (no / or \\, not "." or "..")', file);
  }
  if (weights.dtype !== 'float32') throw field('weights.dtype', '"float32" (the only type this neural-mfg reads)', weights.dtype);
  if (!Number.isSafeInteger(weights.count) || weights.count! < 0) throw field('weights.count', 'a whole number ≥ 0', weights.count);
  if (typeof weights.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(weights.sha256)) {
    throw field('weights.sha256', 'the sha256 of the weights file, 64 lowercase hexadecimal digits', weights.sha256);
  }
  if (weights.count !== expected) {
    throw new ModelFileError(`${manifestPath}: weights.count is ${weights.count}, but the network in model.json needs ${expected} weights`);
  }
  const weightsPath = join(dir, file);
  const bytes = await readWeightsFile(dir, weightsPath, expected);
  if (sha256(bytes) !== weights.sha256) {
    throw new ModelFileError(`${weightsPath}: checksum does not match model.json (file damaged or changed)`);
  }
  const params = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const bad = firstNonFinite(params);
  if (bad >= 0) throw new ModelFileError(`${weightsPath}: weight ${bad} is ${params[bad]}; a model's weights are finite numbers`);
  return { manifest, params };
}

/** model.json is a few kilobytes (the configuration, the network's shape): anything larger is not one. */
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/** A file name with no folder in it: no separator of any platform, not "." or "..", no NUL. */
function plainFileName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[\\/\0]/.test(name) && basename(name) === name;
}

/** The weights file's bytes: a regular file inside the folder (symbolic links resolved), of `count` float32 values. */
async function readWeightsFile(dir: string, path: string, count: number): Promise<Buffer> {
  let real: string;
  let info;
  try {
    real = await realpath(path);
    info = await stat(real);
  } catch {
    throw new ModelFileError(`${path}: not found`);
  }
  const folder = await realpath(dir);
  const inside = relative(folder, real);
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    throw new ModelFileError(`${path}: a symbolic link to ${real}, outside the model folder; the weights file must be inside it`);
  }
  // a FIFO or a device would block or never end; a folder is not a weights file
  if (!info.isFile()) throw new ModelFileError(`${path}: not a regular file`);
  if (info.size !== count * 4) {
    throw new ModelFileError(`${path}: holds ${info.size / 4} weights (${info.size} bytes), the network in model.json needs ${count}`);
  }
  return readFile(real);
}

/** An MLP's shape as model.json states it: whole sizes and known activations. */
function checkNetwork(field: (name: string, expected: string, got: unknown) => ModelFileError, name: string, spec: unknown): asserts spec is MlpSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw field(name, 'an object {inputSize, outputSize, width, depth, activation, outputActivation}', spec);
  const s = spec as Record<string, unknown>;
  for (const key of ['inputSize', 'outputSize', 'width'] as const) {
    // 0 where nothing is learned by a network (network.kind "none" with learned mechanics)
    if (!Number.isSafeInteger(s[key]) || (s[key] as number) < 0 || (s[key] as number) > MAX_LAYER) throw field(`${name}.${key}`, `a whole number from 0 to ${MAX_LAYER}`, s[key]);
  }
  if (!Number.isSafeInteger(s.depth) || (s.depth as number) < 0 || (s.depth as number) > MAX_DEPTH) throw field(`${name}.depth`, `a whole number from 0 to ${MAX_DEPTH}`, s.depth);
  for (const key of ['activation', 'outputActivation'] as const) {
    if (!ACTIVATIONS.includes(s[key] as Activation)) throw field(`${name}.${key}`, `one of ${ACTIVATIONS.join(', ')}`, s[key]);
  }
}

/** Bounds on a stored network's shape, far above any model's (a population of 10^7 agents, 1,000 layers). */
const MAX_LAYER = 1e8;
const MAX_DEPTH = 1000;

function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);
  if (typeof v === 'number') return String(v);
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
