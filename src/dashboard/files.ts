// Which file a /files/ request may read (docs/dashboard.md §4): only a regular file of a
// known kind inside a folder the index found, whose real path (symbolic links resolved) is still
// inside that folder. Every segment of the request is decoded once and must then be a plain name:
// no "..", no ".", no separator or NUL, no hidden file; "%2e%2e", "%2F", "%5C" and doubly encoded
// forms are refused by that rule, not by a list of patterns.
import { realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';

/** The kinds of file a page shows or offers, with their content type. */
export const FILE_TYPES: Record<string, string> = {
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.csv': 'text/csv; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

export class FileRefused extends Error {
  constructor(
    readonly status: 403 | 404,
    message: string,
  ) {
    super(message);
  }
}

/** Decodes one URL path segment and checks that it names a plain entry of a folder. */
export function plainSegment(raw: string): string {
  let name: string;
  try {
    name = decodeURIComponent(raw);
  } catch {
    throw new FileRefused(403, 'a malformed %-escape in the path');
  }
  if (name === '' || name === '.' || name === '..' || name.startsWith('.') || /[/\\\0]/.test(name) || /%[0-9a-f]{2}/i.test(name)) {
    throw new FileRefused(403, `refused path segment ${JSON.stringify(name)}`);
  }
  return name;
}

/**
 * The real path of `segments` (raw, as in the URL) under `folder` (a folder of `root`), or
 * FileRefused: a segment that is not a plain name, a type not served, a path whose real location
 * leaves `folder` or `root` (a symbolic link out), anything but a regular file.
 */
export async function resolveInside(root: string, folder: string, segments: string[]): Promise<{ path: string; type: string; size: number }> {
  if (segments.length === 0 || segments.length > 8) throw new FileRefused(404, 'no such file');
  const names = segments.map(plainSegment);
  const type = FILE_TYPES[extname(names[names.length - 1]).toLowerCase()];
  if (!type) throw new FileRefused(403, 'this kind of file is not served');
  let top: string;
  let base: string;
  let real: string;
  try {
    top = await realpath(root);
    base = await realpath(folder);
    real = await realpath(join(folder, ...names));
  } catch {
    throw new FileRefused(404, 'no such file');
  }
  if (!(base === top || base.startsWith(top + sep)) || !real.startsWith(base + sep)) throw new FileRefused(403, 'the file is outside the folder (a symbolic link out)');
  const s = await stat(real);
  if (!s.isFile()) throw new FileRefused(404, 'not a file');
  return { path: real, type, size: s.size };
}
