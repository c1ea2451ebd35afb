// Blob uploads: end-4a/4b/4c (POST), end-11 (mount), end-5 (PATCH), end-6 (PUT), end-13 (GET status),
// end-14 (DELETE = cancel). Bytes stream straight to the session file; the digest runs alongside.
import { checkDigest, type DigestAlgorithm, isSupportedAlgorithm } from '../../src/oci/digest.js';
import { isValidName } from '../../src/oci/names.js';
import { BlobGoneError, UploadBusyError, UploadSizeError, type UploadSession } from '../storage/index.js';
import { contentLength, hasBody, location, sendEmpty, type HandlerContext } from './context.js';
import { requireDigest } from './digests.js';
import { nameInvalid, RegistryError } from './errors.js';
import { parseChunkRange, uploadRange } from './ranges.js';

function sessionHeaders(ctx: HandlerContext, s: UploadSession): Record<string, string> {
  return { Location: location(ctx, `/v2/${s.repository}/blobs/uploads/${s.id}`), Range: uploadRange(s.offset), 'Docker-Upload-UUID': s.id };
}

function created(ctx: HandlerContext, digest: string): void {
  sendEmpty(ctx, 201, { Location: location(ctx, `/v2/${ctx.name}/blobs/${digest}`), 'Docker-Content-Digest': digest });
}

/** POST /v2/<name>/blobs/uploads/ */
export async function startUpload(ctx: HandlerContext): Promise<void> {
  const { query, storage, name } = ctx;
  const mount = query.get('mount');
  if (mount !== null) {
    const digest = requireDigest(mount, 'mount');
    if (await tryMount(ctx, digest)) {
      created(ctx, digest);
      return;
    }
  }
  const digestParam = query.get('digest');
  let algorithm: DigestAlgorithm = 'sha256';
  const algParam = query.get('digest-algorithm');
  if (algParam !== null) {
    if (!isSupportedAlgorithm(algParam)) throw new RegistryError(400, 'DIGEST_INVALID', 'unsupported digest-algorithm (supported: sha256, sha512)', { algorithm: algParam });
    algorithm = algParam;
  }
  if (digestParam !== null && mount === null) {
    // end-4b: the whole blob in this one request.
    const digest = requireDigest(digestParam);
    const c = checkDigest(digest);
    const session = await storage.createUpload(name, c.ok ? c.algorithm : algorithm, false);
    try {
      await receive(ctx, session, contentLength(ctx.req));
    } catch (err) {
      await storage.cancelUpload(session).catch(() => undefined);
      throw err;
    }
    await commit(ctx, session, digest);
    return;
  }
  const session = await storage.createUpload(name, algorithm);
  sendEmpty(ctx, 202, sessionHeaders(ctx, session));
}

/** end-11: 201 only when the blob can really be linked; false means "start a normal session". */
async function tryMount(ctx: HandlerContext, digest: string): Promise<boolean> {
  const { storage, name, query, config } = ctx;
  const from = query.get('from');
  if (from !== null && from !== '' && !isValidName(from)) throw nameInvalid(from);
  if (storage.hasBlob(name, digest)) return true;
  if (from !== null && from !== '') {
    if (!storage.hasBlob(from, digest) || !(await ctx.mayPullFrom(from))) return false;
  } else if (!config.automaticMount || config.authEnabled || storage.repositoryWithBlob(digest) === undefined) {
    return false;
  }
  try {
    await storage.linkBlob(name, digest);
  } catch (err) {
    if (err instanceof BlobGoneError) return false; // garbage collected meanwhile: upload it instead
    throw err;
  }
  return true;
}

function sessionOf(ctx: HandlerContext): UploadSession {
  const s = ctx.storage.getUpload(ctx.ref);
  if (!s || s.repository !== ctx.name) {
    throw new RegistryError(404, 'BLOB_UPLOAD_UNKNOWN', undefined, { session: ctx.ref });
  }
  return s;
}

/**
 * Streams the request body into the session. With Content-Range the chunk must start at the
 * current offset (else 416, session unchanged) and be exactly as long as the range says.
 */
async function receive(ctx: HandlerContext, s: UploadSession, declared: number | undefined): Promise<void> {
  const { req } = ctx;
  const cr = req.headers['content-range'];
  let expected = declared;
  if (cr !== undefined) {
    const range = parseChunkRange(cr);
    if (!range) {
      throw new RegistryError(400, 'BLOB_UPLOAD_INVALID', 'Content-Range must be <start>-<end> (inclusive byte offsets)', { contentRange: cr });
    }
    if (range.start !== s.offset) {
      throw new RegistryError(416, 'BLOB_UPLOAD_INVALID', `chunk must start at offset ${s.offset}`, { contentRange: cr, offset: s.offset }, sessionHeaders(ctx, s));
    }
    const length = range.end - range.start + 1;
    if (declared !== undefined && declared !== length) {
      throw new RegistryError(400, 'SIZE_INVALID', `Content-Length ${declared} does not match Content-Range ${cr} (${length} bytes)`, { contentLength: declared, contentRange: cr });
    }
    expected = length;
  }
  if (!hasBody(req) && expected === undefined) return;
  try {
    await ctx.storage.appendUpload(s, req, expected);
  } catch (err) {
    if (err instanceof UploadBusyError) {
      throw new RegistryError(416, 'BLOB_UPLOAD_INVALID', err.message, { offset: s.offset }, sessionHeaders(ctx, s));
    }
    if (err instanceof UploadSizeError) {
      throw new RegistryError(400, 'SIZE_INVALID', `body length did not match: ${err.message}`, { expected: err.expected });
    }
    throw err;
  }
}

async function commit(ctx: HandlerContext, s: UploadSession, digest: string): Promise<void> {
  let result;
  try {
    result = await ctx.storage.commitUpload(s, digest);
  } catch (err) {
    if (err instanceof UploadBusyError) throw new RegistryError(416, 'BLOB_UPLOAD_INVALID', err.message, { offset: s.offset }, sessionHeaders(ctx, s));
    throw err;
  }
  if (!result.ok) {
    throw new RegistryError(400, 'DIGEST_INVALID', 'provided digest did not match uploaded content', { expected: digest, actual: result.actual });
  }
  created(ctx, digest);
}

/** PATCH <location>: a chunk (Content-Range) or a stream (no Content-Range). */
export async function patchUpload(ctx: HandlerContext): Promise<void> {
  const s = sessionOf(ctx);
  await receive(ctx, s, contentLength(ctx.req));
  sendEmpty(ctx, 202, sessionHeaders(ctx, s));
}

/** PUT <location>?digest=: optional last chunk, then verify and store. */
export async function finishUpload(ctx: HandlerContext): Promise<void> {
  const s = sessionOf(ctx);
  const digest = requireDigest(ctx.query.get('digest'), 'digest query parameter');
  await receive(ctx, s, contentLength(ctx.req));
  await commit(ctx, s, digest);
}

/** GET <location>: where the upload stands. */
export async function uploadStatus(ctx: HandlerContext): Promise<void> {
  const s = sessionOf(ctx);
  sendEmpty(ctx, 204, sessionHeaders(ctx, s));
}

/** DELETE <location>: cancel. */
export async function cancelUpload(ctx: HandlerContext): Promise<void> {
  const s = sessionOf(ctx);
  if (s.busy) throw new RegistryError(416, 'BLOB_UPLOAD_INVALID', 'another request is writing to this upload', { offset: s.offset }, sessionHeaders(ctx, s));
  await ctx.storage.cancelUpload(s);
  sendEmpty(ctx, 204);
}
