// The observation model of a game whose observations are its agents' own final states, one number
// per agent (meeting: arrival times, LQ: positions): a CSV of (sample, agent, <value>) rows, the
// mean squared error of every simulated population against every observed one, the observed
// states themselves for `generate --from-dynamics`, and the distances a report compares.
import { tf, type Tensor, type Scalar } from '../tf.ts';
import type { ExperimentConfig, FieldReader } from '../config.ts';
import type { AcceptedRange, Dataset, ObservationModel } from '../game.ts';
import type { RandomStream } from '../random.ts';
import { readLongTable, writeLongTable } from '../data/csv.ts';
import { datasetOfRows } from '../data/dataset.ts';
import { mean, quantiles, std, wasserstein1 } from '../data/stats.ts';

/** The quantiles a report gives of the predicted and the observed final states. */
export const REPORTED_QUANTILES = [0.1, 0.25, 0.5, 0.75, 0.9];

/**
 * `column`: the CSV's value column; `draw`: `samples` observed populations from the game's data
 * generator, [samples, agents] row-major.
 */
export function agentStateObservations<C extends ExperimentConfig>(
  column: string,
  draw: (config: C, rng: RandomStream, samples: number) => Float64Array,
  accepted: (config: C) => AcceptedRange,
): ObservationModel<C> {
  const header = ['sample', 'agent', column];
  return {
    csvHeader: header,
    accepted,
    async read(file, config) {
      const range = accepted(config);
      const { labels, values, shape } = await readLongTable(file, {
        label: 'sample',
        indices: [{ name: 'agent', size: config.agents }],
        value: { name: column, kind: 'number', min: range.min, max: range.max, rangeNote: rangeNote(range) },
      });
      return { labels, values, shape };
    },
    async write(file, data) {
      await writeLongTable(file, header, data, { digits: 6 });
    },
    generate(config, rng, samples): Dataset {
      return { values: draw(config, rng, samples), shape: [samples, config.agents], labels: Array.from({ length: samples }, (_, s) => String(s)) };
    },
    // L = mean over trajectories k, samples b and agents i of (y_{b,i} − x̂_{k,i})²
    loss: (prediction: Tensor, observations: Tensor): Scalar =>
      tf.tidy(() => {
        const [k, agents] = prediction.shape;
        const b = observations.shape[0];
        // tf.squaredDifference's gradient does not reduce broadcast axes: square(sub) does.
        return tf.mean(tf.square(tf.sub(tf.reshape(prediction, [k, 1, agents]), tf.reshape(observations, [1, b, agents])))) as Scalar;
      }),
    // generate --from-dynamics: the simulated final states are the observations
    fromStates: (finals, config) => datasetOfRows(finals, [config.agents]),
    comparableValues: (data) => data.values,
    metrics(finalPopulations, data) {
      const predicted = finalPopulations.flat();
      return {
        finalMean: mean(predicted),
        finalStd: std(predicted),
        observedMean: mean(data.values),
        observedStd: std(data.values),
        // the distance between the predicted and the observed distribution of final states
        wasserstein1: wasserstein1(predicted, data.values),
        // at REPORTED_QUANTILES; like the rest, of the pooled values: any two population sizes compare
        finalQuantiles: quantiles(predicted, REPORTED_QUANTILES),
        observedQuantiles: quantiles(data.values, REPORTED_QUANTILES),
      };
    },
  };
}

/** What a refused value is told: the range and the field that widens it. */
export function rangeNote(range: AcceptedRange): string {
  return `${range.what}; widen the accepted range with --set ${range.field}=[lo,hi] if you mean it`;
}

/**
 * Reads an optional accepted range [min, max] from a configuration section (default `usual`):
 * the field is always filled in, so that `--set` reaches it.
 */
export function readAcceptedRange(section: FieldReader, key: string, usual: [number, number]): [number, number] {
  if (!section.has(key)) return [usual[0], usual[1]];
  const [min, max] = section.numbers(key, { length: 2 });
  if (!(min < max)) section.fail(key, 'a range [min, max] with min < max', [min, max]);
  return [min, max];
}
