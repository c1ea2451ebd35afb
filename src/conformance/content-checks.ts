// Assertions about what a response carries: exact bytes (streamed, never buffered whole) and the
// digest and length headers.
import { createHash } from 'node:crypto';
import type { RegistryResponse } from '../client/registry-client.js';
import { isSupportedAlgorithm, parseDigest, type DigestAlgorithm } from '../oci/digest.js';
import { ErrorCodes, parseErrorBody, type ErrorCode } from '../oci/errors.js';
import { fail, failAt } from './expect.js';

/** Where two byte strings first differ, for a failure message. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

/** The body must be exactly `expected` (manifests and small blobs held in memory). */
export async function expectBytes(res: RegistryResponse, expected: Uint8Array, what: string): Promise<Buffer> {
  const body = await res.bytes(expected.length + 1024 * 1024);
  if (!body.equals(expected)) {
    const at = firstDifference(body, expected);
    fail(
      `${what}: a body of ${expected.length} bytes identical to what was pushed`,
      `${body.length} bytes${body.length === expected.length || at < Math.min(body.length, expected.length) ? `, first difference at byte ${at}` : ''}`,
      res,
      body.subarray(0, 300).toString('utf8'),
    );
  }
  return body;
}

/**
 * The body, hashed as it streams, must have `digest` and `size` (content too big to hold, or not
 * known in advance in --read-only mode). Reads at most size + 1 MiB before giving up.
 */
export async function expectBodyDigest(res: RegistryResponse, digest: string, size: number, what: string): Promise<void> {
  const p = parseDigest(digest);
  const alg: DigestAlgorithm = p && isSupportedAlgorithm(p.algorithm) ? p.algorithm : 'sha256';
  const hash = createHash(alg);
  let n = 0;
  const limit = size + 1024 * 1024;
  for await (const chunk of res.body) {
    const b = chunk as Buffer;
    n += b.length;
    if (n > limit) {
      res.body.destroy();
      fail(`${what}: a body of ${size} bytes`, `more than ${limit} bytes`, res);
    }
    hash.update(b);
  }
  const got = `${alg}:${hash.digest('hex')}`;
  if (n !== size || got !== digest) fail(`${what}: ${size} bytes with digest ${digest}`, `${n} bytes with digest ${got}`, res);
}

/** When a Content-Length header is present it must be `size`; returns whether it was present. */
export function expectContentLengthIfPresent(res: RegistryResponse, size: number, what: string): boolean {
  const v = res.header('content-length');
  if (v === undefined) return false;
  if (v.trim() !== String(size)) fail(`${what}: Content-Length ${size}`, `Content-Length: ${v}`, res);
  return true;
}

/**
 * A Docker-Content-Digest header, when present, must be a digest of `content` in the algorithm it
 * names (the spec lets it differ from the digest the client used: another algorithm is legal).
 * Returns the header value, or undefined when absent.
 */
export function expectDigestHeaderMatches(res: RegistryResponse, content: { bytes?: Uint8Array; digest: string }, what: string): string | undefined {
  const v = res.header('docker-content-digest');
  if (v === undefined) return undefined;
  const p = parseDigest(v.trim());
  if (!p) fail(`${what}: Docker-Content-Digest to be a digest`, `Docker-Content-Digest: ${v}`, res);
  if (v.trim() === content.digest) return v;
  const own = parseDigest(content.digest);
  if (own && p.algorithm === own.algorithm) {
    fail(`${what}: Docker-Content-Digest ${content.digest}`, `Docker-Content-Digest: ${v}`, res);
  }
  if (content.bytes && isSupportedAlgorithm(p.algorithm)) {
    const h = `${p.algorithm}:${createHash(p.algorithm).update(content.bytes).digest('hex')}`;
    if (h !== v.trim()) fail(`${what}: Docker-Content-Digest to be the ${p.algorithm} digest of the content (${h})`, `Docker-Content-Digest: ${v}`, res);
  }
  return v;
}

/**
 * The Docker-Content-Digest header of a response, when present, must name `content`: its digest when
 * in the same algorithm, else the digest of its bytes in the algorithm the header names. Content not
 * held in memory is streamed again by `refetch` (a GET) and hashed in that algorithm. Returns the
 * header value, or undefined when absent. (expectDigestHeaderMatches without a second request.)
 */
export async function expectDigestHeaderNames(
  res: RegistryResponse,
  content: { digest: string; size: number; bytes?: Uint8Array },
  what: string,
  refetch?: () => Promise<RegistryResponse>,
): Promise<string | undefined> {
  const v = expectDigestHeaderMatches(res, content, what);
  if (v === undefined || content.bytes) return v;
  const value = v.trim();
  const p = parseDigest(value)!;
  const own = parseDigest(content.digest);
  if (value === content.digest || (own && own.algorithm === p.algorithm) || !isSupportedAlgorithm(p.algorithm) || !refetch) return v;
  const again = await refetch();
  if (again.status !== 200) fail(`${what}: a GET (to hash the content in ${p.algorithm}) answering 200`, `status ${again.status}`, again);
  await expectBodyDigest(again, value, content.size, `${what}: the content hashed in ${p.algorithm} to match Docker-Content-Digest`);
  return v;
}

export type ErrorBodyKind = 'json' | 'other' | 'empty';

/**
 * A 4xx body "MAY be in any format"; when it is JSON it must be the spec's error shape, with one of
 * `codes` among its errors (`bodyText`: the body when already read). Returns which kind of body came. (Suites with a CaseContext at hand use
 * suites/common/error-body.ts checkErrorBody, which also records the codes.)
 */
export async function expectErrorCodeIfJson(res: RegistryResponse, codes: ErrorCode | readonly ErrorCode[], what: string, bodyText?: string): Promise<ErrorBodyKind> {
  const list: readonly string[] = typeof codes === 'string' ? [codes] : codes;
  const text = bodyText ?? (await res.text(1024 * 1024).catch(() => ''));
  if (text.trim() === '') return 'empty';
  try {
    JSON.parse(text);
  } catch {
    return 'other';
  }
  const body = parseErrorBody(text);
  if (!body) fail(`${what}: a JSON error body of the form {"errors":[{"code":...}]}`, 'JSON of another shape', res, text);
  if (!body.errors.some((e) => list.includes(e.code))) {
    const seen = body.errors.map((e) => e.code);
    const expected = `${what}: error code ${list.join(' or ')}`;
    // The spec's MUST is that a code comes from its table; which one fits the condition is a SHOULD.
    if (seen.length > 0 && seen.every((c) => c in ErrorCodes)) failAt('SHOULD', expected, `code ${seen.join(', ')}`, res, text);
    fail(expected, `code ${seen.join(', ') || '(none)'}`, res, text);
  }
  return 'json';
}
