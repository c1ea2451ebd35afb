// Registry operations over RegistryClient, shared by suites (as preconditions) and benchmarks (as
// the measured work): the ways to upload a blob, and putting and fetching manifests.
import type { Readable } from 'node:stream';
import type { RegistryClient, RegistryResponse, RequestBody } from './registry-client.js';
import { digestOf, type DigestAlgorithm } from '../oci/digest.js';
import { streamDigester } from '../oci/digest-pool.js';

/** An operation got an answer the protocol does not allow; carries the exchange for messages. */
export class OperationError extends Error {
  readonly status: number;
  readonly requestLine: string;
  readonly bodyStart: string;
  constructor(what: string, res: Pick<RegistryResponse, 'status' | 'requestLine'>, bodyStart: string) {
    super(`${what}: ${res.requestLine} answered ${res.status}${bodyStart ? `: ${bodyStart.slice(0, 200)}` : ''}`);
    this.name = 'OperationError';
    this.status = res.status;
    this.requestLine = res.requestLine;
    this.bodyStart = bodyStart;
  }
}

/** Throws OperationError unless the status is one of `ok`; drains nothing on success. */
export async function ensureStatus(res: RegistryResponse, ok: readonly number[], what: string): Promise<void> {
  if (ok.includes(res.status)) return;
  const text = await res.text(64 * 1024).catch(() => '');
  throw new OperationError(what, res, text);
}

export interface BlobRef {
  digest: string;
  size: number;
}

function blobsPath(repo: string): string {
  return `/v2/${repo}/blobs/uploads/`;
}

/** POST to open an upload session; returns its Location and the session response. */
export async function startUpload(client: RegistryClient, repo: string, query?: Record<string, string>): Promise<{ location: string; res: RegistryResponse }> {
  const res = await client.request({ method: 'POST', path: blobsPath(repo), query, headers: { 'content-length': '0' } });
  await ensureStatus(res, [202], 'open upload session');
  const location = res.header('location');
  await res.dump();
  if (!location) throw new OperationError('open upload session: no Location header', res, '');
  return { location, res };
}

/** POST then PUT ?digest= with the whole body (end-4a + end-6). */
export async function uploadBlobPostPut(client: RegistryClient, repo: string, data: Uint8Array, algorithm: DigestAlgorithm = 'sha256'): Promise<BlobRef & { res: RegistryResponse }> {
  const digest = digestOf(data, algorithm);
  const { location } = await startUpload(client, repo);
  const res = await client.request({
    method: 'PUT',
    path: location,
    query: { digest },
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(data.length) },
    body: data,
  });
  await ensureStatus(res, [201], 'complete upload');
  await res.dump();
  return { digest, size: data.length, res };
}

/**
 * Single-request upload: POST ?digest= with the body (end-4b). A registry may answer 202 with a
 * session instead (legal): the blob is then completed with a PUT to that session.
 */
export async function uploadBlobSingleRequest(client: RegistryClient, repo: string, data: Uint8Array): Promise<BlobRef & { singleRequest: boolean }> {
  const digest = digestOf(data);
  const res = await client.request({
    method: 'POST',
    path: blobsPath(repo),
    query: { digest },
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(data.length) },
    body: data,
  });
  await ensureStatus(res, [201, 202], 'single-request upload');
  await res.dump();
  if (res.status === 201) return { digest, size: data.length, singleRequest: true };
  const location = res.header('location');
  if (!location) throw new OperationError('single-request upload answered 202 without Location', res, '');
  const put = await client.request({ method: 'PUT', path: location, query: { digest }, headers: { 'content-type': 'application/octet-stream', 'content-length': String(data.length) }, body: data });
  await ensureStatus(put, [201], 'complete upload after 202');
  await put.dump();
  return { digest, size: data.length, singleRequest: false };
}

/** POST, one streamed PATCH without Content-Range, then PUT ?digest= (streamed upload). */
export async function uploadBlobStreamed(
  client: RegistryClient,
  repo: string,
  body: Readable | AsyncIterable<Uint8Array> | Uint8Array,
  digest: string,
  size: number,
): Promise<BlobRef> {
  const { location } = await startUpload(client, repo);
  const patch = await client.request({ method: 'PATCH', path: location, headers: { 'content-type': 'application/octet-stream' }, body: body as RequestBody });
  await ensureStatus(patch, [202], 'streamed PATCH');
  await patch.dump();
  const next = patch.header('location') ?? location;
  const put = await client.request({ method: 'PUT', path: next, query: { digest }, headers: { 'content-length': '0' } });
  await ensureStatus(put, [201], 'complete streamed upload');
  await put.dump();
  return { digest, size };
}

/**
 * Chunked upload (PATCH with Content-Range per chunk, then PUT). Honours OCI-Chunk-Min-Length:
 * chunks smaller than the registry's minimum are enlarged (all but the last).
 */
export async function uploadBlobChunked(client: RegistryClient, repo: string, data: Uint8Array, chunkSize: number): Promise<BlobRef & { chunks: number }> {
  // One PATCH loop for bytes and streams: pushBlobChunked re-slices a buffer without copying.
  const { digest, size, chunks } = await pushBlobChunked(client, repo, { digest: digestOf(data), size: data.length, open: () => data }, chunkSize);
  return { digest, size, chunks };
}

/** Cross-repository mount (end-11): true when mounted (201), false when the registry opened a session. */
export async function mountBlob(client: RegistryClient, repo: string, digest: string, from?: string): Promise<{ mounted: boolean; res: RegistryResponse }> {
  const res = await client.request({
    method: 'POST',
    path: blobsPath(repo),
    query: from ? { mount: digest, from } : { mount: digest },
    headers: { 'content-length': '0' },
  });
  await ensureStatus(res, [201, 202], 'mount');
  await res.dump();
  return { mounted: res.status === 201, res };
}

/** PUT a manifest by tag or digest (end-7); returns its digest. */
export async function putManifest(client: RegistryClient, repo: string, reference: string, body: Uint8Array | string, mediaType: string): Promise<{ digest: string; res: RegistryResponse }> {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const res = await client.request({
    method: 'PUT',
    path: `/v2/${repo}/manifests/${reference}`,
    headers: { 'content-type': mediaType, 'content-length': String(bytes.length) },
    body: bytes,
  });
  await ensureStatus(res, [201], 'put manifest');
  await res.dump();
  return { digest: digestOf(bytes), res };
}

export const ACCEPT_MANIFESTS = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

/** GET a manifest with every manifest type accepted; returns bytes and Content-Type. */
export async function getManifest(client: RegistryClient, repo: string, reference: string): Promise<{ bytes: Buffer; mediaType: string | undefined; digest: string | undefined }> {
  const res = await client.request({ method: 'GET', path: `/v2/${repo}/manifests/${reference}`, headers: { accept: ACCEPT_MANIFESTS } });
  await ensureStatus(res, [200], 'get manifest');
  const bytes = await res.bytes();
  return { bytes, mediaType: res.header('content-type'), digest: res.header('docker-content-digest') };
}

/** Best-effort delete (cleanup): never throws; returns the status or 0 on a transport error. */
export async function tryDelete(client: RegistryClient, path: string): Promise<number> {
  try {
    const res = await client.request({ method: 'DELETE', path });
    await res.dump();
    return res.status;
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Streaming variants over a BlobSource, for content too large to buffer (benchmarks, big blobs),
// and the read side with digests verified while the bytes flow.

/** Blob content with its digest known up front; open() gives the bytes again for each attempt. */
export interface BlobSource {
  digest: string;
  size: number;
  open(): Uint8Array | Readable;
}

/** Pulled bytes did not hash to the digest they were asked for (or that the registry announced). */
export class DigestMismatchError extends Error {
  readonly expected: string;
  readonly actual: string;
  readonly requestLine: string;
  constructor(requestLine: string, expected: string, actual: string) {
    super(`${requestLine}: content digest ${actual} does not match ${expected}`);
    this.name = 'DigestMismatchError';
    this.expected = expected;
    this.actual = actual;
    this.requestLine = requestLine;
  }
}

function octets(size: number): Record<string, string> {
  return { 'content-type': 'application/octet-stream', 'content-length': String(size) };
}

/** Single-request upload (end-4b) from a source; a 202 answer is completed with a PUT (legal). */
export async function pushBlobSingleRequest(client: RegistryClient, repo: string, src: BlobSource): Promise<BlobRef & { singleRequest: boolean }> {
  const res = await client.request({ method: 'POST', path: blobsPath(repo), query: { digest: src.digest }, headers: octets(src.size), body: src.open() as RequestBody });
  await ensureStatus(res, [201, 202], 'single-request upload');
  await res.dump();
  if (res.status === 201) return { digest: src.digest, size: src.size, singleRequest: true };
  const location = res.header('location');
  if (!location) throw new OperationError('single-request upload answered 202 without Location', res, '');
  const put = await client.request({ method: 'PUT', path: location, query: { digest: src.digest }, headers: octets(src.size), body: src.open() as RequestBody });
  await ensureStatus(put, [201], 'complete upload after 202');
  await put.dump();
  return { digest: src.digest, size: src.size, singleRequest: false };
}

/** POST then PUT ?digest= with the whole body (end-4a + end-6), from a source. */
export async function pushBlobPostPut(client: RegistryClient, repo: string, src: BlobSource): Promise<BlobRef> {
  const { location } = await startUpload(client, repo);
  const res = await client.request({ method: 'PUT', path: location, query: { digest: src.digest }, headers: octets(src.size), body: src.open() as RequestBody });
  await ensureStatus(res, [201], 'complete upload');
  await res.dump();
  return { digest: src.digest, size: src.size };
}

/** POST, one streamed PATCH, PUT ?digest= (streamed upload), from a source. */
export function pushBlobStreamed(client: RegistryClient, repo: string, src: BlobSource): Promise<BlobRef> {
  return uploadBlobStreamed(client, repo, src.open(), src.digest, src.size);
}

/**
 * Chunked upload from a source, reading it chunk by chunk (bounded memory): PATCH with
 * Content-Range per chunk, then PUT. Honours OCI-Chunk-Min-Length like uploadBlobChunked.
 */
export async function pushBlobChunked(client: RegistryClient, repo: string, src: BlobSource, chunkSize: number): Promise<BlobRef & { chunks: number; chunkSize: number }> {
  const { location, res: post } = await startUpload(client, repo);
  const min = Number(post.header('oci-chunk-min-length') ?? 0);
  const size = Math.max(chunkSize, Number.isFinite(min) ? min : 0, 1);
  let loc = location;
  let offset = 0;
  let chunks = 0;
  for await (const chunk of chunksOf(src.open(), size)) {
    const end = offset + chunk.length;
    const res = await client.request({
      method: 'PATCH',
      path: loc,
      headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${end - 1}`, 'content-length': String(chunk.length) },
      body: chunk,
    });
    await ensureStatus(res, [202], `PATCH chunk ${offset}-${end - 1}`);
    await res.dump();
    loc = res.header('location') ?? loc;
    offset = end;
    chunks++;
  }
  const put = await client.request({ method: 'PUT', path: loc, query: { digest: src.digest }, headers: { 'content-length': '0' } });
  await ensureStatus(put, [201], 'complete chunked upload');
  await put.dump();
  return { digest: src.digest, size: src.size, chunks, chunkSize: size };
}

/** Re-slices bytes or a stream into pieces of exactly `size` bytes (the last may be shorter). */
async function* chunksOf(body: Uint8Array | Readable, size: number): AsyncGenerator<Uint8Array> {
  if (body instanceof Uint8Array) {
    for (let off = 0; off < body.length; off += size) yield body.subarray(off, Math.min(off + size, body.length));
    return;
  }
  let parts: Buffer[] = [];
  let have = 0;
  for await (const c of body) {
    let b = c as Buffer;
    while (have + b.length >= size) {
      const take = size - have;
      parts.push(b.subarray(0, take));
      yield parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
      parts = [];
      have = 0;
      b = b.subarray(take);
    }
    if (b.length) {
      parts.push(b);
      have += b.length;
    }
  }
  if (have) yield Buffer.concat(parts, have);
}

export interface BlobRead {
  status: number;
  /** Body bytes received. */
  bytes: number;
  ttfbMs: number;
  /** Content-Range of a 206 answer. */
  contentRange?: string;
}

/**
 * GET a blob and stream the body away, hashing it on the way when `verify` (the default): a body
 * whose digest differs from the one asked for throws DigestMismatchError. With `range` the answer
 * may be 206 (part) or 200 (whole blob: the registry ignored Range, which is allowed); a 200 body is
 * verified, a 206 part is checked by length, and against `expect` (the bytes of that range) if given.
 */
export async function readBlob(
  client: RegistryClient,
  repo: string,
  digest: string,
  opts: { verify?: boolean; range?: { start: number; end: number }; headFirst?: boolean; expect?: Uint8Array } = {},
): Promise<BlobRead> {
  const path = `/v2/${repo}/blobs/${digest}`;
  if (opts.headFirst) {
    const head = await client.request({ method: 'HEAD', path });
    await ensureStatus(head, [200], 'blob HEAD');
    await head.dump();
  }
  const res = await client.request({ method: 'GET', path, ...(opts.range ? { headers: { range: `bytes=${opts.range.start}-${opts.range.end}` } } : {}) });
  await ensureStatus(res, opts.range ? [200, 206] : [200], 'blob GET');
  const verify = (opts.verify ?? true) && res.status === 200;
  const alg = digest.slice(0, digest.indexOf(':'));
  const hasher = verify && (alg === 'sha256' || alg === 'sha512') ? streamDigester(alg, Number(res.header('content-length'))) : undefined;
  // A 206 part is compared with the bytes expected at that offset, when the caller knows them.
  const expect = res.status === 206 ? opts.expect : undefined;
  let n = 0;
  let same = true;
  try {
    for await (const c of res.body) {
      const b = c as Buffer;
      if (expect && same) same = n + b.length <= expect.length && Buffer.compare(b, expect.subarray(n, n + b.length)) === 0;
      n += b.length;
      const wait = hasher?.update(b);
      if (wait) await wait;
    }
  } catch (err) {
    hasher?.abort();
    throw err;
  }
  if (expect && (!same || n !== expect.length)) {
    hasher?.abort();
    throw new DigestMismatchError(res.requestLine, `bytes ${opts.range!.start}-${opts.range!.end} of ${digest}`, 'different bytes');
  }
  if (hasher) {
    const got = await hasher.digest();
    if (got !== digest) throw new DigestMismatchError(res.requestLine, digest, got);
  }
  if (res.status === 206 && opts.range && n !== opts.range.end - opts.range.start + 1) {
    throw new OperationError(`range GET returned ${n} bytes for ${opts.range.end - opts.range.start + 1} asked`, res, '');
  }
  const contentRange = res.header('content-range');
  return { status: res.status, bytes: n, ttfbMs: res.ttfbMs, ...(contentRange ? { contentRange } : {}) };
}

/** HEAD a manifest (end-3); returns its announced digest, size and type. */
export async function headManifest(client: RegistryClient, repo: string, reference: string): Promise<{ digest: string | undefined; size: number; mediaType: string | undefined; ttfbMs: number }> {
  const res = await client.request({ method: 'HEAD', path: `/v2/${repo}/manifests/${reference}`, headers: { accept: ACCEPT_MANIFESTS } });
  await ensureStatus(res, [200], 'manifest HEAD');
  await res.dump();
  return { digest: res.header('docker-content-digest'), size: Number(res.header('content-length') ?? -1), mediaType: res.header('content-type'), ttfbMs: res.ttfbMs };
}

/**
 * GET a manifest and check its bytes: by digest they must hash to that digest; by tag they must hash
 * to the Docker-Content-Digest the registry announced, when it announced one (DigestMismatchError).
 */
export async function fetchManifestVerified(client: RegistryClient, repo: string, reference: string): Promise<{ bytes: Buffer; digest: string; mediaType: string | undefined; ttfbMs: number }> {
  const res = await client.request({ method: 'GET', path: `/v2/${repo}/manifests/${reference}`, headers: { accept: ACCEPT_MANIFESTS } });
  await ensureStatus(res, [200], 'manifest GET');
  const bytes = await res.bytes(16 * 1024 * 1024);
  const byDigest = reference.includes(':');
  const expected = byDigest ? reference : res.header('docker-content-digest');
  const alg: DigestAlgorithm = expected?.startsWith('sha512:') ? 'sha512' : 'sha256';
  const actual = digestOf(bytes, alg);
  if (expected && expected !== actual) throw new DigestMismatchError(res.requestLine, expected, actual);
  return { bytes, digest: actual, mediaType: res.header('content-type'), ttfbMs: res.ttfbMs };
}

/** The `next` URL of an RFC 5988 Link header (`<url>; rel="next"`), if any. */
export function nextLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  const m = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(link);
  return m ? m[1] : undefined;
}

/** One page of a tag list (end-8a/8b); `path` continues from a previous page's `next`. */
export async function listTagsPage(client: RegistryClient, repo: string, opts: { n?: number; last?: string; path?: string } = {}): Promise<{ tags: string[]; next: string | undefined; bytes: number; ttfbMs: number }> {
  const res = opts.path
    ? await client.request({ method: 'GET', path: opts.path })
    : await client.request({ method: 'GET', path: `/v2/${repo}/tags/list`, query: { n: opts.n, last: opts.last } });
  await ensureStatus(res, [200], 'tag list');
  const body = await res.bytes(64 * 1024 * 1024);
  const json = JSON.parse(body.toString('utf8')) as { tags?: string[] | null };
  return { tags: json.tags ?? [], next: nextLink(res.header('link')), bytes: body.length, ttfbMs: res.ttfbMs };
}

/** One page of the catalog (/v2/_catalog: not in the OCI spec, but most registries serve it). */
export async function listCatalogPage(client: RegistryClient, opts: { n?: number; path?: string } = {}): Promise<{ repositories: string[]; next: string | undefined; bytes: number; ttfbMs: number }> {
  const res = opts.path ? await client.request({ method: 'GET', path: opts.path }) : await client.request({ method: 'GET', path: '/v2/_catalog', query: { n: opts.n } });
  await ensureStatus(res, [200], 'catalog');
  const body = await res.bytes(64 * 1024 * 1024);
  const json = JSON.parse(body.toString('utf8')) as { repositories?: string[] | null };
  return { repositories: json.repositories ?? [], next: nextLink(res.header('link')), bytes: body.length, ttfbMs: res.ttfbMs };
}

/** The referrers index of a subject (end-12a); 404 means no referrers API. */
export async function getReferrers(client: RegistryClient, repo: string, digest: string, artifactType?: string): Promise<{ manifests: Array<Record<string, unknown>>; bytes: number; ttfbMs: number }> {
  const res = await client.request({ method: 'GET', path: `/v2/${repo}/referrers/${digest}`, query: { artifactType } });
  await ensureStatus(res, [200], 'referrers');
  const body = await res.bytes(64 * 1024 * 1024);
  const json = JSON.parse(body.toString('utf8')) as { manifests?: Array<Record<string, unknown>> };
  return { manifests: json.manifests ?? [], bytes: body.length, ttfbMs: res.ttfbMs };
}

/** GET /v2/ (end-1): 200 when the registry is there and the credentials are good. */
export async function ping(client: RegistryClient): Promise<{ ttfbMs: number }> {
  const res = await client.request({ method: 'GET', path: '/v2/' });
  await ensureStatus(res, [200], 'ping');
  await res.dump();
  return { ttfbMs: res.ttfbMs };
}
