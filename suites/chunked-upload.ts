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
const PATCH_202: Requirement = {
  ref: 'end-5',
  level: 'MUST',
  text: 'The response for each successful chunk upload MUST be 202 Accepted, and MUST have the following headers: Location: <blob-push-location>, Range: 0-<end-of-range>',
};
const CLOSE_201: Requirement = {
  ref: 'end-6',
  level: 'MUST',
  text: 'The response to a successful closing of the session MUST be 201 Created, and MUST contain the following header: Location: <blob-location>',
};
const OUT_OF_ORDER_416: Requirement = {
  ref: 'end-5',
  level: 'MUST',
  text: 'Chunks MUST be uploaded in order ... If a chunk is uploaded out of order, the registry MUST respond with a 416 Requested Range Not Satisfiable code.',
};
const STATUS_204: Requirement = {
  ref: 'end-13',
  level: 'MUST',
  text: 'The response to an active upload <blob-push-location> MUST be a 204 No Content response code, and MUST have the following headers: Location, Range: 0-<end-of-range>',
};
const FINAL_IN_PUT: Requirement = {
  ref: 'end-6',
  level: 'MUST',
  text: 'The final chunk MAY be uploaded using a PATCH request or it MAY be uploaded in the closing PUT request. Regardless of how the final chunk is uploaded, the session MUST be closed with a PUT request.',
};

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

/** A PATCH that must be accepted: 202 with Location; returns the Location for the next request. */
async function acceptedChunk(ctx: CaseContext, location: string, data: Uint8Array, start: number, end: number): Promise<{ location: string; res: RegistryResponse }> {
  const res = await patchChunk(ctx, location, data.subarray(start, end), start);
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

async function expectBlob(ctx: CaseContext, digest: string, bytes: Uint8Array, what: string): Promise<void> {
  const res = await ctx.client.request({ method: 'GET', path: `/v2/${ctx.repo}/blobs/${digest}` });
  await expectStatus(res, 200, `${what}: GET the blob`);
  await expectBytes(res, bytes, `${what}: GET the blob`);
}

/** A blob of `chunks` chunks of the session's size, the last one shorter. */
function blobFor(size: number, chunks: number): Buffer {
  return uniqueBytes(size * (chunks - 1) + Math.max(1, Math.floor(size / 3)));
}

const cases: CaseDefinition[] = [
  {
    id: 'chunked-upload.chunks.several',
    title: 'A blob sent as three PATCH chunks with Content-Range (each 202) and closed by PUT ?digest= (201) is stored exactly.',
    requirements: [PATCH_202, CLOSE_201],
    async run(ctx) {
      const s = await openSession(ctx);
      const size = chunkSizeFor(ctx, s);
      const data = blobFor(size, 3);
      const digest = digestOf(data);
      trackBlob(ctx, ctx.repo, digest);
      let location = s.location;
      for (let start = 0; start < data.length; start += size) {
        ({ location } = await acceptedChunk(ctx, location, data, start, Math.min(start + size, data.length)));
      }
      const put = await closeSession(ctx, location, digest);
      await expectStatus(put, 201, 'PUT ?digest= closing a chunked upload');
      expectHeader(put, 'location', undefined, 'PUT closing a chunked upload');
      await put.dump();
      ctx.observe('chunk-size', size);
      await expectBlob(ctx, digest, data, 'chunked upload');
    },
  },
  {
    id: 'chunked-upload.chunks.range-header',
    title: 'Every 202 to a chunk carries Range: 0-<end>, where end is the last byte received so far.',
    requirements: [PATCH_202, { ref: 'end-5', level: 'MUST', text: 'The 202 MUST have the header Range: 0-<end-of-range>, and the <end-of-range> value is the position of the last uploaded byte of the blob.' }],
    async run(ctx) {
      const s = await openSession(ctx);
      const size = chunkSizeFor(ctx, s);
      const data = blobFor(size, 3);
      let location = s.location;
      for (let start = 0; start < data.length; start += size) {
        const end = Math.min(start + size, data.length);
        const r = await acceptedChunk(ctx, location, data, start, end);
        expectRange(r.res, end - 1, `PATCH chunk ${start}-${end - 1}`);
        location = r.location;
      }
    },
  },
  {
    id: 'chunked-upload.chunks.location-header',
    title: 'Every 202 to a chunk carries a Location that takes the next chunk.',
    requirements: [
      PATCH_202,
      { ref: 'end-5', level: 'SHOULD', text: 'Each consecutive chunk upload SHOULD use the <blob-push-location> provided in the response to the previous chunk upload.' },
    ],
    async run(ctx) {
      const s = await openSession(ctx);
      const size = chunkSizeFor(ctx, s);
      const data = blobFor(size, 3);
      let location = s.location;
      const seen = new Set<string>();
      for (let start = 0; start < data.length; start += size) {
        // acceptedChunk fails the case when a Location is missing; each is used for the next chunk.
        ({ location } = await acceptedChunk(ctx, location, data, start, Math.min(start + size, data.length)));
        seen.add(new URL(location, 'http://relative.invalid').origin === 'http://relative.invalid' ? 'relative' : 'absolute');
      }
      ctx.observe('location-form', [...seen].join('+'));
    },
  },
  {
    id: 'chunked-upload.status.get',
    title: 'A GET of an active session answers 204 with its Location and Range: 0-<last byte received>.',
    requirements: [STATUS_204],
    async run(ctx) {
      const s = await openSession(ctx);
      const size = chunkSizeFor(ctx, s);
      const data = blobFor(size, 3);
      let location = s.location;
      ({ location } = await acceptedChunk(ctx, location, data, 0, size));
      ({ location } = await acceptedChunk(ctx, location, data, size, 2 * size));
      const res = await ctx.client.request({ method: 'GET', path: location });
      await expectStatus(res, 204, 'GET of an active upload session');
      expectHeader(res, 'location', undefined, 'GET of an active upload session');
      expectRange(res, 2 * size - 1, 'GET of an active upload session');
      await res.dump();
    },
  },
  {
    id: 'chunked-upload.status.earlier-location',
    title: 'A GET of an active session by the Location its POST answered, after a chunk was accepted, answers 204 with Range: 0-<last byte received>.',
    requirements: [
      STATUS_204,
      { ref: 'end-13', level: 'MUST', text: 'The response to an active upload <blob-push-location> MUST be a 204 No Content, where the <blob-push-location> refers to the URL obtained from any preceding POST or PATCH request.' },
    ],
    async run(ctx) {
      const s = await openSession(ctx);
      const size = chunkSizeFor(ctx, s);
      const data = blobFor(size, 2);
      const { location } = await acceptedChunk(ctx, s.location, data, 0, size);
      // Where each PATCH answers a new Location (distribution puts upload state in it), the POST's is still one.
      ctx.observe('location-after-patch', location === s.location ? 'unchanged' : 'changed');
      const res = await ctx.client.request({ method: 'GET', path: s.location });
      await expectStatus(res, 204, 'GET of the session by the POST\'s Location after one accepted PATCH');
      expectRange(res, size - 1, 'GET of the session by the POST\'s Location');
      await res.dump();
    },
  },
  {
    id: 'chunked-upload.order.out-of-order-416',
    title: 'A chunk whose first byte is not the byte after the last one received answers 416.',
    requirements: [OUT_OF_ORDER_416],
    async run(ctx) {
      const s = await openSession(ctx);
      const size = chunkSizeFor(ctx, s);
      const data = blobFor(size, 3);
      const { location } = await acceptedChunk(ctx, s.location, data, 0, size);
      // Skips the second chunk: sends the third where the second belongs.
      const res = await patchChunk(ctx, location, data.subarray(2 * size), 2 * size);
      await expectStatus(res, 416, `PATCH chunk ${2 * size}-${data.length - 1} after 0-${size - 1} (bytes ${size}-${2 * size - 1} skipped)`);
      await res.dump();
    },
  },
  {
    id: 'chunked-upload.order.retried-chunk-416',
    title: 'Sending a chunk again after it was accepted answers 416.',
    requirements: [OUT_OF_ORDER_416],
    async run(ctx) {
      const s = await openSession(ctx);
      const size = chunkSizeFor(ctx, s);
      const data = blobFor(size, 3);
      const { location } = await acceptedChunk(ctx, s.location, data, 0, size);
      const res = await patchChunk(ctx, location, data.subarray(0, size), 0);
      await expectStatus(res, 416, `PATCH chunk 0-${size - 1} a second time`);
      await res.dump();
    },
  },
  {
    id: 'chunked-upload.order.usable-after-416',
    title: 'After a 416 the session still works: GET gives the offset, the right next chunk is accepted and the blob completes exactly.',
    requirements: [OUT_OF_ORDER_416, STATUS_204, CLOSE_201],
    dependsOn: ['chunked-upload.order.out-of-order-416'],
    async run(ctx) {
      const s = await openSession(ctx);
      const size = chunkSizeFor(ctx, s);
      const data = blobFor(size, 3);
      const digest = digestOf(data);
      trackBlob(ctx, ctx.repo, digest);
      const first = await acceptedChunk(ctx, s.location, data, 0, size);
      const wrong = await patchChunk(ctx, first.location, data.subarray(2 * size), 2 * size);
      await expectStatus(wrong, 416, 'PATCH of a chunk out of order');
      await wrong.dump();
      const status = await ctx.client.request({ method: 'GET', path: first.location });
      await expectStatus(status, 204, 'GET of the session after a 416');
      expectRange(status, size - 1, 'GET of the session after a 416');
      let location = expectHeader(status, 'location', undefined, 'GET of the session after a 416');
      await status.dump();
      ({ location } = await acceptedChunk(ctx, location, data, size, 2 * size));
      ({ location } = await acceptedChunk(ctx, location, data, 2 * size, data.length));
      const put = await closeSession(ctx, location, digest);
      await expectStatus(put, 201, 'PUT closing the session after a 416');
      await put.dump();
      await expectBlob(ctx, digest, data, 'upload completed after a 416');
    },
  },
  {
    id: 'chunked-upload.final.chunk-in-put',
    title: 'The last chunk can be sent in the closing PUT (with Content-Range), which answers 201 and stores the whole blob.',
    requirements: [FINAL_IN_PUT, CLOSE_201],
    async run(ctx) {
      const s = await openSession(ctx);
      const size = chunkSizeFor(ctx, s);
      const data = blobFor(size, 3);
      const digest = digestOf(data);
      trackBlob(ctx, ctx.repo, digest);
      let location = s.location;
      ({ location } = await acceptedChunk(ctx, location, data, 0, size));
      ({ location } = await acceptedChunk(ctx, location, data, size, 2 * size));
      const put = await closeSession(ctx, location, digest, { data: data.subarray(2 * size), start: 2 * size });
      await expectStatus(put, 201, 'PUT ?digest= carrying the last chunk');
      expectHeader(put, 'location', undefined, 'PUT carrying the last chunk');
      await put.dump();
      await expectBlob(ctx, digest, data, 'last chunk in the PUT');
    },
  },
  {
    id: 'chunked-upload.final.out-of-order-416',
    title: 'A closing PUT whose last chunk does not start right after the bytes received answers 416.',
    requirements: [{ ref: 'end-6', level: 'MUST', text: 'If the final chunk is uploaded out of order, the registry MUST respond with a 416 Requested Range Not Satisfiable code.' }],
    since: 'draft',
    async run(ctx) {
      const s = await openSession(ctx);
      const size = chunkSizeFor(ctx, s);
      const data = blobFor(size, 3);
      const digest = digestOf(data);
      trackBlob(ctx, ctx.repo, digest);
      const { location } = await acceptedChunk(ctx, s.location, data, 0, size);
      const put = await closeSession(ctx, location, digest, { data: data.subarray(2 * size), start: 2 * size });
      await expectStatus(put, 416, `PUT with the last chunk ${2 * size}-${data.length - 1} after 0-${size - 1} (bytes skipped)`);
      await put.dump();
    },
  },
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
      const s = await openSession(ctx);
      const size = chunkSizeFor(ctx, s);
      const data = blobFor(size, 2);
      const real = digestOf(data);
      const claimed = digestOf(uniqueBytes(32));
      trackBlob(ctx, ctx.repo, real);
      trackBlob(ctx, ctx.repo, claimed);
      let location = s.location;
      ({ location } = await acceptedChunk(ctx, location, data, 0, size));
      ({ location } = await acceptedChunk(ctx, location, data, size, data.length));
      const put = await closeSession(ctx, location, claimed);
      await expectStatus(put, 400, 'PUT closing a chunked upload with a digest that does not match');
      await checkErrorBody(ctx, put, ['DIGEST_INVALID'], { allowNonJson: true });
      for (const d of [claimed, real]) {
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
      const digest = digestOf(data);
      trackBlob(ctx, ctx.repo, digest);
      let location = s.location;
      for (let start = 0; start < data.length; start += size) {
        const end = Math.min(start + size, data.length);
        const res = await patchChunk(ctx, location, data.subarray(start, end), start);
        if (res.status !== 202) {
          const text = await res.text(64 * 1024).catch(() => '');
          fail(
            `PATCH chunk ${start}-${end - 1} of ${end - start} bytes: 202 (${s.minChunk ? `the advertised minimum is ${s.minChunk}` : 'no minimum was advertised'})`,
            `status ${res.status}`,
            res,
            text,
          );
        }
        location = expectHeader(res, 'location', undefined, `PATCH chunk ${start}-${end - 1}`);
        await res.dump();
      }
      const put = await closeSession(ctx, location, digest);
      await expectStatus(put, 201, 'PUT closing the upload');
      await put.dump();
    },
  },
  {
    id: 'chunked-upload.cancel.delete',
    title: 'DELETE of an active session cancels it (204), after which the session answers 404.',
    requirements: [
      { ref: 'end-14', level: 'SHOULD', text: 'If successful, the response SHOULD be a 204 No Content response code.' },
      { ref: 'end-13', level: 'SHOULD', text: 'Endpoint table: GET <blob-push-location> fails with 404 for a session that is not active (a table, not a MUST sentence).' },
    ],
    since: 'draft',
    async run(ctx) {
      const s = await openSession(ctx);
      const size = chunkSizeFor(ctx, s);
      const data = blobFor(size, 2);
      const { location } = await acceptedChunk(ctx, s.location, data, 0, size);
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
    requirements: [
      { ref: 'end-5, end-6, end-13', level: 'SHOULD', text: 'Endpoint table: PATCH, PUT and GET of <blob-push-location> fail with 404 when the session is unknown (a table, not a MUST sentence).' },
      { ref: 'code-3', level: 'SHOULD', text: 'BLOB_UPLOAD_UNKNOWN: blob upload unknown to registry (the table\'s code; the MUST is only that a code is one of the table)' },
    ],
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
