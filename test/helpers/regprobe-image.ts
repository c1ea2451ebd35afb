// regprobe's own image, built here offline for the `regprobe` preset: this machine's node binary and
// the libraries `ldd` names, the compiled package (bin/, dist/, package.json) and its runtime
// dependencies, with `regprobe` as the entrypoint, brought in with `docker import`. A quick stand-in
// for what the repository's Dockerfile makes (test/deploy/container-image.test.ts builds that for real).
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DockerEngine } from './dockerd.js';
import { importRootfs, sharedLibraries } from './dockerd.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const APP = '/opt/regprobe';
// Loaded only for --container (a dynamic import); a registry in a container never starts another.
const NOT_NEEDED = new Set(['testcontainers']);

interface PackageJson {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** The directory Node would load `name` from, for code in `fromDir` (undefined when not installed). */
function resolvePackage(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === ROOT || dirname(dir) === dir) return undefined;
  }
}

/** The installed directories of the package's runtime dependencies, transitively. */
export function runtimePackages(): string[] {
  const seen = new Set<string>();
  const queue: Array<[string, string]> = [];
  const enqueue = (pkgDir: string, pkg: PackageJson, root: boolean) => {
    const names = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})];
    for (const n of names) if (!(root && NOT_NEEDED.has(n))) queue.push([n, pkgDir]);
  };
  enqueue(ROOT, JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson, true);
  while (queue.length > 0) {
    const [name, from] = queue.shift()!;
    const dir = resolvePackage(name, from);
    if (!dir || seen.has(dir)) continue; // optional or peer dependencies may be absent
    seen.add(dir);
    enqueue(dir, JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson, false);
  }
  return [...seen];
}

export async function buildRegprobeImage(engine: DockerEngine, tag: string): Promise<string> {
  for (const f of ['bin/regprobe.js', 'dist/src/cli/main.js', 'dist/reference-server/server.js']) {
    if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: build the package first (npm run build)`);
  }
  const root = join(engine.dir, 'rootfs-regprobe');
  const app = join(root, APP);
  mkdirSync(join(root, 'tmp'), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);
  const node = process.execPath;
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  copyFileSync(node, join(root, 'usr/bin/node'));
  for (const lib of await sharedLibraries(node)) {
    mkdirSync(join(root, dirname(lib)), { recursive: true });
    copyFileSync(lib, join(root, lib));
  }
  for (const p of ['package.json', 'bin', 'dist']) cpSync(join(ROOT, p), join(app, p), { recursive: true, dereference: true });
  for (const dir of runtimePackages()) cpSync(dir, join(app, relative(ROOT, dir)), { recursive: true, dereference: true });

  return importRootfs(engine, root, [`ENTRYPOINT ["/usr/bin/node", "${APP}/bin/regprobe.js"]`, 'EXPOSE 5000', 'ENV NO_COLOR=1'], tag);
}
