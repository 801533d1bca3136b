// One way down: every request runs through execute(), whoever sends it — a CLI command, a process of
// the local pool, a queue worker, a Slurm or Kubernetes task (sweep run-one). It checks the request
// once (requests.ts), runs the executor of its kind, which claims its output, chooses the engine
// (engine.ts), does the work and says what it did through `io`; it returns the exit status.
import { parseRequest, type RunKind, type RunRequest } from './requests.ts';
import { runResume, runTrain } from './training.ts';
import { runSimulate } from './simulate.ts';
import { runGenerate } from './generate.ts';
import { runEval } from './evaluation.ts';
import { runForecast } from './forecast.ts';
import { runAnalysis } from './analysis.ts';
import type { RunIO } from './io.ts';

export type { Progress, RunIO } from './io.ts';
export { consoleIO } from './io.ts';
export { EXIT_DIVERGED, EXIT_INTERRUPTED } from './exit.ts';

type Executor = (req: never, io: RunIO) => Promise<number>;
const EXECUTORS: Record<RunKind, Executor> = {
  train: runTrain,
  resume: runResume,
  simulate: runSimulate,
  generate: runGenerate,
  eval: runEval,
  forecast: runForecast,
  analyze: runAnalysis,
};

/** Runs a request (checked here); returns its exit status: 0, EXIT_DIVERGED or EXIT_INTERRUPTED. Errors are thrown. */
export async function execute(request: RunRequest, io: RunIO): Promise<number> {
  const req = parseRequest(request);
  return (EXECUTORS[req.kind] as (r: RunRequest, io: RunIO) => Promise<number>)(req, io);
}
