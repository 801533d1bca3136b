// The CSV layer: what it accepts, and that every rejection names the file, the physical line and
// the column a user has to fix.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CsvInputError,
  pivotLong,
  readCsvTable,
  readLongTable,
  writeCsv,
  type ColumnSpec,
  type CsvTable,
} from '../src/data/csv.ts';

let dir = '';
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'neural-mfg-csv-'));
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

let fixtureCount = 0;
async function fixture(text: string | Buffer): Promise<string> {
  const file = join(dir, `fixture-${++fixtureCount}.csv`);
  await writeFile(file, text);
  return file;
}

const MEETING: ColumnSpec[] = [
  { name: 'sample', kind: 'string' },
  { name: 'agent', kind: 'integer', min: 0 },
  { name: 'time', kind: 'number' },
];

/** Asserts that `action` fails with a CsvInputError at exactly this place, and returns it. */
async function rejectsAt(
  action: () => Promise<unknown> | unknown,
  file: string,
  line: number | undefined,
  column: string | undefined,
  reasonIncludes: string,
): Promise<CsvInputError> {
  let caught: unknown;
  try {
    await action();
  } catch (err) {
    caught = err;
  }
  assert.instance(caught, CsvInputError, `expected a CsvInputError, got ${String(caught)}`);
  const err = caught as CsvInputError;
  assert.is(err.file, file);
  assert.is(err.line, line);
  assert.is(err.column, column);
  let place = file;
  if (line !== undefined) place += ` line ${line}`;
  if (column !== undefined) place += `${line !== undefined ? ',' : ''} column "${column}"`;
  assert.ok(err.message.startsWith(`${place}: `), `message "${err.message}" should start with "${place}: "`);
  assert.ok(err.message.includes(reasonIncludes), `message "${err.message}" should include ${reasonIncludes}`);
  return err;
}

// ---------------------------------------------------------------- accepted input

test('a valid table round-trips through writeCsv, readCsvTable and pivotLong at full precision', async () => {
  const path = join(dir, 'roundtrip', 'nested', 'meeting.csv'); // folders do not exist yet
  const times = [Math.PI / 3, 0.1 + 0.2, -1e-300, 123456789.123456789, 5, -0, 1e21, 2 ** -40];
  const rows: (number | string)[][] = [];
  for (const [s, sample] of ['run A', 'run, "B"'].entries()) {
    for (let agent = 0; agent < 4; agent++) rows.push([sample, agent, times[s * 4 + agent]]);
  }
  await writeCsv(path, ['sample', 'agent', 'time'], rows);

  const table = await readCsvTable(path, MEETING);
  assert.equal(table.header, ['sample', 'agent', 'time']);
  assert.equal(table.lines, [2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(table.columns.sample[4], 'run, "B"');

  const { labels, values, shape } = pivotLong(table, ['sample', 'agent'], 'time', [4]);
  assert.equal(labels, ['run A', 'run, "B"']);
  assert.equal(shape, [2, 4]);
  assert.equal(Array.from(values), times.map((t) => (t === 0 ? 0 : t)));
  assert.equal(await readdir(join(dir, 'roundtrip', 'nested')), ['meeting.csv']); // no temp file left
});

test('pivotLong orders groups by first appearance and lays out several indices row-major', async () => {
  // game g2 appears first; rows are shuffled within and across games.
  const file = await fixture(
    [
      'game,player,die,value',
      'g2,1,0,10', 'g1,0,0,0', 'g2,0,2,5', 'g2,0,0,3', 'g1,1,2,2', 'g2,1,2,12',
      'g1,0,1,1', 'g2,0,1,4', 'g1,1,1,1.5', 'g2,1,1,11', 'g1,0,2,0.5', 'g1,1,0,7',
    ].join('\n'),
  );
  const table = await readCsvTable(file, [
    { name: 'game', kind: 'string' },
    { name: 'player', kind: 'integer' },
    { name: 'die', kind: 'integer' },
    { name: 'value', kind: 'number' },
  ]);
  const { labels, values, shape } = pivotLong(table, ['game', 'player', 'die'], 'value', [2, 3]);
  assert.equal(labels, ['g2', 'g1']);
  assert.equal(shape, [2, 2, 3]);
  assert.equal(Array.from(values), [3, 4, 5, 10, 11, 12, 0, 1, 0.5, 7, 1.5, 2]);
});

test('BOM, CRLF, quoted fields, spaces, blank lines, extra and reordered columns are accepted', async () => {
  const text =
    '\uFEFF  time , "note" ,agent,sample,extra\r\n' + // line 1
    '\r\n' + // line 2: blank
    ' 0.5 , "hello, ""world""" , 1 , s1 , x\r\n' + // line 3
    '   \r\n' + // line 4: whitespace only
    '" 1.25 ","two\r\nlines",0,"s 2",\r\n' + // lines 5-6: quoted number and an embedded line break
    '-3e-2,,2,s1,"y"\r\n'; // line 7
  const file = await fixture(text);
  const table = await readCsvTable(file, [
    { name: 'sample', kind: 'string' },
    { name: 'agent', kind: 'integer', min: 0, max: 2 },
    { name: 'time', kind: 'number' },
    { name: 'note', kind: 'string' },
  ]);
  assert.equal(table.header, ['time', 'note', 'agent', 'sample', 'extra']);
  assert.equal(table.lines, [3, 5, 7]);
  assert.equal(table.columns, {
    sample: ['s1', 's 2', 's1'],
    agent: [1, 0, 2],
    time: [0.5, 1.25, -0.03],
    note: ['hello, "world"', 'two\r\nlines', ''],
  });
});

test('a trailing comma on every line is accepted', async () => {
  const file = await fixture('sample,agent,time,\ns1,0,1.5,\ns1,1,2.5,\n');
  const table = await readCsvTable(file, MEETING);
  assert.equal(table.columns.time, [1.5, 2.5]);
});

test('writeCsv rounds non-integers to `digits` significant digits and keeps integers exact', async () => {
  const path = join(dir, 'digits.csv');
  await writeCsv(path, ['agent', 'x'], [[123456789, Math.PI], [7, 1 / 3e8], [8, 2.5]], { digits: 4 });
  assert.is(await readFile(path, 'utf8'), 'agent,x\n123456789,3.142\n7,3.333e-9\n8,2.5\n');
});

test('writeCsv replaces an existing file and quotes fields the reader would otherwise split or trim', async () => {
  const path = join(dir, 'replace.csv');
  await writeCsv(path, ['a'], [['old']]);
  await writeCsv(path, ['name', 'n'], [[' padded ', 1], ['line\nbreak', 2], ['"q"', 3]]);
  assert.is(await readFile(path, 'utf8'), 'name,n\n" padded ",1\n"line\nbreak",2\n"""q""",3\n');
  const table = await readCsvTable(path, [{ name: 'name', kind: 'string' }, { name: 'n', kind: 'integer' }]);
  assert.equal(table.columns.name, [' padded ', 'line\nbreak', '"q"']);
  assert.equal(table.lines, [2, 3, 5]);
});

test('writeCsv refuses NaN and leaves the previous file in place', async () => {
  const path = join(dir, 'nan.csv');
  await writeCsv(path, ['x'], [[1]]);
  let caught: unknown;
  try {
    await writeCsv(path, ['x'], [[2], [NaN]]);
  } catch (err) {
    caught = err;
  }
  assert.instance(caught, Error);
  assert.match((caught as Error).message, 'row 2, column "x" is NaN');
  assert.is(await readFile(path, 'utf8'), 'x\n1\n');
  assert.equal(await readdir(dir).then((names) => names.filter((n) => n.includes('nan.csv'))), ['nan.csv']);
});

// ---------------------------------------------------------------- rejected input

/** A meeting file of `n` valid rows (lines 2..n+1) with `bad` replacing the time on line `badLine`. */
function meetingText(n: number, badLine: number, bad: string): string {
  const lines = ['sample,agent,time'];
  for (let i = 0; i < n; i++) lines.push(`s1,${i},${lines.length + 1 === badLine ? bad : (i / 10).toFixed(1)}`);
  return lines.join('\n') + '\n';
}

test('a value that is not a number is rejected with the message from STYLE.md', async () => {
  const file = await fixture(meetingText(20, 14, '12:3O'));
  const err = await rejectsAt(() => readCsvTable(file, MEETING), file, 14, 'time', 'got "12:3O"');
  assert.is(err.message, `${file} line 14, column "time": expected a number, got "12:3O"`);
});

test('NaN is rejected', async () => {
  const file = await fixture(meetingText(5, 4, 'NaN'));
  const err = await rejectsAt(() => readCsvTable(file, MEETING), file, 4, 'time', 'got "NaN"');
  assert.is(err.message, `${file} line 4, column "time": expected a number, got "NaN"`);
});

test('Infinity and numbers too large for a double are rejected', async () => {
  const file = await fixture(meetingText(5, 3, 'Infinity'));
  await rejectsAt(() => readCsvTable(file, MEETING), file, 3, 'time', 'expected a number, got "Infinity"');
  const huge = await fixture(meetingText(5, 6, '1e999'));
  await rejectsAt(() => readCsvTable(huge, MEETING), huge, 6, 'time', 'expected a finite number, got "1e999"');
});

test('an empty cell is rejected', async () => {
  const file = await fixture('sample,agent,time\ns1,0,0.5\ns1,1,\n');
  const err = await rejectsAt(() => readCsvTable(file, MEETING), file, 3, 'time', 'empty cell');
  assert.is(err.message, `${file} line 3, column "time": expected a number, got an empty cell`);
});

test('a fractional value in an integer column is rejected', async () => {
  const file = await fixture('sample,agent,time\ns1,0,0.5\ns1,1.5,0.7\n');
  const err = await rejectsAt(() => readCsvTable(file, MEETING), file, 3, 'agent', 'got "1.5"');
  assert.is(err.message, `${file} line 3, column "agent": expected an integer >= 0, got "1.5"`);
});

test('a negative value where min is 0 is rejected', async () => {
  const file = await fixture('sample,agent,time\ns1,0,0.5\ns1,1,0.7\ns1,-1,0.9\n');
  const err = await rejectsAt(() => readCsvTable(file, MEETING), file, 4, 'agent', 'got "-1"');
  assert.is(err.message, `${file} line 4, column "agent": expected an integer >= 0, got "-1"`);
});

test('a value above max is rejected with the whole range', async () => {
  const file = await fixture('p\n0.5\n1.01\n');
  const err = await rejectsAt(() => readCsvTable(file, [{ name: 'p', kind: 'number', min: 0, max: 1 }]), file, 3, 'p', '');
  assert.is(err.message, `${file} line 3, column "p": expected a number in [0, 1], got "1.01"`);
});

test('a missing column is named, with the header that was found', async () => {
  const file = await fixture('sample,agent,Time\ns1,0,0.5\n');
  const err = await rejectsAt(() => readCsvTable(file, MEETING), file, 1, 'time', 'missing');
  assert.is(err.message, `${file} line 1, column "time": required column is missing; the header has "sample", "agent", "Time"`);
});

test('a duplicate header name is rejected', async () => {
  const file = await fixture('\nsample,agent,time,agent\ns1,0,0.5,1\n');
  await rejectsAt(() => readCsvTable(file, MEETING), file, 2, 'agent', 'columns 2 and 4');
});

test('a short row is rejected, naming its line and the first missing column', async () => {
  const file = await fixture('sample,agent,time\ns1,0,0.5\ns1,1\ns1,2,0.5\n');
  const err = await rejectsAt(() => readCsvTable(file, MEETING), file, 3, 'time', '');
  assert.is(err.message, `${file} line 3, column "time": the row has 2 fields but the header has 3`);
});

test('a row with more non-empty fields than the header is rejected', async () => {
  const file = await fixture('sample,agent,time\ns1,0,0.5,9\n');
  await rejectsAt(() => readCsvTable(file, MEETING), file, 2, undefined, 'the row has 4 fields but the header has 3');
});

test('line numbers count the lines of a quoted field with an embedded line break', async () => {
  const file = await fixture('sample,agent,time\n"s\n1",0,0.5\r\n"s1",1,"\r\n0.7"\ns1,2,oops\n');
  // records start on lines 2 ("s / 1"), 4 (0.7 spans lines 4-5) and 6.
  await rejectsAt(() => readCsvTable(file, MEETING), file, 6, 'time', 'got "oops"');
});

test('an unclosed quote is reported at the line where its record starts', async () => {
  const file = await fixture('sample,agent,time\ns1,0,0.5\n"s1,1,0.7\ns1,2,0.9\n');
  await rejectsAt(() => readCsvTable(file, MEETING), file, 3, undefined, 'never closed');
});

test('an empty file is rejected', async () => {
  const file = await fixture('');
  const err = await rejectsAt(() => readCsvTable(file, MEETING), file, undefined, undefined, 'no header row');
  assert.is(err.message, `${file}: no header row (the file is empty)`);
  const blank = await fixture('\uFEFF\r\n  \r\n');
  await rejectsAt(() => readCsvTable(blank, MEETING), blank, undefined, undefined, 'no header row');
});

test('a file with a header but no data rows is rejected', async () => {
  const file = await fixture('sample,agent,time\r\n\r\n');
  const err = await rejectsAt(() => readCsvTable(file, MEETING), file, undefined, undefined, 'no data rows');
  assert.is(err.message, `${file}: no data rows after the header on line 1`);
});

test('a missing file is reported as not found', async () => {
  const file = join(dir, 'no-such-folder', 'meeting.csv');
  const err = await rejectsAt(() => readCsvTable(file, MEETING), file, undefined, undefined, 'not found');
  assert.is(err.message, `${file}: file not found`);
});

async function meetingTable(rows: string[]): Promise<CsvTable> {
  const file = await fixture(['sample,agent,time', ...rows].join('\n'));
  return readCsvTable(file, MEETING);
}

test('pivotLong rejects an index out of range', async () => {
  const table = await meetingTable(['a,0,0.1', 'a,1,0.2', 'a,3,0.3']);
  const err = await rejectsAt(() => pivotLong(table, ['sample', 'agent'], 'time', [3]), table.file, 4, 'agent', '');
  assert.is(err.message, `${table.file} line 4, column "agent": expected an integer in [0, 2], got "3"`);
});

test('pivotLong rejects a duplicate cell, naming both lines', async () => {
  const table = await meetingTable(['a,0,0.1', 'b,0,0.2', 'a,1,0.3', 'a,0,0.4']);
  const err = await rejectsAt(() => pivotLong(table, ['sample', 'agent'], 'time', [2]), table.file, 5, 'agent', '');
  assert.is(err.message, `${table.file} line 5, column "agent": duplicate cell sample "a", agent 0, already given on line 2`);
});

test('pivotLong rejects a missing cell, naming the group, where it starts and the missing index', async () => {
  const table = await meetingTable(['a,0,0.1', 'a,1,0.2', 'a,2,0.3', 'b,0,0.4', 'b,2,0.6']);
  const err = await rejectsAt(() => pivotLong(table, ['sample', 'agent'], 'time', [3]), table.file, 5, 'sample', '');
  assert.is(err.message, `${table.file} line 5, column "sample": sample "b", which starts on this line, has no row for agent 1`);
});

test('pivotLong names every index of a missing cell and counts the others', async () => {
  const file = await fixture('game,player,die,value\ng1,0,0,1\ng1,1,1,1\n');
  const table = await readCsvTable(file, [
    { name: 'game', kind: 'string' },
    { name: 'player', kind: 'integer' },
    { name: 'die', kind: 'integer' },
    { name: 'value', kind: 'number' },
  ]);
  const err = await rejectsAt(() => pivotLong(table, ['game', 'player', 'die'], 'value', [2, 2]), file, 2, 'game', '');
  assert.is(err.reason, 'game "g1", which starts on this line, has no row for player 0, die 1 (and 1 more missing cell)');
});

// ---------------------------------------------------------------- large files, in parts

const LONG = { label: 'sample', indices: [{ name: 'agent', size: 7 }, { name: 'slot', size: 3 }], value: { name: 'time', kind: 'number' as const } };

/** A long table of `groups` samples, rows shuffled, with a BOM, CRLF line ends, blank lines, spaces and an extra column. */
function longTable(groups: number, edit?: (rows: string[]) => void): string {
  const rows: string[] = [];
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let g = 0; g < groups; g++) for (let a = 0; a < 7; a++) for (let k = 0; k < 3; k++) rows.push(`s${g}, ${a},${k} ,${(10 + rand() * 5).toFixed(6)},x`);
  for (let i = rows.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  edit?.(rows);
  return '\ufeff\r\nsample,agent,slot,time,note\r\n' + rows.map((r, i) => (i % 97 === 0 ? `${r}\r\n\r\n` : `${r}\r\n`)).join('');
}

test('a large file read in parts on worker threads gives exactly the sequential result', async () => {
  const file = await fixture(longTable(400));
  const read = { parts: 0 };
  const parts = await readLongTable(file, LONG, { partsFrom: 0, read });
  if (availableParallelism() >= 2) assert.ok(read.parts >= 2, `read in ${read.parts} part(s)`);
  const whole = await readLongTable(file, LONG, { partsFrom: Infinity, read });
  assert.is(read.parts, 1);
  assert.equal(parts.shape, [400, 7, 3]);
  assert.equal(parts.labels, whole.labels, 'groups in order of first appearance');
  assert.equal(Array.from(parts.values), Array.from(whole.values));
  // a quote anywhere: read whole (a quoted field may hold a line break)
  const quoted = await fixture(longTable(400, (rows) => (rows[rows.length - 5] = rows[rows.length - 5].replace(',x', ',"x"'))));
  const q = await readLongTable(quoted, LONG, { partsFrom: 0, read });
  assert.is(read.parts, 1);
  assert.equal(Array.from(q.values), Array.from(whole.values));
});

test('errors in a large file read in parts are the sequential reader\'s, line and column', async () => {
  const cases: [string, (rows: string[]) => void][] = [
    ['a duplicate late in the file', (rows) => rows.push(rows[3])],
    ['a hole', (rows) => rows.splice(rows.length - 10, 1)],
    ['a bad cell at the end', (rows) => (rows[rows.length - 1] = rows[rows.length - 1].replace(/,[\d.]+,x$/, ',abc,x'))],
    ['an index out of range', (rows) => (rows[rows.length - 2] = 's3, 9,0,12.5,x')],
  ];
  for (const [what, edit] of cases) {
    const file = await fixture(longTable(300, edit));
    const message = async (partsFrom: number) => {
      try {
        await readLongTable(file, LONG, { partsFrom });
      } catch (err) {
        assert.instance(err, CsvInputError, what);
        return (err as Error).message;
      }
      return 'accepted';
    };
    const sequential = await message(Infinity);
    assert.match(sequential, / line \d+/, what);
    assert.is(await message(0), sequential, what);
  }
});

test.run();
