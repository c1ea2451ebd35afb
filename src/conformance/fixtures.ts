// Test content: incompressible unique bytes, and images/indexes/artifacts built from them.
// Pure data; pushing goes through src/client/operations.ts.
import { createCipheriv, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { digestOf, type DigestAlgorithm } from '../oci/digest.js';
import { EMPTY_JSON, EMPTY_JSON_DIGEST, MediaType } from '../oci/media-types.js';
import type { RegistryClient } from '../client/registry-client.js';
import { putManifest, uploadBlobPostPut } from '../client/operations.js';

const ZEROS = Buffer.alloc(1024 * 1024);

/**
 * Incompressible bytes, unique per call: an AES-128-CTR keystream under a fresh random key.
 * Several GB/s, so generating test data is never the bottleneck (crypto.randomBytes is ~10x slower).
 */
export function uniqueBytes(size: number): Buffer {
  const cipher = createCipheriv('aes-128-ctr', randomBytes(16), randomBytes(16));
  const out = Buffer.allocUnsafe(size);
  let off = 0;
  while (off < size) {
    const n = Math.min(ZEROS.length, size - off);
    const chunk = cipher.update(ZEROS.subarray(0, n));
    chunk.copy(out, off);
    off += n;
  }
  return out;
}

/** A stream of `size` unique incompressible bytes, generated as it is read (bounded memory). */
export function uniqueStream(size: number, chunkSize = 256 * 1024): Readable {
  const cipher = createCipheriv('aes-128-ctr', randomBytes(16), randomBytes(16));
  let left = size;
  return new Readable({
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const n = Math.min(chunkSize, left, ZEROS.length);
      left -= n;
      this.push(cipher.update(ZEROS.subarray(0, n)));
    },
  });
}

export interface Blob {
  bytes: Buffer;
  digest: string;
  size: number;
  mediaType: string;
}

export function blobOf(bytes: Buffer, mediaType: string = MediaType.ociLayerGzip, algorithm: DigestAlgorithm = 'sha256'): Blob {
  return { bytes, digest: digestOf(bytes, algorithm), size: bytes.length, mediaType };
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  data?: string;
  urls?: string[];
  platform?: { architecture: string; os: string };
}

export function descriptorOf(b: Blob, extra: Partial<Descriptor> = {}): Descriptor {
  return { mediaType: b.mediaType, digest: b.digest, size: b.size, ...extra };
}

export interface Manifest {
  bytes: Buffer;
  digest: string;
  mediaType: string;
  /** Blobs the manifest references that must exist before it is pushed. */
  blobs: Blob[];
  json: Record<string, unknown>;
}

export function manifestOf(json: Record<string, unknown>, blobs: Blob[], mediaType?: string, algorithm: DigestAlgorithm = 'sha256'): Manifest {
  const bytes = Buffer.from(JSON.stringify(json));
  return { bytes, digest: digestOf(bytes, algorithm), mediaType: mediaType ?? String(json.mediaType), blobs, json };
}

export interface ImageOptions {
  layerSizes?: number[];
  /** 'oci' (default) or Docker schema 2. */
  format?: 'oci' | 'docker';
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
  /** Extra top-level fields (custom fields are legal and must be kept byte-exact). */
  extra?: Record<string, unknown>;
}

/** A runnable-looking image: a small unique config and unique random layers. */
export function makeImage(opts: ImageOptions = {}): Manifest {
  const docker = opts.format === 'docker';
  const configJson = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] as string[] }, config: {}, 'regprobe.nonce': randomBytes(8).toString('hex') };
  const config = blobOf(Buffer.from(JSON.stringify(configJson)), docker ? MediaType.dockerConfig : MediaType.ociConfig);
  const layers = (opts.layerSizes ?? [1024]).map((n) => blobOf(uniqueBytes(n), docker ? MediaType.dockerLayerGzip : MediaType.ociLayerGzip));
  const json: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: docker ? MediaType.dockerManifest : MediaType.ociManifest,
    ...(opts.artifactType ? { artifactType: opts.artifactType } : {}),
    config: descriptorOf(config),
    layers: layers.map((l) => descriptorOf(l)),
    ...(opts.subject ? { subject: opts.subject } : {}),
    ...(opts.annotations ? { annotations: opts.annotations } : {}),
    ...(opts.extra ?? {}),
  };
  return manifestOf(json, [config, ...layers]);
}

/** The empty-config blob of artifacts (`{}`). */
export function emptyConfig(): Blob {
  return { bytes: EMPTY_JSON, digest: EMPTY_JSON_DIGEST, size: EMPTY_JSON.length, mediaType: MediaType.ociEmpty };
}

/** An artifact manifest (image manifest with artifactType and the empty config), optionally a referrer. */
export function makeArtifact(opts: { artifactType: string; subject?: Descriptor; layers?: Blob[]; annotations?: Record<string, string> }): Manifest {
  const config = emptyConfig();
  const layers = opts.layers ?? [];
  const json: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: opts.artifactType,
    config: descriptorOf(config),
    layers: layers.length ? layers.map((l) => descriptorOf(l)) : [descriptorOf(config)],
    ...(opts.subject ? { subject: opts.subject } : {}),
    annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z', ...(opts.annotations ?? {}) },
  };
  return manifestOf(json, [config, ...layers]);
}

/** An index over manifests (OCI index or Docker manifest list). */
export function makeIndex(manifests: Manifest[], format: 'oci' | 'docker' = 'oci', extra: Record<string, unknown> = {}): Manifest {
  const json: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: format === 'docker' ? MediaType.dockerManifestList : MediaType.ociIndex,
    manifests: manifests.map((m, i) => ({ mediaType: m.mediaType, digest: m.digest, size: m.bytes.length, platform: { architecture: i % 2 ? 'arm64' : 'amd64', os: 'linux' } })),
    ...extra,
  };
  return manifestOf(json, []);
}

export function manifestDescriptor(m: Manifest): Descriptor {
  return { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length };
}

/** Pushes a manifest's blobs (POST+PUT) and then the manifest under `reference` (tag or its digest). */
export async function pushManifestWithBlobs(client: RegistryClient, repo: string, m: Manifest, reference: string = m.digest): Promise<string> {
  for (const b of m.blobs) await uploadBlobPostPut(client, repo, b.bytes, b.digest.startsWith('sha512:') ? 'sha512' : 'sha256');
  const { digest } = await putManifest(client, repo, reference, m.bytes, m.mediaType);
  return digest;
}
