// Following a numeric CSV file that grows by appended lines (metrics.csv while `train` runs): each
// update reads only the bytes added since the last one, never the whole file again (unless the
// file was replaced, as when a run rewrites it at its end). A line that does not parse is kept
// as a problem that names its line and column, and skipped; a last line without its line end
// (being written, or cut off) waits for the rest.
import { open, stat } from 'node:fs/promises';

/** How much of the end of a file `peek` reads to find its last complete line. */
const PEEK_BYTES = 16 * 1024;
/** Problems kept per file (a file of garbage would otherwise fill the memory with them). */
const MAX_PROBLEMS = 50;

export type Cell = number | null;

export interface TailUpdate {
  /** rows appended since the last update (all of them after a reset) */
  rows: Cell[][];
  /** index of the first of `rows` in the file's rows */
  from: number;
  /** the file was replaced or cut: `rows` are all its rows, from 0 */
  reset: boolean;
}

export class CsvTail {
  columns: string[] | null = null;
  /** every row, once `load` has read the file; null until then */
  rows: Cell[][] | null = null;
  lastRow: Cell[] | null = null;
  problems: string[] = [];
  /** bytes after the last line end (a line being written, or cut off) */
  partial = '';
  /** whether the file exists */
  exists = false;
  private offset = 0;
  private lineNumber = 0;
  private inode = -1;
  private size = -1;
  private problemCount = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    /** the name problems are reported under (e.g. "metrics.csv") */
    readonly label: string,
  ) {}

  get loaded(): boolean {
    return this.rows !== null;
  }

  /** The number of complete rows read (known once loaded). */
  get rowCount(): number {
    return this.rows?.length ?? 0;
  }

  /**
   * The header and the last complete line only (for a list of many runs): reads the first line
   * and the last PEEK_BYTES, whatever the file's size.
   */
  peek(): Promise<void> {
    return this.serial(() => this.peekNow());
  }

  /** One read at a time: the scan, the tick and a request may ask at once. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => {});
    return next;
  }

  private async peekNow(): Promise<void> {
    const s = await statOrNull(this.path);
    this.exists = s !== null;
    if (!s || (s.ino === this.inode && s.size === this.size)) return;
    this.inode = s.ino;
    this.size = s.size;
    const fh = await open(this.path, 'r');
    try {
      const head = await readRange(fh, 0, Math.min(s.size, 4096));
      const firstEnd = head.indexOf(10);
      this.problems = [];
      this.problemCount = 0;
      this.columns = null;
      if (firstEnd < 0) {
        this.partial = head.toString('utf8');
        this.lastRow = null;
        return;
      }
      this.readHeader(head.subarray(0, firstEnd).toString('utf8'));
      const start = Math.max(firstEnd + 1, s.size - PEEK_BYTES);
      const tail = await readRange(fh, start, s.size - start);
      const end = tail.lastIndexOf(10);
      this.partial = tail.subarray(end + 1).toString('utf8');
      // the last complete line: after the line end before it (or the start of what was read)
      const body = tail.subarray(0, Math.max(0, end));
      const lines = body.toString('utf8').split('\n');
      this.lastRow = null;
      for (let k = lines.length - 1; k >= 0 && this.lastRow === null; k--) {
        if (k === 0 && start > firstEnd + 1) break; // possibly a piece of a line
        this.lastRow = this.parseLine(lines[k], null);
      }
    } finally {
      await fh.close();
    }
  }

  /** Reads the whole file once; later `update`s read only what is appended. */
  load(): Promise<void> {
    return this.serial(async () => {
      this.reset();
      this.rows = [];
      await this.updateNow();
    });
  }

  /**
   * Reads what was appended since the last call (a loaded tail), or peeks again (a tail not
   * loaded). Returns the new rows of a loaded tail, null when nothing changed.
   */
  update(): Promise<TailUpdate | null> {
    return this.serial(() => this.updateNow());
  }

  private async updateNow(): Promise<TailUpdate | null> {
    if (!this.loaded) {
      await this.peekNow();
      return null;
    }
    const s = await statOrNull(this.path);
    this.exists = s !== null;
    if (!s) {
      if (this.offset === 0 && this.rows!.length === 0) return null;
      this.reset();
      this.rows = [];
      return { rows: [], from: 0, reset: true };
    }
    let reset = false;
    if (s.ino !== this.inode || s.size < this.offset + Buffer.byteLength(this.partial)) {
      // replaced (a run's final rewrite, atomically) or cut: read again from the start
      reset = this.inode !== -1;
      this.reset();
      this.rows = [];
      this.inode = s.ino;
    }
    if (s.size === this.size && !reset) return null;
    this.size = s.size;
    const from = this.rows!.length;
    const fh = await open(this.path, 'r');
    let chunk: Buffer;
    try {
      chunk = await readRange(fh, this.offset, s.size - this.offset);
    } finally {
      await fh.close();
    }
    const end = chunk.lastIndexOf(10);
    this.partial = chunk.subarray(end + 1).toString('utf8');
    if (end < 0) return reset ? { rows: [], from: 0, reset } : null;
    this.offset += end + 1;
    const added: Cell[][] = [];
    for (const line of chunk.subarray(0, end).toString('utf8').split('\n')) {
      this.lineNumber++;
      if (this.columns === null) {
        this.readHeader(line);
        continue;
      }
      const row = this.parseLine(line, this.lineNumber);
      if (row) added.push(row);
    }
    for (const row of added) this.rows!.push(row);
    if (added.length > 0) this.lastRow = added[added.length - 1];
    return added.length > 0 || reset ? { rows: reset ? this.rows! : added, from: reset ? 0 : from, reset } : null;
  }

  /** The problem of a last line left without its line end, for a file that no longer grows. */
  incompleteLine(): string | null {
    if (this.partial.trim() === '') return null;
    return `${this.label} line ${this.lineNumber + 1}: the last line is incomplete (no line end: cut off while being written?): "${clip(this.partial)}"`;
  }

  private reset(): void {
    this.columns = null;
    this.rows = null;
    this.lastRow = null;
    this.problems = [];
    this.problemCount = 0;
    this.partial = '';
    this.offset = 0;
    this.lineNumber = 0;
    this.size = -1;
  }

  private readHeader(line: string): void {
    const names = line.replace(/\r$/, '').split(',').map((c) => c.trim());
    if (names.some((n) => n === '' || !/^[A-Za-z_][A-Za-z0-9_.]*$/.test(n))) {
      this.problem(`${this.label} line 1: expected a header of column names, got "${clip(line)}"`);
    }
    this.columns = names;
  }

  /** A row of numbers (empty cells: null), or null and a problem (`line` null: problems not kept). */
  private parseLine(raw: string, line: number | null): Cell[] | null {
    const text = raw.replace(/\r$/, '');
    if (text.trim() === '') return null;
    const cells = text.split(',');
    const columns = this.columns ?? [];
    if (cells.length !== columns.length) {
      if (line !== null) this.problem(`${this.label} line ${line}: expected ${columns.length} values (${columns.join(',')}), got ${cells.length}: "${clip(text)}"`);
      return null;
    }
    const row: Cell[] = [];
    for (let c = 0; c < cells.length; c++) {
      const cell = cells[c].trim();
      if (cell === '') {
        row.push(null);
        continue;
      }
      const v = Number(cell);
      if (!Number.isFinite(v)) {
        if (line !== null) this.problem(`${this.label} line ${line}, column "${columns[c]}": expected a number, got "${clip(cell)}"`);
        return null;
      }
      row.push(v);
    }
    return row;
  }

  private problem(message: string): void {
    this.problemCount++;
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(message);
    else if (this.problemCount === MAX_PROBLEMS + 1) this.problems.push(`${this.label}: more problems not listed`);
  }
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

async function statOrNull(path: string) {
  try {
    const s = await stat(path);
    return s.isFile() ? s : null;
  } catch {
    return null;
  }
}

async function readRange(fh: import('node:fs/promises').FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(Math.max(0, length));
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buffer.subarray(0, done);
}
