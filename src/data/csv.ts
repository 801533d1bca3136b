// CSV in and out for every game's observation files. Reading streams the file through csv-parse
// and checks each value against a column spec; every rejection is a CsvInputError that names the
// file, the physical line and the column, so a user can fix the file without reading our code.

import { createReadStream } from 'node:fs';
import { writeStreamAtomic } from '../io/atomic.ts';
import { pipeline } from 'node:stream';
import { CsvError, parse, type Options } from 'csv-parse';

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

interface RawRecord {
  line: number;
  fields: string[];
}

/** Stream-parse a CSV file and check each requested column against its spec.
 *  Columns are matched by header name (any order, extra columns ignored, names trimmed,
 *  case-sensitive). Accepts a UTF-8 BOM, LF/CRLF/CR line ends, quoted fields, whitespace around
 *  fields, blank lines, and trailing empty fields (e.g. a trailing comma). */
export async function readCsvTable(file: string, columns: ColumnSpec[]): Promise<CsvTable> {
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
  const options: Options<RawRecord, string[]> = {
    bom: true,
    trim: true,
    relax_column_count: true,
    skip_empty_lines: false,
    record_delimiter: ['\r\n', '\n', '\r'],
    on_record: (fields: string[]): RawRecord => {
      const line = nextLine;
      nextLine += 1;
      for (const field of fields) nextLine += countLineBreaks(field);
      return { line, fields };
    },
  };
  const parser = parse(options as unknown as Options); // the typings tie on_record to string[]
  // pipeline forwards a read error (e.g. ENOENT) to the parser, where the loop below sees it;
  // the callback only has to swallow the duplicate report.
  pipeline(createReadStream(file), parser, () => {});

  let header: string[] | undefined;
  let headerLine = 0;
  let slots: { spec: ColumnSpec; index: number; values: (number | string)[] }[] = [];
  const lines: number[] = [];
  try {
    for await (const record of parser as AsyncIterable<RawRecord>) {
      const { line, fields } = record;
      if (fields.length === 1 && fields[0] === '') continue; // blank or whitespace-only line
      if (header === undefined) {
        header = fields.map((name) => name.trim());
        headerLine = line;
        slots = matchHeader(file, header, headerLine, columns);
        continue;
      }
      checkFieldCount(file, header, fields, line);
      for (const slot of slots) slot.values.push(parseCell(file, line, slot.spec, fields[slot.index]));
      lines.push(line);
    }
  } catch (err) {
    throw toInputError(err, file, nextLine, header);
  }

  if (header === undefined) throw new CsvInputError(file, 'no header row (the file is empty)');
  if (lines.length === 0) {
    throw new CsvInputError(file, `no data rows after the header on line ${headerLine}`);
  }
  const table: CsvTable = { file, header, columns: {}, lines };
  for (const slot of slots) table.columns[slot.spec.name] = slot.values;
  return table;
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
    return { spec, index, values: [] as (number | string)[] };
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
  const reason = checkNumber(text, spec.kind, spec.min, spec.max);
  if (typeof reason === 'string') throw new CsvInputError(file, reason, line, spec.name);
  return reason.value;
}

/** The number in `text`, or why it is not acceptable as `kind` within [min, max]. */
function checkNumber(
  text: string,
  kind: 'integer' | 'number',
  min?: number,
  max?: number,
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
    return `expected ${what}${range}, got ${JSON.stringify(text)}`;
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
  rows: (number | string)[][],
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
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
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

/** Quote a field that the reader would otherwise split, trim or misread. */
function quoteIfNeeded(text: string): string {
  if (/[",\r\n]/.test(text) || text !== text.trim()) return `"${text.replace(/"/g, '""')}"`;
  return text;
}
