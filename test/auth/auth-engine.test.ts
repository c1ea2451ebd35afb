// The auth engine through RegistryClient against loopback registries answering as Docker Hub, GHCR,
// ECR, Harbor, ACR and Quay do (recorded shapes): which requests go to the token endpoint, with what,
// and that pulls and pushes get through; refresh before expiry; insufficient_scope widening; realm rules.
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { AuthEngine } from '../../src/auth/auth-engine.js';
import { AuthError } from '../../src/auth/errors.js';
import { redact } from '../../src/auth/redact.js';
import { RegistryClient } from '../../src/client/registry-client.js';
import { uploadBlobChunked } from '../../src/client/operations.js';
import type { Credential } from '../../src/auth/credentials.js';
import { selfSignedCertificate } from '../../reference-server/auth/x509.js';
import { FakeAuthRegistry, type FakeOptions } from '../helpers/fake-auth-registry.js';

interface Tap {
  teardown(fn: () => unknown): void;
}

async function setup(t: Tap, o: FakeOptions, credential?: Credential, extra: { now?: () => number; insecure?: boolean } = {}) {
  const reg = await new FakeAuthRegistry(o).start();
  const engine = new AuthEngine({ ...(credential ? { credential } : {}), ...(extra.now ? { now: extra.now } : {}), http: { insecure: extra.insecure ?? false } });
  const client = new RegistryClient({ baseUrl: reg.url, auth: engine, insecure: extra.insecure ?? false, timeoutMs: 5000 });
  t.teardown(async () => {
    await client.close();
    await engine.close();
    await reg.stop();
  });
  return { reg, engine, client };
}

async function status(client: RegistryClient, method: string, path: string): Promise<number> {
  const r = await client.request({ method, path, headers: method === 'POST' ? { 'content-length': '0' } : {} });
  await r.dump();
  return r.status;
}

function basicOf(h: string | undefined): string {
  return Buffer.from((h ?? '').replace(/^Basic /, ''), 'base64').toString('utf8');
}

t.test('Docker Hub: anonymous token for a public pull (GET, no Authorization, service and scope)', async (t) => {
  const { reg, client, engine } = await setup(t, { vendor: 'dockerhub', anonymousPull: true });
  t.equal(await status(client, 'GET', '/v2/library/alpine/manifests/latest'), 200);
  const tr = reg.tokenRequests();
  t.equal(tr.length, 1);
  t.equal(tr[0]!.method, 'GET');
  t.equal(tr[0]!.authorization, undefined, 'no credentials sent');
  t.equal(tr[0]!.query.get('service'), 'registry.docker.io');
  t.same(tr[0]!.query.getAll('scope'), ['repository:library/alpine:pull']);
  t.equal(engine.schemeFor(new URL(reg.url).origin), 'bearer');
  // the cached token serves the next pull without another token request
  t.equal(await status(client, 'GET', '/v2/library/alpine/manifests/3.19'), 200);
  t.equal(reg.tokenRequests().length, 1);
});

t.test('Docker Hub with a password: OAuth2 POST grant_type=password, then push', async (t) => {
  const { reg, client } = await setup(t, { vendor: 'dockerhub', users: { jdoe: 'hunter22' } }, { username: 'jdoe', password: 'hunter22', source: 'test' });
  t.equal(await status(client, 'POST', '/v2/jdoe/app/blobs/uploads/'), 202);
  const tr = reg.tokenRequests();
  t.equal(tr.length, 1);
  t.equal(tr[0]!.method, 'POST');
  const f = tr[0]!.form!;
  t.equal(f.get('grant_type'), 'password');
  t.equal(f.get('username'), 'jdoe');
  t.equal(f.get('password'), 'hunter22');
  t.equal(f.get('service'), 'registry.docker.io');
  t.equal(f.get('client_id'), 'regprobe');
  t.equal(f.get('scope'), 'repository:jdoe/app:pull,push', 'one space-joined scope field on POST');
});

t.test('GHCR: PAT as password; POST answers 405 so GET with Basic and account is used, and remembered', async (t) => {
  const { reg, client } = await setup(t, { vendor: 'ghcr', users: { octo: 'ghp_abcdefghijklmnop' } }, { username: 'octo', password: 'ghp_abcdefghijklmnop', source: 'test' });
  t.equal(await status(client, 'GET', '/v2/octo/app/manifests/v1'), 200);
  t.equal(await status(client, 'POST', '/v2/octo/app/blobs/uploads/'), 202);
  const tr = reg.tokenRequests();
  t.same(tr.map((r) => r.method), ['POST', 'GET', 'GET'], 'POST tried once, then GET only');
  t.equal(basicOf(tr[1]!.authorization), 'octo:ghp_abcdefghijklmnop');
  t.equal(tr[1]!.query.get('account'), 'octo');
  t.equal(tr[1]!.query.get('service'), 'ghcr.io');
  t.same(tr[2]!.query.getAll('scope'), ['repository:octo/app:pull,push']);
});

t.test('ECR: Basic challenge carrying service; AWS + login password sent as Basic', async (t) => {
  const { reg, client, engine } = await setup(t, { vendor: 'ecr', users: { AWS: 'eyJwYXlsb2FkIjoi' } }, { username: 'AWS', password: 'eyJwYXlsb2FkIjoi', source: 'test' });
  t.equal(await status(client, 'GET', '/v2/'), 200);
  t.equal(await status(client, 'POST', '/v2/team/app/blobs/uploads/'), 202);
  t.equal(engine.schemeFor(new URL(reg.url).origin), 'basic');
  const withAuth = reg.requests.filter((r) => r.authorization);
  t.ok(withAuth.every((r) => basicOf(r.authorization) === 'AWS:eyJwYXlsb2FkIjoi'));
  t.equal(reg.requests.filter((r) => !r.authorization).length, 1, 'only the first request went without credentials');
});

t.test('Harbor: robot account with $ and + in the name; token by GET', async (t) => {
  const user = 'robot$library+ci';
  const { reg, client } = await setup(t, { vendor: 'harbor', users: { [user]: 's3cr3t:with:colons' } }, { username: user, password: 's3cr3t:with:colons', source: 'test' });
  t.equal(await status(client, 'POST', '/v2/library/nginx/blobs/uploads/'), 202);
  const get = reg.tokenRequests().find((r) => r.method === 'GET')!;
  t.equal(get.query.get('account'), user, 'account decodes to the robot name');
  t.equal(basicOf(get.authorization), `${user}:s3cr3t:with:colons`);
  t.match(reg.requests.map((r) => r.path).join(' '), /\/service\/token/);
});

t.test('Harbor: when the token service refuses the credentials and Basic is offered too, Basic is used', async (t) => {
  const { reg, client, engine } = await setup(t, { vendor: 'harbor', offerBasic: true, tokenRefusesAll: true, users: { admin: 'Harbor12345' } }, { username: 'admin', password: 'Harbor12345', source: 'test' });
  t.equal(await status(client, 'GET', '/v2/library/nginx/manifests/v1'), 200);
  t.equal(engine.schemeFor(new URL(reg.url).origin), 'basic');
  t.same(reg.tokenRequests().map((r) => r.method), ['POST', 'GET'], 'the token endpoint refused POST and GET, then Basic');
  t.equal(basicOf(reg.requests.at(-1)!.authorization), 'admin:Harbor12345');
});

t.test('ACR: identity token from docker login -> OAuth2 refresh_token grant', async (t) => {
  const { reg, client } = await setup(
    t,
    { vendor: 'acr', identityTokens: { 'eyJhbGciOi.identity.token': '00000000-0000-0000-0000-000000000000' } },
    { username: '00000000-0000-0000-0000-000000000000', identityToken: 'eyJhbGciOi.identity.token', source: 'test' },
  );
  t.equal(await status(client, 'GET', '/v2/'), 200);
  t.equal(await status(client, 'POST', '/v2/team/app/blobs/uploads/'), 202);
  const tr = reg.tokenRequests();
  t.ok(tr.length >= 1 && tr.every((r) => r.method === 'POST'));
  const f = tr.at(-1)!.form!;
  t.equal(f.get('grant_type'), 'refresh_token');
  t.equal(f.get('refresh_token'), 'eyJhbGciOi.identity.token');
  t.equal(f.get('service'), 'myreg.azurecr.io');
  t.equal(f.get('scope'), 'repository:team/app:pull,push');
});

t.test('Quay: token response without expires_in counts as 60 s and is refreshed before it runs out', async (t) => {
  let now = 1_000_000;
  const { reg, client } = await setup(t, { vendor: 'quay', users: { 'org+bot': 'TOKEN' }, now: () => now }, { username: 'org+bot', password: 'TOKEN', source: 'test' }, { now: () => now });
  t.equal(await status(client, 'GET', '/v2/org/app/manifests/v1'), 200);
  const first = reg.tokenRequests().length;
  now += 30_000;
  t.equal(await status(client, 'GET', '/v2/org/app/manifests/v1'), 200);
  t.equal(reg.tokenRequests().length, first, 'still fresh at 30 s');
  now += 20_000; // 50 s: inside the refresh margin of a 60 s token
  t.equal(await status(client, 'GET', '/v2/org/app/manifests/v1'), 200);
  t.equal(reg.tokenRequests().length, first + 1, 'refreshed before expiry');
  t.equal(reg.requests.filter((r) => r.path.startsWith('/v2/org') && r.authorization?.startsWith('Bearer')).length, 2 + 1, 'no request was refused on the way');
});

t.test('a long chunked upload keeps working across token expiry (refresh mid-upload, never a 401)', async (t) => {
  let now = 5_000_000;
  const { reg, client, engine } = await setup(t, { vendor: 'harbor', users: { u: 'p' }, expiresIn: 60, now: () => now }, { username: 'u', password: 'p', source: 'test' }, { now: () => now });
  // Each PATCH "takes" 25 s of the shared clock: the upload outlives several tokens.
  const body = Buffer.alloc(10 * 1024, 7);
  const origRequest = client.request.bind(client);
  client.request = async (opts) => {
    if (opts.method === 'PATCH') now += 25_000;
    return origRequest(opts);
  };
  const r = await uploadBlobChunked(client, 'library/big', body, 1024);
  t.equal(r.chunks, 10);
  const refused = reg.requests.filter((x) => x.path.includes('/blobs/uploads/') && x.method === 'PATCH' && !x.authorization);
  t.equal(refused.length, 0);
  t.ok(engine.stats.refreshes >= 3, `refreshed ${engine.stats.refreshes} times`);
  const patches = reg.requests.filter((x) => x.method === 'PATCH').length;
  t.equal(patches, 10, 'every PATCH went through once (no 401 and retry)');
});

t.test('insufficient_scope widens the scope once, and only once', async (t) => {
  const { reg, client, engine } = await setup(t, { vendor: 'dockerhub', users: { u: 'p' }, manifestNeeds: ['push'] }, { username: 'u', password: 'p', source: 'test' });
  t.equal(await status(client, 'GET', '/v2/'), 200);
  // The engine now knows the realm and asks for pull up front; the registry wants pull,push.
  t.equal(await status(client, 'GET', '/v2/u/app/manifests/v1'), 200, 'widened to pull,push and retried');
  t.equal(engine.stats.widenings, 1);
  const scopes = reg.tokenRequests().map((r) => r.form?.get('scope') ?? null);
  t.same(scopes, [null, 'repository:u/app:pull', 'repository:u/app:pull,push']);
});

t.test('a registry asking again and again: no loop, the 401 surfaces', async (t) => {
  // anonymous client on a private repository: tokens come back empty, the registry says insufficient_scope
  const { reg, client } = await setup(t, { vendor: 'dockerhub' });
  t.equal(await status(client, 'GET', '/v2/private/app/manifests/v1'), 401);
  t.equal(await status(client, 'GET', '/v2/private/app/manifests/v1'), 401);
  t.ok(reg.tokenRequests().length <= 3, `bounded token requests (${reg.tokenRequests().length})`);
});

t.test('many concurrent requests after one challenge share one token request', async (t) => {
  const { reg, client } = await setup(t, { vendor: 'harbor', users: { u: 'p' } }, { username: 'u', password: 'p', source: 'test' });
  const results = await Promise.all(Array.from({ length: 20 }, () => status(client, 'GET', '/v2/library/x/manifests/v1')));
  t.same([...new Set(results)], [200]);
  t.ok(reg.tokenRequests().length <= 2, `${reg.tokenRequests().length} token requests for 20 concurrent pulls`);
});

t.test('wrong password: an AuthError naming the source, never the secret', async (t) => {
  const { client } = await setup(t, { vendor: 'ghcr', users: { octo: 'right' } }, { username: 'octo', password: 'wrong-secret-123', source: 'REGPROBE_USERNAME/REGPROBE_PASSWORD' });
  const err = await client.request({ method: 'GET', path: '/v2/octo/app/manifests/v1' }).then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof AuthError, 'AuthError');
  t.equal((err as AuthError).kind, 'credentials-rejected');
  t.match((err as Error).message, /refused.*REGPROBE_USERNAME\/REGPROBE_PASSWORD/);
  t.notMatch((err as Error).message, /wrong-secret-123/);
});

t.test('an https registry naming an http realm: credentials withheld, token asked for anonymously', async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const cert = selfSignedCertificate(privateKey, publicKey, { commonName: '127.0.0.1' });
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const { reg, client, engine } = await setup(
    t,
    { vendor: 'dockerhub', tls: { cert, key }, httpRealm: true, anonymousPull: true, users: { u: 'p' } },
    { username: 'u', password: 'p', source: 'test' },
    { insecure: true },
  );
  t.match(reg.url, /^https:/);
  t.match(reg.realm, /^http:/);
  t.equal(await status(client, 'GET', '/v2/library/alpine/manifests/latest'), 200, 'public pull works anonymously');
  const tr = reg.tokenRequests();
  t.ok(tr.length >= 1);
  t.ok(tr.every((r) => r.authorization === undefined && r.form === undefined), 'no Basic header, no password form to the http realm');
  t.match(engine.notes.join('\n'), /withheld/);
  const push = await client.request({ method: 'POST', path: '/v2/u/app/blobs/uploads/', headers: { 'content-length': '0' } }).then((r) => r.status, (e: unknown) => e);
  t.equal(push, 401, 'a push needs the credentials, which were not sent: 401');
});

t.test('a relative realm resolves against the registry URL', async (t) => {
  const { reg, client } = await setup(t, { vendor: 'harbor', relativeRealm: true, users: { u: 'p' } }, { username: 'u', password: 'p', source: 'test' });
  t.equal(reg.realm, '/service/token');
  t.equal(await status(client, 'GET', '/v2/library/x/manifests/v1'), 200);
  t.same(reg.tokenRequests().map((r) => `${r.method} ${r.path}`), ['POST /service/token', 'GET /service/token'], 'the realm on the registry origin (POST 404, then GET)');
});

t.test('Basic credentials are not sent before a challenge, nor to another origin', async (t) => {
  const { reg, client } = await setup(t, { vendor: 'ecr', users: { AWS: 'pw' } }, { username: 'AWS', password: 'pw', source: 'test' });
  const engine = client.auth as AuthEngine;
  t.equal(await engine.authorization([], new URL(reg.url)), undefined, 'nothing before a challenge');
  t.equal(await status(client, 'GET', '/v2/'), 200);
  t.equal(await engine.authorization([], new URL('http://127.0.0.2:1/')), undefined, 'nothing for an origin that never challenged');
  t.match(await engine.authorization([], new URL(reg.url)), /^Basic /);
});

t.test('secrets of tokens and credentials are redacted from text', async (t) => {
  const { client } = await setup(t, { vendor: 'ghcr', users: { octo: 'ghp_supersecretvalue' } }, { username: 'octo', password: 'ghp_supersecretvalue', source: 'test' });
  t.equal(await status(client, 'GET', '/v2/octo/app/manifests/v1'), 200);
  const line = `GET /token Authorization: Basic ${Buffer.from('octo:ghp_supersecretvalue').toString('base64')} password=ghp_supersecretvalue {"token":"abc.def.ghi"}`;
  const out = redact(line);
  t.notMatch(out, /ghp_supersecretvalue/);
  t.notMatch(out, /b2N0bzpnaHBf/);
  t.notMatch(out, /abc\.def\.ghi/);
});
