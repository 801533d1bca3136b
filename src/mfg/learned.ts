// The inverse mean-field game (train --learn): named mechanics parameters of the game learned from
// the data, with the network or instead of it (network.kind "none"). They sit after the networks in
// the model's flat parameter vector as unconstrained coordinates u, which the optimiser moves; each
// parameter stays in the range its game declares (Game.learnable) through its map θ = f(z):
//   both bounds:    θ = min + (max − min)·sigmoid(z)
//   a lower bound:  θ = min + softplus(z)        (an upper bound alone: θ = max − softplus(−z))
//   none:           θ = z
// with z = z₀ + κ·u, z₀ = f⁻¹(θ₀) from the configured value θ₀ (u starts at 0), and κ such that a
// step of u by the training learning rate (about what Adam takes) moves θ by inverse.learningRate
// at the start. The gradient reaches θ through the game kernels' `parameters` hook (fused engine).
import { ConfigError, INVERSE_DEFAULTS, type ExperimentConfig, type InverseConfig } from '../config.ts';
import type { Game, LearnableRange } from '../game.ts';

/** The configuration's inverse section (defaults where absent). */
export function inverseOf(config: ExperimentConfig): InverseConfig {
  return config.inverse ?? INVERSE_DEFAULTS;
}

/** A learnable field's dotted name from what a user writes ("scheduledTime" or "mechanics.scheduledTime"). */
export function learnableField<C extends ExperimentConfig>(game: Game<C>, name: string): string {
  const field = name.includes('.') ? name : `mechanics.${name}`;
  const known = Object.keys(game.learnable ?? {});
  if (!known.includes(field)) {
    const choices = known.length ? `one of ${known.join(', ')}` : 'none: the game has no learnable mechanics';
    throw new ConfigError(`configuration field "inverse.learn": the ${game.name} game cannot learn "${name}" (${choices})`);
  }
  return field;
}

interface ParameterMap {
  value(z: number): number;
  /** dθ/dz */
  slope(z: number): number;
  inverse(theta: number): number;
}

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
const softplus = (z: number) => (z > 30 ? z : Math.log1p(Math.exp(z)));
const softplusInverse = (y: number) => (y > 30 ? y : Math.log(Math.expm1(y)));

/** θ = f(z) for a range; a configured value on or outside a bound starts just inside it. */
function parameterMap(range: LearnableRange): ParameterMap {
  const { min, max } = range;
  if (min !== undefined && max !== undefined) {
    const width = max - min;
    return {
      value: (z) => min + width * sigmoid(z),
      slope: (z) => width * sigmoid(z) * (1 - sigmoid(z)),
      inverse: (theta) => {
        const p = Math.min(1 - 1e-6, Math.max(1e-6, (theta - min) / width));
        return Math.log(p / (1 - p));
      },
    };
  }
  if (min !== undefined) {
    return { value: (z) => min + softplus(z), slope: sigmoid, inverse: (theta) => softplusInverse(Math.max(theta - min, 1e-6)) };
  }
  if (max !== undefined) {
    return { value: (z) => max - softplus(-z), slope: (z) => sigmoid(-z), inverse: (theta) => -softplusInverse(Math.max(max - theta, 1e-6)) };
  }
  return { value: (z) => z, slope: () => 1, inverse: (theta) => theta };
}

/** The learned mechanics parameters of a model: their coordinates, values and gradients. */
export class LearnedMechanics {
  /** dotted configuration fields, e.g. "mechanics.scheduledTime" */
  readonly fields: string[];
  /** their names in the mechanics section (what the kernels' `parameters` hook calls them) */
  readonly names: string[];
  private readonly maps: ParameterMap[];
  private readonly z0: number[];
  private readonly kappa: number[];

  constructor(game: Game<any>, config: ExperimentConfig) {
    const inverse = inverseOf(config);
    this.fields = inverse.learn.map((name) => learnableField(game, name));
    this.names = this.fields.map((f) => f.slice('mechanics.'.length));
    this.maps = this.fields.map((f) => parameterMap(game.learnable![f]));
    const mechanics = config.mechanics as Record<string, unknown>;
    this.z0 = this.names.map((name, j) => {
      const theta = mechanics[name];
      if (typeof theta !== 'number') throw new ConfigError(`configuration field "inverse.learn": "mechanics.${name}" is not a number`);
      return this.maps[j].inverse(theta);
    });
    this.kappa = this.z0.map((z, j) => inverse.learningRate / (config.training.learningRate * Math.max(this.maps[j].slope(z), 1e-12)));
  }

  get count(): number {
    return this.fields.length;
  }

  /** θ_j at the coordinates u [count] */
  values(u: ArrayLike<number>): number[] {
    return this.maps.map((map, j) => map.value(this.z0[j] + this.kappa[j] * u[j]));
  }

  /** out[offset + j] = ∂L/∂u_j from ∂L/∂θ_j */
  chain(u: ArrayLike<number>, gTheta: ArrayLike<number>, out: Float32Array | Float64Array, offset: number): void {
    this.maps.forEach((map, j) => {
      out[offset + j] = gTheta[j] * map.slope(this.z0[j] + this.kappa[j] * u[j]) * this.kappa[j];
    });
  }

  /** field → value at the coordinates u */
  byField(u: ArrayLike<number>): Record<string, number> {
    const values = this.values(u);
    return Object.fromEntries(this.fields.map((f, j) => [f, values[j]]));
  }
}

/** The model's learned mechanics, or null when inverse.learn is empty. */
export function learnedMechanics<C extends ExperimentConfig>(game: Game<C>, config: C): LearnedMechanics | null {
  return inverseOf(config).learn.length > 0 ? new LearnedMechanics(game, config) : null;
}
