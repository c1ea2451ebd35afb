// The content named by --tag/--digest for --read-only runs: its manifest and one blob to pull (the
// config of the image, or of the first image an index lists). Reads only; sizes are bounded.
import { ACCEPT_MANIFESTS } from '../client/operations.js';
import { digestOf } from '../oci/digest.js';
import { MediaType } from '../oci/media-types.js';
import type { CaseContext } from './model.js';

export interface ExistingContent {
  repo: string;
  manifest: { tag?: string; digest: string; bytes: Buffer; mediaType: string };
  /** `bytes` is held only when the blob is small and its content matched its digest. */
  blob: { digest: string; size: number; bytes?: Buffer };
}

const MAX_MANIFEST = 4 * 1024 * 1024;
const MAX_HELD_BLOB = 4 * 1024 * 1024;

/** Skips (kind read-only) when no content was named; throws when it cannot be pulled. */
export async function loadExistingContent(ctx: CaseContext): Promise<ExistingContent> {
  const ex = ctx.existing;
  const ref = ex?.tag ?? ex?.digest;
  if (!ex || !ref) return ctx.skip('read-only', '--read-only needs --tag or --digest naming existing content to pull');
  const get = async (reference: string) => {
    const res = await ctx.client.request({ method: 'GET', path: `/v2/${ex.repo}/manifests/${reference}`, headers: { accept: ACCEPT_MANIFESTS } });
    if (res.status !== 200) {
      await res.dump();
      throw new Error(`the existing content ${ex.repo}:${reference} could not be pulled (${res.requestLine} answered ${res.status})`);
    }
    return { bytes: await res.bytes(MAX_MANIFEST), contentType: res.header('content-type') };
  };
  type Parsed = { mediaType?: string; config?: { digest: string; size: number }; manifests?: Array<{ digest: string }> };
  const top = await get(ref);
  const json = JSON.parse(top.bytes.toString('utf8')) as Parsed;
  const mediaType = json.mediaType ?? top.contentType?.split(';')[0]?.trim() ?? MediaType.ociManifest;
  const manifest = { ...(ex.tag ? { tag: ex.tag } : {}), digest: ex.digest ?? digestOf(top.bytes), bytes: top.bytes, mediaType };
  let config = json.config;
  if (!config && json.manifests?.[0]) {
    const child = await get(json.manifests[0].digest);
    config = (JSON.parse(child.bytes.toString('utf8')) as Parsed).config;
  }
  if (!config) throw new Error(`the existing content ${ex.repo}:${ref} is neither an image manifest nor an index of images: no blob to pull`);
  let bytes: Buffer | undefined;
  if (config.size <= MAX_HELD_BLOB) {
    const res = await ctx.client.request({ method: 'GET', path: `/v2/${ex.repo}/blobs/${config.digest}` });
    if (res.status === 200) bytes = await res.bytes(MAX_HELD_BLOB + 1);
    else await res.dump();
    if (bytes && (bytes.length !== config.size || digestOf(bytes, config.digest.startsWith('sha512:') ? 'sha512' : 'sha256') !== config.digest)) bytes = undefined;
  }
  return { repo: ex.repo, manifest, blob: { digest: config.digest, size: config.size, ...(bytes ? { bytes } : {}) } };
}
