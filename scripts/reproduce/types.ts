// The shapes the reproduction passes around: one row of REPORT.md per target (docs/targets.md §2), one
// record per experiment run through the CLI, one per figure copied into the report folder.
import type { CliRun } from './run-cli.ts';

export const FIGURES = ['fig2a', 'fig2b', 'fig3a', 'fig3b', 'fig4', 'fig5', 'fig6'] as const;
export type FigureId = (typeof FIGURES)[number];

/** 'not applicable': the row cannot be computed independently of its target (the reason is in `measured`) */
export type TargetStatus = 'pass' | 'fail' | 'not run' | 'error' | 'not applicable';

export interface TargetRow {
  /** "T1" … "T14" */
  id: string;
  /**
   * 'reference': the setting of the reference's re-run (its frozen randomness included);
   * 'default': the same target under the default (fresh) randomness, shown beside it;
   * 'control': a contrast the target itself names (e.g. per-agent noise for T4).
   */
  variant: 'reference' | 'default' | 'control';
  setting: string;
  expected: string;
  measured: string;
  status: TargetStatus;
}

export interface ExperimentRecord {
  id: string;
  figure: FigureId;
  /** the CLI arguments, as run */
  argv: string[];
  /** exit status of the child; null when it was killed */
  code: number | null;
  /** the backend the run reports having used (after any fallback), or the one asked for */
  backend: string;
  /** wall time of the child process seen from the reproduction (start-up included) */
  wallSeconds: number;
  /** the command's own wallSeconds from summary.json */
  commandSeconds: number | null;
  msPerStep: number | null;
  failure?: string;
}

export interface FigureRecord {
  file: string;
  caption: string;
}

/** Everything an experiment group (one figure of the paper) needs from the orchestrator. */
export interface ReproduceContext {
  out: string;
  quick: boolean;
  backend: string;
  /** `--set` overrides appended to every train command (the reduced setting of --quick) */
  trainingOverrides: string[];
  /** the seeds to run out of a target's list (only the first with --quick) */
  seeds(all: number[]): number[];
  log: (line: string) => void;
  /**
   * Runs `neural-mfg <command> <args>` into `<out>/runs/<id>/`, records it, and copies the listed
   * figures of the run into `<out>/` under their report names.
   */
  run(
    figure: FigureId,
    id: string,
    command: 'simulate' | 'train' | 'analyze',
    args: string[],
    figures: { from: string; to: string; caption: string }[],
  ): Promise<CliRun>;
  /** records a child process that is not a CLI experiment (the unit tests behind T1, T2, T9, T10) */
  record(experiment: ExperimentRecord): void;
}
