// A stand-in for the Node base image the Dockerfile names (node:20-bookworm-slim), made from this
// machine because no image can be pulled here: its node and npm, a shell and the coreutils a
// Dockerfile's RUN steps and the Kubernetes merge Job use, each with the libraries `ldd` names, an
// /etc/passwd with the official image's unprivileged `node` user (uid 1000), and this machine's npm
// cache with npm set offline (the build stage's `npm ci` then installs from it, never the network;
// `npm ci` on this machine, as .ci/run does first, fills that cache with every package of the lock).
// Brought in with `docker import` and tagged as that base.
import { chmodSync, chownSync, copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { DockerEngine } from './dockerd.js';
import { importRootfs, sharedLibraries } from './dockerd.js';

/** The base image the Dockerfile names (its `ARG NODE_IMAGE=` default). */
export function dockerfileBase(dockerfile: string): string {
  const m = /^ARG NODE_IMAGE=(\S+)/m.exec(readFileSync(dockerfile, 'utf8'));
  if (!m) throw new Error(`${dockerfile}: no ARG NODE_IMAGE=... line`);
  return m[1]!;
}

// What RUN steps, npm scripts and the Kubernetes Jobs' shell steps call.
const TOOLS = ['sh', 'env', 'ln', 'mkdir', 'chown', 'chmod', 'rm', 'cp', 'mv', 'cat', 'ls', 'id', 'sleep', 'seq', 'wc', 'true'];

/**
 * Copies host path `p` into `root` at the same path, recreating every symlink on the way (/lib ->
 * usr/lib, /bin/sh -> dash, ...) so the dynamic loader and scripts find things where they expect.
 */
function place(root: string, p: string): void {
  const parts = p.split('/').filter(Boolean);
  let cur = '/';
  for (const [i, part] of parts.entries()) {
    const next = join(cur, part);
    const st = lstatSync(next);
    if (st.isSymbolicLink()) {
      const target = readlinkSync(next);
      const mine = join(root, next);
      if (!existsSync(mine) && !isLink(mine)) {
        mkdirSync(dirname(mine), { recursive: true });
        symlinkSync(target, mine);
      }
      place(root, join(resolve(cur, target), ...parts.slice(i + 1)));
      return;
    }
    if (i === parts.length - 1) {
      const mine = join(root, next);
      if (existsSync(mine) && !st.isDirectory()) return; // a directory is merged: parts of it may be there already
      mkdirSync(dirname(mine), { recursive: true });
      if (st.isDirectory()) cpSync(next, mine, { recursive: true, verbatimSymlinks: true });
      else {
        copyFileSync(next, mine);
        chmodSync(mine, st.mode & 0o7777);
      }
    }
    cur = next;
  }
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

async function withLibraries(binary: string): Promise<string[]> {
  return [binary, ...(await sharedLibraries(binary))];
}

async function which(name: string): Promise<string> {
  for (const dir of ['/usr/local/bin', '/usr/bin', '/bin']) if (existsSync(join(dir, name))) return join(dir, name);
  throw new Error(`${name} not found on this machine`);
}

export async function importNodeBaseImage(engine: DockerEngine, tag: string): Promise<void> {
  const root = join(engine.dir, 'rootfs-node-base');
  // Merged /usr as on this machine (and in Debian bookworm): /bin -> usr/bin, /lib -> usr/lib, ...
  mkdirSync(root, { recursive: true });
  for (const top of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    if (isLink(`/${top}`)) symlinkSync(readlinkSync(`/${top}`), join(root, top));
  }
  const files = new Set<string>();
  for (const f of await withLibraries(process.execPath)) files.add(f);
  for (const tool of TOOLS) for (const f of await withLibraries(await which(tool))) files.add(f);
  const npmCli = await which('npm');
  files.add(npmCli);
  files.add(join(dirname(npmCli), 'npx'));
  // npm itself: the package directory the npm command resolves to.
  files.add(resolve(dirname(resolve(dirname(npmCli), readlinkSync(npmCli))), '..'));
  for (const f of files) place(root, f);

  for (const d of ['tmp', 'root', 'home/node', 'etc', 'usr/local/bin']) mkdirSync(join(root, d), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);
  chownSync(join(root, 'home/node'), 1000, 1000);
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnode:x:1000:\n');
  const cache = join(process.env.npm_config_cache ?? join(homedir(), '.npm'), '_cacache');
  if (!existsSync(cache) || !statSync(cache).isDirectory()) throw new Error(`no npm cache at ${cache}: run npm ci on this machine first`);
  cpSync(cache, join(root, 'root/.npm/_cacache'), { recursive: true });

  await importRootfs(engine, root, ['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'ENV NPM_CONFIG_OFFLINE=true', 'CMD ["node"]'], tag, 300_000);
}
