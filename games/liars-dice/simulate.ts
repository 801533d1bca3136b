// MFG-only rounds of Liar's dice (no network): a batch of games is played turn by turn from one
// initial carry with explicit Euler, h = 1 (C_{k+1} = C_k + B(k, C_k), GAMES.md §4.3). A game that
// ends (Σ_j C[1, j] ≠ 0, §4.7) is frozen while the others continue; the run stops when all have
// ended or at the turn cap. Each game's course depends only on its roll, its key and the carry.
import {
  bidVector,
  carrySize,
  checkLayout,
  decodeBid,
  decodePlayer,
  repeatCarry,
  roundEnded,
  type CarryLayout,
} from './carry.ts';
import { countFaces, playTurn, type ChallengeReason, type TurnOptions } from './rules.ts';

export interface RoundSpec {
  layout: CarryLayout;
  /** one initial carry [P+2, F+1], shared by every game (§7 "Batches") */
  initialCarry: Float64Array;
  /** [games, P, D], faces 1..F */
  rolls: Int32Array;
  /** one key per game (§4.4) */
  keys: ArrayLike<number>;
  /** the turn cap (t1 = 1000 in the reference) */
  maxTurns: number;
  options: TurnOptions;
}

export interface TranscriptEntry {
  /** 1-based turn number: turn k moves the state from t = k − 1 to t = k */
  turn: number;
  /** 0-based index of the player who made this move (Q16 fixed: not the next player) */
  player: number;
  action: 'bid' | 'challenge';
  /** the bid's face and quantity after bluffing; for a challenge the previous (challenged) bid */
  face: number;
  quantity: number;
  /** δ added by bluffing (0 for a challenge) */
  bluff: number;
  reason?: ChallengeReason;
  /** the mover's beliefs π and bluff rate λ̃ after the turn's drift */
  beliefs: number[];
  bluffRate: number;
  /** g after the turn */
  gameState: number;
}

export interface RoundRecord {
  transcript: TranscriptEntry[];
  /** turns played (= the termination time when the round ended) */
  turns: number;
  ended: boolean;
  /** g at the end: +1 successful challenge, −1 failed, 0 still running at the cap */
  gameState: number;
  /** the carry at the end [P+2, F+1] */
  finalCarry: Float64Array;
}

/** Plays every game of the batch to its end (or the cap) without the neural term. */
export function simulateRounds(spec: RoundSpec): RoundRecord[] {
  const { layout, rolls, keys, maxTurns, options } = spec;
  checkLayout(layout);
  const games = keys.length;
  const size = carrySize(layout);
  const { players, dice, faces } = layout;
  if (spec.initialCarry.length !== size) throw new Error(`simulateRounds: the initial carry has ${spec.initialCarry.length} entries, expected ${size}`);
  if (rolls.length !== games * players * dice) {
    throw new Error(`simulateRounds: rolls hold ${rolls.length} dice, expected ${games} games × ${players} players × ${dice} dice`);
  }
  const carries = repeatCarry(spec.initialCarry, games);
  const trueCounts = new Float64Array(games * faces);
  for (let g = 0; g < games; g++) {
    trueCounts.set(countFaces(rolls.subarray(g * players * dice, (g + 1) * players * dice), faces), g * faces);
  }
  const records: RoundRecord[] = Array.from({ length: games }, () => ({
    transcript: [],
    turns: 0,
    ended: false,
    gameState: 0,
    finalCarry: new Float64Array(0),
  }));
  const playing = new Array<boolean>(games).fill(true);

  for (let turn = 0; turn < maxTurns && playing.some(Boolean); turn++) {
    const result = playTurn({ layout, carries, rolls, trueCounts, keys, playing }, turn, options);
    for (let g = 0; g < games; g++) {
      if (!playing[g]) continue;
      const carry = carries.subarray(g * size, (g + 1) * size);
      const step = result.drift.subarray(g * size, (g + 1) * size);
      for (let i = 0; i < size; i++) carry[i] += step[i]; // Euler, h = 1
      const d = result.decisions[g]!;
      const mover = decodePlayer(carry, layout, result.player);
      records[g].transcript.push({
        turn: turn + 1,
        player: result.player,
        action: d.challenge ? 'challenge' : 'bid',
        face: d.challenge ? previousBid(records[g], spec).face : d.played.face,
        quantity: d.challenge ? previousBid(records[g], spec).quantity : d.played.quantity,
        bluff: d.bluff,
        ...(d.reason ? { reason: d.reason } : {}),
        beliefs: mover.beliefs,
        bluffRate: mover.bluffRate,
        gameState: d.gameState,
      });
      records[g].turns = turn + 1;
      if (roundEnded(carry, layout)) {
        playing[g] = false;
        records[g].ended = true;
        records[g].gameState = d.gameState;
      }
    }
  }
  for (let g = 0; g < games; g++) records[g].finalCarry = carries.slice(g * size, (g + 1) * size);
  return records;
}

/** The bid standing before the latest turn: the last bid of the transcript, or the opening bid. */
function previousBid(record: RoundRecord, spec: RoundSpec): { face: number; quantity: number } {
  for (let i = record.transcript.length - 1; i >= 0; i--) {
    const e = record.transcript[i];
    if (e.action === 'bid') return { face: e.face, quantity: e.quantity };
  }
  return decodeBid(bidVector(spec.initialCarry, spec.layout));
}

/** The Fig. 4/5 metrics of one round (GAMES.md §5.1): length, mean learned λ̃ over players, success. */
export function roundMetrics(record: RoundRecord, layout: CarryLayout): { length: number; learnedBluffRate: number; success: boolean } {
  let learned = 0;
  for (let p = 0; p < layout.players; p++) learned += decodePlayer(record.finalCarry, layout, p).bluffRate;
  return {
    length: record.turns,
    learnedBluffRate: record.ended ? learned / layout.players : 0,
    success: record.gameState === 1,
  };
}

const FACE_NAMES = ['ones', 'twos', 'threes', 'fours', 'fives', 'sixes'];
const faceName = (face: number, quantity: number): string =>
  quantity === 1 ? `one ${face}` : face <= 6 ? `${quantity} ${FACE_NAMES[face - 1]}` : `${quantity} × face ${face}`;

/** A readable turn-by-turn transcript; players are printed 1-based and as the mover (Q16 fixed). */
export function formatTranscript(record: RoundRecord): string {
  const lines = record.transcript.map((e) => {
    const move =
      e.action === 'bid'
        ? `bids ${faceName(e.face, e.quantity)}${e.bluff > 0 ? ` (bluff +${e.bluff})` : ''}`
        : `challenges ${faceName(e.face, e.quantity)}${e.reason ? ` (${e.reason})` : ''} → g = ${e.gameState > 0 ? '+1' : e.gameState}`;
    const beliefs = e.beliefs.map((p) => p.toFixed(3)).join(' ');
    return `turn ${String(e.turn).padStart(3)}  player ${String(e.player + 1).padStart(2)} ${move.padEnd(52)} π = [${beliefs}]  λ = ${e.bluffRate.toFixed(3)}`;
  });
  const end = record.ended
    ? `round over after ${record.turns} turns: ${record.gameState > 0 ? 'successful' : 'failed'} challenge (g = ${record.gameState > 0 ? '+1' : '-1'})`
    : `no challenge within ${record.turns} turns`;
  return [...lines, end].join('\n');
}

/**
 * A round's record read back from the engine's saved carries (states[k] = the carry after k
 * turns, flattened): who moved, the bid or challenge, the mover's beliefs and bluff rate, g.
 * The challenge reason is not part of the state and is left out.
 */
export function recordFromStates(layout: CarryLayout, states: number[][], endStep: number | null): RoundRecord {
  const last = endStep ?? states.length - 1;
  const transcript: TranscriptEntry[] = [];
  const carryAt = (k: number) => Float64Array.from(states[Math.min(k, states.length - 1)]);
  for (let k = 1; k <= last && k < states.length; k++) {
    const before = carryAt(k - 1);
    const after = carryAt(k);
    const player = (k - 1) % layout.players;
    const g = roundEnded(after, layout) ? Math.sign(after[layout.faces + 1]) : 0;
    const mover = decodePlayer(after, layout, player);
    const challenged = decodeBid(bidVector(before, layout));
    const bid = decodeBid(bidVector(after, layout));
    const challenge = g !== 0;
    transcript.push({
      turn: k,
      player,
      action: challenge ? 'challenge' : 'bid',
      face: challenge ? challenged.face : bid.face,
      quantity: challenge ? challenged.quantity : bid.quantity,
      bluff: 0,
      beliefs: mover.beliefs,
      bluffRate: mover.bluffRate,
      gameState: g,
    });
  }
  const finalCarry = carryAt(last);
  const ended = roundEnded(finalCarry, layout);
  return { transcript, turns: transcript.length, ended, gameState: ended ? Math.sign(finalCarry[layout.faces + 1]) : 0, finalCarry };
}
