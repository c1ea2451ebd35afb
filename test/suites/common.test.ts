// Unit tests of the suites' shared helpers: Link header parsing, tag orders, the referrers tag schema,
// and the error-body check (on constructed responses: a parser test, no registry involved).
import t from 'tap';
import { Readable } from 'node:stream';
import { parseLinkHeader, nextLink, ordersOf, sortBy, duplicates } from '../../suites/common/pages.js';
import { checkErrorBody } from '../../suites/common/error-body.js';
import { referrersTag } from '../../suites/referrers.js';
import { RegistryResponse } from '../../src/client/registry-client.js';
import { CaseFailure, CaseSkip, type CaseContext } from '../../src/conformance/model.js';
import type { ErrorCode } from '../../src/oci/errors.js';

function response(status: number, headers: Record<string, string>, body = '', url = 'http://127.0.0.1:5000/v2/a/tags/list?n=2'): RegistryResponse {
  return new RegistryResponse('GET', url, status, headers, Readable.from([Buffer.from(body)]), 1);
}

/** Just what checkErrorBody uses of a context: observe and skip. */
function context(): { ctx: CaseContext; seen: Record<string, unknown> } {
  const seen: Record<string, unknown> = {};
  const ctx = {
    observe: (k: string, v: unknown) => void (seen[k] = v),
    skip: (kind: 'unsupported', reason: string): never => {
      throw new CaseSkip(kind, reason);
    },
  } as unknown as CaseContext;
  return { ctx, seen };
}

t.test('Link headers (RFC 5988)', async (t) => {
  t.same(parseLinkHeader('</v2/a/tags/list?n=2&last=b>; rel="next"'), [{ uri: '/v2/a/tags/list?n=2&last=b', rels: ['next'] }]);
  t.same(parseLinkHeader('<https://r.example/x>; rel=next'), [{ uri: 'https://r.example/x', rels: ['next'] }], 'unquoted rel');
  t.same(
    parseLinkHeader('<a>; rel="prev", <b>; title="x, y"; rel="next last"'),
    [
      { uri: 'a', rels: ['prev'] },
      { uri: 'b', rels: ['next', 'last'] },
    ],
    'several links, a quoted comma, several relation types',
  );
  t.same(parseLinkHeader('<a>'), [{ uri: 'a', rels: [] }], 'no rel');
  t.equal(parseLinkHeader('/v2/a/tags/list?n=2; rel="next"'), null, 'the URI must be in <>');
  t.equal(parseLinkHeader('<a; rel="next"'), null, 'unclosed <');
  t.equal(parseLinkHeader('<a>; rel="next'), null, 'unclosed quote');
  t.equal(parseLinkHeader(''), null);

  t.equal(nextLink(response(200, { link: '</v2/a/tags/list?n=2&last=b>; rel="next"' })), 'http://127.0.0.1:5000/v2/a/tags/list?n=2&last=b', 'resolved against the request URL');
  t.equal(nextLink(response(200, { link: '<list?n=2&last=b>; rel="next"' })), 'http://127.0.0.1:5000/v2/a/tags/list?n=2&last=b', 'relative reference');
  t.equal(nextLink(response(200, {})), undefined, 'no Link header');
  t.throws(() => nextLink(response(200, { link: '<x>; rel="prev"' })), CaseFailure, 'a Link without rel="next" fails the case');
  t.throws(() => nextLink(response(200, { link: 'garbage' })), CaseFailure);
});

t.test('tag orders', async (t) => {
  const tags = ['a1', 'B2', '_e5', 'v1.10', 'v1.9'];
  t.same(sortBy('ascii', tags), ['B2', '_e5', 'a1', 'v1.10', 'v1.9']);
  t.same(sortBy('case-insensitive', tags), ['_e5', 'a1', 'B2', 'v1.10', 'v1.9']);
  t.same(ordersOf(['B2', '_e5', 'a1']), ['ascii']);
  t.same(ordersOf(['_e5', 'a1', 'B2']), ['case-insensitive']);
  t.same(ordersOf(['a', 'b', 'c']), ['ascii', 'case-insensitive'], 'both when they agree');
  t.same(ordersOf(['b', 'a']), [], 'unsorted');
  t.same(duplicates(['a', 'b', 'a', 'c', 'b', 'a']), ['a', 'b']);
});

t.test('referrers tag schema (the draft spec\'s examples)', async (t) => {
  t.equal(referrersTag(`sha256:${'a'.repeat(64)}`), `sha256-${'a'.repeat(64)}`);
  t.equal(referrersTag(`sha512:${'a'.repeat(128)}`), `sha512-${'a'.repeat(64)}`, 'the encoded part truncated to 64');
  t.equal(
    referrersTag('test+algorithm+using+algorithm+separators+and+lots+of+characters+to+excercise+overall+truncation:alsoSome=InTheEncodedSectionToShowHyphenReplacementAndLotsAndLotsOfCharactersToExcerciseEncodedTruncation'),
    'test-algorithm-using-algorithm-s-alsoSome-InTheEncodedSectionToShowHyphenReplacementAndLotsAndLot',
    'algorithm truncated to 32, characters outside the tag grammar replaced by -',
  );
});

t.test('error bodies', async (t) => {
  const body = (codes: string[]) => JSON.stringify({ errors: codes.map((code) => ({ code, message: 'm', detail: { x: 1 } })) });
  const check = async (res: RegistryResponse, codes: ErrorCode[], opts?: Parameters<typeof checkErrorBody>[3]) => {
    const { ctx, seen } = context();
    const out = await checkErrorBody(ctx, res, codes, opts);
    return { out, seen };
  };
  const json = { 'content-type': 'application/json' };

  const ok = await check(response(404, json, body(['BLOB_UNKNOWN'])), ['BLOB_UNKNOWN']);
  t.same(ok.out, { codes: ['BLOB_UNKNOWN'], json: true });
  t.equal(ok.seen['error-codes'], 'BLOB_UNKNOWN', 'the codes are observed');
  t.same((await check(response(404, json, body(['NAME_UNKNOWN', 'BLOB_UNKNOWN'])), ['BLOB_UNKNOWN'])).out.codes, ['NAME_UNKNOWN', 'BLOB_UNKNOWN'], 'any entry may carry it');
  t.same((await check(response(400, json, body(['TAG_INVALID'])), [])).out.codes, ['TAG_INVALID'], 'Docker legacy codes are allowed');

  // Another code of the table breaks only a SHOULD (the MUST is that the code is in the table),
  // unless the spec names the code with a MUST (codeLevel), as for MANIFEST_BLOB_UNKNOWN.
  const other = await check(response(404, json, body(['NAME_UNKNOWN'])), ['BLOB_UNKNOWN']).catch((e: unknown) => e);
  t.ok(other instanceof CaseFailure, 'another code fails');
  t.match(other, { level: 'SHOULD', expected: 'error code BLOB_UNKNOWN', actual: 'code NAME_UNKNOWN' }, 'at SHOULD');
  t.match(await check(response(400, json, body(['MANIFEST_INVALID'])), ['MANIFEST_BLOB_UNKNOWN'], { codeLevel: 'MUST' }).catch((e: unknown) => e), { level: 'MUST' }, 'at MUST where the spec says MUST');
  const outside = await check(response(404, json, body(['NOT_A_CODE'])), ['BLOB_UNKNOWN']).catch((e: unknown) => e);
  t.ok(outside instanceof CaseFailure && outside.level === undefined, 'a code outside the table fails at the case\'s level');
  t.same((await check(response(416, json, body(['BLOB_UPLOAD_UNKNOWN'])), [])).out.codes, ['BLOB_UPLOAD_UNKNOWN'], 'no code expected: any code of the table passes');
  await t.rejects(check(response(404, json, body(['blob_unknown'])), ['BLOB_UNKNOWN']), CaseFailure, 'lower case');
  await t.rejects(check(response(404, json, body(['NOT_A_CODE'])), []), CaseFailure, 'a code outside the table');
  await t.rejects(check(response(404, json, JSON.stringify({ error: 'x' })), ['BLOB_UNKNOWN']), CaseFailure, 'JSON of another shape');
  await t.rejects(check(response(404, json, JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 3 }] })), ['BLOB_UNKNOWN']), CaseFailure, 'a message that is not a string');
  await t.rejects(check(response(404, json, 'not json'), ['BLOB_UNKNOWN']), CaseFailure, 'a body announced as JSON that is not');

  // A 4XX body MAY be in any format: the code cannot be seen, so the case is skipped (or told so).
  await t.rejects(check(response(404, { 'content-type': 'text/plain' }, '404 page not found'), ['BLOB_UNKNOWN']), CaseSkip);
  t.same((await check(response(404, {}, ''), ['NAME_UNKNOWN'], { allowNonJson: true })).out, { codes: [], json: false });
  await t.rejects(check(response(400, { 'content-type': 'text/plain' }, 'nope'), ['MANIFEST_BLOB_UNKNOWN'], { requireJson: true }), CaseFailure, 'unless the spec requires the code');
});
