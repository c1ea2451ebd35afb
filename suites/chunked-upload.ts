// Chunked upload: POST, PATCH chunks with Content-Range, close with PUT. The headers on every step,
// the 416 rules for chunks out of order, the status GET, the last chunk in the PUT, the registry's
// minimum chunk size, cancel (draft) and sessions that do not exist. Every case opens its own session.
import type { CaseContext, CaseDefinition, Requirement, Suite } from '../src/conformance/model.js';
import type { RegistryResponse } from '../src/client/registry-client.js';
import { tryDelete } from '../src/client/operations.js';
import { uniqueBytes } from '../src/conformance/fixtures.js';
import { expectHeader, expectStatus, expectThat, fail } from '../src/conformance/expect.js';
import { expectBytes } from '../src/conformance/content-checks.js';
import { digestOf } from '../src/oci/digest.js';
import { trackBlob } from './common/content.js';
import { checkErrorBody } from './common/error-body.js';

// ---- requirements, worded as the spec words them ----
const PATCH_202: Requirement = { ref: 'end-5', level: 'MUST', text: 'The response for each successful chunk upload MUST be 202 Accepted, and MUST have the following headers: Location: <blob-push-location>, Range: 0-<end-of-range>' };
const CLOSE_201: Requirement = { ref: 'end-6', level: 'MUST', text: 'The response to a successful closing of the session MUST be 201 Created, and MUST contain the following header: Location: <blob-location>' };
const OUT_OF_ORDER_416: Requirement = { ref: 'end-5', level: 'MUST', text: 'Chunks MUST be uploaded in order ... If a chunk is uploaded out of order, the registry MUST respond with a 416 Requested Range Not Satisfiable code.' };
const STATUS_204: Requirement = { ref: 'end-13', level: 'MUST', text: 'The response to an active upload <blob-push-location> MUST be a 204 No Content response code, and MUST have the following headers: Location, Range: 0-<end-of-range>' };
const FINAL_IN_PUT: Requirement = { ref: 'end-6', level: 'MUST', text: 'The final chunk MAY be uploaded using a PATCH request or it MAY be uploaded in the closing PUT request. Regardless of how the final chunk is uploaded, the session MUST be closed with a PUT request.' };
const NEXT_LOCATION: Requirement = { ref: 'end-5', level: 'SHOULD', text: 'Each consecutive chunk upload SHOULD use the <blob-push-location> provided in the response to the previous chunk upload.' };
const ANY_EARLIER_LOCATION: Requirement = { ref: 'end-13', level: 'MUST', text: 'The response to an active upload <blob-push-location> MUST be a 204 No Content, where the <blob-push-location> refers to the URL obtained from any preceding POST or PATCH request.' };
const CANCEL_204: Requirement = { ref: 'end-14', level: 'SHOULD', text: 'If successful, the response SHOULD be a 204 No Content response code.' };
const CANCELLED_404: Requirement = { ref: 'end-13', level: 'SHOULD', text: 'Endpoint table: GET <blob-push-location> fails with 404 for a session that is not active (a table, not a MUST sentence).' };
const UNKNOWN_SESSION_404: Requirement = { ref: 'end-5, end-6, end-13', level: 'SHOULD', text: 'Endpoint table: PATCH, PUT and GET of <blob-push-location> fail with 404 when the session is unknown (a table, not a MUST sentence).' };
const UPLOAD_UNKNOWN_CODE: Requirement = { ref: 'code-3', level: 'SHOULD', text: 'BLOB_UPLOAD_UNKNOWN: blob upload unknown to registry (the table\'s code; the MUST is only that a code is one of the table)' };

/** Largest minimum chunk size this suite will honour; keeps every upload small and bounded. */
const MAX_CHUNK = 16 * 1024 * 1024;
/** Chunk size used when the registry asks for no minimum. */
const DEFAULT_CHUNK = 4096;

interface Session {
  location: string;
  /** OCI-Chunk-Min-Length from the POST response, 0 when absent. */
  minChunk: number;
}

/** POST to open a session; registers its cancel (best effort) for teardown. */
async function openSession(ctx: CaseContext, repo: string = ctx.repo): Promise<Session> {
  const res = await ctx.client.request({ method: 'POST', path: `/v2/${repo}/blobs/uploads/`, headers: { 'content-length': '0' } });
  await expectStatus(res, 202, 'POST to open an upload session');
  const location = expectHeader(res, 'location', undefined, 'POST to open an upload session');
  const raw = res.header('oci-chunk-min-length');
  await res.dump();
  let minChunk = 0;
  if (raw !== undefined) {
    minChunk = Number(raw.trim());
    if (!/^\d+$/.test(raw.trim()) || minChunk <= 0) fail('OCI-Chunk-Min-Length to be a positive number of bytes', `OCI-Chunk-Min-Length: ${raw}`, res);
  }
  ctx.onCleanup(async () => {
    await tryDelete(ctx.client, location);
  });
  return { location, minChunk };
}

/** The chunk size to use in a session: the registry's minimum when it has one. */
function chunkSizeFor(ctx: CaseContext, s: Session): number {
  if (s.minChunk > MAX_CHUNK) ctx.skip('unsupported', `OCI-Chunk-Min-Length ${s.minChunk} is larger than the ${MAX_CHUNK} bytes this suite uploads per chunk`);
  return Math.max(s.minChunk, DEFAULT_CHUNK);
}

async function patchChunk(ctx: CaseContext, location: string, chunk: Uint8Array, start: number): Promise<RegistryResponse> {
  return ctx.client.request({
    method: 'PATCH',
    path: location,
    headers: {
      'content-type': 'application/octet-stream',
      'content-range': `${start}-${start + chunk.length - 1}`,
      'content-length': String(chunk.length),
    },
    body: chunk,
  });
}

/**
 * A PATCH that must be accepted: 202 with Location; returns the Location for the next request. `why`,
 * when given, says in a failure why this chunk's size must be taken.
 */
async function acceptedChunk(ctx: CaseContext, location: string, data: Uint8Array, start: number, end: number, why?: string): Promise<{ location: string; res: RegistryResponse }> {
  const res = await patchChunk(ctx, location, data.subarray(start, end), start);
  if (why !== undefined && res.status !== 202) {
    const text = await res.text(64 * 1024).catch(() => '');
    fail(`PATCH chunk ${start}-${end - 1} of ${end - start} bytes: 202 (${why})`, `status ${res.status}`, res, text);
  }
  await expectStatus(res, 202, `PATCH chunk ${start}-${end - 1}`);
  const next = expectHeader(res, 'location', undefined, `PATCH chunk ${start}-${end - 1}`);
  await res.dump();
  return { location: next, res };
}

/** Range must be exactly `0-<end>`. */
function expectRange(res: RegistryResponse, end: number, what: string): void {
  expectHeader(res, 'range', (v) => v.trim() === `0-${end}`, `${what}: Range 0-${end}`);
}

async function closeSession(ctx: CaseContext, location: string, digest: string, finalChunk?: { data: Uint8Array; start: number }): Promise<RegistryResponse> {
  const headers: Record<string, string> = { 'content-length': String(finalChunk?.data.length ?? 0) };
  if (finalChunk) {
    headers['content-type'] = 'application/octet-stream';
    headers['content-range'] = `${finalChunk.start}-${finalChunk.start + finalChunk.data.length - 1}`;
  }
  return ctx.client.request({ method: 'PUT', path: location, query: { digest }, headers, ...(finalChunk ? { body: finalChunk.data } : {}) });
}

/**
 * Closes the session with PUT ?digest= (carrying `finalChunk` when given), which must answer 201 (`what`
 * names it in a failure); with `location`, the 201 must carry a Location; with `stored`, the blob must
 * then be served exactly.
 */
async function closeAccepted(
  ctx: CaseContext,
  location: string,
  u: Upload,
  c: { what: string; finalChunk?: { data: Uint8Array; start: number }; location?: string; stored?: string },
): Promise<void> {
  const put = await closeSession(ctx, location, u.digest, c.finalChunk);
  await expectStatus(put, 201, c.what);
  if (c.location !== undefined) expectHeader(put, 'location', undefined, c.location);
  await put.dump();
  if (c.stored !== undefined) await expectBlob(ctx, u.digest, u.data, c.stored);
}

async function expectBlob(ctx: CaseContext, digest: string, bytes: Uint8Array, what: string): Promise<void> {
  const res = await ctx.client.request({ method: 'GET', path: `/v2/${ctx.repo}/blobs/${digest}` });
  await expectStatus(res, 200, `${what}: GET the blob`);
  await expectBytes(res, bytes, `${what}: GET the blob`);
}

/** A blob of `chunks` chunks of the session's size, the last one shorter. */
function blobFor(size: number, chunks: number): Buffer {
  return uniqueBytes(size * (chunks - 1) + Math.max(1, Math.floor(size / 3)));
}

/** An open session with the blob a case sends through it. */
interface Upload extends Session {
  /** Bytes per chunk (the registry's minimum, else DEFAULT_CHUNK). */
  size: number;
  data: Buffer;
  digest: string;
}

/**
 * Opens a session and makes a blob of `chunks` chunks of its chunk size. `track`: the case may store
 * the blob, so it is deleted at cleanup.
 */
async function newUpload(ctx: CaseContext, chunks: number, track = false): Promise<Upload> {
  const s = await openSession(ctx);
  const size = chunkSizeFor(ctx, s);
  const data = blobFor(size, chunks);
  const digest = digestOf(data);
  if (track) trackBlob(ctx, ctx.repo, digest);
  return { ...s, size, data, digest };
}

/** PATCHes every chunk of the blob in order (each must be accepted); returns the Location for the PUT. */
async function sendChunks(
  ctx: CaseContext,
  u: Upload,
  each?: (res: RegistryResponse, start: number, end: number, location: string) => void,
  why?: string,
): Promise<string> {
  let location = u.location;
  for (let start = 0; start < u.data.length; start += u.size) {
    const end = Math.min(start + u.size, u.data.length);
    const r = await acceptedChunk(ctx, location, u.data, start, end, why);
    location = r.location;
    each?.(r.res, start, end, location);
  }
  return location;
}

/**
 * A row of the 416 family: after the first chunk is accepted, `send` puts bytes where they do not
 * belong (`what` says which, for the report); the registry must answer 416.
 */
interface MisplacedChunk extends Omit<CaseDefinition, 'run'> {
  /** The PUT may store the blob: delete it at cleanup. */
  track?: boolean;
  send(ctx: CaseContext, u: Upload, location: string): Promise<RegistryResponse>;
  what(u: Upload): string;
}

function misplacedChunk(row: MisplacedChunk): CaseDefinition {
  const { send, what, track, ...meta } = row;
  return {
    ...meta,
    async run(ctx) {
      const u = await newUpload(ctx, 3, track);
      const { location } = await acceptedChunk(ctx, u.location, u.data, 0, u.size);
      const res = await send(ctx, u, location);
      await expectStatus(res, 416, what(u));
      await res.dump();
    },
  };
}

/** The third (last) chunk, as closeSession sends it in the PUT. */
function lastChunk(u: Upload): { data: Uint8Array; start: number } {
  return { data: u.data.subarray(2 * u.size), start: 2 * u.size };
}

/** The third chunk sent where the second belongs. */
function skipSecond(ctx: CaseContext, u: Upload, location: string): Promise<RegistryResponse> {
  return patchChunk(ctx, location, u.data.subarray(2 * u.size), 2 * u.size);
}

const cases: CaseDefinition[] = [
  {
    id: 'chunked-upload.chunks.several',
    title: 'A blob sent as three PATCH chunks with Content-Range (each 202) and closed by PUT ?digest= (201) is stored exactly.',
    requirements: [PATCH_202, CLOSE_201],
    async run(ctx) {
      const u = await newUpload(ctx, 3, true);
      const location = await sendChunks(ctx, u);
      await closeAccepted(ctx, location, u, { what: 'PUT ?digest= closing a chunked upload', location: 'PUT closing a chunked upload' });
      ctx.observe('chunk-size', u.size);
      await expectBlob(ctx, u.digest, u.data, 'chunked upload');
    },
  },
  {
    id: 'chunked-upload.chunks.range-header',
    title: 'Every 202 to a chunk carries Range: 0-<end>, where end is the last byte received so far.',
    requirements: [PATCH_202, { ref: 'end-5', level: 'MUST', text: 'The 202 MUST have the header Range: 0-<end-of-range>, and the <end-of-range> value is the position of the last uploaded byte of the blob.' }],
    async run(ctx) {
      const u = await newUpload(ctx, 3);
      await sendChunks(ctx, u, (res, start, end) => expectRange(res, end - 1, `PATCH chunk ${start}-${end - 1}`));
    },
  },
  {
    id: 'chunked-upload.chunks.location-header',
    title: 'Every 202 to a chunk carries a Location that takes the next chunk.',
    requirements: [PATCH_202, NEXT_LOCATION],
    async run(ctx) {
      const u = await newUpload(ctx, 3);
      const seen = new Set<string>();
      // acceptedChunk fails the case when a Location is missing; each is used for the next chunk.
      await sendChunks(ctx, u, (_res, _start, _end, location) => {
        seen.add(new URL(location, 'http://relative.invalid').origin === 'http://relative.invalid' ? 'relative' : 'absolute');
      });
      ctx.observe('location-form', [...seen].join('+'));
    },
  },
  {
    id: 'chunked-upload.status.get',
    title: 'A GET of an active session answers 204 with its Location and Range: 0-<last byte received>.',
    requirements: [STATUS_204],
    async run(ctx) {
      const u = await newUpload(ctx, 3);
      let location = u.location;
      ({ location } = await acceptedChunk(ctx, location, u.data, 0, u.size));
      ({ location } = await acceptedChunk(ctx, location, u.data, u.size, 2 * u.size));
      const res = await ctx.client.request({ method: 'GET', path: location });
      await expectStatus(res, 204, 'GET of an active upload session');
      expectHeader(res, 'location', undefined, 'GET of an active upload session');
      expectRange(res, 2 * u.size - 1, 'GET of an active upload session');
      await res.dump();
    },
  },
  {
    id: 'chunked-upload.status.earlier-location',
    title: 'A GET of an active session by the Location its POST answered, after a chunk was accepted, answers 204 with Range: 0-<last byte received>.',
    requirements: [STATUS_204, ANY_EARLIER_LOCATION],
    async run(ctx) {
      const u = await newUpload(ctx, 2);
      const { location } = await acceptedChunk(ctx, u.location, u.data, 0, u.size);
      // Where each PATCH answers a new Location (distribution puts upload state in it), the POST's is still one.
      ctx.observe('location-after-patch', location === u.location ? 'unchanged' : 'changed');
      const res = await ctx.client.request({ method: 'GET', path: u.location });
      await expectStatus(res, 204, 'GET of the session by the POST\'s Location after one accepted PATCH');
      expectRange(res, u.size - 1, 'GET of the session by the POST\'s Location');
      await res.dump();
    },
  },
  misplacedChunk({
    id: 'chunked-upload.order.out-of-order-416',
    title: 'A chunk whose first byte is not the byte after the last one received answers 416.',
    requirements: [OUT_OF_ORDER_416],
    send: skipSecond,
    what: (u) => `PATCH chunk ${2 * u.size}-${u.data.length - 1} after 0-${u.size - 1} (bytes ${u.size}-${2 * u.size - 1} skipped)`,
  }),
  misplacedChunk({
    id: 'chunked-upload.order.retried-chunk-416',
    title: 'Sending a chunk again after it was accepted answers 416.',
    requirements: [OUT_OF_ORDER_416],
    send: (ctx, u, location) => patchChunk(ctx, location, u.data.subarray(0, u.size), 0),
    what: (u) => `PATCH chunk 0-${u.size - 1} a second time`,
  }),
  {
    id: 'chunked-upload.order.usable-after-416',
    title: 'After a 416 the session still works: GET gives the offset, the right next chunk is accepted and the blob completes exactly.',
    requirements: [OUT_OF_ORDER_416, STATUS_204, CLOSE_201],
    dependsOn: ['chunked-upload.order.out-of-order-416'],
    async run(ctx) {
      const u = await newUpload(ctx, 3, true);
      const first = await acceptedChunk(ctx, u.location, u.data, 0, u.size);
      const wrong = await skipSecond(ctx, u, first.location);
      await expectStatus(wrong, 416, 'PATCH of a chunk out of order');
      await wrong.dump();
      const status = await ctx.client.request({ method: 'GET', path: first.location });
      await expectStatus(status, 204, 'GET of the session after a 416');
      expectRange(status, u.size - 1, 'GET of the session after a 416');
      let location = expectHeader(status, 'location', undefined, 'GET of the session after a 416');
      await status.dump();
      ({ location } = await acceptedChunk(ctx, location, u.data, u.size, 2 * u.size));
      ({ location } = await acceptedChunk(ctx, location, u.data, 2 * u.size, u.data.length));
      await closeAccepted(ctx, location, u, { what: 'PUT closing the session after a 416', stored: 'upload completed after a 416' });
    },
  },
  {
    id: 'chunked-upload.final.chunk-in-put',
    title: 'The last chunk can be sent in the closing PUT (with Content-Range), which answers 201 and stores the whole blob.',
    requirements: [FINAL_IN_PUT, CLOSE_201],
    async run(ctx) {
      const u = await newUpload(ctx, 3, true);
      let location = u.location;
      ({ location } = await acceptedChunk(ctx, location, u.data, 0, u.size));
      ({ location } = await acceptedChunk(ctx, location, u.data, u.size, 2 * u.size));
      await closeAccepted(ctx, location, u, { what: 'PUT ?digest= carrying the last chunk', finalChunk: lastChunk(u), location: 'PUT carrying the last chunk', stored: 'last chunk in the PUT' });
    },
  },
  misplacedChunk({
    id: 'chunked-upload.final.out-of-order-416',
    title: 'A closing PUT whose last chunk does not start right after the bytes received answers 416.',
    requirements: [{ ref: 'end-6', level: 'MUST', text: 'If the final chunk is uploaded out of order, the registry MUST respond with a 416 Requested Range Not Satisfiable code.' }],
    since: 'draft',
    track: true,
    send: (ctx, u, location) => closeSession(ctx, location, u.digest, lastChunk(u)),
    what: (u) => `PUT with the last chunk ${2 * u.size}-${u.data.length - 1} after 0-${u.size - 1} (bytes skipped)`,
  }),
  {
    id: 'chunked-upload.final.digest-mismatch',
    title: 'A closing PUT whose ?digest= does not match the chunks received answers 400 and stores nothing under either digest.',
    requirements: [
      {
        ref: 'Pushing blobs',
        level: 'SHOULD',
        text: 'If the client provided digest is invalid or uses an unsupported algorithm, the registry SHOULD respond with a response code 400 Bad Request.',
      },
      { ref: 'code-4', level: 'SHOULD', text: 'DIGEST_INVALID: provided digest did not match uploaded content' },
    ],
    async run(ctx) {
      const u = await newUpload(ctx, 2, true);
      const claimed = digestOf(uniqueBytes(32));
      trackBlob(ctx, ctx.repo, claimed);
      const location = await sendChunks(ctx, u);
      const put = await closeSession(ctx, location, claimed);
      await expectStatus(put, 400, 'PUT closing a chunked upload with a digest that does not match');
      await checkErrorBody(ctx, put, ['DIGEST_INVALID'], { allowNonJson: true });
      for (const d of [claimed, u.digest]) {
        const head = await ctx.client.request({ method: 'HEAD', path: `/v2/${ctx.repo}/blobs/${d}` });
        await head.dump();
        expectThat(head.status === 404, `HEAD ${d} after the refused close: 404 (nothing stored)`, `status ${head.status}`, head);
      }
    },
  },
  {
    id: 'chunked-upload.min-length.honoured',
    title: 'Chunks of the size the POST advertised in OCI-Chunk-Min-Length (or of any size when none is advertised) are accepted.',
    requirements: [
      { ref: 'end-4a', level: 'SHOULD', text: 'If the registry has a minimum chunk size, the POST response SHOULD include the following header: OCI-Chunk-Min-Length: <size>' },
      PATCH_202,
    ],
    async run(ctx) {
      const s = await openSession(ctx);
      ctx.observe('oci-chunk-min-length', s.minChunk || 'none');
      // Exactly the advertised minimum, or small chunks when there is none: either must be taken.
      const size = s.minChunk > 0 ? chunkSizeFor(ctx, s) : 1024;
      const data = uniqueBytes(size * 2 + 100);
      const u: Upload = { ...s, size, data, digest: digestOf(data) };
      trackBlob(ctx, ctx.repo, u.digest);
      const why = s.minChunk ? `the advertised minimum is ${s.minChunk}` : 'no minimum was advertised';
      const location = await sendChunks(ctx, u, undefined, why);
      await closeAccepted(ctx, location, u, { what: 'PUT closing the upload' });
    },
  },
  {
    id: 'chunked-upload.cancel.delete',
    title: 'DELETE of an active session cancels it (204), after which the session answers 404.',
    requirements: [CANCEL_204, CANCELLED_404],
    since: 'draft',
    async run(ctx) {
      const u = await newUpload(ctx, 2);
      const { location } = await acceptedChunk(ctx, u.location, u.data, 0, u.size);
      const del = await ctx.client.request({ method: 'DELETE', path: location, headers: { 'content-length': '0' } });
      // 400 is among end-14's listed failures and 204 is only a SHOULD: a refusal means not offered.
      if (del.status === 400 || del.status === 405 || del.status === 501) {
        await del.dump();
        ctx.observe('upload-cancel', `refused (${del.status})`);
        ctx.skip('unsupported', `cancelling an upload is not offered: DELETE of the session answered ${del.status}`);
      }
      await expectStatus(del, 204, 'DELETE of an active upload session');
      await del.dump();
      const get = await ctx.client.request({ method: 'GET', path: location });
      await expectStatus(get, 404, 'GET of a cancelled upload session');
      await checkErrorBody(ctx, get, ['BLOB_UPLOAD_UNKNOWN'], { allowNonJson: true });
    },
  },
  {
    id: 'chunked-upload.session.unknown',
    title: 'GET, PATCH and PUT to a session that was already closed answer 404 (BLOB_UPLOAD_UNKNOWN when the body is JSON).',
    requirements: [UNKNOWN_SESSION_404, UPLOAD_UNKNOWN_CODE],
    async run(ctx) {
      const s = await openSession(ctx);
      const data = uniqueBytes(700);
      const digest = digestOf(data);
      trackBlob(ctx, ctx.repo, digest);
      const put = await ctx.client.request({
        method: 'PUT',
        path: s.location,
        query: { digest },
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(data.length) },
        body: data,
      });
      await expectStatus(put, 201, 'PUT completing the session');
      await put.dump();
      const more = uniqueBytes(100);
      const attempts: Array<[string, () => Promise<RegistryResponse>]> = [
        ['GET', () => ctx.client.request({ method: 'GET', path: s.location })],
        ['PATCH', () => patchChunk(ctx, s.location, more, data.length)],
        ['PUT', () => closeSession(ctx, s.location, digestOf(more), { data: more, start: data.length })],
      ];
      for (const [method, send] of attempts) {
        const res = await send();
        await expectStatus(res, 404, `${method} of a session that was already closed`);
        await checkErrorBody(ctx, res, ['BLOB_UPLOAD_UNKNOWN'], { allowNonJson: true });
      }
    },
  },
];

export const chunkedUploadSuite: Suite = {
  workflow: 'chunked-upload',
  title: 'Chunked blob upload',
  cases,
};
