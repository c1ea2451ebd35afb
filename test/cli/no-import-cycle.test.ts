// src/cli/main.ts imports every command module; a command that imported main.ts back (it once did, for
// VERSION) made an import cycle in which a command could see main's exports still undefined.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../../src/cli/', import.meta.url));

t.test('no module of src/cli imports main.ts', async (t) => {
  // run-main.ts is the entry point that calls main(); nothing imports it back.
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'main.ts' && f !== 'run-main.ts');
  t.ok(files.length > 5, `${files.length} modules read`);
  const offenders = files.filter((f) => /from\s+['"]\.\/main\.js['"]/.test(readFileSync(dir + f, 'utf8')));
  t.same(offenders, [], 'take VERSION from src/version.ts, not from main.ts');
});

t.test('main.ts no longer re-exports VERSION', async (t) => {
  t.notMatch(readFileSync(dir + 'main.ts', 'utf8'), /export\s*\{\s*VERSION\s*\}/);
});
