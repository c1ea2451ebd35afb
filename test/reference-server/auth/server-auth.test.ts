// The reference registry with auth on: htpasswd and token mode over HTTP, the token service (GET and
// OAuth2 POST), and bad input (malformed headers, oversized headers, garbage JWTs, odd scopes): always
// a 401 with the spec's body, never a 500, never a crash.
import t from 'tap';
import { connect } from 'node:net';
import bcrypt from 'bcryptjs';
import { RegistryClient, type RegistryResponse } from '../../../src/client/registry-client.js';
import { parseChallenges } from '../../../src/auth/challenge.js';
import { parseErrorBody } from '../../../src/oci/errors.js';
import { digestOf } from '../../../src/oci/digest.js';
import { startReferenceServer } from '../../../reference-server/server.js';
import { createAuthorizer, type AuthorizerOptions, type ReferenceAuthorizer } from '../../../reference-server/auth/authorizer.js';
import { parseAccessRules } from '../../../reference-server/auth/access-rules.js';

const USERS = new Map([
  ['alice', bcrypt.hashSync('alice-pw', 4)],
  ['bob', bcrypt.hashSync('bob-pw', 4)],
]);
const RULES = parseAccessRules(
  '{"rules":[{"account":"alice","repository":"team/*","actions":["*"]},{"account":"*","repository":"public/*","actions":["pull"]},{"account":"alice","repository":"public/*","actions":["push"]},{"account":"alice","type":"registry","name":"catalog","actions":["*"]},{"account":"bob","repository":"team/*","actions":["pull"]}]}',
);
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

async function serve(t: { teardown(fn: () => unknown): void }, o: AuthorizerOptions) {
  const authz: ReferenceAuthorizer = await createAuthorizer(o);
  const server = await startReferenceServer({ authorizer: authz });
  const client = new RegistryClient({ baseUrl: server.url, timeoutMs: 10_000 });
  t.teardown(async () => {
    await client.close();
    await server.close();
    await authz.close();
  });
  return { server, client, authz, url: server.url };
}

function req(client: RegistryClient, method: string, path: string, authorization?: string, body?: string, query?: Record<string, string>): Promise<RegistryResponse> {
  return client.request({
    method,
    path,
    anonymous: true,
    ...(query ? { query } : {}),
    headers: { ...(authorization !== undefined ? { authorization } : {}), ...(body !== undefined || method === 'POST' || method === 'PUT' ? { 'content-length': String(Buffer.byteLength(body ?? '')) } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
}

async function codes(res: RegistryResponse): Promise<string[]> {
  const b = parseErrorBody(await res.text());
  return b ? b.errors.map((e) => e.code) : ['(not an error body)'];
}

async function token(url: string, scopes: string[], creds?: [string, string], extra = ''): Promise<{ status: number; body: Record<string, unknown> }> {
  const q = new URLSearchParams({ service: 'regprobe-registry' });
  for (const s of scopes) q.append('scope', s);
  const r = await fetch(`${url}/token?${q}${extra}`, { headers: creds ? { authorization: basic(...creds) } : {} });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

async function pushBlob(client: RegistryClient, repo: string, authorization: string, data = 'hello'): Promise<string> {
  const digest = digestOf(Buffer.from(data));
  const res = await client.request({ method: 'POST', path: `/v2/${repo}/blobs/uploads/`, query: { digest }, anonymous: true, headers: { authorization, 'content-length': String(data.length) }, body: data });
  if (res.status !== 201) throw new Error(`push ${repo}: ${res.status} ${await res.text()}`);
  await res.dump();
  return digest;
}

t.test('htpasswd mode: Basic challenge, users in, wrong password out, rules as 403 DENIED', async (t) => {
  const { client } = await serve(t, { mode: 'htpasswd', users: USERS, rules: RULES, basicRealm: 'my realm' });
  const anon = await req(client, 'GET', '/v2/');
  t.equal(anon.status, 401);
  t.equal(anon.header('www-authenticate'), 'Basic realm="my realm"');
  t.same(await codes(anon), ['UNAUTHORIZED']);
  const ok = await req(client, 'GET', '/v2/', basic('alice', 'alice-pw'));
  t.equal(ok.status, 200);
  await ok.dump();
  const wrong = await req(client, 'GET', '/v2/', basic('alice', 'nope'));
  t.equal(wrong.status, 401);
  t.same(await codes(wrong), ['UNAUTHORIZED']);
  const digest = await pushBlob(client, 'team/app', basic('alice', 'alice-pw'));
  const bobPull = await req(client, 'GET', `/v2/team/app/blobs/${digest}`, basic('bob', 'bob-pw'));
  t.equal(bobPull.status, 200);
  await bobPull.dump();
  const bobPush = await req(client, 'POST', '/v2/team/app/blobs/uploads/', basic('bob', 'bob-pw'));
  t.equal(bobPush.status, 403);
  t.same(await codes(bobPush), ['DENIED']);
  const pub = await pushBlob(client, 'public/lib', basic('alice', 'alice-pw'), 'public bytes');
  const anonPull = await req(client, 'GET', `/v2/public/lib/blobs/${pub}`);
  t.equal(anonPull.status, 200, 'anonymous pull of public/* by the "*" rule');
  await anonPull.dump();
  const anonPush = await req(client, 'POST', '/v2/public/lib/blobs/uploads/');
  t.equal(anonPush.status, 401);
  await anonPush.dump();
});

t.test('token mode: challenge, token service GET, scopes as the rules give them, insufficient_scope', async (t) => {
  const { client, url } = await serve(t, { mode: 'token', users: USERS, rules: RULES });
  const anon = await req(client, 'GET', '/v2/team/app/tags/list');
  t.equal(anon.status, 401);
  const ch = parseChallenges(anon.header('www-authenticate'))[0]!;
  t.same(ch.params, { realm: `${url}/token`, service: 'regprobe-registry', scope: 'repository:team/app:pull' });
  t.same(await codes(anon), ['UNAUTHORIZED']);

  const full = await token(url, ['repository:team/app:pull,push,delete', 'repository:elsewhere/x:pull'], ['alice', 'alice-pw']);
  t.equal(full.status, 200);
  t.equal(full.body.token, full.body.access_token, 'token and access_token both, equal');
  t.equal(full.body.expires_in, 300);
  t.type(full.body.issued_at, 'string');
  const claims = JSON.parse(Buffer.from(String(full.body.token).split('.')[1]!, 'base64url').toString()) as { access: unknown; sub: string };
  t.same(claims.access, [{ type: 'repository', name: 'team/app', actions: ['pull', 'push', 'delete'] }], 'the intersection: nothing for elsewhere/x');
  t.equal(claims.sub, 'alice');
  const digest = await pushBlob(client, 'team/app', `Bearer ${String(full.body.token)}`);

  const bob = await token(url, ['repository:team/app:pull,push'], ['bob', 'bob-pw']);
  const bobPull = await req(client, 'GET', `/v2/team/app/blobs/${digest}`, `Bearer ${String(bob.body.token)}`);
  t.equal(bobPull.status, 200, 'bob may pull');
  await bobPull.dump();
  const bobPush = await req(client, 'POST', '/v2/team/app/blobs/uploads/', `Bearer ${String(bob.body.token)}`);
  t.equal(bobPush.status, 401);
  const bch = parseChallenges(bobPush.header('www-authenticate'))[0]!;
  t.equal(bch.params.error, 'insufficient_scope');
  t.equal(bch.params.scope, 'repository:team/app:pull,push');
  await bobPush.dump();

  const wrong = await token(url, ['repository:team/app:pull'], ['alice', 'bad']);
  t.equal(wrong.status, 401);
  t.same((wrong.body.errors as Array<{ code: string }>).map((e) => e.code), ['UNAUTHORIZED']);
  const anonTok = await token(url, ['repository:public/lib:pull,push', 'repository:team/app:pull']);
  t.equal(anonTok.status, 200, 'anonymous token: 200 with what anonymous may have');
  const ac = JSON.parse(Buffer.from(String(anonTok.body.token).split('.')[1]!, 'base64url').toString()) as { access: unknown; sub: string };
  t.same(ac.access, [{ type: 'repository', name: 'public/lib', actions: ['pull'] }]);
  t.equal(ac.sub, '');

  const cat = await req(client, 'GET', '/v2/_catalog', `Bearer ${String(full.body.token)}`);
  t.equal(cat.status, 401, 'catalog needs registry:catalog:*');
  t.match(cat.header('www-authenticate'), /scope="registry:catalog:\*"/);
  await cat.dump();
  const catTok = await token(url, ['registry:catalog:*'], ['alice', 'alice-pw']);
  const cat2 = await req(client, 'GET', '/v2/_catalog', `Bearer ${String(catTok.body.token)}`);
  t.equal(cat2.status, 200);
  await cat2.dump();

  const wrongService = await fetch(`${url}/token?service=someone-else&scope=repository:team/app:pull`);
  t.equal(wrongService.status, 400);
  await wrongService.text();
  const put = await fetch(`${url}/token`, { method: 'PUT' });
  t.equal(put.status, 405);
  await put.text();
});

t.test('token mode: a mount needs pull on the source repository', async (t) => {
  const { client, url } = await serve(t, { mode: 'token', users: USERS, rules: RULES });
  const alice = await token(url, ['repository:team/src:pull,push'], ['alice', 'alice-pw']);
  const digest = await pushBlob(client, 'team/src', `Bearer ${String(alice.body.token)}`, 'mount me');
  // alice may push to public/dst but bob may not read team/src... use alice with a token lacking pull on team/src
  const dstOnly = await token(url, ['repository:public/dst:pull,push'], ['alice', 'alice-pw']);
  const m = await req(client, 'POST', '/v2/public/dst/blobs/uploads/', `Bearer ${String(dstOnly.body.token)}`, undefined, { mount: digest, from: 'team/src' });
  t.not(m.status, 201, 'not mounted');
  t.equal(m.status, 202, 'an upload session instead');
  await m.dump();
  const both = await token(url, ['repository:public/dst:pull,push', 'repository:team/src:pull'], ['alice', 'alice-pw']);
  const m2 = await req(client, 'POST', '/v2/public/dst/blobs/uploads/', `Bearer ${String(both.body.token)}`, undefined, { mount: digest, from: 'team/src' });
  t.equal(m2.status, 201, 'mounted with pull on the source');
  await m2.dump();
});

t.test('token service: offline_token refresh tokens, OAuth2 POST password and refresh grants', async (t) => {
  const { client, url } = await serve(t, { mode: 'token', users: USERS, rules: RULES });
  const off = await token(url, ['repository:team/app:pull'], ['alice', 'alice-pw'], '&offline_token=true&client_id=test');
  t.type(off.body.refresh_token, 'string');
  const post = (form: Record<string, string>, ct = 'application/x-www-form-urlencoded') =>
    fetch(`${url}/token`, { method: 'POST', headers: { 'content-type': ct }, body: new URLSearchParams(form).toString() }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
  const pw = await post({ grant_type: 'password', username: 'alice', password: 'alice-pw', service: 'regprobe-registry', client_id: 'test', access_type: 'offline', scope: 'repository:team/app:pull,push repository:team/b:pull' });
  t.equal(pw.status, 200);
  t.type(pw.body.access_token, 'string');
  t.equal(pw.body.scope, 'repository:team/app:pull,push repository:team/b:pull');
  t.equal(pw.body.expires_in, 300);
  t.type(pw.body.refresh_token, 'string');
  const rf = await post({ grant_type: 'refresh_token', refresh_token: String(pw.body.refresh_token), service: 'regprobe-registry', client_id: 'test', scope: 'repository:team/c:pull' });
  t.equal(rf.status, 200);
  t.equal(rf.body.refresh_token, pw.body.refresh_token, 'the same refresh token back');
  t.equal(rf.body.scope, 'repository:team/c:pull');
  const ping = await req(client, 'GET', '/v2/', `Bearer ${String(rf.body.access_token)}`);
  t.equal(ping.status, 200);
  await ping.dump();
  const viaGetOffline = await post({ grant_type: 'refresh_token', refresh_token: String(off.body.refresh_token), service: 'regprobe-registry' });
  t.equal(viaGetOffline.status, 200, 'a refresh token from GET offline_token works with POST');
  t.equal((await post({ grant_type: 'refresh_token', refresh_token: 'made-up', service: 'regprobe-registry' })).status, 401);
  t.equal((await post({ grant_type: 'refresh_token', refresh_token: String(pw.body.refresh_token), service: 'other' })).status, 400);
  t.equal((await post({ grant_type: 'password', username: 'alice', password: 'x' })).status, 401);
  t.equal((await post({ grant_type: 'password', username: 'alice' })).status, 400);
  t.equal((await post({ grant_type: 'authorization_code' })).status, 400);
  t.equal((await post({ grant_type: 'password' }, 'application/json')).status, 400);
  const big = await fetch(`${url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=password&x=${'a'.repeat(100 * 1024)}` });
  t.equal(big.status, 413);
  await big.text();
});

t.test('bad input in token mode: malformed Authorization, garbage JWTs, odd scopes -> 401 with the spec body, never 500', async (t) => {
  const { client, url } = await serve(t, { mode: 'token', users: USERS, rules: RULES });
  const headers = [
    'Bearer',
    'Bearer    ',
    'Bearer a.b',
    'Bearer e30.e30.e30',
    'Bearer eyJhbGciOiJub25lIn0.eyJhY2Nlc3MiOltdfQ.',
    `Bearer ${'A'.repeat(7000)}.${'B'.repeat(500)}.C`,
    `Bearer ${'x'.repeat(9000)}`,
    'Basic !!!',
    'Basic ' + Buffer.from('no colon').toString('base64'),
    'Negotiate abc',
    '"quoted"',
    '\t',
    'Bearer \u00e9\u00e8',
  ];
  for (const h of headers) {
    let res: RegistryResponse;
    try {
      res = await req(client, 'GET', '/v2/team/app/manifests/latest', h);
    } catch (err) {
      // undici refuses to send some header values at all: nothing reached the server
      t.match((err as Error).message, /header|invalid/i, `client refused to send ${JSON.stringify(h.slice(0, 20))}`);
      continue;
    }
    t.equal(res.status, 401, `${JSON.stringify(h.slice(0, 30))} -> 401`);
    t.ok(res.header('www-authenticate')?.startsWith('Bearer realm='), 'with a challenge');
    t.same(await codes(res), ['UNAUTHORIZED']);
  }
  const odd = await token(url, ['repository:../../etc/passwd:pull', 'repository:TEAM/APP:pull', 'nonsense', 'repository::pull', 'repository:team/app:PULL', `repository:${'a'.repeat(300)}:pull`, 'repository:"x":pull'], ['alice', 'alice-pw']);
  t.equal(odd.status, 200, 'odd scopes: a token with nothing in it');
  const claims = JSON.parse(Buffer.from(String(odd.body.token).split('.')[1]!, 'base64url').toString()) as { access: unknown };
  t.same(claims.access, []);
  const many = await token(url, Array.from({ length: 150 }, (_, i) => `repository:team/r${i}:pull`), ['alice', 'alice-pw']);
  t.equal(many.status, 200, '150 scopes: bounded, no error');
  const mc = JSON.parse(Buffer.from(String(many.body.token).split('.')[1]!, 'base64url').toString()) as { access: unknown[] };
  t.equal(mc.access.length, 64, 'at most 64 resources per token');
  // The registry stays well.
  const ok = await token(url, ['repository:team/app:pull'], ['alice', 'alice-pw']);
  const res = await req(client, 'GET', '/v2/', `Bearer ${String(ok.body.token)}`);
  t.equal(res.status, 200);
  await res.dump();
});

t.test('oversized headers are refused by the server without a crash', async (t) => {
  const { server, client } = await serve(t, { mode: 'htpasswd', users: USERS });
  const raw = await new Promise<string>((resolve, reject) => {
    const s = connect(server.port, '127.0.0.1', () => {
      s.write(`GET /v2/ HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${'Q'.repeat(64 * 1024)}\r\n\r\n`);
    });
    let got = '';
    s.on('data', (d) => (got += d.toString()));
    s.on('end', () => resolve(got));
    s.on('close', () => resolve(got));
    s.on('error', (e) => (got ? resolve(got) : reject(e)));
    s.setTimeout(5000, () => s.destroy());
  });
  t.match(raw, /^HTTP\/1\.1 431/, 'Request Header Fields Too Large');
  const res = await req(client, 'GET', '/v2/', basic('alice', 'alice-pw'));
  t.equal(res.status, 200, 'and the server still answers');
  await res.dump();
});

t.test('a burst of bad logins does not take the server down; good users keep working', async (t) => {
  const { client, url } = await serve(t, { mode: 'token', users: USERS, rules: RULES, checker: { concurrency: 1, maxQueue: 16 } });
  const warm = await token(url, ['repository:team/app:pull'], ['alice', 'alice-pw']);
  t.equal(warm.status, 200);
  const burst = Array.from({ length: 150 }, (_, i) => token(url, ['repository:team/app:pull'], ['alice', `guess-${i}`]).then((r) => r.status));
  // While the burst runs, the registry and a known login (cached) are served.
  const during = await token(url, ['repository:team/app:pull'], ['alice', 'alice-pw']);
  t.equal(during.status, 200, 'a cached good login is served during the burst');
  const ping = await req(client, 'GET', '/v2/', `Bearer ${String(during.body.token)}`);
  t.equal(ping.status, 200);
  await ping.dump();
  const statuses = await Promise.all(burst);
  const seen = [...new Set(statuses)].sort();
  t.same(seen.filter((s) => s !== 401 && s !== 429), [], `only 401 and 429 (${seen.join(', ')})`);
  t.ok(statuses.includes(429), 'the excess was refused as busy, not queued without bound');
  const after = await token(url, ['repository:team/app:pull'], ['bob', 'bob-pw']);
  t.equal(after.status, 200, 'a fresh login works after the burst');
});
