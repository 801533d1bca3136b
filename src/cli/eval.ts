// `neural-mfg eval MODEL_DIR --data FILE.csv --out DIR`: a trained model against new observations
// through the run layer (src/run/evaluation.ts): the training loss and the game's own distances.
import { Option, type Command } from 'commander';
import { BACKEND_NAMES, DEFAULT_BACKEND } from '../backend.ts';
import { collect, engineAsk, engineOption, parsePositiveInt, runRequest, UsageError, type CommonOptions } from './options.ts';

export interface EvalCommandOptions extends Pick<CommonOptions, 'out' | 'backend' | 'engine' | 'allowSoftware' | 'force'> {
  data?: string;
  seed?: number;
  set: string[];
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .argument('<model-dir>', "a model folder (a training run's folder DIR or DIR/model, or one shipped under models/)")
    .description("evaluate a trained model on observations: loss, the game's distances, a figure, summary.json")
    .requiredOption('--data <file.csv>', "observations in the game's CSV format")
    .requiredOption('--out <dir>', 'output folder (summary.json, turns.svg, trajectory.csv)')
    .option('--seed <n>', 'seed of the evaluation populations and noise (default: the training seed)', parsePositiveInt('--seed'))
    .addOption(new Option('--backend <name>', 'TF.js backend').choices(BACKEND_NAMES).default(DEFAULT_BACKEND))
    .addOption(engineOption())
    .option('--allow-software', 'with --backend webgpu: run on software rendering (the CPU, not a GPU), which is refused otherwise')
    .option('--set <key=value>', "override a field of the model's configuration for this evaluation, e.g. --set training.evaluationPopulations=100 (repeatable; not the network's)", collect, [])
    .option('--force', "write into an --out that holds another run's results (they are removed first)")
    .action(async (model: string, opts: EvalCommandOptions) => {
      if (!opts.out) throw new UsageError('eval needs --out DIR');
      if (!opts.data) throw new UsageError('eval needs --data FILE.csv');
      await runRequest({ kind: 'eval', model, data: opts.data, ...(opts.seed !== undefined ? { seed: opts.seed } : {}), set: opts.set, ...engineAsk(opts), out: opts.out, force: opts.force === true });
    });
}
