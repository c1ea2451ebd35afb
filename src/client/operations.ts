// Registry operations over RegistryClient, shared by suites (as preconditions) and benchmarks (as
// the measured work): the ways to upload a blob, and putting and fetching manifests.
import type { Readable } from 'node:stream';
import type { RegistryClient, RegistryResponse, RequestBody } from './registry-client.js';
import { digestOf, type DigestAlgorithm } from '../oci/digest.js';

/** An operation got an answer the protocol does not allow; carries the exchange for messages. */
export class OperationError extends Error {
  readonly status: number;
  readonly requestLine: string;
  readonly bodyStart: string;
  constructor(what: string, res: RegistryResponse, bodyStart: string) {
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
  const digest = digestOf(data);
  const { location, res: post } = await startUpload(client, repo);
  const min = Number(post.header('oci-chunk-min-length') ?? 0);
  const size = Math.max(chunkSize, Number.isFinite(min) ? min : 0, 1);
  let loc = location;
  let offset = 0;
  let chunks = 0;
  while (offset < data.length) {
    const end = Math.min(offset + size, data.length);
    const chunk = data.subarray(offset, end);
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
  const put = await client.request({ method: 'PUT', path: loc, query: { digest }, headers: { 'content-length': '0' } });
  await ensureStatus(put, [201], 'complete chunked upload');
  await put.dump();
  return { digest, size: data.length, chunks };
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
