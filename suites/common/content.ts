// Pushing test content for a suite and deleting it afterwards: manifests first (newest first), then
// blobs, in one cleanup, so a blob shared by several manifests goes only when none is left.
import { randomBytes } from 'node:crypto';
import type { CaseContext, RegistryResponse } from '../../src/conformance/model.js';
import { putManifest, tryDelete, uploadBlobPostPut } from '../../src/client/operations.js';
import type { Manifest } from '../../src/conformance/fixtures.js';

const TRACKER = 'regprobe:pushed';

interface Pushed {
  manifests: Array<{ repo: string; digest: string }>;
  blobs: Array<{ repo: string; digest: string }>;
}

/** The suite's list of pushed content; its cleanup is registered on first use. */
function pushed(ctx: CaseContext): Pushed {
  let p = ctx.state.get(TRACKER) as Pushed | undefined;
  if (!p) {
    const list: Pushed = { manifests: [], blobs: [] };
    p = list;
    ctx.state.set(TRACKER, list);
    ctx.onCleanup(async () => {
      for (const m of [...list.manifests].reverse()) await tryDelete(ctx.client, `/v2/${m.repo}/manifests/${m.digest}`);
      const seen = new Set<string>();
      for (const b of list.blobs) {
        const key = `${b.repo}@${b.digest}`;
        if (seen.has(key)) continue;
        seen.add(key);
        await tryDelete(ctx.client, `/v2/${b.repo}/blobs/${b.digest}`);
      }
    });
  }
  return p;
}

/** Records a blob pushed outside pushImage (deleted at cleanup). */
export function trackBlob(ctx: CaseContext, repo: string, digest: string): void {
  pushed(ctx).blobs.push({ repo, digest });
}

/** Records a manifest pushed outside pushImage (deleted at cleanup, before the blobs). */
export function trackManifest(ctx: CaseContext, repo: string, digest: string): void {
  pushed(ctx).manifests.push({ repo, digest });
}

/**
 * Pushes a manifest's blobs (POST then PUT) and the manifest under `reference` (default: its digest);
 * returns the manifest PUT's response (already drained; headers readable). Throws OperationError when
 * the registry refuses: a precondition, not what the case checks.
 */
export async function pushImage(ctx: CaseContext, repo: string, m: Manifest, reference: string = m.digest): Promise<RegistryResponse> {
  await pushBlobs(ctx, repo, m);
  const { res } = await putManifest(ctx.client, repo, reference, m.bytes, m.mediaType);
  trackManifest(ctx, repo, m.digest);
  return res;
}

/** Pushes the blobs a manifest references (POST then PUT each). */
export async function pushBlobs(ctx: CaseContext, repo: string, m: Manifest): Promise<void> {
  for (const b of m.blobs) {
    await uploadBlobPostPut(ctx.client, repo, b.bytes, b.digest.startsWith('sha512:') ? 'sha512' : 'sha256');
    trackBlob(ctx, repo, b.digest);
  }
}

/**
 * PUTs a manifest's bytes (blobs must be there) and returns the response undrained, whatever its
 * status: for cases where the answer to the PUT is what they check.
 */
export async function sendManifest(ctx: CaseContext, repo: string, reference: string, bytes: Uint8Array, mediaType: string): Promise<RegistryResponse> {
  return ctx.client.request({
    method: 'PUT',
    path: `/v2/${repo}/manifests/${reference}`,
    headers: { 'content-type': mediaType, 'content-length': String(bytes.length) },
    body: bytes,
  });
}

/** PUTs an already-pushed manifest under another tag. */
export async function tagImage(ctx: CaseContext, repo: string, m: Manifest, tag: string): Promise<RegistryResponse> {
  const { res } = await putManifest(ctx.client, repo, tag, m.bytes, m.mediaType);
  return res;
}

/** A random sha256 digest that names nothing (for "unknown" requests). */
export function unknownDigest(): string {
  return `sha256:${randomBytes(32).toString('hex')}`;
}
