// Trained models on disk: DIR/model.json (game, full configuration, network shape, solver,
// seeds, versions, metrics) and DIR/weights.bin (the flat float32 parameter vector,
// little-endian). Written atomically as a folder.
import { readFile, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { TFJS_VERSION } from '../tf.ts';
import type { ExperimentConfig } from '../config.ts';
import type { MlpSpec } from '../nn/spec.ts';
import { parameterCount } from '../nn/spec.ts';
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

/** Reads and checks a model folder; errors say which file is wrong and how. */
export async function readModel(dir: string): Promise<{ manifest: ModelManifest; params: Float32Array }> {
  const manifestPath = join(dir, 'model.json');
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch {
    throw new ModelFileError(`${manifestPath}: not found — is ${dir} a folder written by "neural-mfg train"?`);
  }
  let manifest: ModelManifest;
  try {
    manifest = JSON.parse(text);
  } catch (err) {
    throw new ModelFileError(`${manifestPath}: not valid JSON (${(err as Error).message})`);
  }
  if (manifest.format !== MODEL_FORMAT) throw new ModelFileError(`${manifestPath}: not a neural-mfg model file`);
  if (typeof manifest.formatVersion !== 'number' || manifest.formatVersion > MODEL_FORMAT_VERSION) {
    throw new ModelFileError(
      `${manifestPath}: format version ${manifest.formatVersion} is newer than this neural-mfg reads (${MODEL_FORMAT_VERSION}); upgrade neural-mfg`,
    );
  }
  const weightsPath = join(dir, manifest.weights?.file ?? 'weights.bin');
  let bytes: Buffer;
  try {
    bytes = await readFile(weightsPath);
  } catch {
    throw new ModelFileError(`${weightsPath}: not found`);
  }
  const expected = parameterCount(manifest.network) + (manifest.diffusion ? parameterCount(manifest.diffusion) : 0);
  if (manifest.weights.count !== expected || bytes.byteLength !== expected * 4) {
    throw new ModelFileError(
      `${weightsPath}: holds ${bytes.byteLength / 4} weights, the network in model.json needs ${expected}`,
    );
  }
  if (sha256(bytes) !== manifest.weights.sha256) {
    throw new ModelFileError(`${weightsPath}: checksum does not match model.json (file damaged or changed)`);
  }
  const params = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return { manifest, params };
}
