// end-1, routing, name grammar and malformed requests of the reference registry.
import t from 'tap';
import { errorCodes, parseRawResponse, pushImage, rawExchange, startRegistry } from './harness.js';

t.test('GET /v2/ answers 200 with the API version header (end-1)', async (t) => {
  const { client } = await startRegistry(t);
  const res = await client.request({ method: 'GET', path: '/v2/' });
  t.equal(res.status, 200);
  t.equal(res.header('docker-distribution-api-version'), 'registry/2.0');
  t.same(await res.json(), {});
  const head = await client.request({ method: 'HEAD', path: '/v2' });
  t.equal(head.status, 200, 'HEAD /v2 without trailing slash');
  await head.dump();
});

t.test('unknown routes are 404 and unknown methods 405, both with the spec error body', async (t) => {
  const { client, server } = await startRegistry(t);
  const nf = await client.request({ method: 'GET', path: '/v3/whatever' });
  t.equal(nf.status, 404);
  t.equal(nf.header('docker-distribution-api-version'), 'registry/2.0', 'version header on errors too');
  t.same(await errorCodes(nf), ['UNSUPPORTED']);

  const m = await client.request({ method: 'POST', path: '/v2/repo/manifests/latest' });
  t.equal(m.status, 405);
  t.equal(m.header('allow'), 'GET, HEAD, PUT, DELETE');
  t.same(await errorCodes(m), ['UNSUPPORTED']);

  const opt = await client.request({ method: 'OPTIONS', path: '/v2/repo/tags/list' });
  t.equal(opt.status, 405);
  t.same(await errorCodes(opt), ['UNSUPPORTED']);

  // A method token Node's parser does not know at all still gets a 405 with the error body.
  const raw = parseRawResponse(await rawExchange(server.port, 'BREW /v2/ HTTP/1.1\r\nHost: x\r\n\r\n'));
  t.equal(raw.status, 405);
  t.equal(raw.headers['docker-distribution-api-version'], 'registry/2.0');
  t.match(raw.body, /"code":"UNSUPPORTED"/);
});

t.test('names outside the grammar are 400 NAME_INVALID and never touch the disk', async (t) => {
  const { server } = await startRegistry(t);
  const cases = [
    '/v2/a/%2Fb/tags/list',
    '/v2/a%2F..%2F..%2Fetc/tags/list',
    '/v2/a/../../etc/tags/list',
    '/v2/UPPER/tags/list',
    '/v2/a//b/manifests/latest',
    `/v2/${'a'.repeat(256)}/tags/list`,
    '/v2/-a/blobs/uploads/',
  ];
  for (const path of cases) {
    // raw request line: no client-side normalisation of `..`
    const method = path.endsWith('/uploads/') ? 'POST' : 'GET';
    const res = parseRawResponse(await rawExchange(server.port, `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`));
    t.equal(res.status, 400, `${method} ${path}`);
    t.match(res.body, /"code":"NAME_INVALID"/, `${path} body`);
  }
});

t.test('a tag outside the grammar cannot exist: 404 on GET/HEAD/DELETE, 400 TAG_INVALID on PUT', async (t) => {
  const { client } = await startRegistry(t);
  await pushImage(client, 'repo', 'v1');
  // The v1.1.1 conformance suite reads /manifests/.INVALID_MANIFEST_NAME and wants 404 (so does distribution).
  for (const method of ['GET', 'HEAD', 'DELETE']) {
    for (const tag of ['.INVALID_MANIFEST_NAME', '-dash', 'x'.repeat(129)]) {
      const res = await client.request({ method, path: `/v2/repo/manifests/${tag}` });
      t.equal(res.status, 404, `${method} ${tag.slice(0, 24)}`);
      if (method !== 'HEAD') t.same(await errorCodes(res), ['MANIFEST_UNKNOWN'], `${method} ${tag.slice(0, 24)}: code`);
      else await res.dump();
    }
  }
  const noRepo = await client.request({ method: 'GET', path: '/v2/nothing/here/manifests/.INVALID_MANIFEST_NAME' });
  t.equal(noRepo.status, 404);
  t.same(await errorCodes(noRepo), ['NAME_UNKNOWN'], 'as for any tag of a repository that does not exist');
  const put = await client.request({ method: 'PUT', path: '/v2/repo/manifests/.INVALID_MANIFEST_NAME', body: '{}' });
  t.equal(put.status, 400);
  t.same(await errorCodes(put), ['TAG_INVALID']);
  const still = await client.request({ method: 'GET', path: '/v2/repo/manifests/v1' });
  t.equal(still.status, 200, 'DELETE of an invalid tag removed nothing');
  await still.dump();
});

t.test('bad tags and digests in references are 400 with TAG_INVALID / DIGEST_INVALID', async (t) => {
  const { client } = await startRegistry(t);
  const long = await client.request({ method: 'PUT', path: `/v2/repo/manifests/${'x'.repeat(129)}`, body: '{}' });
  t.equal(long.status, 400);
  t.same(await errorCodes(long), ['TAG_INVALID']);
  for (const d of ['sha256:xyz', 'md5:' + 'a'.repeat(32), 'sha256:' + 'A'.repeat(64)]) {
    const res = await client.request({ method: 'GET', path: `/v2/repo/blobs/${d}` });
    t.equal(res.status, 400, d);
    const text = await res.text();
    t.match(text, /DIGEST_INVALID/, d);
    if (d.startsWith('md5')) t.match(text, /unsupported digest algorithm/);
  }
});

t.test('malformed HTTP gets a 400 error body and the server keeps serving', async (t) => {
  const { server, client } = await startRegistry(t);
  const garbage = parseRawResponse(await rawExchange(server.port, 'GET /v2/ HTTP/1.1\r\nthis is not a header\r\n\r\n'));
  t.equal(garbage.status, 400);
  t.match(garbage.body, /"errors"/);
  const badLength = parseRawResponse(await rawExchange(server.port, 'PUT /v2/r/manifests/t HTTP/1.1\r\nHost: x\r\nContent-Length: banana\r\n\r\n'));
  t.equal(badLength.status, 400);
  const ok = await client.request({ method: 'GET', path: '/v2/' });
  t.equal(ok.status, 200, 'still serving');
  await ok.dump();
});
