// The requests of a blob upload that cases send to judge the answer: each returns the response
// undrained, whatever its status (src/client/operations.ts has the ones that must succeed).
import type { CaseContext, RegistryResponse } from '../../src/conformance/model.js';
import { tryDelete } from '../../src/client/operations.js';

const OCTETS = 'application/octet-stream';

/** Cancels an upload session at cleanup (best effort; DELETE of a session is end-14, a draft addition). */
export function cancelLater(ctx: CaseContext, location: string): void {
  ctx.onCleanup(async () => {
    await tryDelete(ctx.client, location);
  });
}

/** A POST that was meant to store or refuse may instead have opened a session (202 with Location): cancel it. */
export function cancelIfOpened(ctx: CaseContext, res: RegistryResponse): void {
  const location = res.header('location');
  if (res.status === 202 && location) cancelLater(ctx, location);
}

/** PUT <location>?digest= with `body`: completes an upload (the whole blob, or its last chunk). */
export function putBlob(ctx: CaseContext, location: string, digest: string, body: Uint8Array): Promise<RegistryResponse> {
  return ctx.client.request({
    method: 'PUT',
    path: location,
    query: { digest },
    headers: { 'content-type': OCTETS, 'content-length': String(body.length) },
    body,
  });
}

/** PUT <location>?digest= without a body: closes an upload whose bytes were all PATCHed. */
export function closeUpload(ctx: CaseContext, location: string, digest: string): Promise<RegistryResponse> {
  return ctx.client.request({ method: 'PUT', path: location, query: { digest }, headers: { 'content-length': '0' } });
}

/** The single POST ?digest= with the blob (end-4b): 201 where offered, else a 202 session. */
export function postBlob(ctx: CaseContext, repo: string, digest: string, body: Uint8Array): Promise<RegistryResponse> {
  return ctx.client.request({
    method: 'POST',
    path: `/v2/${repo}/blobs/uploads/`,
    query: { digest },
    headers: { 'content-type': OCTETS, 'content-length': String(body.length) },
    body,
  });
}

/** PATCH of one chunk with Content-Range `range` (which may disagree with the body, on purpose). */
export function patchChunk(ctx: CaseContext, location: string, range: string, body: Uint8Array): Promise<RegistryResponse> {
  return ctx.client.request({
    method: 'PATCH',
    path: location,
    headers: { 'content-type': OCTETS, 'content-range': range, 'content-length': String(body.length) },
    body,
  });
}

/** PATCH of a whole blob as one stream: no Content-Range (the streamed upload). */
export function patchStreamed(ctx: CaseContext, location: string, body: Uint8Array): Promise<RegistryResponse> {
  return ctx.client.request({ method: 'PATCH', path: location, headers: { 'content-type': OCTETS }, body });
}
