// Start-up cost is module loading: a command loads what it runs, not the other commands' worlds. `bench`
// once imported a helper from the conformance command and so loaded every suite (about 40 modules,
// 150 ms of CPU before its first request). This walks the static, non-type imports of a command module.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Every project module a module loads at import time (type-only imports and dynamic import() excluded). */
function staticGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [resolve(root, entry)];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?from\s+'(\.[^']+)'/gms)) {
      todo.push(resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
    }
  }
  return new Set([...seen].map((f) => relative(root, f)));
}

t.test('the walker follows imports (bench loads its workloads)', async (t) => {
  const graph = staticGraph('src/cli/bench-command.ts');
  t.ok(graph.has('bench/workloads/index.ts'));
  t.ok(graph.has('src/client/registry-client.ts'));
});

for (const [command, forbidden] of [
  ['src/cli/bench-command.ts', /^(suites\/|src\/conformance\/runner\.ts|src\/real-clients\/|src\/cli\/conformance-command\.ts|reference-server\/)/],
  ['src/cli/serve-command.ts', /^(suites\/|src\/conformance\/|src\/real-clients\/|bench\/|src\/report\/)/],
  ['src/cli/gc-command.ts', /^(suites\/|src\/conformance\/|bench\/|src\/report\/(?!gc-text))/],
] as const) {
  t.test(`${command} does not load other commands' modules`, async (t) => {
    t.same([...staticGraph(command)].filter((f) => forbidden.test(f)), []);
  });
}
