// Synthetic populations shared by several games (docs/meeting.md §4, the generator G(μ, σ, k, θ; N, M)).
import type { RandomStream } from '../random.ts';
import { ConfigError, type FieldReader } from '../config.ts';

export interface GroupedNormalSpec {
  /** mean of the group means μ */
  mean: number;
  /** standard deviation σ of the group means */
  std: number;
  /** Gamma shape k of the group variances */
  gammaShape: number;
  /** Gamma scale θ of the group variances */
  gammaScale: number;
  /** number of groups N */
  groups: number;
  /** agents per group M */
  perGroup: number;
}

/**
 * One population of N·M agents: group means μ_j ~ N(μ, σ²), group variances v_j ~ Gamma(k, θ)
 * (used as a variance, not a standard deviation: docs/reference-defects.md Q11), then M draws of the N-vector,
 * flattened row-major so that agent i belongs to group i mod N.
 */
export function groupedNormal(rng: RandomStream, g: GroupedNormalSpec): Float64Array {
  const means = rng.normals(g.groups, g.mean, g.std);
  const variances = Float64Array.from({ length: g.groups }, () => rng.gamma(g.gammaShape, g.gammaScale));
  const out = new Float64Array(g.groups * g.perGroup);
  for (let m = 0; m < g.perGroup; m++) {
    for (let j = 0; j < g.groups; j++) out[m * g.groups + j] = rng.normal(means[j], Math.sqrt(variances[j]));
  }
  return out;
}

/**
 * Reads the generator's fields from a configuration section (the caller reads any fields of its
 * own, then calls `done()`); N·M must equal the number of agents.
 */
export function readGroupedNormalSpec(section: FieldReader, agents: number): GroupedNormalSpec {
  const spec: GroupedNormalSpec = {
    mean: section.number('mean'),
    std: section.number('std', { min: 0 }),
    gammaShape: section.number('gammaShape', { positive: true }),
    gammaScale: section.number('gammaScale', { positive: true }),
    groups: section.number('groups', { integer: true, min: 1 }),
    perGroup: section.number('perGroup', { integer: true, min: 1 }),
  };
  if (spec.groups * spec.perGroup !== agents) {
    throw new ConfigError(
      `configuration fields "${section.path}.groups" × "${section.path}.perGroup" = ${spec.groups * spec.perGroup} must equal "agents" = ${agents}` +
        ` (--set agents=N alone sets ${section.path}.perGroup = N / ${spec.groups} when N is a multiple of ${section.path}.groups = ${spec.groups}, e.g. ${spec.groups * Math.max(1, Math.round(agents / spec.groups))})`,
    );
  }
  return spec;
}

/**
 * `--set agents=N` alone resizes the population: the generator's draws per group follow
 * (data.perGroup = N / data.groups, when N is a multiple of it), so that a preset or a model runs
 * on N agents with observations from the same generator. Overrides that set data.groups or
 * data.perGroup themselves are left as they are. Returns the (copied) raw configuration.
 */
export function generatorFollowsAgents(raw: unknown, overrides: string[]): unknown {
  const keys = overrides.map((o) => o.slice(0, Math.max(0, o.indexOf('='))).trim());
  if (!keys.includes('agents') || keys.includes('data.groups') || keys.includes('data.perGroup')) return raw;
  const copy = structuredClone(raw) as { agents?: unknown; data?: { groups?: unknown; perGroup?: unknown } };
  const { agents, data } = copy;
  if (typeof agents !== 'number' || !data || typeof data.groups !== 'number' || typeof data.perGroup !== 'number') return raw;
  if (Number.isInteger(agents) && agents > 0 && agents % data.groups === 0) data.perGroup = agents / data.groups;
  return copy;
}
