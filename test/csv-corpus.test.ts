// The malformed-CSV corpus (test/fixtures/malformed) and a bounded fuzz test: every rejection
// names the file, the line and the column; mutated files never crash, hang or pass garbage.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { meeting } from '../games/meeting/index.ts';
import { elFarol } from '../games/el-farol/index.ts';
import { readRolls } from '../games/liars-dice/data.ts';
import { applyOverrides } from '../src/config.ts';
import { CsvInputError } from '../src/data/csv.ts';
import { RandomStream } from '../src/random.ts';
import type { Dataset } from '../src/game.ts';

const DIR = join(import.meta.dirname, 'fixtures', 'malformed');
const meetingConfig = meeting.parseConfig(applyOverrides(meeting.presets.fig2b, ['agents=3', 'data.groups=3', 'data.perGroup=1']));
const elFarolConfig = elFarol.parseConfig(elFarol.presets.fig3b);
const diceLayout = { players: 2, dice: 2, faces: 6 };

const readers: Record<string, (file: string) => Promise<Dataset>> = {
  meeting: (f) => meeting.observations.read(f, meetingConfig),
  'el-farol': (f) => elFarol.observations.read(f, elFarolConfig),
  'liars-dice': (f) => readRolls(f, diceLayout),
};

// [file, line (undefined: the file as a whole), column, what the message must say]
const CASES: [string, number | undefined, string | undefined, RegExp][] = [
  ['meeting-not-a-number.csv', 4, 'arrival', /expected a number in \[0, 24\], got "abc"/],
  ['meeting-nan.csv', 3, 'arrival', /NaN/],
  ['meeting-infinity.csv', 3, 'arrival', /Infinity/],
  ['meeting-missing-column.csv', 1, 'arrival', /missing/],
  ['meeting-missing-agent.csv', 2, 'sample', /agent 2/],
  ['meeting-duplicate-agent.csv', 4, 'agent', /line 3/],
  ['meeting-short-sample.csv', 5, 'sample', /agent 2/],
  ['meeting-short-row.csv', 4, 'arrival', /./],
  ['meeting-fractional-agent.csv', 3, 'agent', /integer/],
  ['meeting-agent-out-of-range.csv', 3, 'agent', /3/],
  ['meeting-empty.csv', undefined, undefined, /empty|header/],
  ['meeting-header-only.csv', undefined, undefined, /no data/],
  ['meeting-unclosed-quote.csv', 2, undefined, /quote/],
  ['meeting-duplicate-header.csv', 1, 'sample', /duplicate|twice/],
  ['el-farol-count-above-agents.csv', 4, 'attendance', /43/],
  ['el-farol-negative-count.csv', 5, 'attendance', /-1/],
  ['el-farol-fractional-count.csv', 6, 'attendance', /8\.5/],
  ['el-farol-missing-observation.csv', 2, 'sample', /observation 5/],
  ['el-farol-observation-out-of-range.csv', 8, 'observation', /10/],
  ['liars-dice-face-out-of-range.csv', 3, 'face', /7/],
  ['liars-dice-face-zero.csv', 3, 'face', /0/],
  ['liars-dice-player-with-more-dice.csv', 4, 'die', /2/],
  ['liars-dice-missing-die.csv', 2, 'game', /player 1, die 1/],
  ['liars-dice-unknown-player.csv', 4, 'player', /2/],
  ['liars-dice-missing-column.csv', 1, 'die', /missing/],
];

for (const [file, line, column, what] of CASES) {
  test(`malformed ${file} is refused at ${line === undefined ? 'file level' : `line ${line}`}${column ? `, column "${column}"` : ''}`, async () => {
    const game = Object.keys(readers).find((g) => file.startsWith(g))!;
    const path = join(DIR, file);
    try {
      await readers[game](path);
    } catch (err) {
      assert.instance(err, CsvInputError, String(err));
      const e = err as CsvInputError;
      assert.is(e.file, path);
      assert.is(e.line, line, e.message);
      assert.is(e.column, column, e.message);
      assert.ok(e.message.startsWith(path), e.message);
      assert.match(e.reason, what);
      return;
    }
    assert.unreachable(`${file} was accepted`);
  });
}

/** Random byte mutations of a valid file: flip, insert, delete, duplicate a line. */
function mutate(text: Buffer, rng: RandomStream): Buffer {
  const bytes = Array.from(text);
  const edits = 1 + Math.floor(rng.uniform() * 4);
  const alphabet = Buffer.from('0123456789,.-+eE"\r\n \tNaInfx\u00ef\u00bb\u00bf', 'latin1');
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rng.uniform() * (bytes.length + 1));
    const kind = rng.uniform();
    if (kind < 0.35 && bytes.length > 0) bytes[Math.min(at, bytes.length - 1)] = alphabet[Math.floor(rng.uniform() * alphabet.length)];
    else if (kind < 0.6) bytes.splice(at, 0, alphabet[Math.floor(rng.uniform() * alphabet.length)]);
    else if (kind < 0.85) bytes.splice(at, 1 + Math.floor(rng.uniform() * 3));
    else bytes.splice(at, 0, Math.floor(rng.uniform() * 256));
  }
  return Buffer.from(bytes);
}

test('fuzz: mutated valid files are either refused with a located CsvInputError or read as valid data', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'neural-mfg-fuzz-'));
  const valid: [string, Buffer, (d: Dataset) => boolean][] = [
    ['meeting', Buffer.from('sample,agent,arrival\r\n0,0,15.1\r\n0,1,14.9\r\n0,2,15\r\n1,0,15\r\n1,1,"15.2"\r\n1,2,14\r\n'),
      (d) => d.shape[1] === 3 && Array.from(d.values).every(Number.isFinite)],
    ['el-farol', await readFile(join(import.meta.dirname, '..', 'data', 'el-farol', 'train.csv')),
      (d) => d.shape[1] === 10 && Array.from(d.values).every((v) => Number.isInteger(v) && v >= 0 && v <= 42)],
    ['liars-dice', Buffer.from('game,player,die,face\ng1,0,0,3\ng1,0,1,4\ng1,1,0,2\ng1,1,1,6\ng2,0,0,1\ng2,0,1,1\ng2,1,0,5\ng2,1,1,2\n'),
      (d) => Array.from(d.values).every((v) => Number.isInteger(v) && v >= 1 && v <= 6)],
  ];
  const rng = new RandomStream(2024);
  const deadline = Date.now() + 3000; // bounded time
  let tried = 0;
  let refused = 0;
  while (Date.now() < deadline) {
    for (const [game, text, isValid] of valid) {
      const file = join(dir, `${game}-${tried}.csv`);
      await writeFile(file, mutate(text, rng));
      tried++;
      try {
        const data = await readers[game](file);
        assert.ok(isValid(data), `${game}: accepted garbage from ${file}`);
      } catch (err) {
        if (!(err instanceof CsvInputError)) throw new Error(`${game}: ${file} crashed the reader: ${(err as Error).stack}`);
        assert.ok(err.message.startsWith(file));
        refused++;
      }
    }
  }
  assert.ok(tried > 50 && refused > 10, `tried ${tried}, refused ${refused}`);
});

test.run();
