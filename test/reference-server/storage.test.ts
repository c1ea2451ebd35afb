// The filesystem store: atomic visibility, concurrent pushes, restart recovery on the same directory.
import t, { type Test } from 'tap';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createHash, randomBytes } from 'node:crypto';
import { digestOf } from '../../src/oci/digest.js';
import { MediaType } from '../../src/oci/media-types.js';
import { spawn } from 'node:child_process';
import { startReferenceServer, StorageLockedError } from '../../reference-server/server.js';
import { RegistryClient } from '../../src/client/registry-client.js';
import { pushBlob, pushImage, putManifest, startRegistry, tempDir } from './harness.js';

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

/** Every file under blobs/ must hash to the digest its path names. */
async function verifyBlobFiles(t: Test, root: string): Promise<number> {
  const files = await walk(join(root, 'blobs'));
  for (const f of files) {
    const [alg, , hex] = f.split('/').slice(-3);
    const h = createHash(alg!);
    for await (const c of createReadStream(f)) h.update(c as Buffer);
    t.equal(h.digest('hex'), hex, `${alg}:${hex.slice(0, 12)} re-hashes to its name`);
  }
  return files.length;
}

t.test('concurrent pushes of the same blob, to one and to several repositories, never corrupt it', async (t) => {
  const { client, server } = await startRegistry(t);
  const data = randomBytes(256 * 1024);
  const digest = digestOf(data);
  const pushes = Array.from({ length: 12 }, async (_, i) => {
    const repo = i % 3 === 0 ? 'same' : `repo${i}`;
    if (i % 2 === 0) return pushBlob(client, repo, data);
    // chunked, in 4 pieces, interleaving with the others
    const post = await client.request({ method: 'POST', path: `/v2/${repo}/blobs/uploads/` });
    const loc = post.header('location')!;
    await post.dump();
    const q = data.length / 4;
    for (let c = 0; c < 4; c++) {
      const res = await client.request({ method: 'PATCH', path: loc, headers: { 'content-range': `${c * q}-${(c + 1) * q - 1}` }, body: data.subarray(c * q, (c + 1) * q) });
      if (res.status !== 202) throw new Error(`PATCH ${res.status}`);
      await res.dump();
    }
    const put = await client.request({ method: 'PUT', path: loc, query: { digest } });
    if (put.status !== 201) throw new Error(`PUT ${put.status}`);
    await put.dump();
    return digest;
  });
  const results = await Promise.all(pushes);
  t.ok(results.every((d) => d === digest), 'all 12 pushes succeeded');
  const blobFiles = await walk(join(server.storageDir, 'blobs'));
  t.equal(blobFiles.length, 1, 'one copy on disk');
  await verifyBlobFiles(t, server.storageDir);
  t.same(await readdir(join(server.storageDir, 'uploads')), [], 'no sessions left');
  t.same(await readdir(join(server.storageDir, 'tmp')), [], 'no temp files left');
  for (const repo of ['same', 'repo1', 'repo2', 'repo11']) {
    const res = await client.request({ method: 'GET', path: `/v2/${repo}/blobs/${digest}` });
    t.ok((await res.bytes()).equals(data), `${repo} serves the exact bytes`);
  }
});

t.test('concurrent pushes to one tag: the tag ends on one of them, on disk and in memory alike', async (t) => {
  const dir = await tempDir(t);
  const server = await startReferenceServer({ storageDir: dir });
  const client = new RegistryClient({ baseUrl: server.url });
  const base = await pushImage(client, 'race', undefined, ['l']);
  const docs = Array.from({ length: 10 }, (_, i) => ({ ...JSON.parse(base.bytes.toString()), annotations: { n: String(i) } }));
  const pushed = await Promise.all(docs.map((d) => putManifest(client, 'race', 'hot', d, MediaType.ociManifest)));
  const head = await client.request({ method: 'HEAD', path: '/v2/race/manifests/hot' });
  const winner = head.header('docker-content-digest');
  await head.dump();
  t.ok(pushed.some((p) => p.digest === winner), 'the tag points to one of the pushed manifests');
  t.equal((await readFile(join(dir, 'repositories/race/_manifests/tags/hot'), 'utf8')).trim(), winner, 'the tag file agrees');
  await client.close();
  await server.close();
  const again = await startReferenceServer({ storageDir: dir });
  const c2 = new RegistryClient({ baseUrl: again.url });
  const h2 = await c2.request({ method: 'HEAD', path: '/v2/race/manifests/hot' });
  t.equal(h2.header('docker-content-digest'), winner, 'and so does the store after a restart');
  await h2.dump();
  for (const p of pushed) {
    const r = await c2.request({ method: 'GET', path: `/v2/race/manifests/${p.digest}` });
    t.ok((await r.bytes()).equals(p.bytes), 'every manifest is intact');
  }
  await c2.close();
  await again.close();
});

t.test('a blob appears only when complete and verified', async (t) => {
  const { client, server } = await startRegistry(t);
  const post = await client.request({ method: 'POST', path: '/v2/atom/blobs/uploads/' });
  const loc = post.header('location')!;
  await post.dump();
  const body = new PassThrough();
  const patch = client.request({ method: 'PATCH', path: loc, body });
  body.write(Buffer.alloc(100_000, 1));
  await new Promise((r) => setTimeout(r, 100));
  t.same(await walk(join(server.storageDir, 'blobs')), [], 'nothing under blobs/ mid-upload');
  body.end(Buffer.alloc(100_000, 2));
  const res = await patch;
  t.equal(res.status, 202);
  await res.dump();
  const data = Buffer.concat([Buffer.alloc(100_000, 1), Buffer.alloc(100_000, 2)]);
  const bad = await client.request({ method: 'PUT', path: loc, query: { digest: digestOf('wrong') } });
  t.equal(bad.status, 400);
  await bad.dump();
  t.same(await walk(join(server.storageDir, 'blobs')), [], 'nothing under blobs/ after a digest mismatch');
  t.equal(await pushBlob(client, 'atom', data), digestOf(data));
  t.equal((await walk(join(server.storageDir, 'blobs'))).length, 1);
});

t.test('restart on the same directory: leftovers cleaned, dangling entries dropped, content intact', async (t) => {
  const dir = await tempDir(t);
  let server = await startReferenceServer({ storageDir: dir });
  let client = new RegistryClient({ baseUrl: server.url });
  const img = await pushImage(client, 'keep/me', 'v1', ['one', 'two']);
  const victim = await pushImage(client, 'victim', 'v1', ['three']);
  const open = await client.request({ method: 'POST', path: '/v2/keep/me/blobs/uploads/' });
  const resumable = open.header('location')!;
  await open.dump();
  const p = await client.request({ method: 'PATCH', path: resumable, body: 'resume-' });
  await p.dump();
  await client.close();
  await server.close();

  // What a kill -9 (or worse) could leave behind:
  await writeFile(join(dir, 'tmp', 'half-written.tmp'), 'partial');
  await mkdir(join(dir, 'uploads', '11111111-2222-4333-8444-555555555555'), { recursive: true }); // no state
  await writeFile(join(dir, 'uploads', '11111111-2222-4333-8444-555555555555', 'data'), 'orphan');
  await mkdir(join(dir, 'uploads', 'not-a-session'));
  const stale = join(dir, 'uploads', '99999999-2222-4333-8444-555555555555');
  await mkdir(stale);
  await writeFile(join(stale, 'state.json'), JSON.stringify({ repository: 'keep/me', algorithm: 'sha256', createdAt: 0 }));
  await writeFile(join(stale, 'data'), 'old');
  await utimes(join(stale, 'data'), new Date(0), new Date(0));
  const single = join(dir, 'uploads', '77777777-2222-4333-8444-555555555555'); // an interrupted single-request POST
  await mkdir(single);
  await writeFile(join(single, 'state.json'), JSON.stringify({ repository: 'keep/me', algorithm: 'sha256', createdAt: Date.now(), resumable: false }));
  await writeFile(join(single, 'data'), 'half a blob');
  // a tag to a manifest the repository does not have, and a revision whose bytes are gone
  const ghost = digestOf('ghost manifest');
  await writeFile(join(dir, 'repositories/keep/me/_manifests/tags/ghost'), ghost);
  const victimHex = victim.digest.split(':')[1]!;
  await writeFile(join(dir, 'blobs/sha256', victimHex.slice(0, 2), victimHex), 'corrupted manifest bytes');
  await mkdir(join(dir, 'repositories/keep/me/_layers/sha256'), { recursive: true });
  await writeFile(join(dir, 'repositories/keep/me/_layers/sha256', digestOf('missing blob').split(':')[1]!), '');
  await writeFile(join(dir, 'repositories/keep/me/_layers/sha256', 'not-hex'), '');

  server = await startReferenceServer({ storageDir: dir, uploadTtlMs: 3600_000 });
  client = new RegistryClient({ baseUrl: server.url });
  t.teardown(async () => {
    await client.close();
    await server.close();
  });
  t.match(server.recovery, {
    tempFilesRemoved: 1,
    uploadsResumed: 1,
    uploadsRemoved: 4,
    blobLinksDropped: 1,
    manifestsDropped: 1,
    tagsDropped: 2, // ghost, and victim's v1 whose manifest went with its bytes
    strayFilesRemoved: 1,
  });
  t.same(await readdir(join(dir, 'tmp')), []);
  t.same(await readdir(join(dir, 'uploads')), [resumable.split('/').pop()]);

  const tags = await client.request({ method: 'GET', path: '/v2/keep/me/tags/list' });
  t.same(await tags.json(), { name: 'keep/me', tags: ['v1'] }, 'the dangling tag is gone');
  const vt = await client.request({ method: 'GET', path: '/v2/victim/manifests/v1' });
  t.equal(vt.status, 404, 'a tag never points to a manifest that is not intact');
  await vt.dump();
  const m = await client.request({ method: 'GET', path: '/v2/keep/me/manifests/v1' });
  t.ok((await m.bytes()).equals(img.bytes), 'the good manifest is served as pushed');
  for (const d of img.layerDigests) {
    const b = await client.request({ method: 'HEAD', path: `/v2/keep/me/blobs/${d}` });
    t.equal(b.status, 200);
    await b.dump();
  }

  // the interrupted upload resumes where it stood (digest state rebuilt from the file)
  const st = await client.request({ method: 'GET', path: resumable });
  t.equal(st.status, 204);
  t.equal(st.header('range'), '0-6');
  await st.dump();
  const more = await client.request({ method: 'PATCH', path: resumable, headers: { 'content-range': '7-12' }, body: 'resumed' .slice(0, 6) });
  t.equal(more.status, 202);
  await more.dump();
  const done = await client.request({ method: 'PUT', path: resumable, query: { digest: digestOf('resume-resume') } });
  t.equal(done.status, 201);
  await done.dump();

  const corruptHex = victimHex;
  t.ok(await stat(join(dir, 'blobs/sha256', corruptHex.slice(0, 2), corruptHex)).catch(() => null), 'without verification, unreferenced corrupt bytes stay on disk (invisible)');
});

t.test('verifyBlobsOnStart removes blob files that do not match their digest', async (t) => {
  const dir = await tempDir(t);
  let server = await startReferenceServer({ storageDir: dir });
  let client = new RegistryClient({ baseUrl: server.url });
  const good = await pushBlob(client, 'v', 'good bytes');
  const bad = await pushBlob(client, 'v', 'bad bytes');
  await client.close();
  await server.close();
  const hex = bad.split(':')[1]!;
  await writeFile(join(dir, 'blobs/sha256', hex.slice(0, 2), hex), 'flipped');
  server = await startReferenceServer({ storageDir: dir, verifyBlobsOnStart: true });
  client = new RegistryClient({ baseUrl: server.url });
  t.teardown(async () => {
    await client.close();
    await server.close();
  });
  t.equal(server.recovery.corruptBlobsRemoved, 1);
  t.equal(server.recovery.blobLinksDropped, 1);
  const g = await client.request({ method: 'GET', path: `/v2/v/blobs/${good}` });
  t.equal(await g.text(), 'good bytes');
  const b = await client.request({ method: 'GET', path: `/v2/v/blobs/${bad}` });
  t.equal(b.status, 404, 'the corrupt blob is not served');
  await b.dump();
  t.equal(await verifyBlobFiles(t, dir), 1);
});

t.test('the temp storage directory of a server without storageDir is removed on close', async (t) => {
  const server = await startReferenceServer();
  t.ok(await stat(server.storageDir));
  t.same((await readdir(server.storageDir)).sort(), ['blobs', 'registry.lock', 'repositories', 'tmp', 'uploads']);
  await server.close();
  t.equal(await stat(server.storageDir).catch(() => null), null);
});

t.test('one server per storage directory; a lock left by a dead process is taken over', async (t) => {
  const dir = await tempDir(t);
  const first = await startReferenceServer({ storageDir: dir });
  await t.rejects(startReferenceServer({ storageDir: dir }), StorageLockedError, 'a second server on the same directory');
  await first.close();
  t.equal(await stat(join(dir, 'registry.lock')).catch(() => null), null, 'close releases the lock');
  // a pid that existed and is gone, as after kill -9
  const child = spawn(process.execPath, ['-e', '0']);
  const pid = child.pid!;
  await new Promise((r) => child.on('exit', r));
  await writeFile(join(dir, 'registry.lock'), String(pid));
  const again = await startReferenceServer({ storageDir: dir });
  t.equal((await readFile(join(dir, 'registry.lock'), 'utf8')).trim(), String(process.pid));
  await again.close();
  await writeFile(join(dir, 'registry.lock'), '1'); // init: alive, not us
  await t.rejects(startReferenceServer({ storageDir: dir }), /in use by process 1/);
});
