// startReferenceServer: graceful close, idle timeouts, logging, and the auth seam in the router.
import t from 'tap';
import { connect } from 'node:net';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RegistryClient } from '../../src/client/registry-client.js';
import { digestOf } from '../../src/oci/digest.js';
import type { Access, AuthDecision, RequestAuthorizer } from '../../reference-server/auth/types.js';
import { makeLogger, startReferenceServer } from '../../reference-server/server.js';
import { errorCodes, startRegistry } from './harness.js';

/** Resolves once the session's data file holds at least `bytes` (the request is being served). */
async function receivedAtLeast(storageDir: string, location: string, bytes: number): Promise<void> {
  const file = join(storageDir, 'uploads', location.split('/').pop()!, 'data');
  // The file's size is the only sign; the bound (6000 looks, over 60 s) only turns a hang into a failure.
  for (let i = 0; i < 6000; i++) {
    if (((await stat(file).catch(() => null))?.size ?? 0) >= bytes) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the server never received the first part of the upload');
}

const FIRST = Buffer.alloc(1536 * 1024, 7); // above the 1 MiB write batch: it reaches the file at once

t.test('close() lets an in-flight upload finish, then stops', async (t) => {
  const server = await startReferenceServer();
  const client = new RegistryClient({ baseUrl: server.url });
  t.teardown(() => client.close());
  const post = await client.request({ method: 'POST', path: '/v2/g/blobs/uploads/' });
  const loc = post.header('location')!;
  await post.dump();
  const body = new PassThrough();
  const patch = client.request({ method: 'PATCH', path: loc, body });
  body.write(FIRST);
  await receivedAtLeast(server.storageDir, loc, 1024 * 1024);
  const closing = server.close();
  let closed = false;
  void closing.then(() => (closed = true));
  await new Promise((r) => setTimeout(r, 100));
  t.equal(closed, false, 'close waits for the request in flight');
  body.end('second half');
  const res = await patch;
  t.equal(res.status, 202, 'the in-flight request completed normally');
  t.equal(res.header('range'), `0-${FIRST.length + 'second half'.length - 1}`);
  await res.dump();
  await closing;
  await t.rejects(fetch(server.url + '/v2/'), 'no new connections after close');
});

t.test('close() is bounded: a stuck request is cut after shutdownTimeoutMs', async (t) => {
  const server = await startReferenceServer({ shutdownTimeoutMs: 200 });
  const client = new RegistryClient({ baseUrl: server.url });
  t.teardown(() => client.close());
  const post = await client.request({ method: 'POST', path: '/v2/g/blobs/uploads/' });
  const loc = post.header('location')!;
  await post.dump();
  const body = new PassThrough();
  const patch = client.request({ method: 'PATCH', path: loc, body }).catch((e: Error) => e);
  body.write(FIRST);
  await receivedAtLeast(server.storageDir, loc, 1024 * 1024);
  const started = Date.now();
  await server.close();
  // The stuck request never ends by itself, so returning at all shows the bound; generous for busy machines.
  t.ok(Date.now() - started < 30_000, `close returned after ${Date.now() - started} ms`);
  t.type(await patch, Error, 'the stuck request was cut');
  body.destroy();
});

t.test('a client that goes idle mid-request is disconnected after requestTimeoutMs', async (t) => {
  const { server } = await startRegistry(t, { requestTimeoutMs: 300 });
  const started = Date.now();
  await new Promise<void>((resolve) => {
    const sock = connect(server.port, '127.0.0.1', () => sock.write('GET /v2/ HTTP/1.1\r\nHost: x\r\n'));
    sock.on('close', () => resolve());
    sock.on('error', () => undefined);
    sock.resume();
  });
  const elapsed = Date.now() - started;
  // Not before the limit; and well before the 20 s headers deadline, which would otherwise close it
  // (the upper bound is generous for busy machines, yet tells the two apart).
  t.ok(elapsed >= 250 && elapsed < 15_000, `closed after ${elapsed} ms`);
});

/** A sink that keeps the lines written to it; until(re) resolves at the first line matching `re` (the log line may follow the response). */
function lineSink(): { lines: string[]; sink: Writable; until: (re: RegExp) => Promise<void> } {
  const lines: string[] = [];
  const waiting: Array<[RegExp, () => void]> = [];
  const sink = new Writable({
    write(c, _e, cb) {
      lines.push(String(c));
      for (const [re, done] of waiting) if (re.test(String(c))) done();
      cb();
    },
  });
  const until = (re: RegExp) => new Promise<void>((resolve) => (lines.some((l) => re.test(l)) ? resolve() : waiting.push([re, resolve])));
  return { lines, sink, until };
}

t.test('makeLogger writes one line per request, human or JSON', async (t) => {
  const { lines, sink, until } = lineSink();
  const { client } = await startRegistry(t, { logger: makeLogger('json', sink) });
  const res = await client.request({ method: 'GET', path: '/v2/nope/tags/list' });
  await res.dump();
  await until(/"msg":"request"/);
  const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.msg === 'request');
  t.match(entries.at(-1), { method: 'GET', url: '/v2/nope/tags/list', status: 404 });
  const { lines: human, sink: hsink, until: humanUntil } = lineSink();
  const h = await startRegistry(t, { logger: makeLogger('human', hsink) });
  await (await h.client.request({ method: 'GET', path: '/v2/' })).dump();
  await humanUntil(/"GET \/v2\/"/);
  t.ok(human.some((l) => /"GET \/v2\/" 200 /.test(l)), 'human request line');
});

/** A stand-in auth mode: `Authorization: Bearer <user>`, user may do what `grants` lists. */
class RecordingAuthorizer implements RequestAuthorizer {
  readonly seen: Access[][] = [];
  constructor(private grants: Record<string, string[]>) {}
  async authorize(req: IncomingMessage, access: Access[]): Promise<AuthDecision> {
    this.seen.push(access);
    const user = /^Bearer (\w+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!user) return { ok: false, status: 401, code: 'UNAUTHORIZED', message: 'authentication required', challenge: 'Bearer realm="http://x/token",service="test"' };
    const mine = this.grants[user] ?? [];
    const ok = access.every((a) => a.actions.every((act) => mine.includes(`${a.type}:${a.name}:${act}`)));
    return ok ? { ok: true, account: user } : { ok: false, status: 403, code: 'DENIED', message: 'requested access to the resource is denied' };
  }
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (!req.url?.startsWith('/token')) return false;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"token":"t"}');
    return true;
  }
}

t.test('the router asks the authorizer for exactly the access each request needs', async (t) => {
  const auth = new RecordingAuthorizer({
    alice: ['repository:src:pull', 'repository:src:push', 'repository:dst:pull', 'repository:dst:push', 'repository:dst:delete', 'registry:catalog:*'],
    bob: ['repository:dst:pull', 'repository:dst:push'],
  });
  const { client, server } = await startRegistry(t, { authorizer: auth });
  const as = (user: string): Record<string, string> => ({ authorization: `Bearer ${user}` });

  const token = await fetch(server.url + '/token?scope=x');
  t.equal(token.status, 200, 'the auth mode serves its own routes first');
  t.same(await token.json(), { token: 't' });

  const anon = await client.request({ method: 'GET', path: '/v2/' });
  t.equal(anon.status, 401);
  t.equal(anon.header('www-authenticate'), 'Bearer realm="http://x/token",service="test"');
  t.same(await errorCodes(anon), ['UNAUTHORIZED']);
  t.same(auth.seen.at(-1), [], '/v2/ needs an identity only');

  const denied = await client.request({ method: 'GET', path: '/v2/src/tags/list', headers: as('bob') });
  t.equal(denied.status, 403);
  t.same(await errorCodes(denied), ['DENIED']);
  t.same(auth.seen.at(-1), [{ type: 'repository', name: 'src', actions: ['pull'] }]);

  const blob = Buffer.from('guarded');
  const digest = digestOf(blob);
  const push = await client.request({ method: 'POST', path: '/v2/src/blobs/uploads/', query: { digest }, headers: as('alice'), body: blob });
  t.equal(push.status, 201);
  await push.dump();
  t.same(auth.seen.at(-1), [{ type: 'repository', name: 'src', actions: ['pull', 'push'] }]);

  // bob may push to dst but not pull from src: the mount must not happen
  const mount = await client.request({ method: 'POST', path: '/v2/dst/blobs/uploads/', query: { mount: digest, from: 'src' }, headers: as('bob') });
  t.equal(mount.status, 202, 'no pull on from: a plain session instead of a mount');
  await mount.dump();
  t.same(auth.seen.at(-1), [{ type: 'repository', name: 'src', actions: ['pull'] }], 'the from repository was checked');
  const noLeak = await client.request({ method: 'HEAD', path: `/v2/dst/blobs/${digest}`, headers: as('bob') });
  t.equal(noLeak.status, 404);
  await noLeak.dump();
  // no automatic mount by content either while auth is on
  const auto = await client.request({ method: 'POST', path: '/v2/dst/blobs/uploads/', query: { mount: digest }, headers: as('bob') });
  t.equal(auto.status, 202);
  await auto.dump();

  const aliceMount = await client.request({ method: 'POST', path: '/v2/dst/blobs/uploads/', query: { mount: digest, from: 'src' }, headers: as('alice') });
  t.equal(aliceMount.status, 201, 'with pull on from, the mount happens');
  await aliceMount.dump();

  const del = await client.request({ method: 'DELETE', path: `/v2/dst/blobs/${digest}`, headers: as('bob') });
  t.equal(del.status, 403);
  await del.dump();
  t.same(auth.seen.at(-1), [{ type: 'repository', name: 'dst', actions: ['delete'] }]);

  const cat = await client.request({ method: 'GET', path: '/v2/_catalog', headers: as('alice') });
  t.equal(cat.status, 200);
  await cat.dump();
  t.same(auth.seen.at(-1), [{ type: 'registry', name: 'catalog', actions: ['*'] }]);
  const anonPush = await client.request({ method: 'POST', path: '/v2/dst/blobs/uploads/' });
  t.equal(anonPush.status, 401, 'anonymous push refused');
  await anonPush.dump();
});
