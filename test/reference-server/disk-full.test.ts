// Disk full and I/O errors (issue 10, defect 6): the reference registry's storage on a small tmpfs
// (8 MiB) that fills. A push that does not fit answers 507 with an OCI error body saying so, leaves
// nothing visible and no temp or session file behind; reads keep working; once space is freed pushes
// work again. A read-only remount (EROFS) is answered 500 the same way. Needs root for mount(8).
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { mkdir, open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RegistryClient, type RegistryResponse } from '../../src/client/registry-client.js';
import { fetchManifestVerified, readBlob, startUpload, uploadBlobPostPut } from '../../src/client/operations.js';
import { blobOf, descriptorOf, manifestOf, uniqueBytes, type Blob, type Manifest } from '../../src/conformance/fixtures.js';
import { parseErrorBody } from '../../src/oci/errors.js';
import { MediaType } from '../../src/oci/media-types.js';
import { startReferenceServer, type ReferenceServer } from '../../reference-server/server.js';
import type { ServerLogger } from '../../reference-server/logger.js';
import { tempDir } from './harness.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;

/** Mounts a tmpfs of `size` at dir; the reason it could not, or undefined. Unmounted in teardown. */
async function mountTmpfs(t: Test, dir: string, size: string): Promise<string | undefined> {
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { timeout: 10_000 });
  } catch (err) {
    const why = `cannot mount a ${size} tmpfs (needs root and mount(8)): ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`;
    // As root with peers required (CI), a failing mount is a broken machine, not a reason to skip.
    if (process.getuid?.() === 0 && process.env.REGPROBE_REQUIRE_PEERS === '1') t.fail(why);
    return why;
  }
  t.teardown(() => run('umount', ['-l', dir], { timeout: 10_000 }).catch(() => undefined));
  return undefined;
}

interface Image {
  manifest: Manifest;
  blobs: Blob[];
}

function makeImage(layerBytes: number): Image {
  const config = blobOf(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, nonce: uniqueBytes(8).toString('hex') })), MediaType.ociConfig);
  const layer = blobOf(uniqueBytes(layerBytes));
  const manifest = manifestOf({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: descriptorOf(config), layers: [descriptorOf(layer)] }, [config, layer]);
  return { manifest, blobs: [config, layer] };
}

/** Status and OCI error body of a response (reads the body). */
async function answer(res: RegistryResponse): Promise<{ status: number; code?: string; message?: string; errno?: string }> {
  const text = await res.text();
  const e = parseErrorBody(text)?.errors[0];
  return { status: res.status, code: e?.code, message: e?.message, errno: (e?.detail as { errno?: string } | undefined)?.errno };
}

/** Fills the filesystem of `dir` with one file until the disk is full; leaves `leave` bytes free. */
async function fill(dir: string, leave: number): Promise<string> {
  const reserve = join(dir, 'reserve');
  if (leave > 0) await writeFile(reserve, Buffer.alloc(leave, 1));
  const filler = join(dir, 'filler');
  const fh = await open(filler, 'w');
  const chunk = Buffer.alloc(256 * 1024, 7);
  try {
    for (let i = 0; i < 1000; i++) await fh.write(chunk); // bounded: 250 MiB at most
    throw new Error('the tmpfs never filled');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    await fh.close();
  }
  await rm(reserve, { force: true });
  return filler;
}

function putManifestReq(client: RegistryClient, repo: string, ref: string, m: Manifest): Promise<RegistryResponse> {
  return client.request({ method: 'PUT', path: `/v2/${repo}/manifests/${ref}`, headers: { 'content-type': m.mediaType }, body: m.bytes });
}

async function head(client: RegistryClient, path: string): Promise<number> {
  const res = await client.request({ method: 'HEAD', path });
  await res.dump();
  return res.status;
}

async function pushImage(client: RegistryClient, repo: string, tag: string, img: Image): Promise<void> {
  for (const b of img.blobs) await uploadBlobPostPut(client, repo, b.bytes);
  const res = await putManifestReq(client, repo, tag, img.manifest);
  if (res.status !== 201) throw new Error(`PUT manifest ${repo}:${tag}: ${res.status} ${await res.text()}`);
  await res.dump();
}

/** An 8 MiB tmpfs mounted for this test; undefined (the test skipped, saying why) if it cannot be. */
async function mountedDir(t: Test): Promise<string | undefined> {
  const mnt = join(await tempDir(t), 'mnt');
  await mkdir(mnt);
  const cannot = await mountTmpfs(t, mnt, '8m');
  if (!cannot) return mnt;
  t.skip(`disk-full test not run: ${cannot}`, () => undefined);
  return undefined;
}

/** A server whose storage is `mnt/store`, with a client and the error lines it logged. */
async function start(t: Test, mnt: string): Promise<{ storage: string; server: ReferenceServer; client: RegistryClient; logged: string[] }> {
  const storageDir = join(mnt, 'store');
  const logged: string[] = [];
  const logger: ServerLogger = { request() {}, info() {}, error: (msg, f) => void logged.push(`${msg} ${String(f?.errno ?? '')}: ${String(f?.error ?? '').split('\n')[0]}`) };
  const server = await startReferenceServer({ storageDir, logger });
  const client = new RegistryClient({ baseUrl: server.url, timeoutMs: 30_000 });
  t.teardown(async () => {
    await client.close();
    await server.close();
  });
  return { storage: storageDir, server, client, logged };
}

t.test('a full storage filesystem: 507 with a clear body, nothing partial visible, reads work, pushes resume once space is freed', async (t) => {
  const mnt = await mountedDir(t);
  if (!mnt) return;
  const { storage, client, logged } = await start(t, mnt);
  const repo = 'full/app';
  const kept = makeImage(256 * 1024);
  await pushImage(client, repo, 'kept', kept);
  const leftovers = async () => ({ tmp: await readdir(join(storage, 'tmp')), uploads: await readdir(join(storage, 'uploads')) });

  // 1. A blob larger than the disk, in one request.
  const big = blobOf(uniqueBytes(10 * MiB));
  const mono = await answer(await client.request({ method: 'POST', path: `/v2/${repo}/blobs/uploads/`, query: { digest: big.digest }, headers: { 'content-type': 'application/octet-stream' }, body: big.bytes }));
  t.equal(mono.status, 507, 'single-request upload of 10 MiB onto 8 MiB: 507 Insufficient Storage');
  t.equal(mono.code, 'UNKNOWN', 'OCI error body');
  t.match(mono.message, /storage is full .*nothing was stored/, `says what happened: ${mono.message}`);
  t.equal(mono.errno, 'ENOSPC');
  t.equal(await head(client, `/v2/${repo}/blobs/${big.digest}`), 404, 'no blob visible');
  t.same(await leftovers(), { tmp: [], uploads: [] }, 'no temp file, no session left');

  // 2. A chunked upload: the chunk that does not fit is refused, the session keeps what it had.
  const { location } = await startUpload(client, repo);
  const first = big.bytes.subarray(0, 3 * MiB);
  const ok = await client.request({ method: 'PATCH', path: location, headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${first.length - 1}`, 'content-length': String(first.length) }, body: first });
  t.equal(ok.status, 202, 'a 3 MiB chunk fits');
  await ok.dump();
  const where = ok.header('location') ?? location;
  const second = big.bytes.subarray(3 * MiB, 9 * MiB);
  const tooMuch = await answer(await client.request({ method: 'PATCH', path: where, headers: { 'content-type': 'application/octet-stream', 'content-range': `${3 * MiB}-${9 * MiB - 1}`, 'content-length': String(second.length) }, body: second }));
  t.equal(tooMuch.status, 507, 'the 6 MiB chunk that does not fit: 507');
  const st = await client.request({ method: 'GET', path: where });
  t.equal(st.status, 204, 'the session is still there');
  t.equal(st.header('range'), `0-${3 * MiB - 1}`, 'holding exactly the acknowledged 3 MiB');
  await st.dump();
  const [session] = (await leftovers()).uploads;
  t.equal((await stat(join(storage, 'uploads', session!, 'data'))).size, 3 * MiB, 'its file was cut back to 3 MiB');
  const cancel = await client.request({ method: 'DELETE', path: where });
  t.equal(cancel.status, 204, 'cancelled');
  await cancel.dump();

  // 3. A disk with one page free: the manifest's bytes fit, its revision link and tag do not.
  const next = makeImage(64 * 1024);
  for (const b of next.blobs) await uploadBlobPostPut(client, repo, b.bytes);
  const filler = await fill(mnt, 4096);
  const put = await answer(await putManifestReq(client, repo, 'next', next.manifest));
  t.equal(put.status, 507, 'manifest PUT on a full disk: 507');
  t.match(put.message, /storage is full/);
  t.equal(await head(client, `/v2/${repo}/manifests/next`), 404, 'no tag visible');
  t.equal(await head(client, `/v2/${repo}/manifests/${next.manifest.digest}`), 404, 'no manifest visible');
  const post = await answer(await client.request({ method: 'POST', path: `/v2/${repo}/blobs/uploads/`, headers: { 'content-length': '0' } }));
  t.equal(post.status, 507, 'opening an upload session on a full disk: 507');
  t.same(await leftovers(), { tmp: [], uploads: [] }, 'no temp file, no half-made session');

  // Reads keep working on the full disk.
  const m = await fetchManifestVerified(client, repo, 'kept');
  t.ok(m.bytes.equals(kept.manifest.bytes), 'the stored image: manifest by tag, byte-identical');
  for (const b of kept.blobs) t.equal((await readBlob(client, repo, b.digest)).bytes, b.size, `blob ${b.digest.slice(0, 19)} reads back verified`);
  const tags = await client.request({ method: 'GET', path: `/v2/${repo}/tags/list` });
  t.same((await tags.json<{ tags: string[] }>()).tags, ['kept'], 'tag list');

  // Space freed: the same pushes go through.
  await rm(filler);
  const again = await putManifestReq(client, repo, 'next', next.manifest);
  t.equal(again.status, 201, 'the manifest PUT works once space is freed');
  await again.dump();
  t.ok((await fetchManifestVerified(client, repo, 'next')).bytes.equals(next.manifest.bytes), 'and reads back');
  const small = blobOf(uniqueBytes(1 * MiB));
  await uploadBlobPostPut(client, repo, small.bytes);
  t.equal((await readBlob(client, repo, small.digest)).bytes, small.size, 'a new 1 MiB blob pushes and reads back');
  t.same(logged.filter((l) => !l.startsWith('storage failure ENOSPC')), [], 'logged as storage failures (ENOSPC), no internal error');
});

t.test('a read-only storage filesystem (EROFS): 500 with a clear body, reads work, writes resume after remount', async (t) => {
  const mnt = await mountedDir(t);
  if (!mnt) return;
  const { client, logged } = await start(t, mnt);
  const repo = 'ro/app';
  const kept = makeImage(32 * 1024);
  await pushImage(client, repo, 'kept', kept);

  await run('mount', ['-o', 'remount,ro', mnt], { timeout: 10_000 });
  t.teardown(() => run('mount', ['-o', 'remount,rw', mnt], { timeout: 10_000 }).catch(() => undefined));
  const blob = blobOf(uniqueBytes(4096));
  const post = await answer(await client.request({ method: 'POST', path: `/v2/${repo}/blobs/uploads/`, query: { digest: blob.digest }, headers: { 'content-type': 'application/octet-stream' }, body: blob.bytes }));
  t.equal(post.status, 500, 'upload onto a read-only filesystem: 500');
  t.match(post.message, /storage failed \(EROFS: the storage filesystem is read-only\): nothing was stored/, `says what happened: ${post.message}`);
  const del = await answer(await client.request({ method: 'DELETE', path: `/v2/${repo}/manifests/kept` }));
  t.equal(del.status, 500, 'a tag delete cannot be done either: 500');
  t.ok((await fetchManifestVerified(client, repo, 'kept')).bytes.equals(kept.manifest.bytes), 'reads work, and the tag is still there');

  await run('mount', ['-o', 'remount,rw', mnt], { timeout: 10_000 });
  await uploadBlobPostPut(client, repo, blob.bytes);
  t.equal((await readBlob(client, repo, blob.digest)).bytes, blob.size, 'after remounting read-write the push works');
  t.same(logged.filter((l) => !l.startsWith('storage failure EROFS')), [], 'logged as storage failures (EROFS), no internal error');
});
