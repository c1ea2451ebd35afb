import t from 'tap';
import { checkDigest, digestOf, Digester, parseDigest } from '../../src/oci/digest.js';
import { isValidName, isValidTag } from '../../src/oci/names.js';
import { EMPTY_JSON, EMPTY_JSON_DIGEST } from '../../src/oci/media-types.js';

t.test('digests', async (t) => {
  t.equal(digestOf(EMPTY_JSON), EMPTY_JSON_DIGEST, 'empty JSON descriptor digest');
  t.same(checkDigest('sha256:xyz'), { ok: false, reason: 'malformed' });
  t.same(checkDigest('md5:' + 'a'.repeat(32)), { ok: false, reason: 'unsupported-algorithm' });
  t.equal(checkDigest(digestOf('x', 'sha512')).ok, true, 'sha512 accepted');
  t.equal(checkDigest('sha256:' + 'A'.repeat(64)).ok, false, 'upper-case hex refused for sha256');
  t.equal(parseDigest('not a digest'), null);
  const d = new Digester('sha256');
  d.update(Buffer.from('ab'));
  const mid = d.copy();
  d.update(Buffer.from('c'));
  t.equal(mid.digest(), digestOf('ab'), 'copy finalizes at its own point');
  t.equal(d.digest(), digestOf('abc'));
  t.equal(d.size, 3);
});

t.test('names and tags', async (t) => {
  for (const n of ['a', 'library/ubuntu', 'a.b/c_d/e__f/g--h', 'x0/y-1']) t.ok(isValidName(n), n);
  for (const n of ['A', '-a', 'a/', '/a', 'a//b', 'a/../b', 'a..b', 'a___b', 'a%2Fb', 'a'.repeat(256)]) t.notOk(isValidName(n), n);
  for (const g of ['latest', 'v1.0', '_x', 'A'.repeat(128)]) t.ok(isValidTag(g), g);
  for (const g of ['.x', '-x', 'A'.repeat(129), 'a/b', 'a:b', '']) t.notOk(isValidTag(g), g);
});
