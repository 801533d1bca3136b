// One or two runnable examples per command and subcommand ("sweep plan"), shown at the end of its --help.
export const EXAMPLES: Record<string, string[]> = {
  simulate: ['neural-mfg simulate meeting --preset fig2a --out runs/meeting-mfg', 'neural-mfg simulate liars-dice --preset demo --seed 3 --out runs/dice-round'],
  generate: ['neural-mfg generate el-farol --samples 500 --out data/el-farol-500.csv', 'neural-mfg generate epidemic --preset synthetic --from-dynamics --out runs/epidemic-synthetic.csv'],
  train: [
    'neural-mfg train meeting --data data/meeting/train.csv --validation data/meeting/validation.csv --out runs/meeting',
    'neural-mfg train --resume runs/meeting --set training.steps=1000   # continue, or extend a finished run',
    'neural-mfg train epidemic --data data/epidemic/japan/covid_jpn_total.csv --from 2021-07-01 --to 2021-08-25 --out runs/japan-delta',
  ],
  eval: ['neural-mfg eval runs/meeting --data data/meeting/validation.csv --out runs/meeting-eval'],
  analyze: ['neural-mfg analyze liars-dice --preset data-efficiency --quick --out runs/fig6-preview'],
  doctor: ['neural-mfg doctor --json'],
  games: ['neural-mfg games'],
  reproduce: ['neural-mfg reproduce fig2a --quick'],
  sweep: [
    'neural-mfg sweep plan meeting --grid training.learningRate=0.001,0.01 --seeds 10-12 --out runs/lr',
    'neural-mfg sweep run runs/lr && neural-mfg sweep aggregate runs/lr',
  ],
  'sweep plan': [
    'neural-mfg sweep plan meeting --data data/meeting/train.csv --grid training.learningRate=0.001,0.01 --seeds 10-12 --out runs/lr',
    'neural-mfg sweep plan runs/meeting --command eval --data data/meeting/validation.csv --grid training.evaluationPopulations=64,256 --out runs/ev',
  ],
  'sweep run': ['neural-mfg sweep run runs/lr --workers 4', 'neural-mfg sweep run runs/lr --queue redis://localhost:6379 --connect-timeout 120'],
  'sweep run-one': ['neural-mfg sweep run-one runs/lr --index "$SLURM_ARRAY_TASK_ID"'],
  'sweep status': ['neural-mfg sweep status runs/lr', 'neural-mfg sweep status runs/lr --json'],
  'sweep aggregate': ['neural-mfg sweep aggregate runs/lr'],
  'sweep export': [
    'neural-mfg sweep export runs/lr --to slurm --time 00:30:00 --parallelism 8',
    'neural-mfg sweep export runs/lr --to kubernetes --image registry.example/neural-mfg:0.1.0 --claim sweeps',
  ],
  worker: ['neural-mfg worker --queue redis://localhost:6379 --workers 4'],
};

/** The --help epilogue of a command, or null when it has no example. */
export function examplesText(command: string): string | null {
  const lines = EXAMPLES[command];
  return lines ? `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((l) => `  $ ${l}`).join('\n')}` : null;
}
