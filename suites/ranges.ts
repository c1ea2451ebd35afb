// Range requests on blobs (RFC 9110 section 14): satisfiable, open-ended, suffix, past the end,
// unsatisfiable (416 with `bytes */size`), and HEAD. Read-only safe: with --read-only it uses the
// config blob of the content named by --tag/--digest.
import type { CaseContext, CaseDefinition, Requirement, Suite } from '../src/conformance/model.js';
import type { RegistryResponse } from '../src/client/registry-client.js';
import { uploadBlobPostPut } from '../src/client/operations.js';
import { uniqueBytes } from '../src/conformance/fixtures.js';
import { expectStatus, expectThat, fail } from '../src/conformance/expect.js';
import { expectContentLengthIfPresent } from '../src/conformance/content-checks.js';
import { trackBlob } from './common/content.js';
import { fixturesSetup, setupState } from './common/setup-state.js';

// What the cases cite: the spec's SHOULD to support Range and the RFC 9110 sentences it points to.
const should = (ref: string, text: string): Requirement => ({ ref, level: 'SHOULD', text });
const RANGE_SUPPORT = should('end-2 (Pulling blobs)', 'A registry SHOULD support the Range request header in accordance with RFC 9110 (section 14).');
const RFC_206 = should('RFC 9110 section 15.3.7', 'A 206 response to a single range carries Content-Range: bytes first-last/complete-length and the selected bytes.');
const RFC_416 = should('RFC 9110 section 15.5.17', 'When this status code is generated in response to a byte-range request, the sender SHOULD generate a Content-Range header field specifying the current length of the selected representation (bytes */length).');
const RFC_REMAINDER = should('RFC 9110 section 14.1.2', 'If the last-pos value is absent, or if the value is greater than or equal to the current length of the representation data, the byte range is interpreted as the remainder of the representation.');
const RFC_SATISFIABLE = should('RFC 9110 section 14.1.1', 'A byte-range-set is satisfiable if it contains any range-spec whose first-pos is less than the current length, or a suffix-range with a non-zero suffix-length.');
const RFC_INVALID_IGNORED = should('RFC 9110 section 14.2', 'A server that supports range requests MAY ignore or reject a Range header field that contains an invalid ranges-specifier. An origin server MUST ignore a Range header field that contains a range unit it does not understand.');
const RFC_INVALID_SPEC = should('RFC 9110 section 14.1.1', 'A range-spec is invalid if the last-pos value is present and less than the first-pos.');
const RFC_GET_ONLY = should('RFC 9110 section 14.2', 'GET is the only method for which range handling is defined; a server MUST ignore a Range header field received with a request method for which range handling is not defined.');
const RFC_HEAD_AS_GET = should('RFC 9110 section 9.3.2', 'The server SHOULD send the same header fields in response to a HEAD request as it would have sent if the request method had been GET.');

interface RangeBlob {
  repo: string;
  digest: string;
  size: number;
  bytes: Buffer;
}

const state = setupState<RangeBlob>('ranges', 'ranges fixture');

async function rangeGet(ctx: CaseContext, b: RangeBlob, range: string, method: 'GET' | 'HEAD' = 'GET'): Promise<RegistryResponse> {
  return ctx.client.request({ method, path: `/v2/${b.repo}/blobs/${b.digest}`, headers: { range } });
}

/** Reads a body, turning a broken one (shorter than its Content-Length, reset) into a failure. */
async function readBody(res: RegistryResponse, limit: number, what: string): Promise<Buffer> {
  try {
    return await res.bytes(limit);
  } catch (err) {
    const declared = res.header('content-length');
    fail(
      `${what}: a complete response${declared !== undefined ? ` of ${declared} bytes as its Content-Length says` : ''}`,
      `the body could not be read (${err instanceof Error ? err.message : String(err)})`,
      res,
    );
  }
}

/** The status must be one of `allowed`; else a failure that shows the Content-Range the target sent. */
async function expectRangeStatus(res: RegistryResponse, allowed: readonly number[], expected: string): Promise<void> {
  if (allowed.includes(res.status)) return;
  const cr = res.header('content-range');
  await res.dump();
  fail(expected, `status ${res.status}${cr ? `, Content-Range: ${cr}` : ''}`, res);
}

function expectContentRange(res: RegistryResponse, want: string, what: string): void {
  const cr = res.header('content-range');
  expectThat(cr?.trim() === want, `${what}: Content-Range: ${want}`, cr === undefined ? 'no Content-Range header' : `Content-Range: ${cr}`, res);
}

/** A 206 for one range: Content-Range `bytes first-last/size` and exactly those bytes. */
async function expectPartial(ctx: CaseContext, b: RangeBlob, range: string, first: number, last: number): Promise<void> {
  const res = await rangeGet(ctx, b, range);
  if (res.status === 200) {
    await res.dump();
    fail(`GET with Range: ${range}: 206 Partial Content`, 'status 200 (the Range header was ignored)', res);
  }
  await expectStatus(res, 206, `GET with Range: ${range}`);
  expectContentRange(res, `bytes ${first}-${last}/${b.size}`, `GET with Range: ${range}`);
  expectContentLengthIfPresent(res, last - first + 1, `GET with Range: ${range}`);
  const body = await readBody(res, b.size + 1024, `GET with Range: ${range}`);
  const expected = b.bytes.subarray(first, last + 1);
  expectThat(body.equals(expected), `GET with Range: ${range}: bytes ${first}-${last} of the blob (${expected.length} bytes)`, `${body.length} bytes${body.length === expected.length ? ' with other content' : ''}`, res);
}

const SATISFIABLE = 'ranges.blob.satisfiable';

/** A read-only case on the blob; every case but SATISFIABLE needs that one to pass (ranges at all). */
function rangeCase(meta: Pick<CaseDefinition, 'id' | 'title' | 'requirements'>, run: (ctx: CaseContext, b: RangeBlob) => Promise<void>): CaseDefinition {
  return {
    id: meta.id,
    title: meta.title,
    requirements: meta.requirements,
    readOnly: true,
    ...(meta.id === SATISFIABLE ? {} : { dependsOn: [SATISFIABLE] }),
    run: (ctx) => run(ctx, state.get(ctx)),
  };
}

/**
 * Satisfiable ranges, one case each: from the blob's size, the Range sent and the first and last
 * positions a 206 must carry (RFC 9110 section 14.1.2).
 */
const PARTIAL_RANGES: ReadonlyArray<Pick<CaseDefinition, 'id' | 'title' | 'requirements'> & { sent: (size: number) => [range: string, first: number, last: number] }> = [
  {
    id: SATISFIABLE,
    title: 'GET with Range: bytes=a-b answers 206 with Content-Range bytes a-b/size and exactly those bytes.',
    requirements: [RANGE_SUPPORT, RFC_206],
    sent: (size) => [`bytes=${Math.floor(size / 10)}-${Math.floor(size / 2)}`, Math.floor(size / 10), Math.floor(size / 2)],
  },
  {
    id: 'ranges.blob.open-ended',
    title: 'GET with Range: bytes=a- answers 206 with the bytes from a to the end.',
    requirements: [RANGE_SUPPORT, RFC_206],
    sent: (size) => [`bytes=${Math.floor(size / 3)}-`, Math.floor(size / 3), size - 1],
  },
  {
    id: 'ranges.blob.suffix',
    title: 'GET with Range: bytes=-n answers 206 with the last n bytes.',
    requirements: [RANGE_SUPPORT, RFC_206],
    sent: (size) => [`bytes=-${Math.max(1, Math.floor(size / 4))}`, size - Math.max(1, Math.floor(size / 4)), size - 1],
  },
  {
    id: 'ranges.blob.end-beyond-size',
    title: 'GET with a range whose last byte lies past the end answers 206 with the bytes up to the end.',
    requirements: [RANGE_SUPPORT, RFC_REMAINDER],
    sent: (size) => [`bytes=${size - Math.max(1, Math.floor(size / 10))}-${size + 1000}`, size - Math.max(1, Math.floor(size / 10)), size - 1],
  },
];

// Unsatisfiable ranges (RFC 9110 section 14.1.1): each answers 416 with Content-Range: bytes */size.
const UNSATISFIABLE_RANGES: ReadonlyArray<(size: number) => string> = [
  (size) => `bytes=${size}-`, // starts right at the end
  (size) => `bytes=${size + 1000}-${size + 2000}`, // starts past the end
  () => 'bytes=-0', // an empty suffix
];

/**
 * Range headers that are not a valid byte-range request, one row each (RFC 9110 section 14.1.1). A
 * server MAY ignore (200 with the whole blob) or reject (416) an invalid ranges-specifier (14.2),
 * and MUST ignore a range unit it does not understand; a 206 is never right (a Content-Range whose
 * last-pos is below its first-pos is invalid, 14.4).
 */
const INVALID_RANGES: ReadonlyArray<{ range: (size: number) => string; why: string; allowed: readonly number[] }> = [
  { range: (size) => `bytes=${Math.floor(size / 2)}-0`, why: 'last-pos below first-pos', allowed: [200, 416] },
  { range: () => 'bytes=-', why: 'neither first-pos nor suffix-length', allowed: [200, 416] },
  { range: (size) => `bytes=${Math.floor(size / 4)}`, why: 'no "-"', allowed: [200, 416] },
  { range: () => 'bytes=a-b', why: 'positions that are not digits', allowed: [200, 416] },
  { range: () => 'bytes=--5', why: 'a negative suffix-length', allowed: [200, 416] },
  { range: () => 'bytes=1-2-3', why: 'three positions', allowed: [200, 416] },
  { range: () => 'items=0-9', why: 'a range unit other than bytes (MUST be ignored)', allowed: [200] },
];

const cases: CaseDefinition[] = [
  ...PARTIAL_RANGES.map((row) =>
    rangeCase(row, async (ctx, b) => {
      const [range, first, last] = row.sent(b.size);
      await expectPartial(ctx, b, range, first, last);
    }),
  ),
  rangeCase(
    {
      id: 'ranges.blob.unsatisfiable',
      title: 'GET with a range that starts at or past the end, or an empty suffix, answers a complete 416 with Content-Range: bytes */size.',
      requirements: [RANGE_SUPPORT, RFC_416, RFC_SATISFIABLE],
    },
    async (ctx, b) => {
      for (const range of UNSATISFIABLE_RANGES.map((r) => r(b.size))) {
        const res = await rangeGet(ctx, b, range);
        await expectRangeStatus(res, [416], `GET with the unsatisfiable Range: ${range}: 416`);
        expectContentRange(res, `bytes */${b.size}`, `416 to Range: ${range}`);
        await readBody(res, 1024 * 1024, `416 to Range: ${range}`);
      }
    },
  ),
  rangeCase(
    {
      id: 'ranges.blob.invalid',
      title: 'GET with an invalid Range (last before first, no positions, not digits, unknown unit, ...) answers 200 with the whole blob (ignored) or 416 (rejected), never 206.',
      requirements: [RANGE_SUPPORT, RFC_INVALID_IGNORED, RFC_INVALID_SPEC],
    },
    async (ctx, b) => {
      for (const row of INVALID_RANGES) {
        const range = row.range(b.size);
        const res = await rangeGet(ctx, b, range);
        const what = `GET with the invalid Range: ${range} (${row.why})`;
        await expectRangeStatus(res, row.allowed, `${what}: ${row.allowed.map((s) => (s === 200 ? '200 with the whole blob' : String(s))).join(' or ')}`);
        ctx.observe(range, res.status === 200 ? 'ignored (200)' : `rejected (${res.status})`);
        const body = await readBody(res, b.size + 1024 * 1024, what);
        if (res.status === 200) expectThat(body.equals(b.bytes), `${what} answered 200: the whole blob (${b.size} bytes)`, `${body.length} bytes${body.length === b.size ? ' with other content' : ''}`, res);
      }
    },
  ),
  rangeCase(
    {
      id: 'ranges.blob.head',
      title: 'HEAD with a Range answers without a body, either 200 with the full Content-Length (Range ignored) or 206 describing the range.',
      requirements: [RANGE_SUPPORT, RFC_GET_ONLY, RFC_HEAD_AS_GET],
    },
    async (ctx, b) => {
      // The satisfiable case's range, which a GET answers with 206.
      const [range, first, last] = PARTIAL_RANGES[0]!.sent(b.size);
      const res = await rangeGet(ctx, b, range, 'HEAD');
      await expectStatus(res, [200, 206], `HEAD with Range: ${range}`);
      await res.dump();
      ctx.observe('head-with-range', res.status);
      if (res.status === 200) {
        expectContentLengthIfPresent(res, b.size, 'HEAD with Range answered 200');
        return;
      }
      expectContentRange(res, `bytes ${first}-${last}/${b.size}`, 'HEAD with Range answered 206');
      expectContentLengthIfPresent(res, last - first + 1, 'HEAD with Range answered 206');
    },
  ),
];

export const rangesSuite: Suite = {
  workflow: 'ranges',
  title: 'Range requests on blobs',
  setup: fixturesSetup(
    state,
    (ctx, ex) => {
      if (!ex.blob.bytes) return ctx.skip('read-only', `the existing blob ${ex.blob.digest} is too large to compare ranges against`);
      if (ex.blob.size < 8) ctx.skip('read-only', `the existing blob ${ex.blob.digest} has only ${ex.blob.size} bytes`);
      return { repo: ex.repo, digest: ex.blob.digest, size: ex.blob.size, bytes: ex.blob.bytes };
    },
    async (ctx) => {
      const bytes = uniqueBytes(1000);
      const { digest } = await uploadBlobPostPut(ctx.client, ctx.repo, bytes);
      trackBlob(ctx, ctx.repo, digest);
      return { repo: ctx.repo, digest, size: bytes.length, bytes };
    },
  ),
  cases,
};
