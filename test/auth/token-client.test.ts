// The token protocol client against recorded token-endpoint answers (Docker Hub, GHCR, Harbor, ACR,
// Quay, GCR shapes), replayed by a loopback server that also records what was asked.
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { TokenEndpointClient } from '../../src/client/token-endpoint.js';
import { TokenClient, TokenError } from '../../src/auth/token-client.js';
import { TransportError } from '../../src/client/errors.js';
import { selfSignedCertificate } from '../../reference-server/auth/x509.js';

interface Reply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}
interface Seen {
  method: string;
  url: URL;
  authorization?: string;
  body: string;
}

/** A replay server: `routes` maps "METHOD /path" to a reply (or a function of the request). */
async function replay(t: { teardown(fn: () => unknown): void }, routes: Record<string, Reply | ((s: Seen) => Reply)>) {
  const seen: Seen[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = { method: req.method!, url: new URL(req.url!, 'http://x'), body: Buffer.concat(chunks).toString(), ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) };
      seen.push(s);
      const r = routes[`${s.method} ${s.url.pathname}`];
      const reply = typeof r === 'function' ? r(s) : (r ?? { status: 404, body: '404 page not found' });
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const http = new TokenEndpointClient({ timeoutMs: 5000 });
  t.teardown(async () => {
    await http.close();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { base, seen, http };
}

const NOW = Date.parse('2026-01-01T00:00:00Z');

t.test('recorded token responses of real registries parse to a token and a lifetime', async (t) => {
  const shapes: Array<[string, string, { token: string; expiresIn: number; given: boolean; fields: { token: boolean; accessToken: boolean } }]> = [
    ['Docker Hub', '{"token":"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.hub","access_token":"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.hub","expires_in":300,"issued_at":"2026-01-01T00:00:00.123456789Z"}',
      { token: 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.hub', expiresIn: 300, given: true, fields: { token: true, accessToken: true } }],
    ['GHCR', '{"token":"djE6b2N0by9hcHA6MTcwMDAwMDAwMA=="}', { token: 'djE6b2N0by9hcHA6MTcwMDAwMDAwMA==', expiresIn: 60, given: false, fields: { token: true, accessToken: false } }],
    ['Harbor', '{"token":"eyJ.harbor.sig","access_token":"","expires_in":1800,"issued_at":"2026-01-01T00:00:00Z"}', { token: 'eyJ.harbor.sig', expiresIn: 1800, given: true, fields: { token: true, accessToken: true } }],
    ['ACR', '{"access_token":"eyJ.acr.sig"}', { token: 'eyJ.acr.sig', expiresIn: 60, given: false, fields: { token: false, accessToken: true } }],
    ['Quay', '{"token": "eyJ.quay.sig"}', { token: 'eyJ.quay.sig', expiresIn: 60, given: false, fields: { token: true, accessToken: false } }],
    ['GCR', '{"expires_in":3599,"issued_at":"2026-01-01T00:00:00.000000Z","token":"ya29.gcr"}', { token: 'ya29.gcr', expiresIn: 3599, given: true, fields: { token: true, accessToken: false } }],
    ['expires_in as a string', '{"token":"x1","expires_in":"120"}', { token: 'x1', expiresIn: 120, given: true, fields: { token: true, accessToken: false } }],
  ];
  for (const [name, body, want] of shapes) {
    const { base, http } = await replay(t, { 'GET /token': { status: 200, body } });
    const tc = new TokenClient(http, () => NOW);
    const r = await tc.fetch({ realm: new URL(`${base}/token`), service: 's', scopes: [] });
    t.equal(r.token, want.token, `${name}: token`);
    t.equal(r.expiresIn, want.expiresIn, `${name}: expires_in`);
    t.equal(r.expiresInGiven, want.given, `${name}: expires_in given`);
    t.same(r.fields, want.fields, `${name}: fields`);
    t.equal(r.expiresAt, NOW + want.expiresIn * 1000, `${name}: expiry from now (issued_at equals now or is absent)`);
    t.equal(r.method, 'GET');
  }
});

t.test('GET: service, one scope parameter per resource, account and Basic credentials; offline_token with client_id', async (t) => {
  const { base, http, seen } = await replay(t, { 'GET /token': { status: 200, body: '{"token":"t","refresh_token":"r1"}' } });
  const tc = new TokenClient(http);
  const r = await tc.fetch({
    realm: new URL(`${base}/token?extra=kept`),
    service: 'registry.docker.io',
    scopes: ['repository:a/b:pull,push', 'repository:c/d:pull'],
    credentials: { kind: 'password', username: 'robot$ci+x', password: 'p:w' },
    method: 'GET',
    offline: true,
    clientId: 'my-client',
  });
  t.equal(r.refreshToken, 'r1');
  const q = seen[0]!.url.searchParams;
  t.equal(q.get('extra'), 'kept', 'query of the realm kept');
  t.equal(q.get('service'), 'registry.docker.io');
  t.same(q.getAll('scope'), ['repository:a/b:pull,push', 'repository:c/d:pull']);
  t.equal(q.get('account'), 'robot$ci+x');
  t.equal(q.get('offline_token'), 'true');
  t.equal(q.get('client_id'), 'my-client');
  t.equal(Buffer.from(seen[0]!.authorization!.slice(6), 'base64').toString(), 'robot$ci+x:p:w');
});

t.test('POST password grant; 404 falls back to GET and is remembered; 401 falls back but is not remembered', async (t) => {
  let postStatus = 404;
  const { base, http, seen } = await replay(t, {
    'POST /token': () => ({ status: postStatus, body: '{"error":"x"}' }),
    'GET /token': { status: 200, body: '{"token":"t"}' },
  });
  const tc = new TokenClient(http);
  const req = { realm: new URL(`${base}/token`), service: 's', scopes: ['repository:a:pull'], credentials: { kind: 'password' as const, username: 'u', password: 'p' } };
  await tc.fetch(req);
  await tc.fetch(req);
  t.same(seen.map((s) => s.method), ['POST', 'GET', 'GET'], '404 once, then GET directly');
  const form = new URLSearchParams(seen[0]!.body);
  t.same(Object.fromEntries(form), { grant_type: 'password', username: 'u', password: 'p', service: 's', client_id: 'regprobe', scope: 'repository:a:pull' });

  postStatus = 401;
  const tc2 = new TokenClient(http);
  seen.length = 0;
  await tc2.fetch(req);
  await tc2.fetch(req);
  t.same(seen.map((s) => s.method), ['POST', 'GET', 'POST', 'GET'], '401 is not taken as "no POST here"');
});

t.test('refresh-token grant (identity token); without POST and without a password it cannot work', async (t) => {
  const { base, http, seen } = await replay(t, { 'POST /oauth2/token': { status: 200, body: '{"access_token":"acr-access","refresh_token":"same"}' } });
  const tc = new TokenClient(http);
  const r = await tc.fetch({ realm: new URL(`${base}/oauth2/token`), service: 'myreg.azurecr.io', scopes: ['repository:x:pull', 'repository:y:pull'], credentials: { kind: 'refresh-token', refreshToken: 'idtoken', username: '00000000-0000-0000-0000-000000000000' } });
  t.equal(r.token, 'acr-access');
  t.equal(r.method, 'POST');
  const f = new URLSearchParams(seen[0]!.body);
  t.equal(f.get('grant_type'), 'refresh_token');
  t.equal(f.get('refresh_token'), 'idtoken');
  t.equal(f.get('scope'), 'repository:x:pull repository:y:pull', 'POST takes one space-separated scope');

  const none = await replay(t, {});
  const tc2 = new TokenClient(none.http);
  const err = await tc2.fetch({ realm: new URL(`${none.base}/token`), scopes: [], credentials: { kind: 'refresh-token', refreshToken: 'idtoken' } }).catch((e: unknown) => e);
  t.ok(err instanceof TokenError, 'refused');
  t.equal((err as TokenError).status, 404);
});

t.test('error answers: 401 credentials-rejected, 403, 500 with an OAuth error, not JSON, no token', async (t) => {
  const { base, http } = await replay(t, {
    'GET /401': { status: 401, body: '{"details":"incorrect username or password"}' },
    'GET /403': { status: 403, body: '' },
    'GET /500': { status: 500, body: '{"error":"server_error","error_description":"db down"}' },
    'GET /html': { status: 200, body: '<html>login</html>' },
    'GET /empty': { status: 200, body: '{"expires_in":300}' },
  });
  const tc = new TokenClient(http);
  const kinds: Record<string, string> = {};
  for (const p of ['401', '403', '500', 'html', 'empty']) {
    const e = await tc.fetch({ realm: new URL(`${base}/${p}`), scopes: [], credentials: { kind: 'password', username: 'u', password: 'secret-pw' }, method: 'GET' }).catch((x: unknown) => x);
    t.ok(e instanceof TokenError, p);
    kinds[p] = (e as TokenError).kind;
    t.notMatch((e as Error).message, /secret-pw/, `${p}: no secret in the message`);
    if (p === '500') t.match((e as Error).message, /500: server_error \(db down\)/);
  }
  t.same(kinds, { '401': 'credentials-rejected', '403': 'forbidden', '500': 'http-status', html: 'bad-response', empty: 'bad-response' });
});

t.test('issued_at: honoured when plausible, ignored when the clocks disagree', async (t) => {
  const { base, http } = await replay(t, {
    'GET /past': { status: 200, body: '{"token":"a","expires_in":300,"issued_at":"2025-12-31T23:59:00Z"}' },
    'GET /skewed': { status: 200, body: '{"token":"b","expires_in":300,"issued_at":"2020-01-01T00:00:00Z"}' },
    'GET /future': { status: 200, body: '{"token":"c","expires_in":300,"issued_at":"2026-01-01T00:01:00Z"}' },
  });
  const tc = new TokenClient(http, () => NOW);
  const past = await tc.fetch({ realm: new URL(`${base}/past`), scopes: [] });
  t.equal(past.expiresAt, Date.parse('2025-12-31T23:59:00Z') + 300_000, 'a minute old: expires a minute sooner');
  const skewed = await tc.fetch({ realm: new URL(`${base}/skewed`), scopes: [] });
  t.equal(skewed.expiresAt, NOW + 300_000, 'years off: counted from now');
  const future = await tc.fetch({ realm: new URL(`${base}/future`), scopes: [] });
  t.equal(future.expiresAt, NOW + 300_000, 'in the future: counted from now, never longer');
});

t.test('redirects: same origin keeps Authorization, another origin drops it; https to http refused', async (t) => {
  const other = await replay(t, { 'GET /token': { status: 200, body: '{"token":"elsewhere"}' } });
  const { base, http, seen } = await replay(t, {
    'GET /same': { status: 302, headers: { location: '/token' } },
    'GET /token': { status: 200, body: '{"token":"here"}' },
  });
  const tc = new TokenClient(http);
  const creds = { kind: 'password' as const, username: 'u', password: 'p' };
  const r1 = await tc.fetch({ realm: new URL(`${base}/same`), scopes: [], credentials: creds, method: 'GET' });
  t.equal(r1.token, 'here');
  t.ok(seen.at(-1)!.authorization?.startsWith('Basic '), 'same origin: credentials kept');

  const redirecting = await replay(t, { 'GET /away': { status: 307, headers: { location: `${other.base}/token` } } });
  const r2 = await new TokenClient(redirecting.http).fetch({ realm: new URL(`${redirecting.base}/away`), scopes: [], credentials: creds, method: 'GET' });
  t.equal(r2.token, 'elsewhere');
  t.equal(other.seen.at(-1)!.authorization, undefined, 'another origin: no credentials');

  const up = await replay(t, { 'GET /up': { status: 302, headers: { location: 'ftp://example.invalid/token' } } });
  const e = await new TokenClient(up.http).fetch({ realm: new URL(`${up.base}/up`), scopes: [], method: 'GET' }).catch((x: unknown) => x);
  t.ok(e instanceof TransportError, 'a redirect to a non-HTTP URL is refused');

  // An https token endpoint redirecting to http: refused, credentials never sent in clear.
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const cert = selfSignedCertificate(privateKey, publicKey, { commonName: '127.0.0.1' });
  const secure = createHttpsServer({ cert, key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string }, (_req, res) => {
    res.writeHead(302, { location: `${other.base}/token` });
    res.end();
  });
  await new Promise<void>((r) => secure.listen(0, '127.0.0.1', () => r()));
  const tls = new TokenEndpointClient({ insecure: true, timeoutMs: 2000 });
  t.teardown(async () => {
    await tls.close();
    await new Promise<void>((r) => secure.close(() => r()));
  });
  const before = other.seen.length;
  const down = await new TokenClient(tls).fetch({ realm: new URL(`https://127.0.0.1:${(secure.address() as AddressInfo).port}/token`), scopes: [], credentials: creds, method: 'GET' }).catch((x: unknown) => x);
  t.ok(down instanceof TransportError, 'https -> http redirect refused');
  t.match((down as Error).message, /from https to http/);
  t.equal(other.seen.length, before, 'the http endpoint was never contacted');
});
