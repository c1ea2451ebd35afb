// Garbage collection with a real client: two umoci images that share no blob are pushed with skopeo,
// one is deleted with `skopeo delete`, `regprobe gc` runs offline, and the store shrinks by exactly that
// image's bytes while skopeo pulls the other back byte-identical (every blob re-hashed).
import t from 'tap';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { startReferenceServer } from '../../reference-server/server.js';
import { runCli } from '../helpers/cli-child.js';
import { blobPath, buildOciImage, corruptBlobs, layoutTagDigest, tool, type OciImage } from '../helpers/oci-image.js';
import { requirePeers } from '../helpers/peers.js';
import { tempDir } from './harness.js';

async function dirBytes(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? await dirBytes(p) : (await stat(p)).size;
  }
  return n;
}

/** Manifest, config and layers: what the image adds to a store that holds nothing else of it. */
async function imageBytes(img: OciImage): Promise<number> {
  const manifest = (await stat(blobPath(img.layout, img.manifestDigest))).size;
  return manifest + img.manifest.config.size + img.manifest.layers.reduce((n, l) => n + l.size, 0);
}

const digestsOf = (img: OciImage) => [img.manifestDigest, img.manifest.config.digest, ...img.manifest.layers.map((l) => l.digest)];

t.test('skopeo: push two images, delete one, regprobe gc frees exactly its bytes, the other pulls byte-identical', async (t) => {
  if (!requirePeers(t, 'skopeo', 'umoci')) return;
  const dir = await tempDir(t);
  const storage = join(dir, 'store');
  const a = await buildOciImage(join(dir, 'a'), 'a', [0, 512 * 1024]);
  const b = await buildOciImage(join(dir, 'b'), 'b', [0, 256 * 1024]);
  t.same(digestsOf(a).filter((d) => digestsOf(b).includes(d)), [], 'the two images share no blob');

  const noAuth = join(dir, 'no-auth.json');
  const skopeo = (args: string[]) => tool('skopeo', args, 180_000);
  let server = await startReferenceServer({ storageDir: storage });
  let ref = `docker://${server.host}:${server.port}/gc/skopeo`;
  for (const img of [a, b]) await skopeo(['copy', '-q', '--dest-tls-verify=false', '--dest-authfile', noAuth, `oci:${img.layout}:${img.tag}`, `${ref}:${img.tag}`]);
  await skopeo(['delete', '--tls-verify=false', '--authfile', noAuth, `${ref}:a`]);
  await server.close();

  const before = await dirBytes(join(storage, 'blobs'));
  const r = await runCli(['gc', '--storage', storage, '--grace', '0']);
  t.equal(r.code, 0, `regprobe gc exits 0 (${r.stderr.trim()})`);
  const freed = await imageBytes(a);
  t.match(r.stdout, new RegExp(`freed ${freed} bytes`), `reports image a's ${freed} bytes freed`);
  t.equal(await dirBytes(join(storage, 'blobs')), before - freed, 'the store shrank by exactly that');

  server = await startReferenceServer({ storageDir: storage });
  t.teardown(() => server.close());
  ref = `docker://${server.host}:${server.port}/gc/skopeo`;
  const out = join(dir, 'pulled');
  await skopeo(['copy', '-q', '--src-tls-verify=false', '--src-authfile', noAuth, `${ref}:b`, `oci:${out}:b`]);
  t.equal(await layoutTagDigest(out, 'b'), b.manifestDigest, 'image b pulls with the same manifest digest');
  const { blobs, bad } = await corruptBlobs(out);
  t.same(bad, [], `all ${blobs} pulled blobs hash to their names`);
  t.equal(blobs, digestsOf(b).length, 'manifest, config and every layer');
  await t.rejects(skopeo(['inspect', '--tls-verify=false', '--authfile', noAuth, `${ref}@${a.manifestDigest}`]), /manifest unknown/i, 'image a is gone');
});
