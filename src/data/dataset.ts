// Observations in memory: a dataset as read from a CSV file (or generated), the rows of it a batch
// uses, the float32 batches the losses read, and what one solve knows besides its states.

/** A row-major observation set: [samples, ...sampleShape] in float64. */
export interface Dataset {
  values: Float64Array;
  shape: number[];
  /** the sample labels as read from the CSV (or generated) */
  labels: string[];
  /**
   * what the reader learnt of the file besides the samples, by name (a time series' dates, the
   * repairs it made, the days before its window): reports keep it in summary.json
   */
  about?: Record<string, unknown>;
}

/** A batch of observations in float32, as the loss reads it. */
export interface ObservationBatch {
  values: Float32Array;
  /** [count, ...sample] */
  shape: number[];
}

/**
 * What one solve knows besides the state: the observations paired with its trajectories (for games
 * whose mechanics read them, like Liar's dice's rolls) and one random key per trajectory.
 */
export interface SolveContext {
  /** [trajectories, ...sampleShape] when the game pairs trajectories with observations, else null */
  observations: Dataset | null;
  /** one key per trajectory: per-trajectory randomness derives from it and the step */
  keys: Uint32Array;
}

/** A dataset of rows of equal size (one sample each, [...sampleShape]), labelled 0, 1, …. */
export function datasetOfRows(rows: ArrayLike<number>[], sampleShape: number[]): Dataset {
  const size = sampleShape.reduce((a, b) => a * b, 1);
  const values = new Float64Array(rows.length * size);
  rows.forEach((row, s) => {
    if (row.length !== size) throw new Error(`datasetOfRows: row ${s} has ${row.length} values, expected ${size}`);
    values.set(row, s * size);
  });
  return { values, shape: [rows.length, ...sampleShape], labels: rows.map((_, s) => String(s)) };
}

/** Rows `indices` of a dataset (host). */
export function subset(data: Dataset, indices: ArrayLike<number>): Dataset {
  const rowSize = data.shape.slice(1).reduce((a, b) => a * b, 1);
  const values = new Float64Array(indices.length * rowSize);
  const labels: string[] = [];
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i];
    values.set(data.values.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
    labels.push(data.labels[r]);
  }
  return { values, shape: [indices.length, ...data.shape.slice(1)], labels };
}

/** Rows `indices` of a dataset in float32, as the loss reads them. */
export function batchOf(data: Dataset, indices: ArrayLike<number>): ObservationBatch {
  const rowSize = data.shape.slice(1).reduce((a, b) => a * b, 1);
  const values = new Float32Array(indices.length * rowSize);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i];
    values.set(data.values.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
  }
  return { values, shape: [indices.length, ...data.shape.slice(1)] };
}

/** A whole dataset in float32. */
export function batchOfAll(data: Dataset): ObservationBatch {
  return { values: Float32Array.from(data.values), shape: data.shape.slice() };
}
