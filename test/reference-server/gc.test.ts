// Garbage collection (issue 10): `regprobe gc` offline and `serve --gc-interval` online. Deleting one
// of two images that share no blob and collecting shrinks the store by exactly that image's bytes
// while the other still pulls byte-identical; a dry run removes nothing; gc refuses a store a server
// holds; idle upload sessions expire; gc running during concurrent pushes loses no acknowledged write.
import t from 'tap';
import { readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RegistryClient } from '../../src/client/registry-client.js';
import { fetchManifestVerified, putManifest, readBlob, startUpload, uploadBlobPostPut, OperationError } from '../../src/client/operations.js';
import { blobOf, descriptorOf, manifestOf, uniqueBytes, type Blob, type Manifest } from '../../src/conformance/fixtures.js';
import { MediaType } from '../../src/oci/media-types.js';
import { startReferenceServer, type GcReport } from '../../reference-server/server.js';
import { BlobGoneError, FsStorage } from '../../reference-server/storage/index.js';
import type { ServerLogger } from '../../reference-server/logger.js';
import { runGc } from '../../src/cli/gc-command.js';
import { runCli } from '../helpers/cli-child.js';
import { PushLedger, pushLoad } from '../helpers/push-ledger.js';
import { verify } from '../helpers/push-verify.js';
import { startRegistry, tempDir } from './harness.js';

interface Image {
  manifest: Manifest;
  blobs: Blob[];
  /** Bytes the image adds to the store: config, layers and the manifest itself. */
  bytes: number;
}

function makeImage(name: string, layerSizes: number[]): Image {
  const config = blobOf(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, name, nonce: uniqueBytes(8).toString('hex') })), MediaType.ociConfig);
  const layers = layerSizes.map((n) => blobOf(uniqueBytes(n)));
  const manifest = manifestOf({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: descriptorOf(config), layers: layers.map((l) => descriptorOf(l)) }, [config, ...layers]);
  return { manifest, blobs: [config, ...layers], bytes: manifest.bytes.length + config.size + layers.reduce((n, l) => n + l.size, 0) };
}

async function pushImage(client: RegistryClient, repo: string, tag: string, img: Image): Promise<void> {
  for (const b of img.blobs) await uploadBlobPostPut(client, repo, b.bytes);
  await putManifest(client, repo, tag, img.manifest.bytes, img.manifest.mediaType);
}

/** path -> size of every file under dir (the whole store, links and state included). */
async function files(dir: string, prefix = ''): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = join(prefix, e.name);
    if (e.isDirectory()) for (const [k, v] of await files(dir, rel)) out.set(k, v);
    else out.set(rel, (await stat(join(dir, rel))).size);
  }
  return out;
}

async function blobStoreBytes(storage: string): Promise<number> {
  let n = 0;
  for (const size of (await files(join(storage, 'blobs'))).values()) n += size;
  return n;
}

/** The digest-checked pull of a whole image with the project's client: manifest bytes, then every blob. */
async function pullsIntact(client: RegistryClient, repo: string, ref: string, img: Image): Promise<string[]> {
  const problems: string[] = [];
  const m = await fetchManifestVerified(client, repo, ref);
  if (!m.bytes.equals(img.manifest.bytes)) problems.push(`manifest ${repo}:${ref} bytes differ`);
  for (const b of img.blobs) {
    const r = await readBlob(client, repo, b.digest); // throws on a digest mismatch
    if (r.bytes !== b.size) problems.push(`blob ${b.digest}: ${r.bytes} bytes, not ${b.size}`);
  }
  return problems;
}

async function status(client: RegistryClient, method: 'GET' | 'HEAD', path: string): Promise<number> {
  const res = await client.request({ method, path });
  await res.dump();
  return res.status;
}

t.test('regprobe gc: deleting one of two images frees exactly its bytes; the other pulls byte-identical', async (t) => {
  const dir = await tempDir(t);
  const storage = join(dir, 'store');
  const a = makeImage('a', [64 * 1024, 300 * 1024]);
  const b = makeImage('b', [100 * 1024, 10 * 1024]);
  t.same(a.blobs.filter((x) => b.blobs.some((y) => y.digest === x.digest)), [], 'the two images share no blob');

  let server = await startReferenceServer({ storageDir: storage });
  let client = new RegistryClient({ baseUrl: server.url, timeoutMs: 20_000 });
  await pushImage(client, 'gc/app', 'a', a);
  await pushImage(client, 'gc/app', 'b', b);
  const del = await client.request({ method: 'DELETE', path: `/v2/gc/app/manifests/${a.manifest.digest}` });
  t.equal(del.status, 202, 'image a deleted by digest');
  await del.dump();
  await client.close();
  await server.close();
  const before = await blobStoreBytes(storage);

  // Everything was pushed a moment ago: the default grace period (1 h) keeps it all.
  const young = await runCli(['gc', '--storage', storage]);
  t.equal(young.code, 0, `gc with the default grace exits 0 (${young.stderr.trim()})`);
  t.match(young.stdout, /freed 0 bytes/, 'nothing freed within the grace period');
  t.match(young.stdout, /younger than the grace period left for now/, 'says why');
  t.equal(await blobStoreBytes(storage), before);

  const snapshot = await files(storage);
  const dry = await runCli(['gc', '--storage', storage, '--grace', '0', '--dry-run']);
  t.equal(dry.code, 0, `dry run exits 0 (${dry.stderr.trim()})`);
  t.match(dry.stdout, new RegExp(`^dry run: nothing removed; .* would free ${a.bytes} bytes`), `dry run: would free image a's ${a.bytes} bytes`);
  t.match(dry.stdout, /would remove 4 blobs/, "image a's manifest, config and two layers");
  t.same(await files(storage), snapshot, 'dry run: every file of the store is still there, same size');

  const real = await runCli(['gc', '--storage', storage, '--grace', '0']);
  t.equal(real.code, 0, `gc exits 0 (${real.stderr.trim()})`);
  t.match(real.stdout, new RegExp(`freed ${a.bytes} bytes`), 'reports the bytes freed');
  t.match(real.stdout, /removed 4 blobs/, 'manifest, config and two layers of image a');
  t.match(real.stdout, /3 repository links to unreferenced blobs/, "image a's three links in gc/app");
  t.equal(await blobStoreBytes(storage), before - a.bytes, `the store shrank by exactly image a's ${a.bytes} bytes`);

  server = await startReferenceServer({ storageDir: storage });
  client = new RegistryClient({ baseUrl: server.url, timeoutMs: 20_000 });
  t.teardown(async () => {
    await client.close();
    await server.close();
  });
  t.same(await pullsIntact(client, 'gc/app', 'b', b), [], 'image b pulls by tag, every digest verified, byte-identical');
  for (const x of a.blobs) t.equal(await status(client, 'HEAD', `/v2/gc/app/blobs/${x.digest}`), 404, `image a's blob ${x.digest.slice(0, 19)} is gone`);
  t.equal(await status(client, 'HEAD', `/v2/gc/app/manifests/${a.manifest.digest}`), 404, "image a's manifest is gone");
  t.equal(await status(client, 'HEAD', '/v2/gc/app/manifests/a'), 404, 'so is its tag');
  // A second run has nothing left to do.
  const again = await server.collectGarbage({ graceMs: 0 });
  t.equal(again.bytesFreed + again.linksRemoved + again.blobsRemoved, 0, 'a second run frees nothing');
  t.equal(again.blobsKept, b.blobs.length + 1, "image b's blobs and manifest kept");
});

t.test('gc keeps untagged manifests, index children and referrers; sweeps blobs only deleted manifests referenced', async (t) => {
  const { server, client } = await startRegistry(t);
  const child = makeImage('child', [2048]);
  const untagged = makeImage('untagged', [4096]);
  await pushImage(client, 'gc/keep', child.manifest.digest, child);
  await pushImage(client, 'gc/keep', untagged.manifest.digest, untagged);
  const index = manifestOf({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [{ mediaType: MediaType.ociManifest, digest: child.manifest.digest, size: child.manifest.bytes.length }] }, []);
  await putManifest(client, 'gc/keep', 'multi', index.bytes, index.mediaType);
  // A referrer of the untagged image: an artifact with its own blob.
  const sig = blobOf(uniqueBytes(512));
  const empty = blobOf(Buffer.from('{}'), MediaType.ociEmpty);
  for (const x of [sig, empty]) await uploadBlobPostPut(client, 'gc/keep', x.bytes);
  const referrer = manifestOf({ schemaVersion: 2, mediaType: MediaType.ociManifest, artifactType: 'application/vnd.example.sig', config: descriptorOf(empty), layers: [descriptorOf(sig)], subject: { mediaType: MediaType.ociManifest, digest: untagged.manifest.digest, size: untagged.manifest.bytes.length } }, [empty, sig]);
  await putManifest(client, 'gc/keep', referrer.digest, referrer.bytes, referrer.mediaType);
  // A blob nothing references, and an image whose manifest is then deleted.
  const loose = blobOf(uniqueBytes(1000));
  await uploadBlobPostPut(client, 'gc/keep', loose.bytes);
  const gone = makeImage('gone', [3000]);
  await pushImage(client, 'gc/keep', 'gone', gone);
  const del = await client.request({ method: 'DELETE', path: `/v2/gc/keep/manifests/${gone.manifest.digest}` });
  await del.dump();

  const report = await server.collectGarbage({ graceMs: 0 });
  t.equal(report.manifests, 4, 'child, untagged image, index and referrer kept');
  t.equal(report.blobsRemoved, 1 + gone.blobs.length + 1, "the loose blob, the deleted image's config and layer, and its manifest bytes");
  t.equal(report.bytesFreed, loose.size + gone.bytes);
  t.same(await pullsIntact(client, 'gc/keep', child.manifest.digest, child), [], 'the index child pulls intact');
  t.same(await pullsIntact(client, 'gc/keep', untagged.manifest.digest, untagged), [], 'the untagged image pulls intact');
  t.equal((await fetchManifestVerified(client, 'gc/keep', 'multi')).digest, index.digest, 'the index is there');
  t.equal(await status(client, 'GET', `/v2/gc/keep/blobs/${sig.digest}`), 200, "the referrer's blob is kept");
  const refs = await client.request({ method: 'GET', path: `/v2/gc/keep/referrers/${untagged.manifest.digest}` });
  t.match(await refs.text(), referrer.digest, 'the referrers API still lists the referrer');
  t.equal(await status(client, 'HEAD', `/v2/gc/keep/blobs/${loose.digest}`), 404, 'the unreferenced blob is gone');
  for (const x of gone.blobs) t.equal(await status(client, 'HEAD', `/v2/gc/keep/blobs/${x.digest}`), 404, "the deleted image's blob is gone");
});

t.test('regprobe gc refuses a store a running server holds (one line, exit 2)', async (t) => {
  const dir = await tempDir(t);
  const storage = join(dir, 'store');
  await startRegistry(t, { storageDir: storage });
  const r = await runCli(['gc', '--storage', storage, '--grace', '0']);
  t.equal(r.code, 2, 'exit 2');
  t.match(r.stderr, new RegExp(`^regprobe: gc: storage directory .* is in use by process ${process.pid} .*stop that server first`), 'names the holder and what to do');
  t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  t.equal(r.stdout, '', 'nothing collected');
});

t.test('regprobe gc: bad arguments are one line, exit 2, and create nothing', async (t) => {
  const dir = await tempDir(t);
  const cases: [string[], RegExp][] = [
    [['gc'], /Missing required argument: storage/],
    [['gc', '--storage', join(dir, 'missing')], /--storage .*missing: no such directory/],
    [['gc', '--storage', dir], /not a reference registry storage directory/],
    [['gc', '--storage', dir, '--grace', 'soon'], /--grace: "soon" is not a duration/],
    [['gc', '--storage', dir, '--upload-ttl', '0'], /--upload-ttl: must be at least 1 ms/],
  ];
  for (const [args, re] of cases) {
    const r = await runCli(args);
    t.equal(r.code, 2, `${args.join(' ')}: exit 2`);
    t.match(r.stderr, re, `${args.join(' ')}: ${r.stderr.trim()}`);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
  t.same(await readdir(dir), [], 'no store was created in a directory that was not one');
});

t.test('upload sessions idle for longer than the TTL expire: offline gc, online gc, and the server timer', async (t) => {
  const dir = await tempDir(t);
  const storage = join(dir, 'store');
  let server = await startReferenceServer({ storageDir: storage });
  let client = new RegistryClient({ baseUrl: server.url, timeoutMs: 20_000 });
  const data = uniqueBytes(5000);
  const open = async (): Promise<string> => {
    const { location } = await startUpload(client, 'gc/uploads');
    const res = await client.request({ method: 'PATCH', path: location, headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${data.length - 1}`, 'content-length': String(data.length) }, body: data });
    t.equal(res.status, 202, 'chunk accepted');
    await res.dump();
    return res.header('location') ?? location;
  };
  const idle = await open();
  const fresh = await open();
  await client.close();
  await server.close();

  // Offline: the idle session's data was last written two days ago.
  const id = idle.split('/').pop()!;
  const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
  await utimes(join(storage, 'uploads', id, 'data'), twoDaysAgo, twoDaysAgo);
  const r = await runCli(['gc', '--storage', storage, '--grace', '0']);
  t.equal(r.code, 0, `gc exits 0 (${r.stderr.trim()})`);
  t.match(r.stdout, new RegExp(`expired 1 session, ${data.length} bytes`), 'the idle session expired with its bytes (default TTL 24 h)');
  t.same(await readdir(join(storage, 'uploads')), [fresh.split('/').pop()], 'only the fresh session is left on disk');

  // Online: the server's collectGarbage expires with the TTL it is given.
  const freshData = join(storage, 'uploads', fresh.split('/').pop()!, 'data');
  await utimes(freshData, new Date(), new Date()); // as if its client had just written
  server = await startReferenceServer({ storageDir: storage, uploadTtlMs: 3000 });
  client = new RegistryClient({ baseUrl: server.url, timeoutMs: 20_000 });
  t.teardown(async () => {
    await client.close();
    await server.close();
  });
  t.equal(await status(client, 'GET', fresh), 204, 'the fresh session survived the restart');
  const kept = await server.collectGarbage({ graceMs: 0, uploadTtlMs: 3_600_000 });
  t.equal(kept.uploadsExpired, 0, 'not idle for an hour: kept');
  // The server's own timer (uploadTtlMs 3 s: it looks every 3 s) removes it once idle for 3 s.
  // The bound is the behaviour under test: gone within 3 s of idleness plus a tick, allowed 20 s.
  const until = Date.now() + 20_000;
  let code = 204;
  while (code === 204 && Date.now() < until) {
    await new Promise((res) => setTimeout(res, 200));
    code = await status(client, 'GET', fresh);
  }
  t.equal(code, 404, 'the session idle for longer than --upload-ttl is gone (404 BLOB_UPLOAD_UNKNOWN)');
  // The session is forgotten first, its directory removed right after (a bounded wait for that rm).
  let left = await readdir(join(storage, 'uploads'));
  for (let i = 0; i < 50 && left.length > 0; i++) {
    await new Promise((res) => setTimeout(res, 100));
    left = await readdir(join(storage, 'uploads'));
  }
  t.same(left, [], 'its files too');
});

t.test('online gc running during concurrent pushes loses no acknowledged write', async (t) => {
  const dir = await tempDir(t);
  const storage = join(dir, 'store');
  const runs: GcReport[] = [];
  const errors: unknown[] = [];
  const logger: ServerLogger = {
    request() {},
    info: (msg, fields) => void (msg === 'garbage collected' && runs.push(fields as unknown as GcReport)),
    error: (msg, fields) => void errors.push({ msg, ...fields }),
  };
  // No grace and a run every 20 ms: every link not yet referenced is fair game, as often as possible.
  let server = await startReferenceServer({ storageDir: storage, gcIntervalMs: 20, gcGraceMs: 0, logger });
  const client = new RegistryClient({ baseUrl: server.url, timeoutMs: 15_000, connections: 16 });
  const ledger = new PushLedger();
  const ops = await pushLoad(client, ledger, {
    loops: 4,
    repos: ['gc/a', 'gc/b', 'gc/c/deep'],
    tags: ['t0', 't1', 'latest'],
    // Bounded by count, not by time: a busy machine (160 tries, 61 manifests, took 53 s under a CPU
    // hog) must not end the load before 20 manifests went through. The deadline only stops a hang.
    maxOpsPerLoop: 40,
    deadline: Date.now() + 240_000,
    stopped: () => false,
    shared: blobOf(uniqueBytes(24 * 1024)),
  });
  await client.close();
  const removed = runs.reduce((n, r) => n + r.linksRemoved + r.blobsRemoved, 0);
  t.comment(`${ops} push operations, ${ledger.ackedManifests} manifests acknowledged, ${runs.length} gc runs removed ${removed} links and blobs`);
  t.ok(runs.length >= 5, `gc ran during the load (${runs.length} runs)`);
  t.ok(removed > 0, 'and removed something while pushes were going on');
  t.ok(ledger.ackedManifests >= 20, `pushes went through (${ledger.ackedManifests} manifests)`);
  // With no grace a layer can be swept between its upload and the manifest: that PUT is refused
  // (not acknowledged), which is the only failure allowed.
  const refused = ledger.unexpected.filter((m) => /MANIFEST_BLOB_UNKNOWN/.test(m));
  t.same(ledger.unexpected.filter((m) => !/MANIFEST_BLOB_UNKNOWN/.test(m)), [], `no other failure (${refused.length} manifest PUTs refused for a swept blob)`);
  t.same(errors, [], 'no server error logged');

  let verifier = new RegistryClient({ baseUrl: server.url, timeoutMs: 15_000 });
  t.same(await verify(t, verifier, ledger, { unreferencedBlobsMayGo: true }), [], 'live: every acknowledged manifest and tag intact with its blobs');
  await verifier.close();
  await server.close();
  // The disk agrees with what the server showed: a restart (which re-checks every link) sees the same.
  server = await startReferenceServer({ storageDir: storage });
  t.teardown(() => server.close());
  t.equal(server.recovery.blobLinksDropped + server.recovery.manifestsDropped + server.recovery.tagsDropped, 0, 'nothing dangling on disk');
  verifier = new RegistryClient({ baseUrl: server.url, timeoutMs: 15_000 });
  t.teardown(() => verifier.close());
  t.same(await verify(t, verifier, ledger, { unreferencedBlobsMayGo: true }), [], 'after a restart: the same');
});

t.test('blobs gc swept before their manifest came must be pushed again: the PUT is refused whole', async (t) => {
  const { server, client } = await startRegistry(t);
  const img = makeImage('race', [1000]);
  for (const b of img.blobs) await uploadBlobPostPut(client, 'gc/race', b.bytes);
  await server.collectGarbage({ graceMs: 0 }); // sweeps the unreferenced links
  try {
    await putManifest(client, 'gc/race', 'v1', img.manifest.bytes, img.manifest.mediaType);
    t.fail('the PUT should have been refused');
  } catch (err) {
    t.ok(err instanceof OperationError && err.status === 400 && /MANIFEST_BLOB_UNKNOWN/.test(err.message), `400 MANIFEST_BLOB_UNKNOWN: ${(err as Error).message}`);
  }
  t.equal(await status(client, 'HEAD', '/v2/gc/race/manifests/v1'), 404, 'no tag');
  t.equal(await status(client, 'HEAD', `/v2/gc/race/manifests/${img.manifest.digest}`), 404, 'no manifest');
  // The push repeated from the start goes through.
  await pushImage(client, 'gc/race', 'v1', img);
  t.same(await pullsIntact(client, 'gc/race', 'v1', img), [], 'a repeated push works');
});

t.test('storage: a manifest whose required blob went between the check and the store is refused, nothing visible', async (t) => {
  const dir = await tempDir(t);
  const storage = await FsStorage.open({ root: join(dir, 'store') });
  t.teardown(() => storage.close());
  const img = makeImage('race', [100]);
  const record = { digest: img.manifest.digest, size: img.manifest.bytes.length, contentType: MediaType.ociManifest };
  // The handler saw the layer linked; gc unlinked it before putManifest took the repository's lock.
  await t.rejects(storage.putManifest('gc/race', img.manifest.bytes, record, ['v1'], img.blobs.map((b) => b.digest)), BlobGoneError);
  t.equal(storage.manifest('gc/race', img.manifest.digest), undefined, 'no manifest');
  t.equal(storage.tagTarget('gc/race', 'v1'), undefined, 'no tag');
  t.same(await readdir(join(dir, 'store', 'tmp')), [], 'no temp file left');
  const report = await storage.collectGarbage({ graceMs: 0 });
  t.equal(report.bytesFreed, img.manifest.bytes.length, 'the unlinked manifest bytes are swept by the next gc');
});

t.test('gc keeps the bytes of a layer a manifest references even after its link was deleted (DELETE blob)', async (t) => {
  const dir = await tempDir(t);
  const storage = join(dir, 'store');
  const { server, client } = await startRegistry(t, { storageDir: storage });
  const img = makeImage('unlinked', [2048]);
  await pushImage(client, 'gc/unlinked', 'v1', img);
  const layer = img.blobs[1]!;
  const del = await client.request({ method: 'DELETE', path: `/v2/gc/unlinked/blobs/${layer.digest}` });
  t.equal(del.status, 202, 'layer link deleted');
  await del.dump();
  const report = await server.collectGarbage({ graceMs: 0 });
  t.equal(report.blobsRemoved, 0, 'nothing removed: the manifest still references the layer');
  const hex = layer.digest.slice('sha256:'.length);
  t.equal((await stat(join(storage, 'blobs', 'sha256', hex.slice(0, 2), hex))).size, layer.size, 'the layer file is still there');
  // Pushing the layer again makes the image whole again without re-sending bytes to a new file.
  await uploadBlobPostPut(client, 'gc/unlinked', layer.bytes);
  t.same(await pullsIntact(client, 'gc/unlinked', 'v1', img), [], 'the image pulls intact after the layer is pushed again');
});

t.test('a dry run leaves even what start-up repair would remove (temp files, expired sessions)', async (t) => {
  const dir = await tempDir(t);
  const root = join(dir, 'store');
  const s = await FsStorage.open({ root });
  const session = await s.createUpload('gc/dry', 'sha256');
  await s.close();
  await writeFile(join(root, 'tmp', 'left-by-a-crash.tmp'), 'x');
  const old = new Date(Date.now() - 3 * 86_400_000);
  await utimes(join(root, 'uploads', session.id, 'data'), old, old);
  const before = await files(root);
  const report = await runGc({ storage: root, 'dry-run': true, grace: 0, 'upload-ttl': 86_400_000 });
  t.equal(report.dryRun, true);
  t.equal(report.uploadsExpired, 1, 'the expired session is counted');
  t.same(await files(root), before, 'and nothing is removed');
  const real = await runGc({ storage: root, 'dry-run': false, grace: 0, 'upload-ttl': 86_400_000 });
  t.equal(real.uploadsExpired, 1, 'the real run removes it');
  t.same(await readdir(join(root, 'uploads')), []);
  t.same(await readdir(join(root, 'tmp')), [], 'and the temp file');
});
