// Blob uploads: end-4a/4b/4c, end-5, end-6, end-11, end-13, end-14, and what bad input gets.
import t from 'tap';
import { Readable } from 'node:stream';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { RegistryClient } from '../../src/client/registry-client.js';
import { digestOf } from '../../src/oci/digest.js';
import { errorCodes, parseRawResponse, pushBlob, rawExchange, startRegistry } from './harness.js';

const UUID_RE = /^[0-9a-f-]{36}$/;

async function open(client: RegistryClient, repo: string, query?: Record<string, string>): Promise<string> {
  const res = await client.request({ method: 'POST', path: `/v2/${repo}/blobs/uploads/`, query, headers: { 'content-length': '0' } });
  if (res.status !== 202) throw new Error(`POST ${res.status}`);
  await res.dump();
  return res.header('location')!;
}

async function status(client: RegistryClient, location: string): Promise<{ status: number; range?: string }> {
  const res = await client.request({ method: 'GET', path: location });
  await res.dump();
  return { status: res.status, range: res.header('range') };
}

async function blobStatus(client: RegistryClient, repo: string, digest: string): Promise<number> {
  const res = await client.request({ method: 'HEAD', path: `/v2/${repo}/blobs/${digest}` });
  await res.dump();
  return res.status;
}

t.test('POST opens a session (202, Location, Range 0-0, upload UUID); PUT with the body completes it', async (t) => {
  const { client } = await startRegistry(t);
  const post = await client.request({ method: 'POST', path: '/v2/app/blobs/uploads/', headers: { 'content-length': '0' } });
  t.equal(post.status, 202);
  const location = post.header('location')!;
  t.match(location, /^\/v2\/app\/blobs\/uploads\/[0-9a-f-]{36}$/);
  t.equal(post.header('range'), '0-0');
  t.match(post.header('docker-upload-uuid'), UUID_RE);
  t.ok(location.endsWith(post.header('docker-upload-uuid')!), 'UUID is the session in the Location');
  await post.dump();
  const data = Buffer.from('monolithic');
  const digest = digestOf(data);
  const put = await client.request({ method: 'PUT', path: location, query: { digest }, headers: { 'content-type': 'application/octet-stream' }, body: data });
  t.equal(put.status, 201);
  t.equal(put.header('location'), `/v2/app/blobs/${digest}`);
  t.equal(put.header('docker-content-digest'), digest);
  await put.dump();
  const get = await client.request({ method: 'GET', path: put.header('location')! });
  t.same(await get.bytes(), data, 'Location is pullable');
  t.equal((await status(client, location)).status, 404, 'the session is gone after completion');
});

t.test('single-request POST ?digest= with the body is 201; a wrong digest stores nothing', async (t) => {
  const { client, server } = await startRegistry(t);
  const data = Buffer.from('single request');
  const digest = digestOf(data);
  const res = await client.request({ method: 'POST', path: '/v2/s/blobs/uploads/', query: { digest }, body: data });
  t.equal(res.status, 201);
  t.equal(res.header('location'), `/v2/s/blobs/${digest}`);
  t.equal(res.header('docker-content-digest'), digest);
  await res.dump();
  t.equal(await blobStatus(client, 's', digest), 200);

  const wrong = digestOf('something else');
  const bad = await client.request({ method: 'POST', path: '/v2/s/blobs/uploads/', query: { digest: wrong }, body: data });
  t.equal(bad.status, 400);
  t.same(await errorCodes(bad), ['DIGEST_INVALID']);
  t.equal(await blobStatus(client, 's', wrong), 404, 'nothing stored under the claimed digest');
  t.same(await readdir(join(server.storageDir, 'uploads')), [], 'no session left behind');
});

t.test('streamed PATCH without Content-Range, then PUT without a body', async (t) => {
  const { client } = await startRegistry(t);
  const location = await open(client, 'stream');
  const parts = [Buffer.from('part one, '), Buffer.from('part two, '), Buffer.from('part three')];
  const patch = await client.request({ method: 'PATCH', path: location, headers: { 'content-type': 'application/octet-stream' }, body: Readable.from(parts) });
  t.equal(patch.status, 202);
  const whole = Buffer.concat(parts);
  t.equal(patch.header('range'), `0-${whole.length - 1}`);
  t.equal(patch.header('location'), location);
  t.match(patch.header('docker-upload-uuid'), UUID_RE);
  await patch.dump();
  const digest = digestOf(whole);
  const put = await client.request({ method: 'PUT', path: location, query: { digest }, headers: { 'content-length': '0' } });
  t.equal(put.status, 201);
  await put.dump();
  const get = await client.request({ method: 'GET', path: `/v2/stream/blobs/${digest}` });
  t.same(await get.bytes(), whole);
});

t.test('chunked PATCH with Content-Range: out of order is 416 and the session stays usable', async (t) => {
  const { client } = await startRegistry(t);
  const data = Buffer.from('aaaaabbbbbcccccdd');
  const digest = digestOf(data);
  const location = await open(client, 'chunks');
  const patch = async (start: number, end: number, body = data.subarray(start, end + 1)) => {
    const res = await client.request({ method: 'PATCH', path: location, headers: { 'content-range': `${start}-${end}`, 'content-type': 'application/octet-stream' }, body });
    const text = await res.text();
    return { status: res.status, range: res.header('range'), location: res.header('location'), text };
  };
  let r = await patch(0, 4);
  t.equal(r.status, 202);
  t.equal(r.range, '0-4', 'Range ends at the last byte received');
  t.equal(r.location, location);
  r = await patch(10, 14);
  t.equal(r.status, 416, 'a chunk past the current offset');
  t.equal(r.range, '0-4', 'Range on the 416 too');
  t.match(r.text, /BLOB_UPLOAD_INVALID/);
  r = await patch(0, 4);
  t.equal(r.status, 416, 'a chunk repeating received bytes');
  const st = await status(client, location);
  t.equal(st.status, 204, 'GET status');
  t.equal(st.range, '0-4', 'unchanged by the refused chunks');
  r = await patch(5, 14);
  t.equal(r.status, 202);
  t.equal(r.range, '0-14');
  // the last chunk in the closing PUT, with its Content-Range
  const put = await client.request({ method: 'PUT', path: location, query: { digest }, headers: { 'content-range': '15-16', 'content-type': 'application/octet-stream' }, body: data.subarray(15) });
  t.equal(put.status, 201);
  t.equal(put.header('docker-content-digest'), digest);
  await put.dump();
  const get = await client.request({ method: 'GET', path: `/v2/chunks/blobs/${digest}` });
  t.same(await get.bytes(), data);
});

t.test('GET upload status is 204 with Range and Location', async (t) => {
  const { client } = await startRegistry(t);
  const location = await open(client, 'st');
  const res = await client.request({ method: 'GET', path: location });
  t.equal(res.status, 204);
  t.equal(res.header('location'), location);
  t.equal(res.header('range'), '0-0');
  await res.dump();
});

t.test('sha512: digest-algorithm sessions, and a sha512 digest on a default session', async (t) => {
  const { client } = await startRegistry(t);
  const data = Buffer.from('five-twelve');
  const d512 = digestOf(data, 'sha512');
  const location = await open(client, 'h', { 'digest-algorithm': 'sha512' });
  const put = await client.request({ method: 'PUT', path: location, query: { digest: d512 }, body: data });
  t.equal(put.status, 201);
  t.equal(put.header('docker-content-digest'), d512);
  await put.dump();
  const get = await client.request({ method: 'GET', path: `/v2/h/blobs/${d512}` });
  t.equal(get.header('docker-content-digest'), d512);
  t.same(await get.bytes(), data);

  const other = Buffer.from('default session, sha512 digest');
  const loc2 = await open(client, 'h');
  const patch = await client.request({ method: 'PATCH', path: loc2, body: other });
  t.equal(patch.status, 202);
  await patch.dump();
  const put2 = await client.request({ method: 'PUT', path: loc2, query: { digest: digestOf(other, 'sha512') } });
  t.equal(put2.status, 201, 'the data is hashed again with the requested algorithm');
  await put2.dump();

  const single = await client.request({ method: 'POST', path: '/v2/h/blobs/uploads/', query: { digest: digestOf('x', 'sha512') }, body: 'x' });
  t.equal(single.status, 201, 'single-request POST with a sha512 digest');
  await single.dump();

  const bad = await client.request({ method: 'POST', path: '/v2/h/blobs/uploads/', query: { 'digest-algorithm': 'md5' } });
  t.equal(bad.status, 400);
  t.same(await errorCodes(bad), ['DIGEST_INVALID']);
});

t.test('a digest mismatch on PUT is 400 DIGEST_INVALID, nothing stored, the session is gone', async (t) => {
  const { client } = await startRegistry(t);
  const location = await open(client, 'm');
  const claimed = digestOf('not this');
  const put = await client.request({ method: 'PUT', path: location, query: { digest: claimed }, body: 'this' });
  t.equal(put.status, 400);
  t.same(await errorCodes(put), ['DIGEST_INVALID']);
  t.equal(await blobStatus(client, 'm', claimed), 404);
  t.equal(await blobStatus(client, 'm', digestOf('this')), 404);
  t.equal((await status(client, location)).status, 404);
});

t.test('missing or malformed digests on PUT are 400 DIGEST_INVALID and keep the session', async (t) => {
  const { client } = await startRegistry(t);
  const location = await open(client, 'dg');
  for (const query of [undefined, { digest: 'sha256:xyz' }, { digest: 'md5:' + 'a'.repeat(32) }, { digest: 'nonsense' }]) {
    const res = await client.request({ method: 'PUT', path: location, query, headers: { 'content-length': '0' } });
    t.equal(res.status, 400, JSON.stringify(query));
    t.same(await errorCodes(res), ['DIGEST_INVALID'], JSON.stringify(query));
  }
  t.equal((await status(client, location)).status, 204, 'still open');
});

t.test('Content-Length that disagrees with Content-Range is SIZE_INVALID; garbage Content-Range is BLOB_UPLOAD_INVALID', async (t) => {
  const { client, server } = await startRegistry(t);
  const location = await open(client, 'sz');
  const path = new URL(location, server.url).pathname;
  // The client library sets Content-Length itself, so the lying header goes out on a raw socket.
  const lying = parseRawResponse(
    await rawExchange(server.port, `PATCH ${path} HTTP/1.1\r\nHost: x\r\nContent-Range: 0-9\r\nContent-Length: 5\r\nConnection: close\r\n\r\nabcde`),
  );
  t.equal(lying.status, 400);
  t.match(lying.body, /"code":"SIZE_INVALID"/);
  for (const cr of ['banana', '5-2', 'bytes=a-b', '-1-4']) {
    const res = await client.request({ method: 'PATCH', path: location, headers: { 'content-range': cr }, body: 'abcd' });
    t.equal(res.status, 400, cr);
    t.same(await errorCodes(res), ['BLOB_UPLOAD_INVALID'], cr);
  }
  const ok = await client.request({ method: 'PATCH', path: location, headers: { 'content-range': '0-3' }, body: 'abcd' });
  t.equal(ok.status, 202, 'the session survived all of it');
  t.equal(ok.header('range'), '0-3');
  await ok.dump();
});

t.test('a Content-Length shorter than the body: the rest is a malformed next request, answered after the first', async (t) => {
  const { client, server } = await startRegistry(t);
  const location = await open(client, 'short');
  const path = new URL(location, server.url).pathname;
  const raw = await rawExchange(server.port, `PATCH ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc-and-then-garbage\r\n\r\n`);
  const statuses = [...raw.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
  // `-and-then-garbage` is read as the next request line, whose method is not a method: 405.
  t.same(statuses, [202, 405], 'the announced bytes are taken and answered first, the rest refused');
  const st = await status(client, location);
  t.equal(st.range, '0-2', 'exactly Content-Length bytes were kept');
});

t.test('a body cut off mid-PATCH is rolled back and the server keeps serving', async (t) => {
  const { client, server } = await startRegistry(t);
  const location = await open(client, 'cut');
  const first = await client.request({ method: 'PATCH', path: location, body: 'kept' });
  t.equal(first.status, 202);
  await first.dump();
  const path = new URL(location, server.url).pathname;
  await rawExchange(server.port, `PATCH ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n${'x'.repeat(400)}`, 300);
  // The server notices the closed connection asynchronously; until then the session is busy (416).
  // The next chunk must start at 4: had any of the cut bytes been kept, it would be refused for ever.
  // (Bounded in count, not time: 1000 tries, at least 20 s, however long a busy machine takes to notice.)
  let next = 0;
  for (let i = 0; i < 1000; i++) {
    const res = await client.request({ method: 'PATCH', path: location, headers: { 'content-range': '4-4' }, body: '!' });
    next = res.status;
    await res.dump();
    if (next !== 416) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  t.equal(next, 202, 'the cut PATCH left nothing behind: the session continues at offset 4');
  const st = await status(client, location);
  t.equal(st.status, 204);
  t.equal(st.range, '0-4');
  const put = await client.request({ method: 'PUT', path: location, query: { digest: digestOf('kept!') } });
  t.equal(put.status, 201, 'the upload completes with the right bytes');
  await put.dump();
});

t.test('unknown, foreign and cancelled sessions are 404 BLOB_UPLOAD_UNKNOWN; cancel is 204', async (t) => {
  const { client } = await startRegistry(t);
  const fake = '/v2/u/blobs/uploads/00000000-0000-4000-8000-000000000000';
  for (const method of ['GET', 'PATCH', 'PUT', 'DELETE']) {
    const res = await client.request({ method, path: fake, query: method === 'PUT' ? { digest: digestOf('') } : undefined, body: method === 'PATCH' ? 'x' : undefined });
    t.equal(res.status, 404, method);
    t.same(await errorCodes(res), ['BLOB_UPLOAD_UNKNOWN'], method);
  }
  const notUuid = await client.request({ method: 'GET', path: '/v2/u/blobs/uploads/..%2F..%2Fetc' });
  t.equal(notUuid.status, 404);
  t.same(await errorCodes(notUuid), ['BLOB_UPLOAD_UNKNOWN']);

  const location = await open(client, 'u');
  const foreign = await client.request({ method: 'GET', path: location.replace('/v2/u/', '/v2/other/') });
  t.equal(foreign.status, 404, 'a session is bound to its repository');
  await foreign.dump();
  const cancel = await client.request({ method: 'DELETE', path: location });
  t.equal(cancel.status, 204);
  await cancel.dump();
  const after = await client.request({ method: 'PATCH', path: location, body: 'late' });
  t.equal(after.status, 404);
  t.same(await errorCodes(after), ['BLOB_UPLOAD_UNKNOWN']);
});

t.test('mount with from: 201 only when from has the blob, else a normal 202 session', async (t) => {
  const { client } = await startRegistry(t);
  const digest = await pushBlob(client, 'source', 'shared layer');
  const ok = await client.request({ method: 'POST', path: '/v2/target/blobs/uploads/', query: { mount: digest, from: 'source' } });
  t.equal(ok.status, 201);
  t.equal(ok.header('location'), `/v2/target/blobs/${digest}`);
  t.equal(ok.header('docker-content-digest'), digest);
  await ok.dump();
  const get = await client.request({ method: 'GET', path: `/v2/target/blobs/${digest}` });
  t.equal(await get.text(), 'shared layer');

  const missing = digestOf('nobody has this');
  const no = await client.request({ method: 'POST', path: '/v2/target2/blobs/uploads/', query: { mount: missing, from: 'source' } });
  t.equal(no.status, 202);
  t.match(no.header('location'), /^\/v2\/target2\/blobs\/uploads\//);
  await no.dump();
  t.equal(await blobStatus(client, 'target2', missing), 404);

  const wrongFrom = await client.request({ method: 'POST', path: '/v2/target3/blobs/uploads/', query: { mount: digest, from: 'elsewhere' } });
  t.equal(wrongFrom.status, 202, 'from does not hold it: no mount, even though another repository does');
  await wrongFrom.dump();
  t.equal(await blobStatus(client, 'target3', digest), 404);

  const badDigest = await client.request({ method: 'POST', path: '/v2/target/blobs/uploads/', query: { mount: 'sha256:xyz', from: 'source' } });
  t.equal(badDigest.status, 400);
  t.same(await errorCodes(badDigest), ['DIGEST_INVALID']);
  const badFrom = await client.request({ method: 'POST', path: '/v2/target/blobs/uploads/', query: { mount: digest, from: '../etc' } });
  t.equal(badFrom.status, 400);
  t.same(await errorCodes(badFrom), ['NAME_INVALID']);
});

t.test('mount without from: by content when automatic mount is on, a session when off', async (t) => {
  const on = await startRegistry(t);
  const digest = await pushBlob(on.client, 'src', 'auto');
  const res = await on.client.request({ method: 'POST', path: '/v2/dst/blobs/uploads/', query: { mount: digest } });
  t.equal(res.status, 201);
  await res.dump();
  t.equal(await blobStatus(on.client, 'dst', digest), 200);

  const off = await startRegistry(t, { automaticMount: false });
  const d2 = await pushBlob(off.client, 'src', 'auto');
  const res2 = await off.client.request({ method: 'POST', path: '/v2/dst/blobs/uploads/', query: { mount: d2 } });
  t.equal(res2.status, 202);
  await res2.dump();
  t.equal(await blobStatus(off.client, 'dst', d2), 404);
});

t.test('a few MiB streamed through PATCH come back byte-exact', async (t) => {
  const { client } = await startRegistry(t);
  const chunk = Buffer.alloc(64 * 1024);
  const count = 64; // 4 MiB
  const hash = createHash('sha256');
  function* gen() {
    for (let i = 0; i < count; i++) {
      chunk.fill(i);
      const c = Buffer.from(chunk);
      hash.update(c);
      yield c;
    }
  }
  const location = await open(client, 'big');
  const patch = await client.request({ method: 'PATCH', path: location, body: Readable.from(gen()) });
  t.equal(patch.status, 202);
  t.equal(patch.header('range'), `0-${count * chunk.length - 1}`);
  await patch.dump();
  const digest = `sha256:${hash.digest('hex')}`;
  const put = await client.request({ method: 'PUT', path: location, query: { digest } });
  t.equal(put.status, 201);
  await put.dump();
  const get = await client.request({ method: 'GET', path: `/v2/big/blobs/${digest}` });
  t.equal(get.header('content-length'), String(count * chunk.length));
  const back = createHash('sha256');
  for await (const c of get.body) back.update(c as Buffer);
  t.equal(`sha256:${back.digest('hex')}`, digest);
});
