// end-2 (GET/HEAD blobs, ranges, conditional GET) and end-10 (DELETE blob).
import t from 'tap';
import { digestOf } from '../../src/oci/digest.js';
import { errorCodes, pushBlob, startRegistry } from './harness.js';

const DATA = Buffer.from('0123456789abcdefghij'); // 20 bytes

t.test('GET and HEAD a blob: exact length, digest, ranges advertised, ETag', async (t) => {
  const { client } = await startRegistry(t);
  const digest = await pushBlob(client, 'lib/app', DATA);
  const get = await client.request({ method: 'GET', path: `/v2/lib/app/blobs/${digest}` });
  t.equal(get.status, 200);
  t.equal(get.header('content-length'), '20');
  t.equal(get.header('docker-content-digest'), digest);
  t.equal(get.header('accept-ranges'), 'bytes');
  t.equal(get.header('etag'), `"${digest}"`);
  t.same(await get.bytes(), DATA);
  const head = await client.request({ method: 'HEAD', path: `/v2/lib/app/blobs/${digest}` });
  t.equal(head.status, 200);
  t.equal(head.header('content-length'), '20');
  t.equal(head.header('docker-content-digest'), digest);
  t.equal((await head.bytes()).length, 0, 'HEAD has no body');
});

t.test('a blob is visible only in the repository it was pushed to', async (t) => {
  const { client } = await startRegistry(t);
  const digest = await pushBlob(client, 'one', DATA);
  const other = await client.request({ method: 'GET', path: `/v2/two/blobs/${digest}` });
  t.equal(other.status, 404);
  t.same(await errorCodes(other), ['BLOB_UNKNOWN']);
  const head = await client.request({ method: 'HEAD', path: `/v2/one/blobs/${digestOf('never')}` });
  t.equal(head.status, 404);
  await head.dump();
});

t.test('single ranges answer 206 with Content-Range; unsatisfiable ones 416 with an empty body', async (t) => {
  const { client } = await startRegistry(t);
  const digest = await pushBlob(client, 'r', DATA);
  const path = `/v2/r/blobs/${digest}`;
  const cases: Array<[string, string, string]> = [
    ['bytes=0-4', 'bytes 0-4/20', '01234'],
    ['bytes=15-', 'bytes 15-19/20', 'fghij'],
    ['bytes=-3', 'bytes 17-19/20', 'hij'],
    ['bytes=18-100', 'bytes 18-19/20', 'ij'],
  ];
  for (const [range, contentRange, body] of cases) {
    const res = await client.request({ method: 'GET', path, headers: { range } });
    t.equal(res.status, 206, range);
    t.equal(res.header('content-range'), contentRange, range);
    t.equal(res.header('content-length'), String(body.length), range);
    t.equal(await res.text(), body, range);
  }
  for (const range of ['bytes=20-', 'bytes=100-200', 'bytes=-0']) {
    const res = await client.request({ method: 'GET', path, headers: { range } });
    t.equal(res.status, 416, range);
    t.equal(res.header('content-range'), 'bytes */20', range);
    t.equal((await res.bytes()).length, 0, `${range}: empty body`);
  }
  // Not a single byte range: RFC 9110 lets the server ignore it and send everything.
  for (const range of ['bytes=0-1,5-6', 'items=0-1', 'garbage']) {
    const res = await client.request({ method: 'GET', path, headers: { range } });
    t.equal(res.status, 200, range);
    t.same(await res.bytes(), DATA, range);
  }
  const stale = await client.request({ method: 'GET', path, headers: { range: 'bytes=0-1', 'if-range': '"sha256:other"' } });
  t.equal(stale.status, 200, 'If-Range with another ETag: whole blob');
  await stale.dump();
});

t.test('If-None-Match with the ETag answers 304', async (t) => {
  const { client } = await startRegistry(t);
  const digest = await pushBlob(client, 'c', DATA);
  const res = await client.request({ method: 'GET', path: `/v2/c/blobs/${digest}`, headers: { 'if-none-match': `"${digest}"` } });
  t.equal(res.status, 304);
  t.equal((await res.bytes()).length, 0);
  const other = await client.request({ method: 'GET', path: `/v2/c/blobs/${digest}`, headers: { 'if-none-match': '"sha256:nope"' } });
  t.equal(other.status, 200);
  await other.dump();
});

t.test('DELETE a blob: 202, then 404; unknown blob 404; disabled deletes 405 UNSUPPORTED', async (t) => {
  const { client } = await startRegistry(t);
  const digest = await pushBlob(client, 'd', DATA);
  await pushBlob(client, 'keep', DATA);
  const del = await client.request({ method: 'DELETE', path: `/v2/d/blobs/${digest}` });
  t.equal(del.status, 202);
  await del.dump();
  const after = await client.request({ method: 'GET', path: `/v2/d/blobs/${digest}` });
  t.equal(after.status, 404);
  t.same(await errorCodes(after), ['BLOB_UNKNOWN']);
  const again = await client.request({ method: 'DELETE', path: `/v2/d/blobs/${digest}` });
  t.equal(again.status, 404);
  t.same(await errorCodes(again), ['BLOB_UNKNOWN']);
  const kept = await client.request({ method: 'GET', path: `/v2/keep/blobs/${digest}` });
  t.equal(kept.status, 200, 'the same content stays in another repository');
  t.same(await kept.bytes(), DATA);

  const ro = await startRegistry(t, { deleteEnabled: false });
  const d2 = await pushBlob(ro.client, 'd', DATA);
  const refused = await ro.client.request({ method: 'DELETE', path: `/v2/d/blobs/${d2}` });
  t.equal(refused.status, 405);
  t.same(await errorCodes(refused), ['UNSUPPORTED']);
});

t.test('an empty blob is served with Content-Length 0', async (t) => {
  const { client } = await startRegistry(t);
  const digest = await pushBlob(client, 'e', Buffer.alloc(0));
  const res = await client.request({ method: 'GET', path: `/v2/e/blobs/${digest}`, headers: { range: 'bytes=0-10' } });
  t.equal(res.status, 200, 'a range on an empty blob is ignored');
  t.equal(res.header('content-length'), '0');
  t.equal((await res.bytes()).length, 0);
});
