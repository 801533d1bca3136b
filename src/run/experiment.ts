// What a run is made of before it starts: the game, its validated configuration, the seed, and the
// engine it runs on. The front ends (CLI, library, analyses, the reproduction) hand these to the
// run layer (simulate.ts, training.ts, report.ts), which builds the model and owns its streams.
import type { ExperimentConfig } from '../config.ts';
import type { Game } from '../game.ts';
import type { EngineName } from '../mfg/engine.ts';
import { MeanFieldModel } from '../mfg/model.ts';
import type { RandomStream } from '../random.ts';
import { randomStreams, type TrainingStreamName } from '../streams.ts';

export interface Experiment<C extends ExperimentConfig = ExperimentConfig> {
  game: Game<C>;
  /** the preset it started from (null for a configuration given whole) */
  preset: string;
  config: C;
}

/** The engine a run uses, the TF.js backend it started (null on the fused engine), and why, if not the default. */
export interface EngineChoice {
  engine: EngineName;
  backend: string | null;
  note: string | null;
}

/** A model of the experiment built from the seed (its streams, its initial or given parameters). */
export function buildModel<C extends ExperimentConfig>(
  exp: Experiment<C>,
  seed: number,
  engine: EngineName,
  params?: Float32Array,
): { model: MeanFieldModel<C>; streams: Record<TrainingStreamName, RandomStream> } {
  const streams = randomStreams(seed);
  const model = new MeanFieldModel(exp.game, exp.config, streams.dynamics, params ?? streams.parameters, { engine });
  return { model, streams };
}
