// Checkpoints: DIR/checkpoint.json holds everything `train --resume DIR` needs to continue to the
// same final weights as an uninterrupted run (configuration, seed, data files, and the training
// state: weights, optimiser moments, loader position, random-stream states, metrics). Written
// atomically, so a crash mid-write leaves the previous checkpoint intact.
import { readFile } from 'node:fs/promises';
import type { ExperimentConfig } from '../config.ts';
import type { TrainState } from '../train/loop.ts';
import type { TrainingStreamName as StreamName } from '../streams.ts';
import { writeJsonAtomic } from './atomic.ts';

export const CHECKPOINT_FORMAT = 'neural-mfg-checkpoint';
export const CHECKPOINT_VERSION = 1;

export interface CheckpointRun {
  game: string;
  preset: string;
  config: ExperimentConfig;
  seed: number;
  data: string | null;
  validationData: string | null;
}

export class CheckpointError extends Error {}

const b64 = (a: Float32Array | Uint32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
function fromB64<T extends Float32Array | Uint32Array>(text: string, Ctor: { new (b: ArrayBuffer): T }, what: string): T {
  const buf = Buffer.from(text, 'base64');
  if (buf.byteLength % 4 !== 0) throw new CheckpointError(`checkpoint field ${what} is damaged`);
  return new Ctor(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

export async function writeCheckpoint(path: string, run: CheckpointRun, state: TrainState): Promise<void> {
  await writeJsonAtomic(path, {
    format: CHECKPOINT_FORMAT,
    formatVersion: CHECKPOINT_VERSION,
    run,
    state: {
      step: state.step,
      params: b64(state.params),
      optimizer: { step: state.optimizer.step, m: b64(state.optimizer.m), v: b64(state.optimizer.v) },
      loader: state.loader,
      streams: Object.fromEntries(Object.entries(state.streams).map(([k, v]) => [k, b64(v)])),
      initialState: state.initialState,
      metrics: state.metrics,
    },
  });
}

export async function readCheckpoint(path: string): Promise<{ run: CheckpointRun; state: TrainState }> {
  let raw: any;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CheckpointError(
      code === 'ENOENT' ? `${path}: no checkpoint here (was the run started with this --out folder?)` : `${path}: not valid JSON (${(err as Error).message.replace(/\s*\n\s*/g, ' ')})`,
    );
  }
  if (raw?.format !== CHECKPOINT_FORMAT) throw new CheckpointError(`${path}: not a neural-mfg checkpoint`);
  if (raw.formatVersion > CHECKPOINT_VERSION) {
    throw new CheckpointError(`${path}: checkpoint format ${raw.formatVersion} is newer than this neural-mfg reads (${CHECKPOINT_VERSION})`);
  }
  const s = raw.state;
  try {
    const state: TrainState = {
      step: s.step,
      params: fromB64(s.params, Float32Array, 'params'),
      optimizer: { step: s.optimizer.step, m: fromB64(s.optimizer.m, Float32Array, 'optimizer.m'), v: fromB64(s.optimizer.v, Float32Array, 'optimizer.v') },
      loader: s.loader,
      streams: Object.fromEntries(
        Object.entries(s.streams as Record<string, string>).map(([k, v]) => [k, fromB64(v, Uint32Array, `streams.${k}`)]),
      ) as Record<StreamName, Uint32Array>,
      initialState: s.initialState,
      metrics: s.metrics,
    };
    return { run: raw.run, state };
  } catch (err) {
    if (err instanceof CheckpointError) throw err;
    throw new CheckpointError(`${path}: damaged checkpoint (${(err as Error).message})`);
  }
}
