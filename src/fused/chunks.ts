// Trajectories in fixed chunks. Where a game's trajectories are independent of one another, a
// solve over n of them is the solves of its chunks, and a loss that is a mean over trajectories is
// the chunks' losses weighted by their share. The chunks are fixed blocks of CHUNK trajectories
// whatever the number of threads, and their results are combined in chunk order, so a run gives
// the same numbers on one core as on many.
import type { SolveContext } from '../data/dataset.ts';
import { BrownianIncrements } from '../ode/brownian.ts';
import type { ObservationBatch, SolveRequest } from '../mfg/engine.ts';
import { subset } from '../data/dataset.ts';

/** trajectories per chunk */
export const CHUNK = 16;

export interface Chunk {
  start: number;
  count: number;
}

/** [0, n) in blocks of CHUNK (the last one shorter). */
export function chunksOf(n: number): Chunk[] {
  const out: Chunk[] = [];
  for (let start = 0; start < n; start += CHUNK) out.push({ start, count: Math.min(CHUNK, n - start) });
  return out;
}

/** The part of a Brownian path that drives trajectories [start, start + count): a frozen path is shared. */
function pathPart(path: BrownianIncrements, c: Chunk): BrownianIncrements {
  const [paths, ...rest] = path.shape;
  if (paths === 1) return path;
  const per = rest.reduce((a, b) => a * b, 1);
  const values = new Float64Array(path.steps * c.count * per);
  for (let k = 0; k < path.steps; k++) {
    values.set(path.values.subarray((k * paths + c.start) * per, (k * paths + c.start + c.count) * per), k * c.count * per);
  }
  return new BrownianIncrements(path.steps, path.dt, [c.count, ...rest], values);
}

/** The request for the trajectories of one chunk. */
export function requestPart(req: SolveRequest, c: Chunk, size: number): SolveRequest {
  const ctx: SolveContext | undefined = req.ctx && {
    observations: req.ctx.observations ? subset(req.ctx.observations, Array.from({ length: c.count }, (_, i) => c.start + i)) : null,
    keys: req.ctx.keys.slice(c.start, c.start + c.count),
  };
  return {
    y0: req.y0.slice(c.start * size, (c.start + c.count) * size),
    trajectories: c.count,
    path: req.path && pathPart(req.path, c),
    network: req.network,
    ...(ctx ? { ctx } : {}),
    ...(req.saveAt ? { saveAt: req.saveAt } : {}),
  };
}

/** The observations a chunk's loss compares with: its own rows when paired, else all of them. */
export function observationsPart(obs: ObservationBatch, c: Chunk, paired: boolean): ObservationBatch {
  if (!paired) return obs;
  const row = obs.values.length / obs.shape[0];
  return { values: obs.values.slice(c.start * row, (c.start + c.count) * row), shape: [c.count, ...obs.shape.slice(1)] };
}
