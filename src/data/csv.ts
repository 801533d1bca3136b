// CSV in and out for every game's observation files. Reading streams the file through csv-parse
// and checks each value against a column spec; every rejection is a CsvInputError that names the
// file, the physical line and the column, so a user can fix the file without reading our code.

import { createReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { writeStreamAtomic } from '../io/atomic.ts';
import { runWorker } from '../threads.ts';
import { CsvError, parse } from 'csv-parse';

/** A user-facing input error that pinpoints the place in the file. message is formatted as
 *  `${file} line ${line}, column "${column}": ${reason}`, leaving out the parts that are unknown
 *  (e.g. `${file}: no header row`). */
export class CsvInputError extends Error {
  override readonly name = 'CsvInputError';
  readonly file: string;
  readonly line?: number;
  readonly column?: string;
  /** What is wrong, without the location prefix. */
  readonly reason: string;

  constructor(file: string, reason: string, line?: number, column?: string) {
    let place = file;
    if (line !== undefined) place += ` line ${line}`;
    if (column !== undefined) place += `${line !== undefined ? ',' : ''} column "${column}"`;
    super(`${place}: ${reason}`);
    this.file = file;
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}

/** One column to read. `integer` accepts integral values written as `3`, `3.0` or `3e0`;
 *  `min`/`max` are inclusive bounds for the numeric kinds. `string` cells may be empty. */
export interface ColumnSpec {
  name: string;
  kind: 'integer' | 'number' | 'string';
  min?: number;
  max?: number;
  /** said after the range when a value lies outside it: what the range is and how to widen it */
  rangeNote?: string;
}

export interface CsvTable {
  file: string;
  /** Header names as found in the file (trimmed), including columns that were not asked for. */
  header: string[];
  /** The requested columns only, by name; numbers for the numeric kinds, strings otherwise. */
  columns: Record<string, (number | string)[]>;
  /** 1-based physical line number on which each record starts. */
  lines: number[];
}

// A plain decimal or scientific number. Number() alone would also accept '', ' ', '0x1F', '0b1',
// 'Infinity' and '1_0'-free oddities that are almost always a broken file, not a value.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

const LINE_BREAK = /\r\n|\r|\n/g;

/** Stream-parse a CSV file and check each requested column against its spec.
 *  Columns are matched by header name (any order, extra columns ignored, names trimmed,
 *  case-sensitive). Accepts a UTF-8 BOM, LF/CRLF/CR line ends, quoted fields, whitespace around
 *  fields, blank lines, and trailing empty fields (e.g. a trailing comma). */
export async function readCsvTable(file: string, columns: ColumnSpec[]): Promise<CsvTable> {
  const values: (number | string)[][] = columns.map(() => []);
  const lines: number[] = [];
  const header = await streamRecords(file, columns, (cells, line) => {
    cells.forEach((v, i) => values[i].push(v));
    lines.push(line);
  });
  const table: CsvTable = { file, header, columns: {}, lines };
  columns.forEach((spec, i) => (table.columns[spec.name] = values[i]));
  return table;
}

/**
 * Streams the records of a CSV file: matches the header, checks every requested cell against its
 * spec and hands the parsed cells (in `columns` order) and the record's first physical line to
 * `onRow`, one record at a time. Returns the header.
 */
/** A byte range of a file without quotes, after its header (the parallel reader's part of a file). */
export interface ByteRange {
  start: number;
  /** exclusive */
  end: number;
  /** the file's header, read before */
  header: string[];
}

async function streamRecords(
  file: string,
  columns: ColumnSpec[],
  onRow: (cells: (number | string)[], line: number) => void,
  range?: ByteRange,
): Promise<string[]> {
  const requested = new Set<string>();
  for (const spec of columns) {
    if (requested.has(spec.name)) throw new Error(`readCsvTable: column "${spec.name}" is requested twice`);
    requested.add(spec.name);
  }

  // Physical line counting is ours, not csv-parse's: its info.lines counts a CRLF inside a quoted
  // field twice. Every line break is either a record delimiter or inside a field (blank lines are
  // kept as [''] records for this reason), so a record's start line is 1 + all breaks before it.
  // on_record runs synchronously inside the parser, so nextLine is also the start line of the
  // record being parsed when csv-parse raises an error.
  let nextLine = 1;
  let header: string[] | undefined = range?.header;
  let headerLine = 0;
  let slots: { spec: ColumnSpec; index: number }[] = range ? matchHeader(file, range.header, 0, columns) : [];
  let rows = 0;
  /** the first error: a rejected cell, the parser's or the file's (reading stops there) */
  let failure: unknown = null;
  const cells: (number | string)[] = new Array(columns.length);
  // Records are taken from the parser as they come (read() on 'readable', no promise or info
  // object per record: an object stream of millions of records is what made big files slow).
  const handle = (fields: string[]): void => {
    const line = nextLine;
    nextLine += 1;
    for (let f = 0; f < fields.length; f++) nextLine += countLineBreaks(fields[f]);
    if (fields.length === 1 && fields[0] === '') return; // blank or whitespace-only line
    if (header === undefined) {
      header = fields.map((name) => name.trim());
      headerLine = line;
      slots = matchHeader(file, header, headerLine, columns);
      return;
    }
    checkFieldCount(file, header, fields, line);
    for (let i = 0; i < slots.length; i++) cells[i] = parseCell(file, line, slots[i].spec, fields[slots[i].index]);
    onRow(cells, line);
    rows++;
  };
  const parser = parse({ bom: !range, trim: true, relax_column_count: true, skip_empty_lines: false, record_delimiter: ['\r\n', '\n', '\r'] });
  const input = range ? createReadStream(file, { start: range.start, end: range.end - 1 }) : createReadStream(file);
  await new Promise<void>((resolve) => {
    const stop = (err: unknown) => {
      if (failure === null) failure = err;
      input.destroy();
      parser.destroy();
      resolve();
    };
    parser.on('readable', () => {
      let record: string[] | null;
      try {
        while (failure === null && (record = parser.read() as string[] | null) !== null) handle(record);
      } catch (err) {
        stop(err);
      }
    });
    parser.on('error', stop);
    input.on('error', stop);
    // a part of a file (a worker's) must hold no quote: a quoted field could hold a line break,
    // and the parts are cut at line breaks
    if (range) input.on('data', (chunk) => (chunk as Buffer).includes(0x22) && stop(new Error('a quote in a part of the file')));
    parser.on('end', () => resolve());
    input.pipe(parser);
  });
  if (failure !== null) throw toInputError(failure, file, nextLine, header);

  if (header === undefined) throw new CsvInputError(file, 'no header row (the file is empty)');
  if (range) return header;
  if (rows === 0) {
    throw new CsvInputError(file, `no data rows after the header on line ${headerLine}`);
  }
  return header;
}

function countLineBreaks(text: string): number {
  if (!text.includes('\n') && !text.includes('\r')) return 0;
  return text.match(LINE_BREAK)?.length ?? 0;
}

function matchHeader(file: string, header: string[], line: number, columns: ColumnSpec[]) {
  const seen = new Map<string, number>();
  header.forEach((name, index) => {
    if (name === '') return; // unnamed columns (e.g. from a trailing comma) are ignored
    const first = seen.get(name);
    if (first !== undefined) {
      throw new CsvInputError(
        file,
        `duplicate header name (columns ${first + 1} and ${index + 1} are both called "${name}")`,
        line,
        name,
      );
    }
    seen.set(name, index);
  });
  return columns.map((spec) => {
    const index = seen.get(spec.name);
    if (index === undefined) {
      const found = header.map((name) => JSON.stringify(name)).join(', ');
      throw new CsvInputError(file, `required column is missing; the header has ${found}`, line, spec.name);
    }
    return { spec, index };
  });
}

function checkFieldCount(file: string, header: string[], fields: string[], line: number): void {
  if (fields.length < header.length) {
    throw new CsvInputError(
      file,
      `the row has ${fields.length} field${fields.length === 1 ? '' : 's'} but the header has ${header.length}`,
      line,
      header[fields.length] || undefined,
    );
  }
  // Extra fields are tolerated only when empty (a trailing comma); a non-empty one means the
  // values are probably shifted against the header.
  for (let i = header.length; i < fields.length; i++) {
    if (fields[i] !== '') {
      throw new CsvInputError(
        file,
        `the row has ${fields.length} fields but the header has ${header.length}`,
        line,
      );
    }
  }
}

function parseCell(file: string, line: number, spec: ColumnSpec, text: string): number | string {
  if (spec.kind === 'string') return text;
  // the common case without allocating: a plain number within range (checkNumber says why not)
  if (DECIMAL.test(text)) {
    const value = Number(text);
    if (
      Number.isFinite(value) &&
      (spec.kind === 'number' || Number.isSafeInteger(value)) &&
      !(spec.min !== undefined && value < spec.min) &&
      !(spec.max !== undefined && value > spec.max)
    ) {
      return value === 0 ? 0 : value; // '-0' reads as 0
    }
  }
  const reason = checkNumber(text, spec.kind, spec.min, spec.max, spec.rangeNote);
  if (typeof reason === 'string') throw new CsvInputError(file, reason, line, spec.name);
  return reason.value;
}

/** The number in `text`, or why it is not acceptable as `kind` within [min, max]. */
function checkNumber(
  text: string,
  kind: 'integer' | 'number',
  min?: number,
  max?: number,
  rangeNote?: string,
): { value: number } | string {
  const what = kind === 'integer' ? 'an integer' : 'a number';
  const trimmed = text.trim();
  let range = '';
  if (min !== undefined && max !== undefined) range = ` in [${min}, ${max}]`;
  else if (min !== undefined) range = ` >= ${min}`;
  else if (max !== undefined) range = ` <= ${max}`;
  if (trimmed === '') return `expected ${what}${range}, got an empty cell`;
  if (!DECIMAL.test(trimmed)) return `expected ${what}${range}, got ${JSON.stringify(text)}`;
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return `expected a finite number, got ${JSON.stringify(text)}`;
  if (kind === 'integer' && !Number.isSafeInteger(value)) {
    return `expected an integer${range}, got ${JSON.stringify(text)}`;
  }
  if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
    return `expected ${what}${range}, got ${JSON.stringify(text)}${rangeNote ? ` (${rangeNote})` : ''}`;
  }
  return { value: value === 0 ? 0 : value }; // '-0' reads as 0
}

function toInputError(err: unknown, file: string, line: number, header?: string[]): Error {
  if (err instanceof CsvInputError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (err instanceof CsvError) {
    const fieldIndex = typeof err['column'] === 'number' ? err['column'] : -1;
    const column = header?.[fieldIndex] || undefined;
    switch (err.code) {
      case 'CSV_QUOTE_NOT_CLOSED':
        return new CsvInputError(file, 'a quoted field starting in this record is never closed', line);
      case 'CSV_INVALID_CLOSING_QUOTE':
        return new CsvInputError(
          file,
          'unexpected text after a closing quote (write a quote inside a quoted field as "")',
          line,
          column,
        );
      case 'INVALID_OPENING_QUOTE':
        return new CsvInputError(
          file,
          'a quote inside an unquoted field (quote the whole field and write the quote as "")',
          line,
          column,
        );
      default:
        return new CsvInputError(file, err.message, line, column);
    }
  }
  if (code === 'ENOENT') return new CsvInputError(file, 'file not found');
  if (code === 'EISDIR') return new CsvInputError(file, 'is a folder, not a file');
  if (code === 'EACCES' || code === 'EPERM') return new CsvInputError(file, 'permission denied');
  if (typeof code === 'string' && err instanceof Error) {
    return new CsvInputError(file, `cannot read the file (${err.message})`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** A long table's layout: a free group label, integer index columns with their sizes, a value column. */
export interface LongTableSpec {
  /** the column that labels each group (a sample, a game) */
  label: string;
  /** integer index columns, each in [0, size) */
  indices: { name: string; size: number }[];
  value: ColumnSpec & { kind: 'integer' | 'number' };
}

/**
 * Streams a long table (one row per cell) straight into a dense row-major Float64Array of shape
 * [groups, ...sizes], groups in order of first appearance: memory holds the values (8 bytes per
 * cell), a byte per cell to find duplicates and holes, and the group labels, never the rows. The
 * same checks and messages as readCsvTable followed by pivotLong: every cell must appear once.
 */
export async function readLongTable(
  file: string,
  spec: LongTableSpec,
  opts: { partsFrom?: number; read?: { parts: number } } = {},
): Promise<{ labels: string[]; values: Float64Array; shape: number[] }> {
  // a large plain file is parsed in parts on worker threads; anything unusual, and every error,
  // goes the sequential way below, which reports it precisely
  const parallel = await readLongTableInParts(file, spec, opts.partsFrom ?? PARALLEL_BYTES).catch(() => null);
  if (opts.read) opts.read.parts = parallel?.parts ?? 1;
  if (parallel) return parallel.table;
  const sizes = spec.indices.map((i) => i.size);
  for (const size of sizes) {
    if (!Number.isSafeInteger(size) || size < 1) throw new Error(`readLongTable: sizes must be positive integers, got ${size}`);
  }
  const cellsPerGroup = sizes.reduce((a, b) => a * b, 1);
  const strides = sizes.map((_, i) => sizes.slice(i + 1).reduce((a, b) => a * b, 1));
  const columns = longTableColumns(spec);
  const groupIndex = new Map<string, number>();
  const labels: string[] = [];
  const startLines: number[] = [];
  let values = new Float64Array(cellsPerGroup * 16);
  let seen = new Uint8Array(cellsPerGroup * 16);
  let rows = 0;
  await streamRecords(file, columns, (cells, line) => {
    const label = cells[0] as string;
    let g = groupIndex.get(label);
    if (g === undefined) {
      g = labels.length;
      groupIndex.set(label, g);
      labels.push(label);
      startLines.push(line);
      if ((g + 1) * cellsPerGroup > values.length) {
        const grown = new Float64Array(values.length * 2);
        grown.set(values);
        values = grown;
        const grownSeen = new Uint8Array(seen.length * 2);
        grownSeen.set(seen);
        seen = grownSeen;
      }
    }
    let offset = g * cellsPerGroup;
    for (let k = 0; k < sizes.length; k++) offset += (cells[k + 1] as number) * strides[k];
    if (seen[offset] !== 0) throw new DuplicateCell(label, cells.slice(1, -1) as number[], line);
    seen[offset] = 1;
    values[offset] = cells[cells.length - 1] as number;
    rows++;
  }).catch(async (err) => {
    if (!(err instanceof DuplicateCell)) throw err;
    // the error path only: read again to name the line that first gave the cell
    const keys = [spec.label, ...spec.indices.map((i) => i.name)];
    const first = await firstLineOf(file, columns, err.label, err.indices, err.line);
    throw new CsvInputError(file, `duplicate cell ${describeCell(keys, err.label, err.indices)}, already given on line ${first}`, err.line, keys[keys.length - 1]);
  });
  if (rows === 0) throw new Error(`${file}: no data rows`); // streamRecords refuses this first
  for (let g = 0; g < labels.length; g++) {
    const block = seen.subarray(g * cellsPerGroup, (g + 1) * cellsPerGroup);
    const missing = block.indexOf(0);
    if (missing === -1) continue;
    let more = 0;
    for (let i = missing + 1; i < cellsPerGroup; i++) if (block[i] === 0) more++;
    const at = sizes.map((_, k) => Math.floor(missing / strides[k]) % sizes[k]);
    const cell = spec.indices.map((index, k) => `${index.name} ${at[k]}`).join(', ');
    throw new CsvInputError(
      file,
      `${spec.label} ${JSON.stringify(labels[g])}, which starts on this line, has no row for ${cell}` +
        (more > 0 ? ` (and ${more} more missing cell${more === 1 ? '' : 's'})` : ''),
      startLines[g],
      spec.label,
    );
  }
  return { labels, values: values.slice(0, labels.length * cellsPerGroup), shape: [labels.length, ...sizes] };
}

/** The columns readLongTable reads, in order: label, indices, value. */
function longTableColumns(spec: LongTableSpec): ColumnSpec[] {
  return [
    { name: spec.label, kind: 'string' },
    ...spec.indices.map((i) => ({ name: i.name, kind: 'integer' as const, min: 0, max: i.size - 1 })),
    spec.value,
  ];
}

/** One part of a long table, as a worker reads it: every row's group (local), cell and value. */
export interface LongTablePart {
  /** the part's group labels, in order of first appearance */
  labels: string[];
  /** per row: index into labels */
  group: Int32Array;
  /** per row: the cell's offset within its group */
  cell: Int32Array;
  value: Float64Array;
  rows: number;
}

/** Reads the rows of bytes [start, end) of a long table whose header is known (a worker's part). */
export async function readLongTablePart(file: string, spec: LongTableSpec, range: ByteRange): Promise<LongTablePart> {
  const sizes = spec.indices.map((i) => i.size);
  const strides = sizes.map((_, i) => sizes.slice(i + 1).reduce((a, b) => a * b, 1));
  const labels: string[] = [];
  const local = new Map<string, number>();
  let group = new Int32Array(1 << 16);
  let cell = new Int32Array(1 << 16);
  let value = new Float64Array(1 << 16);
  let rows = 0;
  await streamRecords(
    file,
    longTableColumns(spec),
    (cells) => {
      const label = cells[0] as string;
      let g = local.get(label);
      if (g === undefined) {
        g = labels.length;
        local.set(label, g);
        labels.push(label);
      }
      if (rows === group.length) {
        const grow = <T extends Int32Array | Float64Array>(a: T): T => {
          const b = new (a.constructor as { new (n: number): T })(a.length * 2);
          b.set(a);
          return b;
        };
        group = grow(group);
        cell = grow(cell);
        value = grow(value);
      }
      let offset = 0;
      for (let k = 0; k < sizes.length; k++) offset += (cells[k + 1] as number) * strides[k];
      group[rows] = g;
      cell[rows] = offset;
      value[rows] = cells[cells.length - 1] as number;
      rows++;
    },
    range,
  );
  return { labels, group: group.slice(0, rows), cell: cell.slice(0, rows), value: value.slice(0, rows), rows };
}

/** Files from this size on are read in parts on worker threads (when the machine has cores to spare; `partsFrom` changes it). */
export const PARALLEL_BYTES = 32 * 1024 * 1024;

/**
 * A large file without quotes (so that every line break ends a record), read in one part per core: csv-parse on each byte range in a worker, the parts merged here
 * in file order. Null when the file does not qualify or anything is not as expected: the caller
 * then reads it sequentially, which also gives every error its line.
 */
async function readLongTableInParts(
  file: string,
  spec: LongTableSpec,
  from: number,
): Promise<{ table: { labels: string[]; values: Float64Array; shape: number[] }; parts: number } | null> {
  const workers = Math.min(availableParallelism(), 8);
  if (workers < 2) return null;
  const size = (await stat(file)).size;
  if (size < from) return null;
  const handle = await open(file, 'r');
  let header: string[];
  let cuts: number[];
  try {
    const found = await plainHeader(handle, size);
    if (!found) return null;
    header = found.header;
    cuts = [found.end];
    for (let k = 1; k < workers; k++) {
      const cut = await lineStartAfter(handle, Math.max(cuts[k - 1], Math.floor((size * k) / workers)), size);
      if (cut < size && cut > cuts[cuts.length - 1]) cuts.push(cut);
    }
    cuts.push(size);
  } finally {
    await handle.close();
  }
  const parts = await Promise.all(
    cuts.slice(0, -1).map((start, k) => runWorker<LongTablePart>(new URL(`./csv-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url), { file, spec, range: { start, end: cuts[k + 1], header } })),
  );
  const sizes = spec.indices.map((i) => i.size);
  const cellsPerGroup = sizes.reduce((a, b) => a * b, 1);
  const labels: string[] = [];
  const index = new Map<string, number>();
  for (const part of parts) for (const label of part.labels) if (!index.has(label)) index.set(label, labels.push(label) - 1);
  const values = new Float64Array(labels.length * cellsPerGroup);
  const seen = new Uint8Array(labels.length * cellsPerGroup);
  let rows = 0;
  for (const part of parts) {
    const global = Int32Array.from(part.labels, (label) => index.get(label)!);
    for (let r = 0; r < part.rows; r++) {
      const at = global[part.group[r]] * cellsPerGroup + part.cell[r];
      if (seen[at] !== 0) return null; // a duplicate: the sequential reader names its lines
      seen[at] = 1;
      values[at] = part.value[r];
    }
    rows += part.rows;
  }
  // a hole, or no rows at all: the sequential reader says where
  if (rows !== labels.length * cellsPerGroup || rows === 0) return null;
  return { table: { labels, values, shape: [labels.length, ...sizes] }, parts: parts.length };
}

/** The header of a file without quotes or lone CRs in its first megabyte, and where the data start; null otherwise. */
async function plainHeader(handle: FileHandle, size: number): Promise<{ header: string[]; end: number } | null> {
  const head = Buffer.alloc(Math.min(size, 1 << 20));
  await handle.read(head, 0, head.length, 0);
  let at = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  for (;;) {
    const nl = head.indexOf(0x0a, at);
    if (nl < 0) return null;
    const text = head.toString('utf8', at, nl).replace(/\r$/, '');
    if (/["\r]/.test(text)) return null;
    if (text.trim() !== '') return { header: text.split(',').map((name) => name.trim()), end: nl + 1 };
    at = nl + 1;
  }
}

/** The offset of the first line that starts at or after `from` (the size when none does). */
async function lineStartAfter(handle: FileHandle, from: number, size: number): Promise<number> {
  const chunk = Buffer.alloc(1 << 16);
  let at = from;
  while (at < size) {
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, at);
    const nl = chunk.subarray(0, bytesRead).indexOf(0x0a);
    if (nl >= 0) return at + nl + 1;
    at += bytesRead;
  }
  return size;
}

class DuplicateCell extends Error {
  constructor(
    readonly label: string,
    readonly indices: number[],
    readonly line: number,
  ) {
    super('duplicate cell');
  }
}

async function firstLineOf(file: string, columns: ColumnSpec[], label: string, indices: number[], before: number): Promise<number> {
  let found = before;
  await streamRecords(file, columns, (cells, line) => {
    if (found === before && line < before && cells[0] === label && indices.every((v, k) => cells[k + 1] === v)) found = line;
  });
  return found;
}

/** Pivot a long table (one row per cell) into a dense row-major array of shape [groups, ...sizes].
 *  `keys[0]` is a free group label (groups ordered by first appearance); `keys[1..]` are integer
 *  indices in [0, sizes[i-1]). Every cell must appear exactly once. */
export function pivotLong(
  table: CsvTable,
  keys: string[],
  value: string,
  sizes: number[],
): { labels: string[]; values: Float64Array; shape: number[] } {
  if (keys.length === 0) throw new Error('pivotLong: keys must name at least the group label column');
  if (sizes.length !== keys.length - 1) {
    throw new Error(`pivotLong: ${keys.length - 1} index key(s) need as many sizes, got ${sizes.length}`);
  }
  for (const size of sizes) {
    if (!Number.isSafeInteger(size) || size < 1) throw new Error(`pivotLong: sizes must be positive integers, got ${size}`);
  }
  const columnOf = (name: string) => {
    const column = table.columns[name];
    if (column === undefined) {
      throw new Error(`pivotLong: column "${name}" was not read from ${table.file}; add it to the ColumnSpec list`);
    }
    return column;
  };
  const labelColumn = columnOf(keys[0]);
  const indexColumns = keys.slice(1).map(columnOf);
  const valueColumn = columnOf(value);
  const { file, lines } = table;

  // Row-major strides of one group's block: [size1 * size2 * ..., ..., 1].
  const cellsPerGroup = sizes.reduce((a, b) => a * b, 1);
  const strides = sizes.map((_, i) => sizes.slice(i + 1).reduce((a, b) => a * b, 1));

  interface Group {
    label: string;
    startLine: number;
    values: Float64Array; // [...sizes]
    cellLines: Int32Array; // [...sizes], 0 where the cell has not been seen
  }
  const groups = new Map<string, Group>();
  const indices = new Array<number>(sizes.length);

  for (let row = 0; row < lines.length; row++) {
    const line = lines[row];
    const label = String(labelColumn[row]);
    let offset = 0;
    for (let k = 0; k < sizes.length; k++) {
      const raw = indexColumns[k][row];
      const checked = checkNumber(String(raw), 'integer', 0, sizes[k] - 1);
      if (typeof checked === 'string') throw new CsvInputError(file, checked, line, keys[k + 1]);
      indices[k] = checked.value;
      offset += checked.value * strides[k];
    }
    const rawValue = valueColumn[row];
    let cellValue: number;
    if (typeof rawValue === 'number') {
      cellValue = rawValue;
    } else {
      const checked = checkNumber(rawValue, 'number');
      if (typeof checked === 'string') throw new CsvInputError(file, checked, line, value);
      cellValue = checked.value;
    }

    let group = groups.get(label);
    if (group === undefined) {
      group = {
        label,
        startLine: line,
        values: new Float64Array(cellsPerGroup),
        cellLines: new Int32Array(cellsPerGroup),
      };
      groups.set(label, group);
    }
    const firstLine = group.cellLines[offset];
    if (firstLine !== 0) {
      throw new CsvInputError(
        file,
        `duplicate cell ${describeCell(keys, label, indices)}, already given on line ${firstLine}`,
        line,
        keys[keys.length - 1],
      );
    }
    group.cellLines[offset] = line;
    group.values[offset] = cellValue;
  }

  const labels: string[] = [];
  const values = new Float64Array(groups.size * cellsPerGroup);
  let g = 0;
  for (const group of groups.values()) {
    const missing = group.cellLines.indexOf(0);
    if (missing !== -1) {
      let more = 0;
      for (let i = missing + 1; i < cellsPerGroup; i++) if (group.cellLines[i] === 0) more++;
      const at = sizes.map((_, k) => Math.floor(missing / strides[k]) % sizes[k]);
      const cell = keys.slice(1).map((key, k) => `${key} ${at[k]}`).join(', ');
      throw new CsvInputError(
        file,
        `${keys[0]} ${JSON.stringify(group.label)}, which starts on this line, has no row for ${cell}` +
          (more > 0 ? ` (and ${more} more missing cell${more === 1 ? '' : 's'})` : ''),
        group.startLine,
        keys[0],
      );
    }
    labels.push(group.label);
    values.set(group.values, g * cellsPerGroup);
    g++;
  }
  return { labels, values, shape: [groups.size, ...sizes] };
}

function describeCell(keys: string[], label: string, indices: number[]): string {
  const parts = [`${keys[0]} ${JSON.stringify(label)}`];
  for (let k = 0; k < indices.length; k++) parts.push(`${keys[k + 1]} ${indices[k]}`);
  return parts.join(', ');
}

/** Write rows as CSV (header first, LF line ends) atomically: a temp file in the same folder is
 *  renamed over `path`, so readers never see half a file; the folder is created if needed.
 *  Numbers are written in full (shortest round-trip form) unless `digits` is given, in which case
 *  non-integers are rounded to that many significant digits; integers are always exact, so index
 *  columns survive. NaN and ±Infinity are refused, since readCsvTable would reject them. */
export async function writeCsv(
  path: string,
  header: string[],
  rows: Iterable<(number | string)[]>,
  opts: { digits?: number } = {},
): Promise<void> {
  const { digits } = opts;
  if (digits !== undefined && (!Number.isInteger(digits) || digits < 1 || digits > 17)) {
    throw new Error(`writeCsv ${path}: digits must be an integer in [1, 17], got ${digits}`);
  }
  const formatCell = (cell: number | string, row: number, column: number): string => {
    if (typeof cell === 'string') return quoteIfNeeded(cell);
    if (!Number.isFinite(cell)) {
      throw new Error(`writeCsv ${path}: row ${row + 1}, column "${header[column]}" is ${cell}; only finite numbers can be written`);
    }
    if (digits === undefined || Number.isInteger(cell)) return String(cell === 0 ? 0 : cell);
    const rounded = Number(cell.toPrecision(digits));
    return String(rounded === 0 ? 0 : rounded);
  };

  await writeStreamAtomic(path, async (handle) => {
    // Written in ~64 kB chunks so a large table never becomes one big string.
    let chunk = header.map(quoteIfNeeded).join(',') + '\n';
    let r = -1;
    for (const row of rows) {
      r++;
      if (row.length !== header.length) {
        throw new Error(`writeCsv ${path}: row ${r + 1} has ${row.length} cells but the header has ${header.length}`);
      }
      chunk += row.map((cell, c) => formatCell(cell, r, c)).join(',') + '\n';
      if (chunk.length >= 65536) {
        await handle.write(chunk);
        chunk = '';
      }
    }
    if (chunk.length > 0) await handle.write(chunk);
  });
}

/**
 * Writes a dataset [samples, ...sizes] as a long table, one row per cell: the sample's label, its
 * indices, its value (the layout readLongTable reads back). Rows are produced as they are written,
 * so that a million samples never exist as rows in memory.
 */
export async function writeLongTable(path: string, header: string[], data: { labels: string[]; values: ArrayLike<number>; shape: number[] }, opts: { digits?: number } = {}): Promise<void> {
  const sizes = data.shape.slice(1);
  if (header.length !== sizes.length + 2) throw new Error(`writeLongTable ${path}: ${header.length} columns for ${sizes.length} indices`);
  const cells = sizes.reduce((a, b) => a * b, 1);
  function* rows(): Generator<(number | string)[]> {
    const index = new Array<number>(sizes.length).fill(0);
    for (let s = 0; s < data.shape[0]; s++) {
      index.fill(0);
      for (let c = 0; c < cells; c++) {
        yield [data.labels[s], ...index, data.values[s * cells + c]];
        for (let k = sizes.length - 1; k >= 0; k--) {
          if (++index[k] < sizes[k]) break;
          index[k] = 0;
        }
      }
    }
  }
  await writeCsv(path, header, rows(), opts);
}

/** Quote a field that the reader would otherwise split, trim or misread. */
function quoteIfNeeded(text: string): string {
  if (/[",\r\n]/.test(text) || text !== text.trim()) return `"${text.replace(/"/g, '""')}"`;
  return text;
}
