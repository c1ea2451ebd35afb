// Interop with a real client: an image built offline with umoci (layers of 0, 1 MiB and 10 MiB) is
// pushed to the reference registry with skopeo, inspected, listed, pulled back by tag and by digest
// with every blob's sha256 checked, and deleted.
import t from 'tap';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient } from '../../src/client/registry-client.js';
import { readBlob } from '../../src/client/operations.js';
import { digestOf } from '../../src/oci/digest.js';
import { MediaType } from '../../src/oci/media-types.js';
import { parseErrorBody } from '../../src/oci/errors.js';
import { startReferenceServer } from '../../reference-server/server.js';
import { requirePeers } from '../helpers/peers.js';
import { blobPath, buildOciImage, corruptBlobs, layoutTagDigest, tool, type OciImageManifest } from '../helpers/oci-image.js';

const MiB = 1024 * 1024;

t.test('skopeo pushes, inspects, lists, pulls (tag and digest) and deletes an umoci image', async (t) => {
  if (!requirePeers(t, 'skopeo', 'umoci')) return;
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-skopeo-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const image = await buildOciImage(join(dir, 'src'), 'v1', [0, 1 * MiB, 10 * MiB]);
  t.equal(image.manifest.layers.length, 3, 'umoci built three layers');

  const server = await startReferenceServer();
  const client = new RegistryClient({ baseUrl: server.url, timeoutMs: 30_000 });
  t.teardown(async () => {
    await client.close();
    await server.close();
  });
  const host = `${server.host}:${server.port}`;
  const repo = 'interop/umoci-image';
  const ref = `docker://${host}/${repo}`;
  // Plain HTTP on loopback; no user credentials are read.
  const noTls = ['--tls-verify=false', '--authfile', join(dir, 'no-auth.json')];
  const skopeo = (args: string[]) => tool('skopeo', args, 180_000);

  await skopeo(['copy', '-q', '--dest-tls-verify=false', '--dest-authfile', join(dir, 'no-auth.json'), `oci:${image.layout}:v1`, `${ref}:v1`]);
  t.pass('skopeo copy oci: -> registry:v1');

  const inspect = JSON.parse(await skopeo(['inspect', ...noTls, `${ref}:v1`])) as { Digest: string; Layers: string[]; Os: string };
  t.equal(inspect.Digest, image.manifestDigest, 'inspect: the registry serves the pushed manifest digest');
  t.same(inspect.Layers, image.manifest.layers.map((l) => l.digest), 'inspect: layer digests as pushed');
  t.equal(inspect.Os, 'linux', 'inspect read the config blob');

  const raw = await skopeo(['inspect', '--raw', ...noTls, `${ref}:v1`]);
  const sourceBytes = await readFile(blobPath(image.layout, image.manifestDigest));
  t.equal(digestOf(raw), image.manifestDigest, 'inspect --raw: the manifest bytes hash to the source digest');
  t.equal(raw, sourceBytes.toString('utf8'), 'inspect --raw: byte-for-byte the manifest umoci wrote');

  const tags = JSON.parse(await skopeo(['list-tags', ...noTls, ref])) as { Tags: string[] };
  t.same(tags.Tags, ['v1'], 'list-tags');

  for (const [name, src] of [['by tag', `${ref}:v1`], ['by digest', `${ref}@${image.manifestDigest}`]] as const) {
    const out = join(dir, name.replace(' ', '-'));
    await skopeo(['copy', '-q', '--src-tls-verify=false', '--src-authfile', join(dir, 'no-auth.json'), src, `oci:${out}:pulled`]);
    t.equal(await layoutTagDigest(out, 'pulled'), image.manifestDigest, `pull ${name}: same manifest digest`);
    const { blobs, bad } = await corruptBlobs(out);
    t.same(bad, [], `pull ${name}: all ${blobs} blobs hash to their names`);
    const pulled = JSON.parse(await readFile(blobPath(out, image.manifestDigest), 'utf8')) as OciImageManifest;
    t.same([pulled.config.digest, ...pulled.layers.map((l) => l.digest)], [image.manifest.config.digest, ...image.manifest.layers.map((l) => l.digest)], `pull ${name}: config and layers as pushed`);
  }

  // The same blobs straight from the registry: sizes as announced, content re-hashed.
  for (const d of [image.manifest.config, ...image.manifest.layers]) {
    const r = await readBlob(client, repo, d.digest);
    t.equal(r.bytes, d.size, `blob ${d.digest} (${d.size} bytes) re-hashes to its digest`);
  }

  // skopeo converts to Docker schema 2 on request: a second tag, same layers, another manifest.
  await skopeo(['copy', '-q', '--format', 'v2s2', '--dest-tls-verify=false', '--dest-authfile', join(dir, 'no-auth.json'), `oci:${image.layout}:v1`, `${ref}:v1-docker`]);
  const dockerRaw = await skopeo(['inspect', '--raw', ...noTls, `${ref}:v1-docker`]);
  const docker = JSON.parse(dockerRaw) as { mediaType: string; layers: { digest: string }[] };
  t.equal(docker.mediaType, MediaType.dockerManifest, 'v2s2 push stored as a Docker schema 2 manifest');
  t.equal(docker.layers.length, 3);
  const dockerOut = join(dir, 'docker');
  await skopeo(['copy', '-q', '--src-tls-verify=false', '--src-authfile', join(dir, 'no-auth.json'), `${ref}:v1-docker`, `oci:${dockerOut}:pulled`]);
  t.same((await corruptBlobs(dockerOut)).bad, [], 'v2s2 pull: every blob hashes to its name');
  t.same((JSON.parse(await skopeo(['list-tags', ...noTls, ref])) as { Tags: string[] }).Tags, ['v1', 'v1-docker'], 'list-tags: both tags, sorted');

  await skopeo(['delete', ...noTls, `${ref}:v1`]);
  t.pass('skopeo delete registry:v1');
  await t.rejects(skopeo(['inspect', ...noTls, `${ref}@${image.manifestDigest}`]), /manifest unknown/i, 'inspect by digest after delete: manifest unknown');
  for (const reference of [image.manifestDigest, 'v1']) {
    const res = await client.request({ method: 'GET', path: `/v2/${repo}/manifests/${reference}`, headers: { accept: MediaType.ociManifest } });
    t.equal(res.status, 404, `GET manifests/${reference} after delete: 404`);
    t.equal(parseErrorBody(await res.text())?.errors[0]?.code, 'MANIFEST_UNKNOWN');
  }
  t.same((JSON.parse(await skopeo(['list-tags', ...noTls, ref])) as { Tags: string[] }).Tags, ['v1-docker'], 'the deleted tag is gone, the other stays');
});
