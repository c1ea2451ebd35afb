// The tool's version, read from its own package.json at runtime, so a release only changes one place.
// The same module runs from source (src/version.ts) and compiled (dist/src/version.js): the nearest
// package.json named "regprobe" above this file is ours in both layouts, and in a global install.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function readPackageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'regprobe' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      /* no package.json at this level: look further up */
    }
    dir = dirname(dir);
  }
  // Only a broken install gets here; a report still says which build it came from.
  return '0.0.0-unknown';
}

export const VERSION: string = readPackageVersion();
