// Realm and Location (issue 10, defect 7): with a public URL both point there whatever the Host
// header says; without one, Locations stay relative and a Host header that is not a plain host[:port]
// is never copied into the realm (the local address is used instead).
import t, { type Test } from 'tap';
import bcrypt from 'bcryptjs';
import { createAuthorizer } from '../../reference-server/auth/authorizer.js';
import { normalizePublicUrl } from '../../reference-server/http/public-url.js';
import { startReferenceServer } from '../../reference-server/server.js';
import { serverOptionsFrom, type ServeArgs } from '../../src/cli/serve-command.js';
import { silentLogger } from '../../reference-server/logger.js';
import { CliError } from '../../src/cli/exit.js';
import { digestOf } from '../../src/oci/digest.js';
import { EMPTY_JSON, EMPTY_JSON_DIGEST, MediaType } from '../../src/oci/media-types.js';
import { parseRawResponse, rawExchange, startRegistry } from './harness.js';

const realmOf = (challenge: string | undefined) => /realm="([^"]*)"/.exec(challenge ?? '')?.[1];

async function tokenRegistry(t: Test, publicUrl?: string) {
  const authorizer = await createAuthorizer({ mode: 'token', users: new Map([['alice', bcrypt.hashSync('pw', 4)]]) });
  const server = await startReferenceServer({ authorizer, ...(publicUrl ? { publicUrl } : {}) });
  t.teardown(async () => {
    await server.close();
    await authorizer.close();
  });
  return server;
}

/** The 401 challenge's realm for a raw GET /v2/ with this Host header value. */
async function realmFor(port: number, host: string): Promise<{ status: number; realm: string | undefined }> {
  const r = parseRawResponse(await rawExchange(port, `GET /v2/ HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
  return { status: r.status, realm: realmOf(r.headers['www-authenticate']) };
}

t.test('a public URL is scheme, host and port only', async (t) => {
  t.equal(normalizePublicUrl('https://registry.example.com/'), 'https://registry.example.com');
  t.equal(normalizePublicUrl('http://Registry.Example.com:8080'), 'http://registry.example.com:8080');
  t.equal(normalizePublicUrl('https://[::1]:5000'), 'https://[::1]:5000');
  for (const bad of ['registry.example.com', 'ftp://x', 'https://u:p@x', 'https://x/prefix', 'https://x/?a=b', 'https://x/#f', '']) {
    t.throws(() => normalizePublicUrl(bad), `${JSON.stringify(bad)} refused`);
  }
  await t.rejects(startReferenceServer({ publicUrl: 'https://x/prefix' }), /scheme, host and port only/, 'the server refuses it before opening storage');
  const args = { host: '127.0.0.1', port: 0, 'public-url': 'https://x/prefix' } as unknown as ServeArgs;
  await t.rejects(serverOptionsFrom(args, silentLogger), CliError, 'serve --public-url: a one-line CLI error');
  const maxArgs = { host: '127.0.0.1', port: 0, 'max-connections': 0 } as unknown as ServeArgs;
  await t.rejects(serverOptionsFrom(maxArgs, silentLogger), /--max-connections: 0 is not a whole number/);
});

t.test('with --public-url the token realm is on it, whatever the Host header says', async (t) => {
  const server = await tokenRegistry(t, 'https://registry.example.com:8443/');
  for (const host of ['evil.example', `127.0.0.1:${server.port}`, 'bad host"']) {
    const r = await realmFor(server.port, host);
    t.equal(r.status, 401, `Host ${host}`);
    t.equal(r.realm, 'https://registry.example.com:8443/token', `Host ${host}: realm`);
  }
});

t.test('with --public-url every Location is absolute on it', async (t) => {
  const { server, client } = await startRegistry(t, { publicUrl: 'https://registry.example.com' });
  const pub = 'https://registry.example.com';
  const start = await client.request({ method: 'POST', path: '/v2/r/blobs/uploads/', headers: { host: 'evil.example' } });
  t.equal(start.status, 202);
  await start.dump();
  const loc = start.header('location')!;
  t.match(loc, /^https:\/\/registry\.example\.com\/v2\/r\/blobs\/uploads\/[^/]+$/, 'upload session Location');
  const path = loc.slice(pub.length);
  const patch = await client.request({ method: 'PATCH', path, body: EMPTY_JSON });
  t.equal(patch.status, 202);
  t.equal(patch.header('location'), loc, 'PATCH Location');
  await patch.dump();
  const put = await client.request({ method: 'PUT', path, query: { digest: EMPTY_JSON_DIGEST } });
  t.equal(put.status, 201);
  t.equal(put.header('location'), `${pub}/v2/r/blobs/${EMPTY_JSON_DIGEST}`, 'blob Location');
  await put.dump();
  const one = await client.request({ method: 'POST', path: '/v2/r/blobs/uploads/', query: { digest: digestOf(Buffer.from('x')) }, body: 'x' });
  t.equal(one.header('location'), `${pub}/v2/r/blobs/${digestOf(Buffer.from('x'))}`, 'single-request upload Location');
  await one.dump();
  const mount = await client.request({ method: 'POST', path: '/v2/other/blobs/uploads/', query: { mount: EMPTY_JSON_DIGEST, from: 'r' } });
  t.equal(mount.status, 201);
  t.equal(mount.header('location'), `${pub}/v2/other/blobs/${EMPTY_JSON_DIGEST}`, 'mount Location');
  await mount.dump();
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: { mediaType: MediaType.ociEmpty, digest: EMPTY_JSON_DIGEST, size: 2 }, layers: [] });
  const m = await client.request({ method: 'PUT', path: '/v2/r/manifests/v1', headers: { 'content-type': MediaType.ociManifest }, body: manifest });
  t.equal(m.status, 201);
  t.equal(m.header('location'), `${pub}/v2/r/manifests/${digestOf(Buffer.from(manifest))}`, 'manifest Location');
  await m.dump();
  // An error answer carrying session headers (416) uses it too.
  const s2 = await client.request({ method: 'POST', path: '/v2/r/blobs/uploads/' });
  await s2.dump();
  const bad = await client.request({ method: 'PATCH', path: s2.header('location')!.slice(pub.length), headers: { 'content-range': '5-5' }, body: 'x' });
  t.equal(bad.status, 416);
  t.equal(bad.header('location'), s2.header('location'), '416 Location');
  await bad.dump();
  t.equal(server.url.startsWith('http://127.0.0.1:'), true, 'the server still listens where it was told');
});

t.test('without --public-url: Locations are relative and a hostile Host never reaches the realm', async (t) => {
  const server = await tokenRegistry(t);
  const local = `http://127.0.0.1:${server.port}/token`;
  t.equal((await realmFor(server.port, `127.0.0.1:${server.port}`)).realm, local, 'the address the client used');
  t.equal((await realmFor(server.port, 'registry.local:5000')).realm, 'http://registry.local:5000/token', 'a plain host[:port] is taken as the client gave it');
  for (const host of ['evil.example/phish', 'evil.example"; x="y', 'user@evil.example', 'evil.example:99999', 'evil .example', '[::1', 'a'.repeat(300), 'evil.example:80:81', 'evil.example\\path', '%65vil.example']) {
    const r = await realmFor(server.port, host);
    t.equal(r.status, 401, `Host ${host.slice(0, 30)}`);
    t.equal(r.realm, local, `Host ${host.slice(0, 30)}: the realm falls back to the local address`);
  }
  const { client } = await startRegistry(t);
  const res = await client.request({ method: 'POST', path: '/v2/r/blobs/uploads/', headers: { host: 'evil.example' } });
  t.match(res.header('location'), /^\/v2\/r\/blobs\/uploads\/[^/]+$/, 'a relative Location, never built from Host');
  await res.dump();
});
