// The observations `eval` holds a model to, read at the population size they were observed at: the
// evaluation's own (`--set agents=N`), or else the size the model was trained at (a 42-agent model
// run on 4,200 agents against 42-agent samples). Distributions compare at any two sizes; the loss
// (the MSE of docs/meeting.md §5: agent i of a run against agent i of a sample) needs equal sizes.
import type { ExperimentConfig } from '../config.ts';
import type { Dataset, Game } from '../game.ts';

export interface EvaluationData {
  data: Dataset;
  /** the agents of each observed population: the evaluation's, or the trained model's */
  agents: number;
}

/**
 * Reads `file` for `config` (the evaluation's); a file that does not fit it is read for `trained`
 * (the model's own configuration) when that runs another number of agents. Throws the first
 * error (which names the file, line and column) when neither fits.
 */
export async function readEvaluationData<C extends ExperimentConfig>(game: Game<C>, config: C, trained: C, file: string): Promise<EvaluationData> {
  try {
    return { data: await game.observations.read(file, config), agents: config.agents };
  } catch (err) {
    if (trained.agents === config.agents) throw err;
    try {
      return { data: await game.observations.read(file, trained), agents: trained.agents };
    } catch {
      throw err;
    }
  }
}

/** Why the loss is not computed for observations of `dataAgents` agents, or null when it is. */
export function unpairedReason(config: ExperimentConfig, dataAgents: number): string | null {
  if (dataAgents === config.agents) return null;
  return (
    `the observations are populations of ${dataAgents.toLocaleString('en-US')} agents and the model runs ${config.agents.toLocaleString('en-US')}: ` +
    `the loss compares agent with agent and is not computed; the distributional metrics compare the pooled final states`
  );
}
