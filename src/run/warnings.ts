// What a finished training says about its own numbers (summary.json `warnings`, and `train` prints
// them): the signs that a fit or an estimate is not to be trusted as it stands. Each warning says
// what was seen, with the numbers, and what it usually means.
import type { ExperimentConfig } from '../config.ts';
import type { Game } from '../game.ts';

/** A validation loss more than this many times the training loss is "far above" it. */
export const VALIDATION_RATIO = 2;
/** An estimate within this share of its range (or of its distance from the start, for a one-sided range) of a bound is at the edge. */
export const EDGE_SHARE = 0.01;

const fmt = (x: number) => x.toPrecision(4);

/** What a training learned, as its summary says it (report.ts RunFacts has these fields). */
export interface LearnedFacts {
  learned?: Record<string, number>;
  intervals?: Record<string, [number, number]>;
  bootstrap?: { percentile: Record<string, [number, number]> };
}

/** The warnings of a training whose report has these losses (`config`: the configuration it started from). */
export function trainingWarnings<C extends ExperimentConfig>(
  game: Game<C>,
  config: C,
  facts: LearnedFacts,
  losses: { trainLoss: number | null; validationLoss: number | null },
): string[] {
  const warnings: string[] = [];
  const { trainLoss, validationLoss } = losses;
  if (trainLoss !== null && validationLoss !== null && Number.isFinite(trainLoss) && validationLoss > VALIDATION_RATIO * trainLoss) {
    warnings.push(
      `the validation loss ${fmt(validationLoss)} is ${fmt(validationLoss / trainLoss)} times the training loss ${fmt(trainLoss)}: ` +
        `the model explains the training set, not new observations (too few training samples, or training data unlike the validation data)`,
    );
  }
  const learned = Object.entries(facts.learned ?? {});
  if (learned.length > 0 && config.noise.layout !== 'none' && config.noise.path === 'frozen') {
    warnings.push(
      `${learned.map(([f]) => f).join(', ')} ${learned.length > 1 ? 'were' : 'was'} learned on a frozen noise path: the fit explains one realisation ` +
        `of the noise, not its distribution (--noise-path fresh, the default with --learn, draws a path for every solve)`,
    );
  }
  for (const [field, estimate] of learned) {
    const edge = atEdge(game.learnable?.[field] ?? {}, startOf(config, field), estimate);
    if (edge) warnings.push(`${field} = ${fmt(estimate)} is at the edge of its range (${edge}): the data may want a value the range does not allow, or the fit did not converge`);
    const percentile = facts.bootstrap?.percentile[field];
    const interval = facts.intervals?.[field];
    for (const [name, iv] of [['bootstrap interval', interval], ['bootstrap percentile interval', percentile]] as const) {
      if (iv && !(iv[0] <= estimate && estimate <= iv[1])) {
        warnings.push(
          `the ${name} [${fmt(iv[0])}, ${fmt(iv[1])}] of ${field} does not contain the estimate ${fmt(estimate)}: ` +
            `the fits to resampled data disagree with the fit to the data (a biased or unstable estimate)`,
        );
      }
    }
  }
  return warnings;
}

/** The configured (starting) value of a learned field, e.g. mechanics.scheduledTime. */
function startOf(config: ExperimentConfig, field: string): number {
  let v: unknown = config;
  for (const key of field.split('.')) v = (v as Record<string, unknown>)?.[key];
  return typeof v === 'number' ? v : Number.NaN;
}

/** Which bound an estimate sits at, in words, or null. */
function atEdge(range: { min?: number; max?: number }, start: number, estimate: number): string | null {
  const { min, max } = range;
  const tolerance =
    min !== undefined && max !== undefined ? EDGE_SHARE * (max - min) : EDGE_SHARE * Math.max(Math.abs(start - (min ?? max ?? start)), 1e-6);
  if (min !== undefined && estimate - min <= tolerance) return `its lower bound is ${min}`;
  if (max !== undefined && max - estimate <= tolerance) return `its upper bound is ${max}`;
  return null;
}
