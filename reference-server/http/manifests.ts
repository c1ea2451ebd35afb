// end-3 (GET/HEAD), end-7a/7b (PUT by tag or digest, ?tag=), end-9 (DELETE manifest or tag).
import { checkDigest, digestOf, type DigestAlgorithm } from '../../src/oci/digest.js';
import { isValidTag } from '../../src/oci/names.js';
import { BlobGoneError, referrerInfo, type ManifestRecord } from '../storage/index.js';
import { contentLength, location, readSmallBody, sendBody, sendEmpty, type HandlerContext } from './context.js';
import { requireDigest } from './digests.js';
import { deleteDisabled, RegistryError, tagInvalid } from './errors.js';
import { validateManifest } from './manifest-validate.js';

type Reference = { digest: string; tag?: undefined } | { tag: string; digest?: undefined };

/** `<tag-or-digest>`: a digest when it has a colon (tags cannot), else a tag. */
function reference(ref: string): Reference {
  if (ref.includes(':')) return { digest: requireDigest(ref) };
  if (!isValidTag(ref)) throw tagInvalid(ref);
  return { tag: ref };
}

/**
 * The reference of a read or delete: a tag outside the grammar cannot exist, so it is unknown
 * (404, as distribution answers and the v1.1.1 conformance suite expects); only PUT says TAG_INVALID.
 */
function existingReference(ctx: HandlerContext): Reference {
  if (!ctx.ref.includes(':') && !isValidTag(ctx.ref)) throw unknown(ctx, { tag: ctx.ref });
  return reference(ctx.ref);
}

function unknown(ctx: HandlerContext, ref: Reference): RegistryError {
  if (!ctx.storage.hasRepository(ctx.name)) return new RegistryError(404, 'NAME_UNKNOWN', undefined, { name: ctx.name });
  return new RegistryError(404, 'MANIFEST_UNKNOWN', undefined, ref.tag !== undefined ? { tag: ref.tag } : { digest: ref.digest });
}

export async function getManifest(ctx: HandlerContext): Promise<void> {
  const ref = existingReference(ctx);
  const digest = ref.digest ?? ctx.storage.tagTarget(ctx.name, ref.tag);
  const rec = digest ? ctx.storage.manifest(ctx.name, digest) : undefined;
  if (!rec) throw unknown(ctx, ref);
  const headers = { 'Content-Type': rec.contentType, 'Docker-Content-Digest': rec.digest, ETag: `"${rec.digest}"` };
  const inm = ctx.req.headers['if-none-match'];
  if (inm && inm.split(',').some((v) => v.trim() === headers.ETag || v.trim() === '*')) {
    sendEmpty(ctx, 304, headers);
    return;
  }
  if (ctx.req.method === 'HEAD') {
    ctx.res.writeHead(200, { ...headers, 'Content-Length': rec.size });
    ctx.res.end();
    return;
  }
  sendBody(ctx, 200, headers, await ctx.storage.readManifest(rec));
}

export async function putManifest(ctx: HandlerContext): Promise<void> {
  const { storage, name, config, req } = ctx;
  const ref = reference(ctx.ref);
  const tags: string[] = [];
  const extraTags = ref.digest !== undefined ? ctx.query.getAll('tag') : [];
  if (ref.tag !== undefined) tags.push(ref.tag);
  for (const t of extraTags) {
    if (!isValidTag(t)) throw tagInvalid(t);
    if (!tags.includes(t)) tags.push(t);
  }
  const limit = config.maxManifestSize;
  const tooLarge = () => new RegistryError(413, 'MANIFEST_INVALID', `manifest larger than this registry's limit of ${limit} bytes`, { limit });
  const declared = contentLength(req);
  if (declared !== undefined && declared > limit * 4) throw tooLarge();
  const bytes = await readSmallBody(req, limit, tooLarge);
  if (bytes.length === 0) throw new RegistryError(400, 'MANIFEST_INVALID', 'manifest invalid: empty body');
  const valid = validateManifest(bytes, req.headers['content-type']);
  const algorithm = ref.digest !== undefined ? (checkDigest(ref.digest) as { algorithm: DigestAlgorithm }).algorithm : 'sha256';
  const digest = digestOf(bytes, algorithm);
  if (ref.digest !== undefined && digest !== ref.digest) {
    throw new RegistryError(400, 'DIGEST_INVALID', 'manifest digest does not match the reference it was pushed to', { reference: ref.digest, actual: digest });
  }
  const missing = valid.requirements.filter((r) => !storage.hasBlob(name, r.digest) && !storage.manifest(name, r.digest));
  if (missing.length > 0) {
    const [first, ...rest] = missing.map((m) => ({
      code: 'MANIFEST_BLOB_UNKNOWN' as const,
      message: `${m.field} references ${m.kind === 'manifest' ? 'a manifest' : 'a blob'} unknown to this repository`,
      detail: { digest: m.digest, field: m.field },
    }));
    const err = new RegistryError(400, first!.code, first!.message, first!.detail);
    err.more.push(...rest);
    throw err;
  }
  const record: ManifestRecord = { digest, size: bytes.length, contentType: valid.contentType, ...referrerInfo(valid.doc, valid.contentType) };
  try {
    await storage.putManifest(name, bytes, record, tags, valid.requirements.map((r) => r.digest));
  } catch (err) {
    // gc swept a blob between the check above and the store: the same answer as if it had been first.
    if (err instanceof BlobGoneError) throw new RegistryError(400, 'MANIFEST_BLOB_UNKNOWN', 'the manifest references a blob unknown to this repository', { digests: err.digests });
    throw err;
  }
  const headers: Record<string, string | string[]> = { Location: location(ctx, `/v2/${name}/manifests/${digest}`), 'Docker-Content-Digest': digest };
  if (valid.subject) headers['OCI-Subject'] = valid.subject;
  if (extraTags.length > 0) headers['OCI-Tag'] = tags;
  sendEmpty(ctx, 201, headers);
}

export async function deleteManifest(ctx: HandlerContext): Promise<void> {
  if (!ctx.config.deleteEnabled) throw deleteDisabled();
  const ref = existingReference(ctx);
  const ok = ref.tag !== undefined ? await ctx.storage.deleteTag(ctx.name, ref.tag) : await ctx.storage.deleteManifest(ctx.name, ref.digest);
  if (!ok) throw unknown(ctx, ref);
  sendEmpty(ctx, 202);
}
