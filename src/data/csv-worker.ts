// A worker's part of a large CSV file (src/data/csv.ts, readLongTable): csv-parse on a byte range.
import { readLongTablePart, type LongTablePart, type LongTableSpec } from './csv.ts';

export function run(task: { file: string; spec: LongTableSpec; range: { start: number; end: number; header: string[] } }): Promise<LongTablePart> {
  return readLongTablePart(task.file, task.spec, task.range);
}
