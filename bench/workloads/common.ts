// Setup helpers shared by the workload families: repository names under the run's namespace, seeding
// images and blobs (untimed, recorded for cleanup), and reading the existing image of --read-only.
import { randomBytes } from 'node:crypto';
import type { RegistryClient } from '../../src/client/registry-client.js';
import {
  fetchManifestVerified,
  pushBlobChunked,
  pushBlobPostPut,
  pushBlobSingleRequest,
  pushBlobStreamed,
  putManifest,
  type BlobSource,
} from '../../src/client/operations.js';
import { digestOf } from '../../src/oci/digest.js';
import { INDEX_MEDIA_TYPES, MediaType } from '../../src/oci/media-types.js';
import type { ContentFactory } from '../../src/conformance/fixtures.js';
import { WorkloadSkip, type WorkloadEnv } from '../workload.js';

/** A repository under the run's namespace. */
export function repoName(env: WorkloadEnv, name: string): string {
  return `${env.namespace}/${name.toLowerCase()}`;
}

/** A short unique suffix for names made during a run. */
export function uid(): string {
  return randomBytes(4).toString('hex');
}

/** Compact size for keys and labels: `1MiB`, `512KiB`, `1000B`. */
export function sizeLabel(bytes: number): string {
  for (const [unit, n] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytes >= n && bytes % n === 0) return `${bytes / n}${unit}`;
  }
  return `${bytes}B`;
}

export type UploadMethod = 'monolithic' | 'post-put' | 'streamed' | 'chunked';
export const UPLOAD_METHODS: readonly UploadMethod[] = ['monolithic', 'post-put', 'streamed', 'chunked'];

export function uploadMethod(v: unknown): UploadMethod {
  const s = String(v);
  if (!(UPLOAD_METHODS as readonly string[]).includes(s)) throw new TypeError(`upload must be one of ${UPLOAD_METHODS.join(', ')}, got ${s}`);
  return s as UploadMethod;
}

/** Uploads a blob the chosen way; returns a note when the registry picked a legal alternative. */
export async function uploadBlob(client: RegistryClient, repo: string, src: BlobSource, how: UploadMethod, chunkSize = 1024 * 1024): Promise<string | undefined> {
  switch (how) {
    case 'monolithic': {
      const r = await pushBlobSingleRequest(client, repo, src);
      return r.singleRequest ? undefined : 'single-request-202';
    }
    case 'post-put':
      await pushBlobPostPut(client, repo, src);
      return undefined;
    case 'streamed':
      await pushBlobStreamed(client, repo, src);
      return undefined;
    case 'chunked': {
      const r = await pushBlobChunked(client, repo, src, chunkSize);
      return r.chunkSize !== chunkSize ? 'chunk-enlarged-to-min' : undefined;
    }
  }
}

export interface ImageContent {
  config: BlobSource;
  layers: BlobSource[];
  manifest: Buffer;
  digest: string;
  /** Payload bytes of the whole image (config + layers + manifest). */
  bytes: number;
}

/** A small unique config blob (never shared, so images differ even with identical layers). */
function configBlob(): BlobSource {
  const bytes = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: {}, 'regprobe.nonce': uid() + uid() }));
  return { digest: digestOf(bytes), size: bytes.length, open: () => bytes };
}

/** Content of an image: layers from the factory (unique unless identical), its manifest bytes. */
export async function makeImageContent(content: ContentFactory, layerSizes: readonly number[]): Promise<ImageContent> {
  const layers = await Promise.all(layerSizes.map((s) => content.blob(s)));
  const config = configBlob();
  const json = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: MediaType.ociLayerGzip, digest: l.digest, size: l.size })),
  };
  const manifest = Buffer.from(JSON.stringify(json));
  return { config, layers, manifest, digest: digestOf(manifest), bytes: manifest.length + config.size + layers.reduce((n, l) => n + l.size, 0) };
}

/**
 * Pushes an image: config and layers in parallel, then the manifest under `reference` (a tag, or
 * its digest when absent). Records everything for cleanup. Returns notes of legal alternatives.
 */
export async function pushImage(env: WorkloadEnv, client: RegistryClient, repo: string, img: ImageContent, opts: { tag?: string; upload?: UploadMethod; chunkSize?: number } = {}): Promise<string | undefined> {
  const how = opts.upload ?? 'post-put';
  const notes = await Promise.all([img.config, ...img.layers].map((b) => uploadBlob(client, repo, b, b === img.config && how === 'chunked' ? 'post-put' : how, opts.chunkSize)));
  for (const b of [img.config, ...img.layers]) env.cleanup.blob(repo, b.digest);
  await putManifest(client, repo, opts.tag ?? img.digest, img.manifest, MediaType.ociManifest);
  env.cleanup.manifest(repo, img.digest);
  return notes.find((n) => n !== undefined);
}

/** Pushes a blob during setup and records it for cleanup. */
export async function seedBlob(env: WorkloadEnv, repo: string, src: BlobSource): Promise<void> {
  await pushBlobPostPut(env.client, repo, src);
  env.cleanup.blob(repo, src.digest);
}

/** The image a read workload uses: one it seeds, or (read-only) the existing --tag image. */
export interface ReadImage {
  repo: string;
  tag: string;
  digest: string;
  config: { digest: string; size: number };
  layers: Array<{ digest: string; size: number }>;
}

/** Seeds a tagged image of the given layer sizes, or resolves --tag in read-only mode. */
export async function readImage(env: WorkloadEnv, name: string, layerSizes: readonly number[]): Promise<ReadImage> {
  if (env.readOnly) return existingImage(env);
  const repo = repoName(env, name);
  const img = await makeImageContent(env.content, layerSizes);
  const tag = 'bench';
  await pushImage(env, env.client, repo, img, { tag });
  return { repo, tag, digest: img.digest, config: { digest: img.config.digest, size: img.config.size }, layers: img.layers.map((l) => ({ digest: l.digest, size: l.size })) };
}

interface ManifestJson {
  mediaType?: string;
  config?: { digest: string; size: number };
  layers?: Array<{ digest: string; size: number }>;
  manifests?: Array<{ digest: string; mediaType?: string; platform?: { os?: string; architecture?: string } }>;
}

/** The --tag image; an index resolves to its linux/amd64 entry (else the first). */
export async function existingImage(env: WorkloadEnv): Promise<ReadImage> {
  if (!env.existing) throw new WorkloadSkip('read-only mode needs existing content: --tag REPO:TAG');
  const { repo, tag } = env.existing;
  let m = await fetchManifestVerified(env.client, repo, tag);
  let json = JSON.parse(m.bytes.toString('utf8')) as ManifestJson;
  if (INDEX_MEDIA_TYPES.includes(m.mediaType ?? json.mediaType ?? '') || Array.isArray(json.manifests)) {
    const entries = json.manifests ?? [];
    const pick = entries.find((e) => e.platform?.os === 'linux' && e.platform?.architecture === 'amd64') ?? entries[0];
    if (!pick) throw new WorkloadSkip(`${repo}:${tag} is an empty index`);
    m = await fetchManifestVerified(env.client, repo, pick.digest);
    json = JSON.parse(m.bytes.toString('utf8')) as ManifestJson;
  }
  if (!json.config || !Array.isArray(json.layers)) throw new WorkloadSkip(`${repo}:${tag} is not an image manifest (no config/layers)`);
  return { repo, tag, digest: m.digest, config: json.config, layers: json.layers };
}
