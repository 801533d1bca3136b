// Mini-batches of sample indices: a fresh permutation every epoch from the shuffle stream, and
// consecutive slices of it. Unlike the reference (docs/reference-defects.md Q9) a full last batch is never dropped
// (slices end ≤ N), a dataset smaller than the batch yields itself, and a partial last batch is
// dropped or kept as configured; 'reference' reproduces Q9.
import type { RandomStream } from '../random.ts';

export interface LoaderState {
  order: number[];
  cursor: number;
  epoch: number;
}

export class BatchLoader {
  private order: Int32Array = new Int32Array(0);
  private cursor = 0;
  epoch = 0;

  constructor(
    readonly size: number,
    readonly batchSize: number,
    private readonly rng: RandomStream,
    private readonly lastBatch: 'drop' | 'keep' | 'reference' = 'drop',
  ) {
    if (size < 1) throw new Error('BatchLoader: the dataset is empty');
  }

  /** The next batch of indices into the dataset. */
  next(): Int32Array {
    const b = Math.min(this.batchSize, this.size);
    if (this.available() <= 0 || (this.available() < b && this.lastBatch !== 'keep')) {
      this.order = this.rng.permutation(this.size);
      this.cursor = 0;
      this.epoch += 1;
    }
    const end = Math.min(this.cursor + b, this.cursor + this.available());
    const batch = this.order.slice(this.cursor, end);
    this.cursor = end;
    return batch;
  }

  /**
   * Indices left in this epoch. 'reference' (docs/reference-defects.md Q9): a slice must end strictly before N, so
   * the last batch is dropped even when full; where no batch fits (N ≤ batch size, where the
   * reference would loop forever) the whole dataset is the batch.
   */
  private available(): number {
    const reference = this.lastBatch === 'reference' && this.size > this.batchSize;
    return this.order.length - (reference ? 1 : 0) - this.cursor;
  }

  /** Where the loader stands (for checkpoints). */
  getState(): LoaderState {
    return { order: Array.from(this.order), cursor: this.cursor, epoch: this.epoch };
  }
  setState(s: LoaderState): void {
    this.order = Int32Array.from(s.order);
    this.cursor = s.cursor;
    this.epoch = s.epoch;
  }
}
