// Where this package lives, found at run time: from the TypeScript sources (src/) and from the
// compiled JavaScript (dist/src/) alike, the folder of the nearest package.json named neural-mfg.
// The shipped models, the bundled data and the bin script are found from here.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface PackageJson {
  name?: string;
  version?: string;
}

function findRoot(): { root: string; pkg: PackageJson } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
      if (pkg.name === 'neural-mfg') return { root: dir, pkg };
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`neural-mfg: no package.json of neural-mfg above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

const found = findRoot();

/** The package's folder (holding package.json, models/, data/, bin/). */
export const PACKAGE_ROOT: string = found.root;

/** The package version, from package.json. */
export const PACKAGE_VERSION: string = found.pkg.version ?? '0.0.0';
