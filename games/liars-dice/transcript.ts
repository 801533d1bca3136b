// A Liar's dice round as people read it: the transcript of who bid what, read back from the carries
// a solve saved after every turn (the engine's own states), with each turn's bluff and challenge
// reason replayed by the rules (rules.ts) from the same carry, roll and key.
import { bidVector, decodeBid, decodePlayer, roundEnded, type CarryLayout } from './carry.ts';
import { countFaces, decideTurn, type ChallengeReason, type TurnOptions } from './rules.ts';

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

/** What replays a round's decisions: its roll, its key and the turn rules. */
export interface RoundReplay {
  /** the game's roll [P·D], faces 1..F */
  roll: ArrayLike<number>;
  key: number;
  rules: TurnOptions;
}

/**
 * A round's record read back from the engine's saved carries (states[k] = the carry after k
 * turns, flattened): who moved, the bid or challenge, the mover's beliefs and bluff rate, g. With
 * `replay`, each turn's decision is played again from the carry before it (the rules are
 * deterministic given the carry, roll, key and turn), which adds the bluff and the challenge
 * reason that the state does not hold.
 */
export function recordFromStates(layout: CarryLayout, states: number[][], endStep: number | null, replay?: RoundReplay): RoundRecord {
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
    const decision = replay ? replayTurn(layout, before, k - 1, replay) : null;
    transcript.push({
      turn: k,
      player,
      action: challenge ? 'challenge' : 'bid',
      face: challenge ? challenged.face : bid.face,
      quantity: challenge ? challenged.quantity : bid.quantity,
      bluff: decision?.bluff ?? 0,
      ...(decision?.reason ? { reason: decision.reason } : {}),
      beliefs: mover.beliefs,
      bluffRate: mover.bluffRate,
      gameState: g,
    });
  }
  const finalCarry = carryAt(last);
  const ended = roundEnded(finalCarry, layout);
  return { transcript, turns: transcript.length, ended, gameState: ended ? Math.sign(finalCarry[layout.faces + 1]) : 0, finalCarry };
}

/** The decision of turn `turn` of one game, from the carry before it. */
function replayTurn(layout: CarryLayout, carry: Float64Array, turn: number, replay: RoundReplay) {
  const rolls = Int32Array.from(replay.roll);
  const d = decideTurn({ layout, carries: carry, rolls, trueCounts: countFaces(rolls, layout.faces), keys: [replay.key] }, turn, replay.rules, true);
  return d.decisions![0];
}
