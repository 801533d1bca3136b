// Numbers that stopped being numbers: the error of a run whose states, loss or weights became NaN
// or infinite (the command line ends it with exit status 3, README "Interruptions and resuming"),
// and the check that finds the first such value.

/** A computation produced NaN or ±Infinity where a finite number was needed. Exit status 3. */
export class NonFiniteError extends Error {
  override readonly name: string = 'NonFiniteError';
}

/** The index of the first NaN or ±Infinity in `values`, or -1 when every value is finite. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}
