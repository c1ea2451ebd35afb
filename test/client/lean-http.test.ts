import t from 'tap';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { createHash } from 'node:crypto';
import { LeanHttp } from '../../src/client/lean-http.js';
import { createLoadDispatcher } from '../../src/client/load-dispatcher.js';
import { RegistryClient } from '../../src/client/registry-client.js';
import { blobGetOp, manifestGetOp, manifestHeadOp, pingOp, tagsPageOp } from '../../src/client/load-reads.js';
import { DigestMismatchError, OperationError } from '../../src/client/operations.js';
import { TransportError } from '../../src/client/errors.js';
import type { AuthProvider } from '../../src/client/auth-provider.js';

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; connections: () => number; close: () => Promise<void>; sockets: Set<Socket> }> {
  const server = createServer(handler);
  let connections = 0;
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    sockets,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

function loadClient(url: string, extra: { auth?: AuthProvider; timeoutMs?: number } = {}): { client: RegistryClient; close: () => Promise<void> } {
  const d = createLoadDispatcher();
  const client = new RegistryClient({ baseUrl: url, ...extra }, d);
  return { client, close: async () => { await client.close(); await d.close(); } };
}

const MANIFEST = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', layers: [] }));

t.test('a load client gets the lean path; a client on its own pool does not', async (t) => {
  const s = await listen((_q, r) => r.end('{}'));
  const { client, close } = loadClient(s.url);
  const plain = new RegistryClient({ baseUrl: s.url });
  t.teardown(async () => { await close(); await plain.close(); await s.close(); });
  t.ok(client.leanHttp(), 'load client');
  t.equal(plain.leanHttp(), undefined, 'plain client');
  t.equal(new RegistryClient({ baseUrl: s.url, onExchange: () => {} }, createLoadDispatcher()).leanHttp(), undefined, 'an exchange hook (tracing) needs every exchange: no lean path');
});

t.test('manifest GET and HEAD keep one connection alive, check digests, report TTFB', async (t) => {
  const digest = sha(MANIFEST);
  let announced = digest;
  const s = await listen((req, res) => {
    t.equal(req.headers.accept?.split(',')[0], 'application/vnd.oci.image.manifest.v1+json', 'Accept sent');
    res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json', 'Content-Length': MANIFEST.length, 'Docker-Content-Digest': announced });
    res.end(req.method === 'HEAD' ? undefined : MANIFEST);
  });
  const { client, close } = loadClient(s.url);
  t.teardown(async () => { await close(); await s.close(); });
  const get = manifestGetOp(client, 'r', 'latest');
  const head = manifestHeadOp(client, 'r', 'latest', digest);
  for (let i = 0; i < 20; i++) {
    const g = await get();
    t.equal(g.bytes, MANIFEST.length);
    t.ok(g.ttfbMs > 0);
    t.equal((await head()).bytes, 0);
  }
  t.equal(s.connections(), 1, '40 sequential GETs and HEADs over one connection');
  announced = sha('something else');
  await t.rejects(get(), DigestMismatchError, 'GET: bytes that do not hash to the announced digest');
  await t.rejects(head(), DigestMismatchError, 'HEAD: another digest announced');
  const byDigest = manifestGetOp(client, 'r', sha('not these bytes'));
  await t.rejects(byDigest(), DigestMismatchError, 'by digest: the digest asked for is what counts');
});

t.test('chunked and close-delimited bodies, Link of a tag page, concurrent requests', async (t) => {
  const body = JSON.stringify({ name: 'r', tags: Array.from({ length: 500 }, (_, i) => `t${i}`) });
  const s = await listen((req, res) => {
    if (req.url === '/v2/') {
      // No Content-Length, Connection: close: the body ends with the connection.
      res.writeHead(200, { Connection: 'close' });
      res.end('{}');
      return;
    }
    t.equal(req.url, '/v2/r/tags/list?n=500');
    res.writeHead(200, { 'Content-Type': 'application/json', Link: '</v2/r/tags/list?n=500&last=t499>; rel="next"' });
    // Several writes: chunked encoding, chunks split across reads.
    for (let i = 0; i < body.length; i += 700) res.write(body.slice(i, i + 700));
    res.end();
  });
  const { client, close } = loadClient(s.url);
  t.teardown(async () => { await close(); await s.close(); });
  const tags = tagsPageOp(client, 'r', 500);
  const pages = await Promise.all(Array.from({ length: 8 }, () => tags()));
  for (const p of pages) {
    t.equal(p.bytes, Buffer.byteLength(body));
    t.equal(p.next, '/v2/r/tags/list?n=500&last=t499');
  }
  const ping = pingOp(client);
  for (let i = 0; i < 3; i++) t.equal((await ping()).bytes, 0, 'close-delimited answer read to its end');
});

t.test('errors: status with the OCI code kept, refused connection, timeout, a stale keep-alive connection retried', async (t) => {
  let mode = 'ok';
  const s = await listen((req, res) => {
    if (mode === 'missing') {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'no such manifest' }] }));
    } else if (mode === 'hang') {
      // Never answers.
    } else {
      res.writeHead(200, { 'Content-Length': 2 });
      res.end('{}');
    }
  });
  const { client, close } = loadClient(s.url, { timeoutMs: 600 });
  t.teardown(async () => { await close(); await s.close(); });
  const ping = pingOp(client);
  await ping();
  // The registry closes the idle keep-alive connection: the next request must not fail for it.
  // Asked right away, the request is written on the connection being closed: it is retried once.
  for (const sock of s.sockets) sock.destroy();
  await ping();
  t.equal(s.connections(), 2, 'a new connection after the registry closed the idle one');
  mode = 'missing';
  const err = await manifestGetOp(client, 'r', 'nope')().catch((e: unknown) => e);
  t.type(err, OperationError);
  t.equal((err as OperationError).status, 404);
  t.match((err as OperationError).bodyStart, /MANIFEST_UNKNOWN/);
  t.equal((err as OperationError).requestLine, 'GET /v2/r/manifests/nope');
  mode = 'hang';
  const timeout = await ping().catch((e: unknown) => e);
  t.type(timeout, TransportError);
  t.equal((timeout as TransportError).code, 'TIMEOUT');
  const refused = loadClient('http://127.0.0.1:1');
  t.teardown(refused.close);
  const r = await pingOp(refused.client)().catch((e: unknown) => e);
  t.type(r, TransportError);
  t.equal((r as TransportError).code, 'CONNECTION_REFUSED');
});

t.test('a garbage answer is a protocol error', async (t) => {
  const server = createNetServer((sock) => {
    sock.once('data', () => sock.end('SSH-2.0-OpenSSH\r\n\r\n'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const { client, close } = loadClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  t.teardown(close);
  const err = await pingOp(client)().catch((e: unknown) => e);
  t.type(err, TransportError);
  t.equal((err as TransportError).code, 'PROTOCOL');
});

t.test('blob GET streams the body: verified, corrupted, and unhashed', async (t) => {
  const blob = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
  for (let i = 0; i < blob.length; i += 4096) blob[i] = i & 0xff;
  const digest = sha(blob);
  let corrupt = false;
  const s = await listen((_req, res) => {
    res.writeHead(200, { 'Content-Length': blob.length });
    const out = corrupt ? Buffer.from(blob) : blob;
    if (corrupt) out[12345] ^= 1;
    res.end(out);
  });
  const { client, close } = loadClient(s.url);
  t.teardown(async () => { await close(); await s.close(); });
  t.equal((await blobGetOp(client, 'r', digest, true)()).bytes, blob.length, 'verified');
  t.equal((await blobGetOp(client, 'r', digest, false)()).bytes, blob.length, 'unhashed');
  corrupt = true;
  await t.rejects(blobGetOp(client, 'r', digest, true)(), DigestMismatchError, 'one flipped bit is a digest mismatch');
  t.equal((await blobGetOp(client, 'r', digest, false)()).bytes, blob.length, 'verify=false does not look');
});

t.test('a 401 sends the operation to RegistryClient and its auth for good', async (t) => {
  let authorized = 0;
  let anonymous = 0;
  const s = await listen((req, res) => {
    if (req.headers.authorization !== 'Bearer good') {
      anonymous++;
      res.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="x"', 'Content-Length': 0 });
      res.end();
      return;
    }
    authorized++;
    res.writeHead(200, { 'Content-Length': 2 });
    res.end('{}');
  });
  let token: string | undefined;
  const auth: AuthProvider = {
    authorization: async () => token,
    handleChallenge: async () => {
      token = 'Bearer good';
      return true;
    },
  };
  const { client, close } = loadClient(s.url, { auth });
  t.teardown(async () => { await close(); await s.close(); });
  const ping = pingOp(client);
  for (let i = 0; i < 5; i++) await ping();
  t.equal(authorized, 5, 'every operation succeeded with credentials');
  t.equal(anonymous, 2, 'the lean attempt and RegistryClient\'s first try were anonymous; none after');
  const noAuth = loadClient(s.url);
  t.teardown(noAuth.close);
  const err = await pingOp(noAuth.client)().catch((e: unknown) => e);
  t.type(err, OperationError, 'without auth a 401 is the answer');
  t.equal((err as OperationError).status, 401);
});

t.test('with credentials, a 403 or 404 to the anonymous lean request also hands over to RegistryClient', async (t) => {
  for (const hidden of [403, 404]) {
    let authorized = 0;
    let anonymous = 0;
    // A registry that hides a private repository from anonymous clients instead of challenging them.
    const s = await listen((req, res) => {
      if (req.headers.authorization !== 'Basic ok') {
        anonymous++;
        res.writeHead(hidden, { 'Content-Type': 'application/json' });
        res.end('{"errors":[{"code":"NAME_UNKNOWN","message":"hidden"}]}');
        return;
      }
      authorized++;
      res.writeHead(200, { 'Content-Length': 2 });
      res.end('{}');
    });
    const auth: AuthProvider = { authorization: async () => 'Basic ok', handleChallenge: async () => false };
    const { client, close } = loadClient(s.url, { auth });
    const ping = pingOp(client);
    for (let i = 0; i < 4; i++) await ping();
    t.equal(authorized, 4, `${hidden}: every operation succeeded with credentials`);
    t.equal(anonymous, 1, `${hidden}: only the first lean attempt was anonymous`);
    const noAuth = loadClient(s.url);
    const err = await pingOp(noAuth.client)().catch((e: unknown) => e);
    t.equal((err as OperationError).status, hidden, `${hidden}: without credentials it is the answer`);
    await noAuth.close();
    await close();
    await s.close();
  }
});

t.test('LeanHttp refuses request targets that would break the request line', async (t) => {
  const lean = new LeanHttp({ origin: new URL('http://127.0.0.1:1'), timeoutMs: 1000, userAgent: 'x' });
  t.throws(() => lean.prepare('GET', 'v2/'), TypeError);
  t.throws(() => lean.prepare('GET', '/v2/ HTTP/1.1'), TypeError);
  t.throws(() => lean.prepare('GET', '/v2/', { a: 'b\r\nc: d' }), TypeError);
  lean.close();
});

t.test('over TLS: verified with the CA given, skipped with insecure, refused otherwise', async (t) => {
  const { selfSignedCert } = await import('../helpers/broken-targets.js');
  const { createServer: createHttpsServer } = await import('node:https');
  const cert = await selfSignedCert();
  const server = createHttpsServer({ key: cert.key, cert: cert.cert }, (_req, res) => {
    res.writeHead(200, { 'Content-Length': MANIFEST.length, 'Docker-Content-Digest': sha(MANIFEST) });
    res.end(MANIFEST);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.teardown(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await cert.cleanup();
  });
  const clients = [
    { name: 'CA given', d: createLoadDispatcher({ ca: cert.cert }) },
    { name: 'insecure', d: createLoadDispatcher({ insecure: true }) },
    { name: 'no trust', d: createLoadDispatcher() },
  ].map((c) => ({ ...c, client: new RegistryClient({ baseUrl: url }, c.d) }));
  t.teardown(async () => {
    for (const c of clients) {
      await c.client.close();
      await c.d.close();
    }
  });
  for (const c of clients.slice(0, 2)) {
    t.ok(c.client.leanHttp(), `${c.name}: lean path`);
    const get = manifestGetOp(c.client, 'r', 'latest');
    for (let i = 0; i < 3; i++) t.equal((await get()).bytes, MANIFEST.length, `${c.name}: GET over TLS`);
  }
  const err = await manifestGetOp(clients[2]!.client, 'r', 'latest')().catch((e: unknown) => e);
  t.type(err, TransportError);
  t.equal((err as TransportError).code, 'TLS', 'an untrusted certificate is a TLS error');
});
