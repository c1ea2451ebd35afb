// Test content: incompressible unique bytes, and images/indexes/artifacts built from them.
// Pure data; pushing goes through src/client/operations.ts.
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { digestOf, type DigestAlgorithm } from '../oci/digest.js';
import { EMPTY_JSON, EMPTY_JSON_DIGEST, MediaType } from '../oci/media-types.js';
import type { RegistryClient } from '../client/registry-client.js';
import { putManifest, uploadBlobPostPut, type BlobSource } from '../client/operations.js';

// 64 KiB steps: OpenSSL's AES-CTR runs ~3x faster on 64 KiB inputs than on 1 MiB ones here (cache).
const STEP = 64 * 1024;
const ZEROS = Buffer.alloc(STEP);

function keystream(key: Buffer, iv: Buffer) {
  return createCipheriv('aes-128-ctr', key, iv);
}

/**
 * Incompressible bytes, unique per call: an AES-128-CTR keystream under a fresh random key.
 * Several GB/s, so generating test data is never the bottleneck (crypto.randomBytes is ~10x slower).
 */
export function uniqueBytes(size: number): Buffer {
  return keyedBytes(randomBytes(16), randomBytes(16), size);
}

function keyedBytes(key: Buffer, iv: Buffer, size: number): Buffer {
  const cipher = keystream(key, iv);
  const out = Buffer.allocUnsafe(size);
  let off = 0;
  while (off < size) {
    const n = Math.min(STEP, size - off);
    const chunk = cipher.update(ZEROS.subarray(0, n));
    chunk.copy(out, off);
    off += n;
  }
  return out;
}

/** A stream of `size` unique incompressible bytes, generated as it is read (bounded memory). */
export function uniqueStream(size: number, chunkSize = STEP): Readable {
  return keyedStream(randomBytes(16), randomBytes(16), size, chunkSize);
}

function keyedStream(key: Buffer, iv: Buffer, size: number, chunkSize = STEP): Readable {
  const cipher = keystream(key, iv);
  let left = size;
  return new Readable({
    highWaterMark: 4 * STEP,
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const n = Math.min(chunkSize, left, STEP);
      left -= n;
      this.push(cipher.update(ZEROS.subarray(0, n)));
    },
  });
}

/** Digest of a keyed keystream without keeping it; yields to the event loop every few MiB. */
async function keyedDigest(key: Buffer, iv: Buffer, size: number): Promise<string> {
  const cipher = keystream(key, iv);
  const hash = createHash('sha256');
  let left = size;
  let sinceYield = 0;
  while (left > 0) {
    const n = Math.min(STEP, left);
    hash.update(cipher.update(ZEROS.subarray(0, n)));
    left -= n;
    sinceYield += n;
    if (sinceYield >= 4 * 1024 * 1024) {
      sinceYield = 0;
      await yieldToLoop();
    }
  }
  return `sha256:${hash.digest('hex')}`;
}

export interface ContentOptions {
  /** Same bytes for every blob of a size (measures deduplication); default unique per blob. */
  identical?: boolean;
  /** Blobs up to this size are kept in memory; larger ones are regenerated as a stream (default 4 MiB). */
  bufferLimit?: number;
}

/**
 * Blob content for pushes: incompressible, unique per blob unless `identical`. Large blobs are a
 * key and a digest, regenerated on every open(), so a 5 GiB push needs no 5 GiB buffer.
 */
export class ContentFactory {
  private readonly identical: boolean;
  private readonly bufferLimit: number;
  private readonly shared = new Map<number, Promise<BlobSource>>();
  private readonly sharedKey = randomBytes(16);
  private readonly sharedIv = randomBytes(16);

  constructor(opts: ContentOptions = {}) {
    this.identical = opts.identical ?? false;
    this.bufferLimit = opts.bufferLimit ?? 4 * 1024 * 1024;
  }

  /** Content of `size` bytes (digest computed here, before any upload is timed). */
  blob(size: number): Promise<BlobSource> {
    if (!this.identical) return this.make(randomBytes(16), randomBytes(16), size);
    let p = this.shared.get(size);
    if (!p) {
      p = this.make(this.sharedKey, this.sharedIv, size);
      this.shared.set(size, p);
    }
    return p;
  }

  private async make(key: Buffer, iv: Buffer, size: number): Promise<BlobSource> {
    if (size <= this.bufferLimit) {
      const bytes = keyedBytes(key, iv, size);
      return { digest: digestOf(bytes), size, open: () => bytes };
    }
    const digest = await keyedDigest(key, iv, size);
    return { digest, size, open: () => keyedStream(key, iv, size) };
  }
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
