// A small image every client can really use: one gzip layer that is a valid tar (one file), a config
// whose diff_ids match it, written as an OCI image layout directory (what skopeo, podman, buildah
// and oras read with `oci:DIR:TAG`), plus the layer's tar for `docker import`. Built in memory with
// no tool: a unique file content per image makes every push new content.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface LayoutImage {
  /** The OCI image layout directory. */
  dir: string;
  tag: string;
  manifestDigest: string;
  configDigest: string;
  layerDigest: string;
  /** The uncompressed layer (a tar), for `docker import`. */
  layerTar: string;
  /** The file the layer holds and its content. */
  file: { name: string; content: string };
}

const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A POSIX ustar archive of one regular file (mode 0644, owner 0). */
export function tarOf(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const put = (text: string, offset: number, length: number) => header.write(text, offset, Math.min(length, Buffer.byteLength(text)), 'utf8');
  const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, '0');
  put(name, 0, 100);
  put(octal(0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(content.length, 12), 124, 12);
  put(octal(0, 12), 136, 12);
  header.fill(' ', 148, 156); // the checksum is computed with its own field as spaces
  put('0', 156, 1);
  put('ustar\u0000', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of header) sum += b;
  put(`${octal(sum, 7)}\u0000`, 148, 8);
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, pad, Buffer.alloc(1024)]);
}

/** Writes the image under `dir` (created) with `tag`; returns its digests. */
export async function writeLayoutImage(dir: string, tag: string): Promise<LayoutImage> {
  const file = { name: 'regprobe.txt', content: `regprobe real-client image ${randomBytes(8).toString('hex')}\n` };
  const tar = tarOf(file.name, Buffer.from(file.content));
  const layer = gzipSync(tar);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/regprobe.txt'] },
      rootfs: { type: 'layers', diff_ids: [sha256(tar)] },
      history: [{ created_by: 'regprobe' }],
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
    }),
  );
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  for (const b of [layer, config, manifest]) await writeFile(join(blobs, sha256(b).slice(7)), b);
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifest), size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': tag } }],
    }),
  );
  const layerTar = join(dir, 'layer.tar');
  await writeFile(layerTar, tar);
  return { dir, tag, manifestDigest: sha256(manifest), configDigest: sha256(config), layerDigest: sha256(layer), layerTar, file };
}
