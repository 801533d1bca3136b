// The Liar's dice "carry" (docs/liars-dice.md §2): one game's ODE state, a (P+2) × (F+1) matrix holding
// the previous bid, the game state and every player's raw beliefs (logits) and raw bluff rate.
// Host-side layout, construction and decoding; a batch of carries is a row-major Float64Array
// [games, P+2, F+1].

export interface CarryLayout {
  /** P, the number of players */
  players: number;
  /** D, dice per player */
  dice: number;
  /** F, faces per die (6) */
  faces: number;
}

/** Row indices of the carry (docs/liars-dice.md §2). */
export const BID_ROW = 0;
export const STATE_ROW = 1;
export const playerRow = (player: number): number => 2 + player;

export const carryRows = (layout: CarryLayout): number => layout.players + 2;
export const carryColumns = (layout: CarryLayout): number => layout.faces + 1;
export const carrySize = (layout: CarryLayout): number => carryRows(layout) * carryColumns(layout);
/** Q = P·D, all dice on the table */
export const totalDice = (layout: CarryLayout): number => layout.players * layout.dice;

export function checkLayout(layout: CarryLayout): void {
  for (const key of ['players', 'dice', 'faces'] as const) {
    const v = layout[key];
    if (!Number.isInteger(v) || v < 1) throw new Error(`Liar's dice layout: ${key} must be an integer ≥ 1, got ${v}`);
  }
}

/**
 * How the initial odds enter the logit slots (docs/liars-dice.md §2, docs/reference-defects.md Q6):
 * - 'log-odds' (default): z⁰ = log π⁰, so softmax(z⁰) = π⁰; a zero probability is floored at
 *   MIN_INITIAL_PROBABILITY (a finite logit keeps the arithmetic free of ∞ − ∞);
 * - 'odds-as-logits' (faithful): π⁰ written directly into the logit slots, so the players start
 *   from softmax(π⁰) ≠ π⁰ unless π⁰ is uniform.
 */
export type InitialLogits = 'log-odds' | 'odds-as-logits';

export const MIN_INITIAL_PROBABILITY = 1e-12;

export interface InitialCarrySpec {
  /** π⁰, the odds every player starts from; default uniform 1/F */
  odds?: number[];
  /** λ₀, every player's initial raw bluff rate (0.1 in every script) */
  bluffRate: number;
  logits: InitialLogits;
}

/** The opening carry (docs/liars-dice.md §2): bid "one die shows face 1", g = 0, every player [z⁰, λ₀]. */
export function initialCarry(layout: CarryLayout, spec: InitialCarrySpec): Float64Array {
  checkLayout(layout);
  const { faces } = layout;
  const odds = spec.odds ?? new Array<number>(faces).fill(1 / faces);
  if (odds.length !== faces) throw new Error(`initial odds: expected ${faces} values, got ${odds.length}`);
  if (odds.some((p) => !(p >= 0)) || Math.abs(odds.reduce((a, b) => a + b, 0) - 1) > 1e-9) {
    throw new Error(`initial odds: expected non-negative values summing to 1, got [${odds.join(', ')}]`);
  }
  if (!Number.isFinite(spec.bluffRate)) throw new Error(`initial bluff rate: expected a number, got ${spec.bluffRate}`);
  const logits = spec.logits === 'log-odds' ? odds.map((p) => Math.log(Math.max(p, MIN_INITIAL_PROBABILITY))) : odds;
  const cols = carryColumns(layout);
  const carry = new Float64Array(carrySize(layout));
  carry[BID_ROW * cols + 0] = 1; // (f, q) = (1, 1)
  for (let p = 0; p < layout.players; p++) {
    const row = playerRow(p) * cols;
    carry.set(logits, row);
    carry[row + faces] = spec.bluffRate;
  }
  return carry;
}

/** `games` copies of one carry: [games, P+2, F+1]. */
export function repeatCarry(carry: Float64Array, games: number): Float64Array {
  const out = new Float64Array(carry.length * games);
  for (let g = 0; g < games; g++) out.set(carry, g * carry.length);
  return out;
}

/** softmax of a logit vector, in float64 (max-shifted). */
export function softmax(z: ArrayLike<number>): number[] {
  return Array.from(softmaxInto(z, 0, z.length, new Float64Array(z.length)));
}

/** softmax of z[offset .. offset + n) into out[0 .. n) (float64, max-shifted); returns out. */
export function softmaxInto(z: ArrayLike<number>, offset: number, n: number, out: Float64Array): Float64Array {
  let max = -Infinity;
  for (let k = 0; k < n; k++) max = Math.max(max, z[offset + k]);
  let sum = 0;
  for (let k = 0; k < n; k++) {
    out[k] = Math.exp(z[offset + k] - max);
    sum += out[k];
  }
  for (let k = 0; k < n; k++) out[k] /= sum;
  return out;
}

export interface PlayerStrategy {
  /** π_p = softmax(z_p) */
  beliefs: number[];
  /** λ̃_p = max(λ_p, 0) */
  bluffRate: number;
}

/** Decodes player p's row of one carry ("unwrap", docs/liars-dice.md §2). */
export function decodePlayer(carry: Float64Array, layout: CarryLayout, player: number): PlayerStrategy {
  const cols = carryColumns(layout);
  const row = carry.subarray(playerRow(player) * cols, playerRow(player) * cols + cols);
  return { beliefs: softmax(row.subarray(0, layout.faces)), bluffRate: Math.max(row[layout.faces], 0) };
}

export interface Bid {
  /** 1..F */
  face: number;
  /** the quantity entry (−1 for a challenge written at a face slot, 0 for the all-zero vector) */
  quantity: number;
}

/** Row 0 without the padding column. */
export function bidVector(carry: Float64Array, layout: CarryLayout): Float64Array {
  return carry.subarray(BID_ROW * carryColumns(layout), BID_ROW * carryColumns(layout) + layout.faces);
}

/**
 * Bid decoding (docs/liars-dice.md §2, docs/reference-defects.md Q13): face = 1 + index of the first non-zero entry, quantity = that
 * entry as an integer; the all-zero vector decodes as face 1, quantity 0.
 */
export function decodeBid(vector: ArrayLike<number>): Bid {
  for (let i = 0; i < vector.length; i++) {
    if (vector[i] !== 0) return { face: i + 1, quantity: Math.trunc(vector[i]) };
  }
  return { face: 1, quantity: 0 };
}

/** A bid vector is a challenge when its entries sum to ≤ 0 (−1 at a face slot, or all zero). */
export function isChallenge(vector: ArrayLike<number>): boolean {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i];
  return sum <= 0;
}

/** g = C[1, 0]: 0 while the round runs, +1 after a successful, −1 after a failed challenge. */
export function gameState(carry: Float64Array, layout: CarryLayout): number {
  return carry[STATE_ROW * carryColumns(layout)];
}

/** The round has ended when Σ_j C[1, j] ≠ 0 (the solve's terminating event, docs/liars-dice.md §7). */
export function roundEnded(carry: Float64Array, layout: CarryLayout): boolean {
  const cols = carryColumns(layout);
  let sum = 0;
  for (let j = 0; j < cols; j++) sum += carry[STATE_ROW * cols + j];
  return sum !== 0;
}
