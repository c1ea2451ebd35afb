// Range requests on blobs (RFC 9110 section 14): satisfiable, open-ended, suffix, past the end,
// unsatisfiable (416 with `bytes */size`), and HEAD. Read-only safe: with --read-only it uses the
// config blob of the content named by --tag/--digest.
import type { CaseContext, CaseDefinition, Requirement, Suite } from '../src/conformance/model.js';
import type { RegistryResponse } from '../src/client/registry-client.js';
import { uploadBlobPostPut } from '../src/client/operations.js';
import { uniqueBytes } from '../src/conformance/fixtures.js';
import { loadExistingContent } from '../src/conformance/existing-content.js';
import { expectStatus, expectThat, fail } from '../src/conformance/expect.js';
import { expectContentLengthIfPresent } from '../src/conformance/content-checks.js';
import { trackBlob } from './common/content.js';

const RANGE_SUPPORT: Requirement = {
  ref: 'end-2 (Pulling blobs)',
  level: 'SHOULD',
  text: 'A registry SHOULD support the Range request header in accordance with RFC 9110 (section 14).',
};
const RFC_206: Requirement = {
  ref: 'RFC 9110 section 15.3.7',
  level: 'SHOULD',
  text: 'A 206 response to a single range carries Content-Range: bytes first-last/complete-length and the selected bytes.',
};
const RFC_416: Requirement = {
  ref: 'RFC 9110 section 15.5.17',
  level: 'SHOULD',
  text: 'When this status code is generated in response to a byte-range request, the sender SHOULD generate a Content-Range header field specifying the current length of the selected representation (bytes */length).',
};

interface RangeBlob {
  repo: string;
  digest: string;
  size: number;
  bytes: Buffer;
}

const KEY = 'ranges';

function blob(ctx: CaseContext): RangeBlob {
  const b = ctx.state.get(KEY) as RangeBlob | undefined;
  if (!b) throw new Error('ranges fixture missing: suite setup did not run');
  return b;
}

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

/** A 206 for one range: Content-Range `bytes first-last/size` and exactly those bytes. */
async function expectPartial(ctx: CaseContext, range: string, first: number, last: number): Promise<void> {
  const b = blob(ctx);
  const res = await rangeGet(ctx, b, range);
  if (res.status === 200) {
    await res.dump();
    fail(`GET with Range: ${range}: 206 Partial Content`, 'status 200 (the Range header was ignored)', res);
  }
  await expectStatus(res, 206, `GET with Range: ${range}`);
  const want = `bytes ${first}-${last}/${b.size}`;
  const cr = res.header('content-range');
  expectThat(cr?.trim() === want, `GET with Range: ${range}: Content-Range: ${want}`, cr === undefined ? 'no Content-Range header' : `Content-Range: ${cr}`, res);
  expectContentLengthIfPresent(res, last - first + 1, `GET with Range: ${range}`);
  const body = await readBody(res, b.size + 1024, `GET with Range: ${range}`);
  const expected = b.bytes.subarray(first, last + 1);
  expectThat(body.equals(expected), `GET with Range: ${range}: bytes ${first}-${last} of the blob (${expected.length} bytes)`, `${body.length} bytes${body.length === expected.length ? ' with other content' : ''}`, res);
}

const DEP = ['ranges.blob.satisfiable'];

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
  {
    id: 'ranges.blob.satisfiable',
    title: 'GET with Range: bytes=a-b answers 206 with Content-Range bytes a-b/size and exactly those bytes.',
    requirements: [RANGE_SUPPORT, RFC_206],
    readOnly: true,
    async run(ctx) {
      const { size } = blob(ctx);
      const first = Math.floor(size / 10);
      const last = Math.floor(size / 2);
      await expectPartial(ctx, `bytes=${first}-${last}`, first, last);
    },
  },
  {
    id: 'ranges.blob.open-ended',
    title: 'GET with Range: bytes=a- answers 206 with the bytes from a to the end.',
    requirements: [RANGE_SUPPORT, RFC_206],
    readOnly: true,
    dependsOn: DEP,
    async run(ctx) {
      const { size } = blob(ctx);
      const first = Math.floor(size / 3);
      await expectPartial(ctx, `bytes=${first}-`, first, size - 1);
    },
  },
  {
    id: 'ranges.blob.suffix',
    title: 'GET with Range: bytes=-n answers 206 with the last n bytes.',
    requirements: [RANGE_SUPPORT, RFC_206],
    readOnly: true,
    dependsOn: DEP,
    async run(ctx) {
      const { size } = blob(ctx);
      const n = Math.max(1, Math.floor(size / 4));
      await expectPartial(ctx, `bytes=-${n}`, size - n, size - 1);
    },
  },
  {
    id: 'ranges.blob.end-beyond-size',
    title: 'GET with a range whose last byte lies past the end answers 206 with the bytes up to the end.',
    requirements: [RANGE_SUPPORT, { ref: 'RFC 9110 section 14.1.2', level: 'SHOULD', text: 'If the last-pos value is absent, or if the value is greater than or equal to the current length of the representation data, the byte range is interpreted as the remainder of the representation.' }],
    readOnly: true,
    dependsOn: DEP,
    async run(ctx) {
      const { size } = blob(ctx);
      const first = size - Math.max(1, Math.floor(size / 10));
      await expectPartial(ctx, `bytes=${first}-${size + 1000}`, first, size - 1);
    },
  },
  {
    id: 'ranges.blob.unsatisfiable',
    title: 'GET with a range that starts at or past the end, or an empty suffix, answers a complete 416 with Content-Range: bytes */size.',
    requirements: [RANGE_SUPPORT, RFC_416, { ref: 'RFC 9110 section 14.1.1', level: 'SHOULD', text: 'A byte-range-set is satisfiable if it contains any range-spec whose first-pos is less than the current length, or a suffix-range with a non-zero suffix-length.' }],
    readOnly: true,
    dependsOn: DEP,
    async run(ctx) {
      const b = blob(ctx);
      for (const range of [`bytes=${b.size}-`, `bytes=${b.size + 1000}-${b.size + 2000}`, 'bytes=-0']) {
        const res = await rangeGet(ctx, b, range);
        await expectRangeStatus(res, [416], `GET with the unsatisfiable Range: ${range}: 416`);
        const cr = res.header('content-range');
        expectThat(cr?.trim() === `bytes */${b.size}`, `416 to Range: ${range}: Content-Range: bytes */${b.size}`, cr === undefined ? 'no Content-Range header' : `Content-Range: ${cr}`, res);
        await readBody(res, 1024 * 1024, `416 to Range: ${range}`);
      }
    },
  },
  {
    id: 'ranges.blob.invalid',
    title: 'GET with an invalid Range (last before first, no positions, not digits, unknown unit, ...) answers 200 with the whole blob (ignored) or 416 (rejected), never 206.',
    requirements: [
      RANGE_SUPPORT,
      { ref: 'RFC 9110 section 14.2', level: 'SHOULD', text: 'A server that supports range requests MAY ignore or reject a Range header field that contains an invalid ranges-specifier. An origin server MUST ignore a Range header field that contains a range unit it does not understand.' },
      { ref: 'RFC 9110 section 14.1.1', level: 'SHOULD', text: 'A range-spec is invalid if the last-pos value is present and less than the first-pos.' },
    ],
    readOnly: true,
    dependsOn: DEP,
    async run(ctx) {
      const b = blob(ctx);
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
  },
  {
    id: 'ranges.blob.head',
    title: 'HEAD with a Range answers without a body, either 200 with the full Content-Length (Range ignored) or 206 describing the range.',
    requirements: [
      RANGE_SUPPORT,
      { ref: 'RFC 9110 section 14.2', level: 'SHOULD', text: 'GET is the only method for which range handling is defined; a server MUST ignore a Range header field received with a request method for which range handling is not defined.' },
      { ref: 'RFC 9110 section 9.3.2', level: 'SHOULD', text: 'The server SHOULD send the same header fields in response to a HEAD request as it would have sent if the request method had been GET.' },
    ],
    readOnly: true,
    dependsOn: DEP,
    async run(ctx) {
      const b = blob(ctx);
      const first = Math.floor(b.size / 10);
      const last = Math.floor(b.size / 2);
      const res = await rangeGet(ctx, b, `bytes=${first}-${last}`, 'HEAD');
      await expectStatus(res, [200, 206], `HEAD with Range: bytes=${first}-${last}`);
      await res.dump();
      ctx.observe('head-with-range', res.status);
      if (res.status === 200) {
        expectContentLengthIfPresent(res, b.size, 'HEAD with Range answered 200');
        return;
      }
      const want = `bytes ${first}-${last}/${b.size}`;
      const cr = res.header('content-range');
      expectThat(cr?.trim() === want, `HEAD with Range answered 206: Content-Range: ${want}`, cr === undefined ? 'no Content-Range header' : `Content-Range: ${cr}`, res);
      expectContentLengthIfPresent(res, last - first + 1, 'HEAD with Range answered 206');
    },
  },
];

export const rangesSuite: Suite = {
  workflow: 'ranges',
  title: 'Range requests on blobs',
  async setup(ctx) {
    if (ctx.readOnly) {
      const ex = await loadExistingContent(ctx);
      if (!ex.blob.bytes) return ctx.skip('read-only', `the existing blob ${ex.blob.digest} is too large to compare ranges against`);
      if (ex.blob.size < 8) ctx.skip('read-only', `the existing blob ${ex.blob.digest} has only ${ex.blob.size} bytes`);
      ctx.state.set(KEY, { repo: ex.repo, digest: ex.blob.digest, size: ex.blob.size, bytes: ex.blob.bytes } satisfies RangeBlob);
      return;
    }
    const bytes = uniqueBytes(1000);
    const { digest } = await uploadBlobPostPut(ctx.client, ctx.repo, bytes);
    trackBlob(ctx, ctx.repo, digest);
    ctx.state.set(KEY, { repo: ctx.repo, digest, size: bytes.length, bytes } satisfies RangeBlob);
  },
  cases,
};
