// Progress on long runs: a bar with loss and ETA on a terminal (cli-progress), plain lines
// otherwise (logs, CI), both on stderr so that stdout keeps the results.
import cliProgress from 'cli-progress';
import type { Progress } from '../run/io.ts';

export function trainingProgress(label: string, total: number, startAt = 0, stream: NodeJS.WriteStream = process.stderr): Progress {
  const fmt = (x: number | null) => (x === null || !Number.isFinite(x) ? '—' : x.toPrecision(4));
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${label} |{bar}| {value}/{total} steps | loss {loss} | val {val} | ETA {eta_formatted}`,
        etaBuffer: 50,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, startAt, { loss: '—', val: '—' });
    return {
      update: (step, f) => bar.update(step, { loss: fmt(f.loss), val: fmt(f.val) }),
      stop: () => bar.stop(),
    };
  }
  // a line every tenth of the run, and at least every 10 s on long runs
  const every = Math.max(1, Math.floor(total / 10));
  const start = Date.now();
  let lastLine = start;
  return {
    update(step, f) {
      if (step % every !== 0 && step !== total && Date.now() - lastLine < 10_000) return;
      lastLine = Date.now();
      const elapsed = (Date.now() - start) / 1000;
      const done = step - startAt;
      const eta = done > 0 ? (elapsed / done) * (total - step) : NaN;
      stream.write(
        `${label} step ${step}/${total}  loss ${fmt(f.loss)}  val ${fmt(f.val)}  elapsed ${elapsed.toFixed(1)}s  ETA ${Number.isFinite(eta) ? eta.toFixed(1) + 's' : '—'}\n`,
      );
    },
    stop: () => {},
  };
}
