// The rules of one Liar's dice turn (docs/liars-dice.md §4–§7) on typed arrays: per-turn randomness from
// a per-game key, the bidding rule with its plausibility checks, Poisson bluffing, challenge
// resolution and the bid terms of the turn's cost (docs/liars-dice.md §8). `decideTurn` plays the discrete part of
// a turn for a batch of games; both engines call it (the graph engine through its held-fixed
// population statistic, the fused engine from its drift kernel), so the rules exist once.
import { LightStream, deriveSeed, type UniformSource } from '../../src/random.ts';
import { binomialTail, type TailConvention } from './binomial.ts';
import {
  BID_ROW,
  STATE_ROW,
  carryColumns,
  carrySize,
  decodeBid,
  isChallenge,
  playerRow,
  softmaxInto,
  totalDice,
  type Bid,
  type CarryLayout,
} from './carry.ts';

/**
 * Per-turn keys (Q4): 'per-turn' (default) derives κ from the game's key and the turn index;
 * 'constant' (faithful) uses one κ for every turn, so with the same key for every game the
 * imagined dice and bluffs repeat at every turn and in every game, as in the reference.
 */
export type TurnKeys = 'per-turn' | 'constant';

export interface CostWeights {
  /** weight of [Q − (q_new − q₀)]₊, the safety term (1) */
  safety: number;
  /** weight of [q_new − c*(f_new)]₊, the bluffing-risk term (1) */
  risk: number;
  /** weight of [F − f_new]₊, the niceness term (1) */
  niceness: number;
  /** weight of Σ_k kl(θ̂_k + ε, π_k + ε) (0.1) */
  kl: number;
  /** smoothing ε of the KL term (1e-5) */
  epsilon: number;
}

export const REFERENCE_COST_WEIGHTS: CostWeights = { safety: 1, risk: 1, niceness: 1, kl: 0.1, epsilon: 1e-5 };

/**
 * Where the belief drift goes (Q6):
 * - 'logits' (default): −∂L/∂z by the chain rule through the softmax, −∂L/∂λ for the raw rate;
 * - 'probabilities' (faithful): −∂L/∂π and −∂L/∂λ̃, added to the logits and raw rate as they are.
 */
export type GradientTarget = 'logits' | 'probabilities';

const relu = (z: number): number => Math.max(z, 0);

/**
 * The three bid terms of the turn cost (docs/liars-dice.md §8) for one played bid, as a plain number: they reach
 * the beliefs only through sampling and integer casts, so they are constants for the gradient
 * (Q5). A challenge decodes as (f, −1) or, when written out of range, (1, 0) (docs/liars-dice.md §2).
 */
export function bidTerms(layout: CarryLayout, bid: Bid, previous: Bid, trueCounts: ArrayLike<number>, w: CostWeights): number {
  const Q = layout.players * layout.dice;
  return (
    w.safety * relu(Q - (bid.quantity - previous.quantity)) +
    w.risk * relu(bid.quantity - trueCounts[bid.face - 1]) +
    w.niceness * relu(layout.faces - bid.face)
  );
}

export interface RuleOptions {
  /** a bid whose Pr[Bin(R, π_f) ≥ r] is below this is implausible (0.3) */
  plausibilityThreshold: number;
  /** Q13: 'default' reads r = max(·, 0) with Pr[X ≥ 0] = 1 and 0 for r > n; 'faithful' r = max(·, 1), clamped table */
  tail: TailConvention;
  keys: TurnKeys;
}

export interface TurnOptions extends RuleOptions {
  costWeights: CostWeights;
  /** Q6: 'logits' (default, chain rule) or 'probabilities' (faithful) */
  gradient: GradientTarget;
}

/** The two independent streams of one turn: the imagined table and the bluff (docs/liars-dice.md §4). */
export interface TurnStreams {
  bid: LightStream;
  bluff: LightStream;
}

/** κ = fold-in of the turn index into the game key; κ splits into a bid and a bluff stream. */
export function turnStreams(gameKey: number, turn: number, keys: TurnKeys): TurnStreams {
  const kappa = deriveSeed(gameKey >>> 0, keys === 'constant' ? 0 : turn);
  return { bid: new LightStream(deriveSeed(kappa, 0)), bluff: new LightStream(deriveSeed(kappa, 1)) };
}

/** One face 1..F drawn from Categorical(probabilities) by inversion. */
export function sampleFace(rng: UniformSource, probabilities: ArrayLike<number>): number {
  const u = rng.uniform();
  let acc = 0;
  let last = 0;
  for (let k = 0; k < probabilities.length; k++) {
    if (probabilities[k] > 0) last = k;
    acc += probabilities[k];
    if (u < acc) return k + 1;
  }
  return last + 1; // rounding left Σπ slightly below u: the last face with mass
}

/**
 * How many of `draws` faces drawn by `sampleFace(rng, probabilities)` show `face`, with the same
 * draws: face f comes out of sampleFace exactly when acc_{f−1} ≤ u < acc_f (the running sums in
 * its order), or when u ≥ Σπ and f is the last face with mass.
 */
function countDraws(rng: UniformSource, probabilities: ArrayLike<number>, face: number, draws: number, enough = Infinity): number {
  let below = 0;
  let top = 0;
  let acc = 0;
  let last = 0;
  for (let k = 0; k < probabilities.length; k++) {
    if (probabilities[k] > 0) last = k;
    if (k === face - 1) below = acc;
    acc += probabilities[k];
    if (k === face - 1) top = acc;
  }
  const fallback = last === face - 1;
  // u ≥ Σπ draws the last face with mass; Infinity: no u counts that way
  if (rng instanceof LightStream) return rng.countIn(below, top, fallback ? Math.max(acc, top) : Infinity, draws, enough);
  const until = Number.isFinite(enough);
  if (until && (enough <= 0 || draws < enough)) return 0;
  let count = 0;
  for (let i = 0; i < draws; i++) {
    const u = rng.uniform();
    if (u < top ? u >= below : fallback && u >= acc) count++;
    if (until && (count >= enough || count + draws - 1 - i < enough)) break;
  }
  return count;
}

const KNUTH_LIMIT = 30;

/**
 * A Poisson(λ) draw: Knuth's multiplication method for λ ≤ 30 (e^{−30} ≈ 1e−13 is still far from
 * float64 underflow); larger λ is split into pieces of 30, using Poisson(a + b) = Poisson(a) + Poisson(b).
 * With `cap`, the draw is min(Poisson(λ), cap), and it stops as soon as the count reaches `cap`: a
 * bid is capped at Q anyway (README, Bluffing), and a huge λ (1e9, or Infinity once the carry's
 * float32 overflows) would otherwise take λ/30 pieces. Below the cap the draws are the same.
 */
export function samplePoisson(rng: UniformSource, lambda: number, cap = Infinity): number {
  if (!(lambda >= 0) || (!Number.isFinite(lambda) && cap === Infinity)) throw new Error(`samplePoisson: λ must be a finite number ≥ 0, got ${lambda}`);
  let count = 0;
  let remaining = lambda;
  while (remaining > KNUTH_LIMIT) {
    count += knuth(rng, KNUTH_LIMIT);
    if (count >= cap) return cap;
    remaining -= KNUTH_LIMIT;
  }
  return Math.min(cap, count + knuth(rng, remaining));
}

function knuth(rng: UniformSource, lambda: number): number {
  const limit = Math.exp(-lambda);
  let k = 0;
  let product = rng.uniform();
  while (product > limit) {
    k++;
    product *= rng.uniform();
  }
  return k;
}

export type ChallengeReason = 'out-of-faces' | 'previous-implausible' | 'own-implausible';

export interface BidDecision {
  challenge: boolean;
  reason?: ChallengeReason;
  /** the face of the new bid (F + 1 when the player ran out of faces) */
  face: number;
  /** the quantity before bluffing (−1 for a challenge) */
  quantity: number;
  /**
   * ĉ: the previous bid's face among the imagined R dice and the own hand; with `exact` false, only
   * as far as the decision needed it (a lower bound once it reached q₀ + 1)
   */
  imaginedCount: number;
  /** Pr[Bin(R, π_{f₀}) ≥ r₁] of the previous bid */
  previousPlausibility: number;
  /** Pr[Bin(R, π_f) ≥ r₂] of the new bid */
  ownPlausibility: number;
}

const countFace = (faces: ArrayLike<number>, face: number): number => {
  let n = 0;
  for (let i = 0; i < faces.length; i++) if (faces[i] === face) n++;
  return n;
};

/**
 * The bidding rule of docs/liars-dice.md §5 for the active player with beliefs π (length F) and hand
 * (D faces 1..F) against the previous bid (f₀, q₀). `rng` is the turn's bid stream.
 */
export function decideBid(
  beliefs: ArrayLike<number>,
  hand: ArrayLike<number>,
  previous: Bid,
  layout: CarryLayout,
  rng: UniformSource,
  opts: RuleOptions,
  /** false: stop imagining dice once step 2 is decided (the same decision; imaginedCount not exact) */
  exact = true,
): BidDecision {
  const { faces } = layout;
  const unseen = totalDice(layout) - layout.dice; // R
  const { face: f0, quantity: q0 } = previous;
  // 1. imagined table: R faces from Categorical(π), plus the own hand
  const own = countFace(hand, f0);
  let imaginedCount = own + countDraws(rng, beliefs, f0, unseen, exact ? Infinity : q0 + 1 - own);
  // 2. raise the quantity if the imagined table supports it, else the next face
  let face = f0;
  let quantity = q0 + 1;
  if (!(q0 + 1 <= imaginedCount)) {
    face = f0 + 1;
    quantity = q0;
  }
  // 4./5. plausibility: Pr[Bin(R, π_f) ≥ r] with r = what the own hand does not cover (Q13 floor)
  const floor = opts.tail === 'faithful' ? 1 : 0;
  const plausibility = (f: number, q: number): number => {
    const clamped = Math.min(f, faces); // f = F + 1 reads face F (docs/liars-dice.md §5 step 5; already a challenge)
    const r = Math.max(q - countFace(hand, clamped), floor);
    return binomialTail(unseen, beliefs[clamped - 1], r, opts.tail);
  };
  const previousPlausibility = plausibility(f0, q0);
  let reason: ChallengeReason | undefined;
  if (face > faces) reason = 'out-of-faces'; // 3.
  else if (previousPlausibility < opts.plausibilityThreshold) reason = 'previous-implausible';
  const ownPlausibility = reason === undefined ? plausibility(face, quantity) : plausibility(face, -1);
  if (reason === undefined && ownPlausibility < opts.plausibilityThreshold) reason = 'own-implausible';
  if (reason !== undefined) return { challenge: true, reason, face, quantity: -1, imaginedCount, previousPlausibility, ownPlausibility };
  return { challenge: false, face, quantity, imaginedCount, previousPlausibility, ownPlausibility };
}

/**
 * The bid vector (length F) of a decision after bluffing: q at index f − 1, or −1 for a
 * challenge; a challenge at face F + 1 is written out of range and leaves the all-zero vector (docs/liars-dice.md §5).
 */
export function encodeBid(face: number, quantity: number, faces: number): Float64Array {
  const vector = new Float64Array(faces);
  if (face >= 1 && face <= faces) vector[face - 1] = quantity;
  return vector;
}

/** docs/liars-dice.md §7: a challenge succeeds (+1) when the previous bid was false (q₀ > c*(f₀)), else fails (−1). */
export function resolveChallenge(previous: Bid, trueCounts: ArrayLike<number>): 1 | -1 {
  return previous.quantity <= trueCounts[previous.face - 1] ? -1 : 1;
}

/** c*(f) for one roll (faces 1..F): [F]. */
export function countFaces(roll: ArrayLike<number>, faces: number): Float64Array {
  const counts = new Float64Array(faces);
  for (let i = 0; i < roll.length; i++) counts[roll[i] - 1]++;
  return counts;
}

/** What one game did in one turn (for transcripts and tests). */
export interface TurnDecision extends BidDecision {
  /** δ ~ Poisson(λ̃) added to the quantity (0 for a challenge) */
  bluff: number;
  /** the played bid (f, q) after bluffing, as decoded from the new bid vector */
  played: Bid;
  /** g after the turn */
  gameState: number;
  /** the held-fixed bid terms of the turn cost (docs/liars-dice.md §8) */
  bidCost: number;
}

export interface TurnBatch {
  layout: CarryLayout;
  /** [games, P+2, F+1] */
  carries: Float64Array | Float32Array;
  /** [games, P, D], faces 1..F */
  rolls: Int32Array;
  /** c* per game [games, F] */
  trueCounts: Float64Array;
  /** one key per game */
  keys: ArrayLike<number>;
  /** which games play this turn (default all; a truthy entry plays); the others get a zero drift */
  playing?: ArrayLike<boolean | number>;
}

/** The discrete part of one turn for a batch: what each game did, before any belief drift. */
export interface TurnDecisions {
  /** the active player p = turn mod P */
  player: number;
  /** the games that played, in order */
  playing: number[];
  /** rows 0–1 of B(t, C) (docs/liars-dice.md §8) per game [games, 2, F+1]: b_new − b_prev (padding 0), then g in every column */
  transition: Float64Array;
  /** the new bid vectors [games, F] (zero for games that did not play) */
  bids: Float64Array;
  /** g per game [games] */
  gameStates: Float64Array;
  /** the held-fixed bid terms of the cost per playing game */
  bidCosts: Float32Array;
  /** θ̂ per playing game [playing, F] */
  frequencies: Float32Array;
  /** with `record`: what each game did (null for games that did not play) */
  decisions: (TurnDecision | null)[] | null;
}

/**
 * One turn's decisions for a batch of games: decode the active player, bid (docs/liars-dice.md §5), bluff (docs/liars-dice.md §6),
 * resolve (docs/liars-dice.md §7), and rows 0 and 1 of the drift (docs/liars-dice.md §8). Each game's result depends only on its own
 * carry, roll, key and the turn index. Both engines play their turns with it; `record` keeps each
 * game's decision (for transcripts and tests).
 */
export function decideTurn(batch: TurnBatch, turn: number, opts: TurnOptions, record = false): TurnDecisions {
  const { layout, carries, rolls, trueCounts, keys } = batch;
  const { players, dice, faces } = layout;
  const games = keys.length;
  const size = carrySize(layout);
  const cols = carryColumns(layout);
  if (carries.length !== games * size) throw new Error(`decideTurn: carries hold ${carries.length / size} games, keys ${games}`);
  if (rolls.length !== games * players * dice) throw new Error(`decideTurn: rolls hold ${rolls.length / (players * dice)} games, keys ${games}`);
  const player = turn % players;
  const Q = totalDice(layout);
  const transition = new Float64Array(games * 2 * cols);
  const bids = new Float64Array(games * faces);
  const gameStates = new Float64Array(games);
  const decisions: (TurnDecision | null)[] | null = record ? new Array(games).fill(null) : null;

  const playing: number[] = [];
  for (let g = 0; g < games; g++) if (batch.playing === undefined || batch.playing[g]) playing.push(g);
  const frequencies = new Float32Array(playing.length * faces);
  const bidCosts = new Float32Array(playing.length);
  const beliefs = new Float64Array(faces);

  for (let i = 0; i < playing.length; i++) {
    const g = playing[i];
    const carry = carries.subarray(g * size, (g + 1) * size);
    const rowStart = playerRow(player) * cols;
    softmaxInto(carry, rowStart, faces, beliefs);
    const bluffRate = Math.max(carry[rowStart + faces], 0);
    const previousVector = carry.subarray(BID_ROW * cols, BID_ROW * cols + faces);
    const previous = decodeBid(previousVector);
    const hand = rolls.subarray((g * players + player) * dice, (g * players + player + 1) * dice);
    const counts = trueCounts.subarray(g * faces, (g + 1) * faces);
    const streams = turnStreams(keys[g], turn, opts.keys);

    // the imagined count is kept whole only for a transcript: the decision needs no more than q₀ + 1
    const decision = decideBid(beliefs, hand, previous, layout, streams.bid, opts, record);
    const bluff = decision.challenge ? 0 : samplePoisson(streams.bluff, bluffRate, Q);
    const quantity = decision.challenge ? -1 : Math.min(Q, decision.quantity + bluff);
    const vector = encodeBid(decision.face, quantity, faces);
    const gameState = isChallenge(vector) ? resolveChallenge(previous, counts) : 0;
    const played = decodeBid(vector);
    const bidCost = bidTerms(layout, played, previous, counts, opts.costWeights);
    if (decisions) decisions[g] = Object.assign(decision, { bluff, played, gameState, bidCost });

    bids.set(vector, g * faces);
    gameStates[g] = gameState;
    // row 0: b_new − b_prev (padding 0); row 1: g in every column (docs/liars-dice.md §8)
    const out = g * 2 * cols;
    for (let j = 0; j < faces; j++) transition[out + BID_ROW * cols + j] = vector[j] - previousVector[j];
    transition.fill(gameState, out + STATE_ROW * cols, out + STATE_ROW * cols + cols);
    for (let k = 0; k < faces; k++) frequencies[i * faces + k] = counts[k] / Q;
    bidCosts[i] = bidCost;
  }
  return { player, playing, transition, bids, gameStates, bidCosts, frequencies, decisions };
}
