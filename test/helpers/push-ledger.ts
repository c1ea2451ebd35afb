// Concurrent push load that writes down what the registry acknowledged, for crash tests: after a
// kill -9 and a restart, every acknowledged blob, manifest and tag must be there and intact, and
// everything else must be either absent or intact. Loops are bounded in operations and time.
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RegistryClient } from '../../src/client/registry-client.js';
import { OperationError, putManifest, startUpload, uploadBlobChunked, uploadBlobPostPut, uploadBlobStreamed, ensureStatus } from '../../src/client/operations.js';
import { blobOf, descriptorOf, manifestOf, uniqueBytes, type Blob } from '../../src/conformance/fixtures.js';
import { MediaType } from '../../src/oci/media-types.js';

export interface BlobEntry {
  repo: string;
  bytes: Buffer;
  acked: boolean;
}
export interface ManifestEntry {
  repo: string;
  bytes: Buffer;
  blobs: Blob[];
  acked: boolean;
}
export interface TagEntry {
  repo: string;
  tag: string;
  /** Every manifest digest ever PUT under this tag (acknowledged or not). */
  candidates: Set<string>;
  acked: boolean;
}
/** An upload session left open on purpose: some chunks acknowledged, never finished. */
export interface AbandonedSession {
  repo: string;
  location: string;
  data: Buffer;
  /** Bytes the registry acknowledged (202 with Range). */
  ackedBytes: number;
  /** Bytes sent, acknowledged or not. */
  sentBytes: number;
}

export class PushLedger {
  /** key `${repo}@${digest}` */
  readonly blobs = new Map<string, BlobEntry & { digest: string }>();
  readonly manifests = new Map<string, ManifestEntry & { digest: string }>();
  readonly tags = new Map<string, TagEntry>();
  readonly abandoned: AbandonedSession[] = [];
  /** Answers the protocol does not allow, seen while the server was alive. */
  readonly unexpected: string[] = [];
  readonly repos = new Set<string>();

  blob(repo: string, b: Blob): BlobEntry & { digest: string } {
    this.repos.add(repo);
    const key = `${repo}@${b.digest}`;
    let e = this.blobs.get(key);
    if (!e) this.blobs.set(key, (e = { repo, digest: b.digest, bytes: b.bytes, acked: false }));
    return e;
  }
  manifest(repo: string, digest: string, bytes: Buffer, blobs: Blob[]): ManifestEntry & { digest: string } {
    this.repos.add(repo);
    const key = `${repo}@${digest}`;
    let e = this.manifests.get(key);
    if (!e) this.manifests.set(key, (e = { repo, digest, bytes, blobs, acked: false }));
    return e;
  }
  tag(repo: string, tag: string): TagEntry {
    const key = `${repo}:${tag}`;
    let e = this.tags.get(key);
    if (!e) this.tags.set(key, (e = { repo, tag, candidates: new Set(), acked: false }));
    return e;
  }
  get ackedManifests(): number {
    let n = 0;
    for (const m of this.manifests.values()) if (m.acked) n++;
    return n;
  }
}

export interface LoadOptions {
  loops: number;
  repos: string[];
  tags: string[];
  maxOpsPerLoop: number;
  deadline: number;
  /** Set once the server is being killed: errors from then on are expected. */
  stopped: () => boolean;
  /** A blob every loop pushes (same digest, concurrently). */
  shared: Blob;
}

type Upload = 'post-put' | 'chunked' | 'streamed';
const UPLOADS: Upload[] = ['post-put', 'chunked', 'streamed'];

async function pushBlob(client: RegistryClient, ledger: PushLedger, repo: string, b: Blob, how: Upload): Promise<void> {
  const e = ledger.blob(repo, b);
  if (how === 'post-put') await uploadBlobPostPut(client, repo, b.bytes);
  else if (how === 'chunked') await uploadBlobChunked(client, repo, b.bytes, 8 * 1024);
  else await uploadBlobStreamed(client, repo, b.bytes, b.digest, b.size);
  e.acked = true;
}

/** One image: config + 1-2 layers (one of them the shared blob sometimes), PUT by tag or by digest. */
async function pushImage(client: RegistryClient, ledger: PushLedger, o: LoadOptions, loop: number, i: number): Promise<void> {
  const repo = o.repos[randomInt(o.repos.length)]!;
  const config = blobOf(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, loop, i, nonce: uniqueBytes(8).toString('hex') })), MediaType.ociConfig);
  const layers = Array.from({ length: 1 + randomInt(2) }, () => blobOf(uniqueBytes(randomInt(48 * 1024))));
  if (randomInt(3) === 0) layers.push(o.shared);
  for (const b of [config, ...layers]) await pushBlob(client, ledger, repo, b, UPLOADS[randomInt(UPLOADS.length)]!);
  const m = manifestOf({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: descriptorOf(config), layers: layers.map((l) => descriptorOf(l)) }, [config, ...layers]);
  const entry = ledger.manifest(repo, m.digest, m.bytes, m.blobs);
  const byTag = randomInt(4) !== 0;
  const tag = byTag ? ledger.tag(repo, o.tags[randomInt(o.tags.length)]!) : undefined;
  tag?.candidates.add(m.digest);
  await putManifest(client, repo, tag?.tag ?? m.digest, m.bytes, m.mediaType);
  entry.acked = true;
  if (tag) tag.acked = true;
}

/** Opens a session, PATCHes part of a blob in chunks, and leaves it open. */
async function abandonUpload(client: RegistryClient, ledger: PushLedger, o: LoadOptions): Promise<void> {
  const repo = o.repos[randomInt(o.repos.length)]!;
  ledger.repos.add(repo);
  const data = uniqueBytes(16 * 1024 + randomInt(32 * 1024));
  const { location } = await startUpload(client, repo);
  const s: AbandonedSession = { repo, location, data, ackedBytes: 0, sentBytes: 0 };
  ledger.abandoned.push(s);
  const chunk = 8 * 1024;
  const upTo = chunk * (1 + randomInt(Math.floor(data.length / chunk)));
  for (let off = 0; off < upTo; off += chunk) {
    const part = data.subarray(off, off + chunk);
    s.sentBytes = off + part.length;
    const res = await client.request({
      method: 'PATCH',
      path: s.location,
      headers: { 'content-type': 'application/octet-stream', 'content-range': `${off}-${off + part.length - 1}`, 'content-length': String(part.length) },
      body: part,
    });
    await ensureStatus(res, [202], 'PATCH of an abandoned session');
    await res.dump();
    s.ackedBytes = off + part.length;
    s.location = res.header('location') ?? s.location;
  }
}

async function loop(client: RegistryClient, ledger: PushLedger, o: LoadOptions, n: number): Promise<number> {
  let ops = 0;
  for (let i = 0; i < o.maxOpsPerLoop && Date.now() < o.deadline && !o.stopped(); i++) {
    try {
      const pick = randomInt(10);
      // Loop 0 starts with an abandoned session, so every round leaves at least one behind.
      if (pick === 0 || (n === 0 && i === 0)) await abandonUpload(client, ledger, o);
      else if (pick === 1) await pushBlob(client, ledger, o.repos[0]!, o.shared, 'post-put');
      else await pushImage(client, ledger, o, n, i);
      ops++;
    } catch (err) {
      if (o.stopped()) break;
      // Before the kill every answer must be a success: anything else is a server bug.
      ledger.unexpected.push(err instanceof OperationError ? err.message : `${(err as Error).name}: ${(err as Error).message}`);
      await sleep(10);
    }
  }
  return ops;
}

/** Runs `loops` concurrent push loops until each is done, the deadline passes, or `stopped()`. */
export async function pushLoad(client: RegistryClient, ledger: PushLedger, o: LoadOptions): Promise<number> {
  const counts = await Promise.all(Array.from({ length: o.loops }, (_, n) => loop(client, ledger, o, n)));
  return counts.reduce((a, b) => a + b, 0);
}
