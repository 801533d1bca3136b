// The epidemic mechanics (mechanics.ts) on typed arrays, for the fused engine, with their
// hand-derived vector-Jacobian products (docs/epidemic.md §7). Per trajectory, with χ_j = [x_j]₊,
// A = Σ χ_j i_j, B = Σ χ_j (1 − f_j) and Λ = A/B:
//   contact   b_j = −(a·H_j − κ(x̄ − x_j)),  a = w·β·ψ(Λ̃) (Λ̃: Λ held fixed; ψ perception.ts), H_j = 1[x_j > 0]
//   transfers T_j = β χ_j [s_j]₊ Λ, G_j = γ i_j, D_j = δ i_j (Λ live; [s]₊: a step that overshoots
//   below 0 stops infecting rather than turning the transfer round):
//   ds = −T, di = T − G − D, dr = G, df = D, dc = T
// Reverse, for an adjoint v, with u_j = −v_s + v_i + v_c (T's weight), g_j = v_r − v_i, d_j = v_f − v_i
// and U = Σ_j u_j β χ_j [s_j]₊ (Λ's weight):
//   ∂/∂x_j: −κ v_x + H_j (u_j β [s_j]₊ Λ + U (i_j − Λ(1 − f_j))/B)
//   ∂/∂s_j: u_j β χ_j Λ 1[s_j > 0]     ∂/∂i_j: γ g_j + δ d_j + U χ_j/B     ∂/∂f_j: U Λ χ_j/B
import type { GameKernels, NetworkKernels, RunningMask } from '../../src/fused/kernels.ts';
import type { EpidemicConfig } from './config.ts';
import { PER_MILLE, ROW, ROWS } from './layout.ts';
import { TINY } from './mechanics.ts';
import { seriesLoss, type SeriesScale } from './series.ts';
import type { PerceptionKind } from './perception.ts';

const fround = Math.fround;

/** The learnable mechanics, in the order of the `parameters` hook. */
const PARAMETERS = ['transmission', 'recovery', 'fatality', 'infectionCost', 'contactCost', 'normalContact'] as const;

/** The scale of the observed series (series.ts) from a configuration. */
export function seriesScale(config: EpidemicConfig): SeriesScale {
  const { population, ascertainment, severeShare, weights } = config.data;
  return { population, ascertainment, severeShare, weights: [weights.confirmed, weights.fatal, weights.severe] };
}

/** Λ of trajectory r of y, in float32 as mechanics.ts's forceOfInfection computes it, with its parts A and B. */
export function forceOfInfectionAt(y: Float32Array, r: number, cohorts: number): { lambda: number; infectious: number; living: number } {
  const o = r * ROWS * cohorts;
  let infectious = 0;
  let living = 0;
  for (let j = 0; j < cohorts; j++) {
    const chi = Math.max(y[o + ROW.contact * cohorts + j], 0);
    infectious = fround(infectious + fround(chi * y[o + ROW.infected * cohorts + j]));
    living = fround(living + fround(chi * fround(1 - y[o + ROW.fatal * cohorts + j])));
  }
  return { lambda: fround(infectious / Math.max(living, fround(TINY))), infectious, living };
}

/** The prevalence feature the network reads, log(1 + 1000 Λ), in float32 as the graph engine's ops compute it. */
function prevalenceFeatureAt(lambda: number): number {
  return fround(Math.log1p(fround(PER_MILLE * lambda)));
}

/** ψ(Λ) of perception.ts in float32, as mechanics.ts computes it: 1000 Λ (linear), log(1 + 1000 Λ) (log). */
function riskAt(kind: PerceptionKind, lambda: number): number {
  return kind === 'linear' ? fround(PER_MILLE * lambda) : prevalenceFeatureAt(lambda);
}

/** The population network's reads and writes (mechanics.ts epidemicNetwork): [x_1..x_N, the prevalence feature] in, the contact row out. */
function networkKernels(cohorts: number): NetworkKernels {
  const size = ROWS * cohorts;
  const width = cohorts + 1;
  const runs = (running: RunningMask, r: number) => !running || running[r] === 1;
  return {
    inputSize: width,
    outputSize: cohorts,
    input(_t, y, n, _ctx, out, running) {
      for (let r = 0; r < n; r++) {
        if (!runs(running, r)) continue;
        for (let j = 0; j < cohorts; j++) out[r * width + j] = y[r * size + ROW.contact * cohorts + j];
        out[r * width + cohorts] = prevalenceFeatureAt(forceOfInfectionAt(y, r, cohorts).lambda);
      }
    },
    // the prevalence feature is held fixed: only the contact levels carry the input's gradient
    inputVjp(_t, _y, v, n, _ctx, adj, running) {
      for (let r = 0; r < n; r++) {
        if (!runs(running, r)) continue;
        for (let j = 0; j < cohorts; j++) adj[r * size + ROW.contact * cohorts + j] += v[r * width + j];
      }
    },
    output(_t, netOut, n, out) {
      out.fill(0, 0, n * size);
      for (let r = 0; r < n; r++) out.set(netOut.subarray(r * cohorts, (r + 1) * cohorts), r * size + ROW.contact * cohorts);
    },
    outputVjp(_t, v, n, vOut, running) {
      for (let r = 0; r < n; r++) {
        if (!runs(running, r)) continue;
        for (let j = 0; j < cohorts; j++) vOut[r * cohorts + j] = v[r * size + ROW.contact * cohorts + j];
      }
    },
  };
}

export function epidemicKernels(config: EpidemicConfig): GameKernels {
  const N = config.agents;
  const size = ROWS * N;
  const values: Record<(typeof PARAMETERS)[number], number> = { ...config.mechanics };
  const perception = config.mechanics.perception;
  const linear = perception === 'linear';
  // the constants as float32 scalars, as the autodiff path's ops see them (train --learn sets them: `parameters`)
  let beta = 0;
  let gamma = 0;
  let delta = 0;
  let riskScale = 0; // w·β·1000 (linear) or w·β (log): the risk's factor before the perception
  let halfKappa = 0;
  let kappa = 0;
  let normal = 0;
  const update = () => {
    beta = fround(values.transmission);
    gamma = fround(values.recovery);
    delta = fround(values.fatality);
    riskScale = fround(values.infectionCost * values.transmission * (linear ? PER_MILLE : 1));
    halfKappa = fround(values.contactCost / 2);
    kappa = values.contactCost;
    normal = fround(values.normalContact);
  };
  update();
  const scale = seriesScale(config);
  const saves = config.time.saveAt.length;
  const at = (r: number, rowIndex: number, j: number) => r * size + rowIndex * N + j;
  return {
    independentTrajectories: true,
    drift(_t, y, n, _ctx, out, running) {
      for (let r = 0; r < n; r++) {
        if (running && !running[r]) continue;
        const { lambda } = forceOfInfectionAt(y, r, N);
        // Λ held fixed in the cost; linear: (w·β·1000)·Λ exactly as before, log: (w·β)·ψ(Λ)
        const a = fround(riskScale * (linear ? lambda : riskAt(perception, lambda)));
        for (let j = 0; j < N; j++) {
          const x = y[at(r, ROW.contact, j)];
          const s = Math.max(y[at(r, ROW.susceptible, j)], 0); // [s]₊: an overshoot below 0 infects no one
          const i = y[at(r, ROW.infected, j)];
          const chi = Math.max(x, 0);
          const risk = x > 0 ? a : 0;
          const pull = fround(halfKappa * fround(fround(normal - x) * 2));
          out[at(r, ROW.contact, j)] = -fround(risk - pull);
          const infections = fround(fround(fround(beta * chi) * s) * lambda);
          const recoveries = fround(gamma * i);
          const deaths = fround(delta * i);
          out[at(r, ROW.susceptible, j)] = -infections;
          out[at(r, ROW.infected, j)] = fround(fround(infections - recoveries) - deaths);
          out[at(r, ROW.recovered, j)] = recoveries;
          out[at(r, ROW.fatal, j)] = deaths;
          out[at(r, ROW.infections, j)] = infections;
        }
      }
    },
    driftVjp(_t, y, v, step, n, _ctx, adj, running) {
      for (let r = 0; r < n; r++) {
        if (running && !running[r]) continue;
        const { lambda, living } = forceOfInfectionAt(y, r, N);
        const B = Math.max(living, TINY);
        // U: the adjoint's weight on Λ, through every cohort's infections
        let U = 0;
        for (let j = 0; j < N; j++) {
          const u = -v[at(r, ROW.susceptible, j)] + v[at(r, ROW.infected, j)] + v[at(r, ROW.infections, j)];
          U += u * beta * Math.max(y[at(r, ROW.contact, j)], 0) * Math.max(y[at(r, ROW.susceptible, j)], 0);
        }
        for (let j = 0; j < N; j++) {
          const x = y[at(r, ROW.contact, j)];
          const s = Math.max(y[at(r, ROW.susceptible, j)], 0);
          const i = y[at(r, ROW.infected, j)];
          const f = y[at(r, ROW.fatal, j)];
          const chi = Math.max(x, 0);
          const H = x > 0 ? 1 : 0;
          const u = -v[at(r, ROW.susceptible, j)] + v[at(r, ROW.infected, j)] + v[at(r, ROW.infections, j)];
          const g = v[at(r, ROW.recovered, j)] - v[at(r, ROW.infected, j)];
          const d = v[at(r, ROW.fatal, j)] - v[at(r, ROW.infected, j)];
          adj[at(r, ROW.contact, j)] += step * (-kappa * v[at(r, ROW.contact, j)] + H * (u * beta * s * lambda + (U * (i - lambda * (1 - f))) / B));
          if (y[at(r, ROW.susceptible, j)] > 0) adj[at(r, ROW.susceptible, j)] += step * u * beta * chi * lambda;
          adj[at(r, ROW.infected, j)] += step * (gamma * g + delta * d + (U * chi) / B);
          adj[at(r, ROW.fatal, j)] += step * ((U * lambda * chi) / B);
        }
      }
    },
    parameters: {
      names: PARAMETERS,
      set(name, value) {
        if (!(PARAMETERS as readonly string[]).includes(name)) throw new Error(`the epidemic game has no mechanics parameter "${name}"`);
        values[name as (typeof PARAMETERS)[number]] = value;
        update();
      },
      // docs/epidemic.md §8: ∂b/∂θ of the contact drift (Λ̃ held fixed) and of the transfers (exact)
      vjp(_t, y, v, step, n, _ctx, grad, running) {
        const w = values.infectionCost;
        for (let r = 0; r < n; r++) {
          if (running && !running[r]) continue;
          const { lambda } = forceOfInfectionAt(y, r, N);
          const psi = linear ? PER_MILLE * lambda : riskAt(perception, lambda); // ψ(Λ), held fixed
          const g = new Float64Array(PARAMETERS.length);
          for (let j = 0; j < N; j++) {
            const x = y[at(r, ROW.contact, j)];
            const s = Math.max(y[at(r, ROW.susceptible, j)], 0);
            const i = y[at(r, ROW.infected, j)];
            const chi = Math.max(x, 0);
            const H = x > 0 ? 1 : 0;
            const vx = v[at(r, ROW.contact, j)];
            const u = -v[at(r, ROW.susceptible, j)] + v[at(r, ROW.infected, j)] + v[at(r, ROW.infections, j)];
            g[0] += -vx * w * psi * H + u * chi * s * lambda; // β: the cost's risk and the infections
            g[1] += (v[at(r, ROW.recovered, j)] - v[at(r, ROW.infected, j)]) * i; // γ
            g[2] += (v[at(r, ROW.fatal, j)] - v[at(r, ROW.infected, j)]) * i; // δ
            g[3] += -vx * values.transmission * psi * H; // w
            g[4] += vx * (values.normalContact - x); // κ
            g[5] += vx * values.contactCost; // x̄
          }
          for (let k = 0; k < g.length; k++) grad[k] += step * g[k];
        }
      },
    },
    network: networkKernels(N),
    // docs/epidemic.md §5: the trailing-mean log loss over every day of the window (series.ts)
    loss: (pred, n, obs, batch, grad) => seriesLoss(pred, n, obs, batch, saves, N, scale, grad),
  };
}
