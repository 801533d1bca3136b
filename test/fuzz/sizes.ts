// How many cases the fuzz suite runs: in npm test (seconds), and with scripts/fuzz.ts --long.
export const FUZZ_QUICK = { seed: 22, csv: 60, models: 40, set: 200, cli: 4, limitMs: 10_000 };
export const FUZZ_LONG = { seed: 2222, csv: 1500, models: 800, set: 5000, cli: 60, limitMs: 20_000 };
