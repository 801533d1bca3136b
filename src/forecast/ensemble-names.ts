// How an ensemble's forecasts may be combined (forecast.ts combines them): what `forecast --combine`
// and `rolling.combine` offer and a forecast request may name, in a module that imports nothing, so
// that readers of requests that run no forecast (the dashboard reading a sweep's manifest) can check them.

/** 'pool' the bands of all the members' paths together; 'median' each band the median over the members of theirs. */
export type EnsembleCombine = 'pool' | 'median';
export const ENSEMBLE_COMBINES: readonly EnsembleCombine[] = ['pool', 'median'];
