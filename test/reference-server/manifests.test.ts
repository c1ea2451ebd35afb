// end-3 (GET/HEAD manifests), end-7a/7b (PUT, ?tag=), end-9 (DELETE manifest / tag).
import type { Test } from 'tap';
import t from 'tap';
import { Readable } from 'node:stream';
import type { RegistryClient } from '../../src/client/registry-client.js';
import { digestOf } from '../../src/oci/digest.js';
import { EMPTY_JSON, EMPTY_JSON_DIGEST, MediaType } from '../../src/oci/media-types.js';
import { errorCodes, pushBlob, pushImage, putManifest, startRegistry } from './harness.js';

const emptyConfig = { mediaType: MediaType.ociEmpty, digest: EMPTY_JSON_DIGEST, size: 2 };

async function put(client: RegistryClient, repo: string, ref: string, body: string | Buffer, contentType?: string) {
  const res = await client.request({ method: 'PUT', path: `/v2/${repo}/manifests/${ref}`, headers: contentType ? { 'content-type': contentType } : {}, body });
  return res;
}

async function expectServed(t: Test, client: RegistryClient, repo: string, ref: string, bytes: Buffer, contentType: string) {
  const digest = digestOf(bytes);
  const get = await client.request({ method: 'GET', path: `/v2/${repo}/manifests/${ref}` });
  t.equal(get.status, 200, `GET ${ref}`);
  t.equal(get.header('content-type'), contentType, `Content-Type of ${ref}`);
  t.equal(get.header('content-length'), String(bytes.length), `Content-Length of ${ref}`);
  t.equal(get.header('docker-content-digest'), digest, `Docker-Content-Digest of ${ref}`);
  t.ok((await get.bytes()).equals(bytes), `${ref}: the exact bytes pushed`);
  const head = await client.request({ method: 'HEAD', path: `/v2/${repo}/manifests/${ref}` });
  t.equal(head.status, 200, `HEAD ${ref}`);
  t.equal(head.header('content-length'), String(bytes.length));
  t.equal(head.header('docker-content-digest'), digest);
  t.equal(head.header('content-type'), contentType);
  t.equal((await head.bytes()).length, 0);
}

t.test('PUT an OCI image manifest by tag; GET/HEAD by tag and digest return it byte-exact', async (t) => {
  const { client } = await startRegistry(t);
  const layer = await pushBlob(client, 'img', 'layer bytes');
  await pushBlob(client, 'img', EMPTY_JSON);
  // odd spacing and key order must survive: the registry stores bytes, not JSON
  const text = `{ "schemaVersion":2,\n  "mediaType": "${MediaType.ociManifest}", "config": ${JSON.stringify(emptyConfig)},\n "layers": [ {"mediaType":"${MediaType.ociLayerTar}","digest":"${layer}","size":11} ],\n "x-custom": {"kept": [1,2,3]} }\n`;
  const bytes = Buffer.from(text);
  const digest = digestOf(bytes);
  const res = await put(client, 'img', 'v1', bytes, MediaType.ociManifest);
  t.equal(res.status, 201);
  t.equal(res.header('location'), `/v2/img/manifests/${digest}`);
  t.equal(res.header('docker-content-digest'), digest);
  t.equal(res.header('oci-subject'), undefined, 'no subject, no OCI-Subject');
  await res.dump();
  await expectServed(t, client, 'img', 'v1', bytes, MediaType.ociManifest);
  await expectServed(t, client, 'img', digest, bytes, MediaType.ociManifest);
  const etag = await client.request({ method: 'GET', path: `/v2/img/manifests/v1`, headers: { 'if-none-match': `"${digest}"` } });
  t.equal(etag.status, 304, 'If-None-Match with the digest ETag');
  await etag.dump();
});

t.test('index, Docker schema 2, manifest list, artifacts, data fields and non-distributable layers', async (t) => {
  const { client } = await startRegistry(t);
  const img = await pushImage(client, 'kinds', 'base');

  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [{ mediaType: MediaType.ociManifest, digest: img.digest, size: img.bytes.length, platform: { os: 'linux', architecture: 'amd64' } }] }));
  let res = await put(client, 'kinds', 'index', index, MediaType.ociIndex);
  t.equal(res.status, 201, 'OCI index');
  await res.dump();
  await expectServed(t, client, 'kinds', 'index', index, MediaType.ociIndex);

  const dconf = await pushBlob(client, 'kinds', '{"architecture":"amd64","os":"linux"}');
  const dlayer = await pushBlob(client, 'kinds', 'docker layer');
  const docker = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.dockerManifest, config: { mediaType: MediaType.dockerConfig, digest: dconf, size: 37 }, layers: [{ mediaType: MediaType.dockerLayerGzip, digest: dlayer, size: 12 }] }));
  res = await put(client, 'kinds', 'docker', docker, MediaType.dockerManifest);
  t.equal(res.status, 201, 'Docker schema 2');
  await res.dump();
  await expectServed(t, client, 'kinds', 'docker', docker, MediaType.dockerManifest);

  const list = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.dockerManifestList, manifests: [{ mediaType: MediaType.dockerManifest, digest: digestOf(docker), size: docker.length, platform: { os: 'linux', architecture: 'amd64' } }] }));
  res = await put(client, 'kinds', 'list', list, MediaType.dockerManifestList);
  t.equal(res.status, 201, 'Docker manifest list');
  await res.dump();
  await expectServed(t, client, 'kinds', 'list', list, MediaType.dockerManifestList);

  const artifactLayer = await pushBlob(client, 'kinds', 'sbom contents');
  const artifact = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, artifactType: 'application/vnd.example.sbom', config: emptyConfig, layers: [{ mediaType: 'application/spdx+json', digest: artifactLayer, size: 13 }], annotations: { 'org.example': 'yes' } }));
  res = await put(client, 'kinds', 'artifact', artifact, MediaType.ociManifest);
  t.equal(res.status, 201, 'artifact with artifactType and empty config');
  await res.dump();
  await expectServed(t, client, 'kinds', 'artifact', artifact, MediaType.ociManifest);

  // A layer whose bytes ride in `data` and a non-distributable layer need not be in the registry.
  const inline = Buffer.from('inline!');
  const special = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MediaType.ociManifest, config: emptyConfig,
    layers: [
      { mediaType: MediaType.ociLayerTar, digest: digestOf(inline), size: inline.length, data: inline.toString('base64') },
      { mediaType: MediaType.ociLayerNondistributableGzip, digest: digestOf('elsewhere'), size: 9, urls: ['https://example.com/layer'] },
      { mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: digestOf('foreign'), size: 7, urls: ['https://example.com/f'] },
    ],
  }));
  res = await put(client, 'kinds', 'special', special, MediaType.ociManifest);
  t.equal(res.status, 201, 'data field and non-distributable layers');
  await res.dump();

  const badData = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: emptyConfig, layers: [{ mediaType: MediaType.ociLayerTar, digest: digestOf('other'), size: 7, data: inline.toString('base64') }] }));
  res = await put(client, 'kinds', 'baddata', badData, MediaType.ociManifest);
  t.equal(res.status, 400, 'data that does not match its digest');
  t.same(await errorCodes(res), ['MANIFEST_INVALID']);

  // containers/image pushes OCI manifests without mediaType: the Content-Type is what it is served as
  const noType = Buffer.from(JSON.stringify({ schemaVersion: 2, config: emptyConfig, layers: [] }));
  res = await put(client, 'kinds', 'notype', noType, MediaType.ociManifest);
  t.equal(res.status, 201, 'no mediaType field');
  await res.dump();
  await expectServed(t, client, 'kinds', 'notype', noType, MediaType.ociManifest);
  res = await put(client, 'kinds', 'params', noType, `${MediaType.ociManifest}; charset=utf-8`);
  t.equal(res.status, 201, 'Content-Type parameters are ignored');
  await res.dump();
});

t.test('a manifest pushed by digest must hash to it: else 400 DIGEST_INVALID; sha512 references work', async (t) => {
  const { client } = await startRegistry(t);
  const img = await pushImage(client, 'dg', 'x');
  const wrong = digestOf('something else');
  let res = await put(client, 'dg', wrong, img.bytes, MediaType.ociManifest);
  t.equal(res.status, 400);
  t.same(await errorCodes(res), ['DIGEST_INVALID']);
  const d512 = digestOf(img.bytes, 'sha512');
  res = await put(client, 'dg', d512, img.bytes, MediaType.ociManifest);
  t.equal(res.status, 201);
  t.equal(res.header('docker-content-digest'), d512);
  await res.dump();
  const get = await client.request({ method: 'GET', path: `/v2/dg/manifests/${d512}` });
  t.equal(get.status, 200);
  t.equal(get.header('docker-content-digest'), d512);
  t.ok((await get.bytes()).equals(img.bytes));
  for (const ref of ['sha256:xyz', 'md5:' + 'a'.repeat(32)]) {
    const r = await put(client, 'dg', ref, img.bytes, MediaType.ociManifest);
    t.equal(r.status, 400, ref);
    t.same(await errorCodes(r), ['DIGEST_INVALID'], ref);
  }
});

t.test('invalid manifests are 400 MANIFEST_INVALID with a reason', async (t) => {
  const { client } = await startRegistry(t);
  await pushBlob(client, 'bad', EMPTY_JSON);
  const cases: Array<[string, string, string | undefined, RegExp]> = [
    ['not json', '{"schemaVersion": 2,', MediaType.ociManifest, /not valid JSON/],
    ['an array', '[1,2]', MediaType.ociManifest, /not a JSON object/],
    ['empty body', '', MediaType.ociManifest, /empty/],
    ['schema 1', JSON.stringify({ schemaVersion: 1, mediaType: MediaType.ociManifest, config: emptyConfig, layers: [] }), MediaType.ociManifest, /schemaVersion/],
    ['unknown type', JSON.stringify({ schemaVersion: 2, mediaType: 'application/x-unknown', config: emptyConfig }), 'application/x-unknown', /unsupported manifest media type/],
    ['type mismatch', JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: emptyConfig, layers: [] }), MediaType.ociIndex, /does not match/],
    ['no config', JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, layers: [] }), MediaType.ociManifest, /config/],
    ['bad layer digest', JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: emptyConfig, layers: [{ mediaType: 'x', digest: 'sha256:xyz', size: 1 }] }), MediaType.ociManifest, /layers\[0\]\.digest/],
    ['negative size', JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: { ...emptyConfig, size: -1 }, layers: [] }), MediaType.ociManifest, /size/],
    ['index without manifests', JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex }), MediaType.ociIndex, /manifests array/],
    ['bad annotations', JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: emptyConfig, layers: [], annotations: { a: 1 } }), MediaType.ociManifest, /annotations/],
  ];
  for (const [what, body, type, reason] of cases) {
    const res = await put(client, 'bad', 'tag', body, type);
    t.equal(res.status, 400, what);
    const text = await res.text();
    t.match(text, /"code":"MANIFEST_INVALID"/, what);
    t.match(text, reason, `${what}: says why`);
  }
});

t.test('missing config, layers or index entries are MANIFEST_BLOB_UNKNOWN; a missing subject is fine', async (t) => {
  const { client } = await startRegistry(t);
  const l1 = digestOf('missing one');
  const l2 = digestOf('missing two');
  const m = JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: emptyConfig, layers: [{ mediaType: MediaType.ociLayerTar, digest: l1, size: 11 }, { mediaType: MediaType.ociLayerTar, digest: l2, size: 11 }] });
  let res = await put(client, 'mb', 'x', m, MediaType.ociManifest);
  t.equal(res.status, 400);
  const body = JSON.parse(await res.text()) as { errors: Array<{ code: string; detail: { digest: string } }> };
  t.same(body.errors.map((e) => e.code), ['MANIFEST_BLOB_UNKNOWN', 'MANIFEST_BLOB_UNKNOWN', 'MANIFEST_BLOB_UNKNOWN'], 'config and both layers');
  t.same(body.errors.map((e) => e.detail.digest), [EMPTY_JSON_DIGEST, l1, l2]);

  const idx = JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [{ mediaType: MediaType.ociManifest, digest: digestOf('no manifest'), size: 3 }] });
  res = await put(client, 'mb', 'i', idx, MediaType.ociIndex);
  t.equal(res.status, 400);
  t.same(await errorCodes(res), ['MANIFEST_BLOB_UNKNOWN']);

  const subject = digestOf('a subject that was never pushed');
  const ref = await pushImage(client, 'mb', undefined, ['sig'], { subject: { mediaType: MediaType.ociManifest, digest: subject, size: 123 }, artifactType: 'application/vnd.example.sig' });
  const again = await put(client, 'mb', ref.digest, ref.bytes, MediaType.ociManifest);
  t.equal(again.status, 201, 'subject need not exist');
  t.equal(again.header('oci-subject'), subject, 'OCI-Subject names the subject');
  await again.dump();
});

t.test('manifest size limit: over it 413, up to it accepted (4 MiB by default)', async (t) => {
  const { client } = await startRegistry(t);
  await pushBlob(client, 'big', EMPTY_JSON);
  const make = (size: number) => {
    const base = JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: emptyConfig, layers: [], annotations: { pad: '' } });
    return Buffer.from(base.replace('"pad":""', `"pad":"${'p'.repeat(size - base.length)}"`));
  };
  const exact = make(4 * 1024 * 1024);
  t.equal(exact.length, 4194304);
  let res = await put(client, 'big', 'max', exact, MediaType.ociManifest);
  t.equal(res.status, 201, 'a manifest of exactly 4 MiB');
  await res.dump();
  const get = await client.request({ method: 'GET', path: '/v2/big/manifests/max' });
  t.equal(get.header('content-length'), '4194304');
  t.ok((await get.bytes(8 * 1024 * 1024)).equals(exact));
  res = await put(client, 'big', 'over', make(4 * 1024 * 1024 + 1), MediaType.ociManifest);
  t.equal(res.status, 413);
  t.same(await errorCodes(res), ['MANIFEST_INVALID']);

  const small = await startRegistry(t, { maxManifestSize: 1000 });
  await pushBlob(small.client, 'big', EMPTY_JSON);
  res = await put(small.client, 'big', 'x', make(1001), MediaType.ociManifest);
  t.equal(res.status, 413, 'a configured limit');
  await res.dump();
  // Far over the limit and without Content-Length: answered 413 without reading it all.
  const huge = Readable.from((function* () {
    for (let i = 0; i < 64; i++) yield Buffer.alloc(64 * 1024, 32);
  })());
  res = await small.client.request({ method: 'PUT', path: '/v2/big/manifests/huge', headers: { 'content-type': MediaType.ociManifest }, body: huge });
  t.equal(res.status, 413, 'a 4 MiB body against a 1000-byte limit');
  t.equal(res.header('connection'), 'close');
  await res.dump();
  const ok = await small.client.request({ method: 'GET', path: '/v2/' });
  t.equal(ok.status, 200, 'the connection and server are fine afterwards');
  await ok.dump();
});

t.test('PUT by digest with ?tag= tags it and answers OCI-Tag; an invalid tag is TAG_INVALID', async (t) => {
  const { client } = await startRegistry(t);
  const img = await pushImage(client, 'multi', undefined);
  const res = await client.request({ method: 'PUT', path: `/v2/multi/manifests/${img.digest}?tag=1.2.3&tag=1.2&tag=latest`, headers: { 'content-type': MediaType.ociManifest }, body: img.bytes });
  t.equal(res.status, 201);
  t.same(res.header('oci-tag')?.split(/,\s*/), ['1.2.3', '1.2', 'latest']);
  await res.dump();
  for (const tag of ['1.2.3', '1.2', 'latest']) {
    const h = await client.request({ method: 'HEAD', path: `/v2/multi/manifests/${tag}` });
    t.equal(h.header('docker-content-digest'), img.digest, tag);
    await h.dump();
  }
  const bad = await client.request({ method: 'PUT', path: `/v2/multi/manifests/${img.digest}?tag=-nope`, headers: { 'content-type': MediaType.ociManifest }, body: img.bytes });
  t.equal(bad.status, 400);
  t.same(await errorCodes(bad), ['TAG_INVALID']);
});

t.test('unknown manifests: 404 MANIFEST_UNKNOWN, or NAME_UNKNOWN for a repository that never existed', async (t) => {
  const { client } = await startRegistry(t);
  await pushImage(client, 'known', 'v1');
  let res = await client.request({ method: 'GET', path: '/v2/known/manifests/v2' });
  t.equal(res.status, 404);
  t.same(await errorCodes(res), ['MANIFEST_UNKNOWN']);
  res = await client.request({ method: 'GET', path: `/v2/known/manifests/${digestOf('x')}` });
  t.equal(res.status, 404);
  t.same(await errorCodes(res), ['MANIFEST_UNKNOWN']);
  res = await client.request({ method: 'GET', path: '/v2/never/manifests/latest' });
  t.equal(res.status, 404);
  t.same(await errorCodes(res), ['NAME_UNKNOWN']);
  res = await client.request({ method: 'HEAD', path: '/v2/never/manifests/latest' });
  t.equal(res.status, 404);
  await res.dump();
});

t.test('re-pushing a tag moves it', async (t) => {
  const { client } = await startRegistry(t);
  const a = await pushImage(client, 'mv', 'cur', ['a']);
  const b = await pushImage(client, 'mv', 'cur', ['b']);
  t.not(a.digest, b.digest);
  const h = await client.request({ method: 'HEAD', path: '/v2/mv/manifests/cur' });
  t.equal(h.header('docker-content-digest'), b.digest);
  await h.dump();
  const old = await client.request({ method: 'HEAD', path: `/v2/mv/manifests/${a.digest}` });
  t.equal(old.status, 200, 'the old manifest stays reachable by digest');
  await old.dump();
});

t.test('DELETE a tag removes only that tag; DELETE a digest removes the manifest and its tags', async (t) => {
  const { client } = await startRegistry(t);
  const img = await pushImage(client, 'del', 'one');
  await putManifest(client, 'del', 'two', img.bytes.toString(), MediaType.ociManifest);
  let res = await client.request({ method: 'DELETE', path: '/v2/del/manifests/one' });
  t.equal(res.status, 202);
  await res.dump();
  res = await client.request({ method: 'GET', path: '/v2/del/manifests/one' });
  t.equal(res.status, 404, 'the deleted tag');
  await res.dump();
  for (const ref of ['two', img.digest]) {
    res = await client.request({ method: 'HEAD', path: `/v2/del/manifests/${ref}` });
    t.equal(res.status, 200, `${ref} is still there`);
    await res.dump();
  }
  res = await client.request({ method: 'DELETE', path: `/v2/del/manifests/${img.digest}` });
  t.equal(res.status, 202);
  await res.dump();
  for (const ref of ['two', img.digest]) {
    res = await client.request({ method: 'GET', path: `/v2/del/manifests/${ref}` });
    t.equal(res.status, 404, `${ref} is gone with the manifest`);
    t.same(await errorCodes(res), ['MANIFEST_UNKNOWN']);
  }
  const tags = await client.request({ method: 'GET', path: '/v2/del/tags/list' });
  t.same(((await tags.json()) as { tags: string[] }).tags, []);
  res = await client.request({ method: 'DELETE', path: '/v2/del/manifests/one' });
  t.equal(res.status, 404, 'deleting an unknown tag');
  t.same(await errorCodes(res), ['MANIFEST_UNKNOWN']);
  res = await client.request({ method: 'DELETE', path: `/v2/nothere/manifests/${img.digest}` });
  t.equal(res.status, 404, 'deleting in a repository that does not exist');
  t.same(await errorCodes(res), ['NAME_UNKNOWN']);
});

t.test('with deletes disabled, manifest and tag DELETEs are 405 UNSUPPORTED and change nothing', async (t) => {
  const { client } = await startRegistry(t, { deleteEnabled: false });
  const img = await pushImage(client, 'ro', 'keep');
  for (const ref of ['keep', img.digest]) {
    const res = await client.request({ method: 'DELETE', path: `/v2/ro/manifests/${ref}` });
    t.equal(res.status, 405, ref);
    t.same(await errorCodes(res), ['UNSUPPORTED'], ref);
  }
  const h = await client.request({ method: 'HEAD', path: '/v2/ro/manifests/keep' });
  t.equal(h.status, 200);
  await h.dump();
});
