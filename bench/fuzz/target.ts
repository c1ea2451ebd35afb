// What the fuzzer runs against and what it checks besides answers: the registry process (started
// here as a child so that its death is seen, or any URL), the fixture image that must come out of
// the run byte-identical, and the files around the storage directory that must not change.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RegistryClient } from '../../src/client/registry-client.js';
import { getManifest } from '../../src/client/operations.js';
import { makeImage, pushManifestWithBlobs, type Manifest } from '../../src/conformance/fixtures.js';
import { digestOf } from '../../src/oci/digest.js';
import { startDistribution, type DistributionPeer } from '../../src/peers/distribution.js';
import type { FuzzContext } from './requests.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A registry process this run started: its death is observable and it can be started again. */
export interface OwnedServer {
  url: string;
  /** Directory around the storage: nothing may appear or change in it outside `storage`. */
  sandbox: string;
  storage: string;
  /** undefined while running; else how it ended. */
  exited(): string | undefined;
  /** Last lines of its stderr. */
  stderrTail(): string;
  /** Kill (if still running) and start again on the same storage; resolves with the new URL. */
  restart(): Promise<string>;
  stop(): Promise<void>;
}

function tail(buf: string[], d: string): void {
  buf.push(d);
  while (buf.join('').length > 8192 && buf.length > 1) buf.shift();
}

/** `regprobe serve --storage <sandbox>/storage` as a child process (from source, as bin/regprobe.js would run dist/). */
export async function startReferenceChild(sandbox?: string): Promise<OwnedServer> {
  const dir = sandbox ?? (await mkdtemp(join(tmpdir(), 'regprobe-fuzz-')));
  const storage = join(dir, 'storage');
  const cwd = join(dir, 'cwd');
  await mkdir(storage, { recursive: true });
  await mkdir(cwd, { recursive: true });
  let child: ChildProcess;
  let exit: string | undefined;
  const errTail: string[] = [];
  let url = '';
  const start = async (): Promise<string> => {
    exit = undefined;
    // The loader by absolute URL: the child's cwd is inside the sandbox, where 'tsx' would not resolve.
    child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(ROOT, 'src/cli/run-main.ts'), 'serve', '--port', '0', '--storage', storage, '--log-format', 'none'], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    const c = child;
    c.stderr!.setEncoding('utf8').on('data', (d: string) => tail(errTail, d));
    c.once('exit', (code, signal) => (exit = signal ? `killed by ${signal}` : `exit code ${code}`));
    return new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`regprobe serve did not start within 60 s: ${errTail.join('').slice(-500)}`)), 60_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/\S+?) /.exec(out);
        if (m) {
          clearTimeout(timer);
          c.stdout!.off('data', onData);
          c.stdout!.resume();
          resolve(m[1]!);
        }
      };
      c.stdout!.on('data', onData);
      c.once('exit', () => {
        clearTimeout(timer);
        reject(new Error(`regprobe serve exited (${exit}) before listening: ${errTail.join('').slice(-500)}`));
      });
    });
  };
  const kill = async () => {
    if (exit !== undefined || child.exitCode !== null || child.signalCode !== null) return;
    const done = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await done;
    clearTimeout(t);
  };
  try {
    url = await start();
  } catch (err) {
    if (!sandbox) await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    get url() {
      return url;
    },
    sandbox: dir,
    storage,
    exited: () => exit,
    stderrTail: () => errTail.join('').trim().split('\n').slice(-5).join('\n'),
    restart: async () => {
      if (exit === undefined) {
        // Alive but not answering: it is the hung process that goes.
        const done = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGKILL');
        await done;
      }
      url = await start();
      return url;
    },
    stop: async () => {
      await kill();
      if (!sandbox) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Debian's docker-registry (distribution 2.8) through src/peers/distribution.ts; not restartable. */
export async function startDistributionChild(): Promise<OwnedServer & { peer: DistributionPeer }> {
  const peer = await startDistribution();
  let exit: string | undefined;
  peer.process.once('exit', (code, signal) => (exit = signal ? `killed by ${signal}` : `exit code ${code}`));
  return {
    peer,
    url: peer.url,
    sandbox: peer.dir,
    storage: join(peer.dir, 'storage'),
    exited: () => exit,
    stderrTail: () => `(log: ${peer.logFile})`,
    restart: () => Promise.reject(new Error('docker-registry cannot be restarted by the fuzzer')),
    stop: () => peer.stop(),
  };
}

// ---------------------------------------------------------------------------------------------
// The fixture image

export interface Fixture {
  ctx: FuzzContext;
  image: Manifest;
}

/** Pushes the image that must survive (read-only to the generator) and seeds the fuzz repositories. */
export async function pushFixture(url: string, canary: string): Promise<Fixture> {
  const client = new RegistryClient({ baseUrl: url, timeoutMs: 30_000, connections: 4 });
  try {
    const image = makeImage({ layerSizes: [2048, 777] });
    const keepRepo = 'fuzzkeep/image';
    const tag = 'keep';
    await pushManifestWithBlobs(client, keepRepo, image, tag);
    const repos = ['fuzz/a', 'fuzz/b/c'];
    // Fuzzed manifests may reference the fixture's blobs: each fuzz repository has them too.
    for (const r of repos) await pushManifestWithBlobs(client, r, image, 'seed');
    const layer = image.blobs[1]!;
    return {
      image,
      ctx: {
        repos,
        canary,
        keep: {
          repo: keepRepo,
          tag,
          manifest: image.json,
          manifestDigest: image.digest,
          manifestSize: image.bytes.length,
          configDigest: image.blobs[0]!.digest,
          layerDigest: layer.digest,
          layerSize: layer.size,
        },
      },
    };
  } finally {
    await client.close();
  }
}

/** Re-reads the fixture by tag and by digest and every blob; returns what differs (empty = intact). */
export async function verifyFixture(url: string, f: Fixture): Promise<string[]> {
  const client = new RegistryClient({ baseUrl: url, timeoutMs: 30_000, connections: 2 });
  const problems: string[] = [];
  const repo = f.ctx.keep.repo;
  try {
    for (const ref of [f.ctx.keep.tag, f.image.digest]) {
      try {
        const m = await getManifest(client, repo, ref);
        if (!m.bytes.equals(f.image.bytes)) problems.push(`manifest ${repo}:${ref}: bytes differ (${m.bytes.length} vs ${f.image.bytes.length})`);
        if (digestOf(m.bytes) !== f.image.digest) problems.push(`manifest ${repo}:${ref}: digest ${digestOf(m.bytes)}, expected ${f.image.digest}`);
      } catch (err) {
        problems.push(`manifest ${repo}:${ref}: ${(err as Error).message}`);
      }
    }
    for (const b of f.image.blobs) {
      try {
        const res = await client.request({ method: 'GET', path: `/v2/${repo}/blobs/${b.digest}` });
        const bytes = await res.bytes();
        if (res.status !== 200) problems.push(`blob ${b.digest}: status ${res.status}`);
        else if (!bytes.equals(b.bytes)) problems.push(`blob ${b.digest}: bytes differ (digest ${digestOf(bytes)})`);
      } catch (err) {
        problems.push(`blob ${b.digest}: ${(err as Error).message}`);
      }
    }
  } finally {
    await client.close();
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Nothing written outside storage

export type Snapshot = Map<string, string>;

/** Every path under `dir` except `skip` (relative names), with size and mtime. */
export async function snapshot(dir: string, skip: string[]): Promise<Snapshot> {
  const out: Snapshot = new Map();
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      const rel = relative(dir, p);
      if (skip.includes(rel)) continue;
      const s = await stat(p).catch(() => undefined);
      if (!s) continue;
      out.set(rel, `${s.isDirectory() ? 'dir' : s.size}:${s.isDirectory() ? '' : s.mtimeMs}`);
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk(dir);
  return out;
}

export function snapshotDiff(before: Snapshot, after: Snapshot): string[] {
  const out: string[] = [];
  for (const [p, v] of after) if (before.get(p) !== v) out.push(before.has(p) ? `changed: ${p}` : `new: ${p}`);
  for (const p of before.keys()) if (!after.has(p)) out.push(`removed: ${p}`);
  return out;
}

/** A canary directory beside the storage (the target of the traversal payloads) and a marker name. */
export async function plantCanary(sandbox: string): Promise<string> {
  const canary = `fuzzcanary${randomBytes(4).toString('hex')}`;
  await mkdir(join(sandbox, 'outside'), { recursive: true });
  await writeFile(join(sandbox, 'outside', 'canary.txt'), 'must stay unchanged\n');
  return canary;
}

/** Files or directories named with the marker in the system temp dir (traversal that left the sandbox). */
export async function strayCanaries(canary: string): Promise<string[]> {
  const hits: string[] = [];
  for (const d of [tmpdir(), join(tmpdir(), 'outside'), '/outside']) {
    for (const e of await readdir(d).catch(() => [] as string[])) if (e.includes(canary)) hits.push(join(d, e));
  }
  return hits;
}
