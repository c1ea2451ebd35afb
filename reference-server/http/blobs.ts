// end-2 (GET/HEAD /v2/<name>/blobs/<digest>, with ranges and ETag) and end-10 (DELETE).
import { pipeline } from 'node:stream/promises';
import { sendEmpty, type HandlerContext } from './context.js';
import { requireDigest } from './digests.js';
import { deleteDisabled, RegistryError } from './errors.js';
import { parseRange } from './ranges.js';

export async function getBlob(ctx: HandlerContext): Promise<void> {
  const digest = requireDigest(ctx.ref);
  const size = ctx.storage.hasBlob(ctx.name, digest) ? await ctx.storage.blobSize(digest) : undefined;
  if (size === undefined) throw new RegistryError(404, 'BLOB_UNKNOWN', undefined, { digest });
  const etag = `"${digest}"`;
  const common = { 'Docker-Content-Digest': digest, ETag: etag, 'Accept-Ranges': 'bytes' };
  if (etagMatches(ctx.req.headers['if-none-match'], etag)) {
    sendEmpty(ctx, 304, common);
    return;
  }
  const ifRange = ctx.req.headers['if-range'];
  const range = ifRange !== undefined && ifRange !== etag ? { kind: 'none' as const } : parseRange(ctx.req.headers.range, size);
  if (range.kind === 'unsatisfiable') {
    sendEmpty(ctx, 416, { ...common, 'Content-Range': `bytes */${size}` });
    return;
  }
  const headers: Record<string, string | number> = { ...common, 'Content-Type': 'application/octet-stream' };
  let status = 200;
  if (range.kind === 'range') {
    status = 206;
    headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
    headers['Content-Length'] = range.end - range.start + 1;
  } else headers['Content-Length'] = size;
  if (ctx.req.method === 'HEAD' || headers['Content-Length'] === 0) {
    ctx.res.writeHead(status, headers);
    ctx.res.end();
    return;
  }
  const stream = ctx.storage.openBlob(digest, range.kind === 'range' ? range : undefined);
  ctx.res.writeHead(status, headers);
  // A client that goes away mid-download is not an error of ours.
  await pipeline(stream, ctx.res).catch(() => stream.destroy());
}

export async function deleteBlob(ctx: HandlerContext): Promise<void> {
  if (!ctx.config.deleteEnabled) throw deleteDisabled();
  const digest = requireDigest(ctx.ref);
  if (!(await ctx.storage.unlinkBlob(ctx.name, digest))) throw new RegistryError(404, 'BLOB_UNKNOWN', undefined, { digest });
  sendEmpty(ctx, 202, { 'Docker-Content-Digest': digest });
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((v) => {
    const t = v.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}
