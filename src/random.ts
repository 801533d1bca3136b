// Seeded, reproducible random number generators on the host (float64) and the samplers the games
// need. How a run's seed becomes its named streams is src/streams.ts.
import mt19937 from '@stdlib/random-base-mt19937';

/** splitmix32-style mixing: a well-spread 32-bit seed for stream `index` of experiment `seed`. */
export function deriveSeed(seed: number, index: number): number {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) + Math.imul(index + 1, 0x85ebca77)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97) >>> 0;
  z = (z ^ (z >>> 15)) >>> 0;
  return z === 0 ? 1 : z;
}

/** What a sampler needs of a stream: uniform numbers on [0, 1). */
export interface UniformSource {
  uniform(): number;
}

/**
 * A light stream for short-lived, per-event randomness (one Liar's dice turn of one game):
 * mulberry32, whose set-up costs nothing, unlike a Mersenne Twister's 624-word state. Its state
 * is one word; it is not meant for long sequences.
 */
export class LightStream implements UniformSource {
  constructor(private a: number) {
    this.a = a >>> 0;
  }
  uniform(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /**
   * How many of the next `draws` uniforms u fall in [low, high), or at or above `alsoFrom`: the
   * same draws as `draws` calls of uniform(), in one loop (a Liar's dice turn counts hundreds).
   * With `enough`, it stops as soon as whether the count reaches `enough` is decided (the stream
   * then stands where it stopped, and the count is exact only when it stayed below).
   */
  countIn(low: number, high: number, alsoFrom: number, draws: number, enough = Infinity): number {
    // in 32-bit integers: u = x / 2³² lies in [low, high) exactly when x lies in [low·2³², high·2³²)
    const lo = low * 4294967296;
    const hi = high * 4294967296;
    const also = alsoFrom * 4294967296;
    // with `enough`: stop once decided (reached, or out of reach with the draws left)
    const until = Number.isFinite(enough);
    if (until && (enough <= 0 || draws < enough)) return 0;
    let a = this.a | 0;
    let count = 0;
    for (let i = 0; i < draws; i++) {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= (t + Math.imul(t ^ (t >>> 7), t | 61)) | 0;
      const x = (t ^ (t >>> 14)) >>> 0;
      if ((x >= lo && x < hi) || x >= also) count++;
      if (until && (count >= enough || count + draws - 1 - i < enough)) break;
    }
    this.a = a >>> 0;
    return count;
  }
}

/**
 * A Mersenne-Twister stream (stdlib) with the distributions the games need. The samplers keep no
 * state of their own (no cached second normal), so the generator's state alone is the stream's
 * state: a checkpoint that saves it resumes the exact same sequence.
 */
export class RandomStream implements UniformSource {
  private readonly base: { normalized: () => number; state: Uint32Array };
  private readonly uniform01: () => number;

  constructor(seed: number, state?: Uint32Array) {
    // stdlib's typings omit `normalized` on the factory's result; it is documented API.
    this.base = (state ? mt19937.factory({ state, copy: true }) : mt19937.factory({ seed: seed >>> 0 || 1 })) as unknown as {
      normalized: () => number;
      state: Uint32Array;
    };
    this.uniform01 = this.base.normalized;
  }

  /** Uniform on [0, 1). */
  uniform(): number {
    return this.uniform01();
  }
  /** N(mean, std²) by Box–Muller, using the cosine branch only (stateless). */
  normal(mean = 0, std = 1): number {
    const u1 = 1 - this.uniform01(); // (0, 1]
    const u2 = this.uniform01();
    return mean + std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  /** Gamma with shape k and scale θ (mean kθ), by Marsaglia–Tsang (boosted for k < 1). */
  gamma(k: number, theta: number): number {
    if (!(k > 0) || !(theta > 0)) throw new Error(`gamma(${k}, ${theta}): shape and scale must be positive`);
    if (k < 1) return this.gamma(k + 1, theta) * Math.pow(1 - this.uniform01(), 1 / k);
    const d = k - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = this.normal();
      const v = (1 + c * x) ** 3;
      if (v <= 0) continue;
      const u = 1 - this.uniform01();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v * theta;
    }
  }
  /** n independent N(mean, std²) draws. */
  normals(n: number, mean = 0, std = 1): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal(mean, std);
    return out;
  }
  uniforms(n: number): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.uniform01();
    return out;
  }
  /** n independent 32-bit keys (per-trajectory randomness derives from them). */
  keys(n: number): Uint32Array {
    return Uint32Array.from({ length: n }, () => Math.floor(this.uniform01() * 2 ** 32) >>> 0);
  }
  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.uniform01() * (i + 1));
      const tmp = p[i];
      p[i] = p[j];
      p[j] = tmp;
    }
    return p;
  }
  /** Snapshot of the generator state (for checkpoints). */
  get state(): Uint32Array {
    return this.base.state;
  }
  set state(s: Uint32Array) {
    this.base.state = s;
  }
}
