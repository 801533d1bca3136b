// Shared by the games' CSV tests: a fixture file from text, and a check that a reader refuses it
// with a CsvInputError naming the file.
import * as assert from 'uvu/assert';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsvInputError } from '../../src/data/csv.ts';

export async function csvFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'neural-mfg-csv-'));
  const file = join(dir, 'obs.csv');
  await writeFile(file, text);
  return file;
}

/** `read` must refuse `text` with a CsvInputError whose message names the file and matches `pattern`. */
export async function assertRefused(read: (file: string) => Promise<unknown>, text: string, pattern: RegExp): Promise<void> {
  const file = await csvFile(text);
  try {
    await read(file);
  } catch (err) {
    assert.instance(err, CsvInputError);
    assert.match((err as Error).message, file);
    assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable(`accepted: ${text}`);
}
