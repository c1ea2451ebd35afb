// Requests meant to kill the reference registry (issue 10, defect 1): JSON nested 100,000 deep in
// every field of every JSON body it parses, and failures inside the failure path itself (a tracer
// or logger that throws). Each must be answered (400 or 500) and the server must keep serving.
import t, { type Test } from 'tap';
import bcrypt from 'bcryptjs';
import type { IncomingMessage } from 'node:http';
import { parseErrorBody } from '../../src/oci/errors.js';
import { EMPTY_JSON_DIGEST, MediaType } from '../../src/oci/media-types.js';
import { createAuthorizer } from '../../reference-server/auth/authorizer.js';
import { RegistryError } from '../../reference-server/http/errors.js';
import { MAX_JSON_DEPTH, parseJsonBody } from '../../reference-server/http/json-body.js';
import type { RequestTracing } from '../../reference-server/telemetry.js';
import type { ServerLogger } from '../../reference-server/logger.js';
import { pushImage, startRegistry } from './harness.js';
import type { RegistryClient } from '../../src/client/registry-client.js';

const LEVELS = 100_000;
const deepArray = (n = LEVELS) => '['.repeat(n) + ']'.repeat(n);
const deepObject = (n = LEVELS) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
/** A JSON text with `deep` spliced in where the placeholder "@" (a string) stands. */
const splice = (doc: unknown, deep: string) => JSON.stringify(doc).replace('"@"', deep);

async function stillServes(t: Test, client: RegistryClient, what: string): Promise<void> {
  const res = await client.request({ method: 'GET', path: '/v2/' });
  t.equal(res.status, 200, `still serving after ${what}`);
  await res.dump();
}

t.test('the depth check counts brackets outside strings only', async (t) => {
  const inString = '['.repeat(80) + '"[';
  t.same(parseJsonBody(JSON.stringify({ a: inString })), { ok: true, value: { a: inString } }, 'brackets and an escaped quote in a string');
  t.equal(parseJsonBody(deepArray(MAX_JSON_DEPTH)).ok, true, `${MAX_JSON_DEPTH} levels pass`);
  const deep = parseJsonBody(deepArray(MAX_JSON_DEPTH + 1));
  t.equal(deep.ok, false);
  t.match(deep, { reason: /nested deeper than 64 levels/ });
  t.match(parseJsonBody('{"a":'), { ok: false, reason: /^not valid JSON/ });
});

t.test('error details are bounded summaries, whatever they were given', async (t) => {
  const nested: unknown[] = [];
  let cur = nested;
  for (let i = 0; i < LEVELS; i++) {
    const next: unknown[] = [];
    cur.push(next);
    cur = next;
  }
  const cyclic: Record<string, unknown> = { big: 'x'.repeat(100_000), list: Array.from({ length: 10_000 }, (_, i) => i) };
  cyclic.self = cyclic;
  for (const detail of [nested, cyclic, { n: 10n }]) {
    const body = new RegistryError(400, 'MANIFEST_INVALID', 'y'.repeat(100_000), detail).body();
    t.ok(body.length < 4000, `body of ${body.length} characters`);
    t.ok(parseErrorBody(body), 'still the spec error shape');
  }
});

t.test('manifests and indexes nested 100,000 deep in any field: 400 MANIFEST_INVALID, server keeps serving', async (t) => {
  const { client } = await startRegistry(t);
  const img = await pushImage(client, 'deep/repo', 'base');
  const desc = { mediaType: MediaType.ociLayerTar, digest: img.layerDigests[0]!, size: 5 };
  const config = { mediaType: MediaType.ociEmpty, digest: EMPTY_JSON_DIGEST, size: 2 };
  const manifest = (patch: Record<string, unknown>) => ({ schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [desc], ...patch });
  const index = (patch: Record<string, unknown>) => ({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [{ mediaType: MediaType.ociManifest, digest: img.digest, size: img.bytes.length }], ...patch });
  const cases: Array<[string, unknown, string]> = [
    ['schemaVersion', manifest({ schemaVersion: '@' }), MediaType.ociManifest],
    ['mediaType', manifest({ mediaType: '@' }), MediaType.ociManifest],
    ['config', manifest({ config: '@' }), MediaType.ociManifest],
    ['config.size', manifest({ config: { ...config, size: '@' } }), MediaType.ociManifest],
    ['config.digest', manifest({ config: { ...config, digest: '@' } }), MediaType.ociManifest],
    ['config.mediaType', manifest({ config: { ...config, mediaType: '@' } }), MediaType.ociManifest],
    ['config.annotations', manifest({ config: { ...config, annotations: '@' } }), MediaType.ociManifest],
    ['layers', manifest({ layers: '@' }), MediaType.ociManifest],
    ['layers[0]', manifest({ layers: ['@'] }), MediaType.ociManifest],
    ['layers[0].size', manifest({ layers: [{ ...desc, size: '@' }] }), MediaType.ociManifest],
    ['layers[0].digest', manifest({ layers: [{ ...desc, digest: '@' }] }), MediaType.ociManifest],
    ['layers[0].urls', manifest({ layers: [{ ...desc, urls: '@' }] }), MediaType.ociManifest],
    ['layers[0].data', manifest({ layers: [{ ...desc, data: '@' }] }), MediaType.ociManifest],
    ['subject', manifest({ subject: '@' }), MediaType.ociManifest],
    ['subject.size', manifest({ subject: { ...desc, size: '@' } }), MediaType.ociManifest],
    ['subject.digest', manifest({ subject: { ...desc, digest: '@' } }), MediaType.ociManifest],
    ['artifactType', manifest({ artifactType: '@' }), MediaType.ociManifest],
    ['annotations', manifest({ annotations: '@' }), MediaType.ociManifest],
    ['an unknown field', manifest({ extension: '@' }), MediaType.ociManifest],
    ['the whole body', '@', MediaType.ociManifest],
    ['index manifests', index({ manifests: '@' }), MediaType.ociIndex],
    ['index manifests[0].size', index({ manifests: [{ mediaType: MediaType.ociManifest, digest: img.digest, size: '@' }] }), MediaType.ociIndex],
    ['index manifests[0].digest', index({ manifests: [{ mediaType: MediaType.ociManifest, digest: '@', size: 1 }] }), MediaType.ociIndex],
    ['index manifests[0].platform', index({ manifests: [{ mediaType: MediaType.ociManifest, digest: img.digest, size: img.bytes.length, platform: '@' }] }), MediaType.ociIndex],
    ['index subject', index({ subject: '@' }), MediaType.ociIndex],
    ['docker manifest list', { schemaVersion: 2, mediaType: MediaType.dockerManifestList, manifests: '@' }, MediaType.dockerManifestList],
  ];
  for (const [field, doc, type] of cases) {
    for (const [shape, deep] of [['array', deepArray()], ['object', deepObject()]] as const) {
      const body = typeof doc === 'string' ? deep : splice(doc, deep);
      const res = await client.request({ method: 'PUT', path: '/v2/deep/repo/manifests/t', headers: { 'content-type': type }, body });
      const text = await res.text();
      t.equal(res.status, 400, `${field} as a ${shape} 100,000 deep: status`);
      t.same(parseErrorBody(text)?.errors.map((e) => e.code), ['MANIFEST_INVALID'], `${field} (${shape}): code`);
      t.ok(text.length < 2000, `${field} (${shape}): a bounded answer (${text.length} bytes), not the input echoed`);
    }
  }
  // Within the depth limit, a wrong-typed field is described, not copied.
  const shallow = splice(manifest({ schemaVersion: '@' }), deepArray(40));
  const res = await client.request({ method: 'PUT', path: '/v2/deep/repo/manifests/t', headers: { 'content-type': MediaType.ociManifest }, body: shallow });
  t.equal(res.status, 400);
  t.match(await res.text(), /"schemaVersion":"an array of 1 item"/);
  await stillServes(t, client, 'every deep manifest');
  const get = await client.request({ method: 'GET', path: '/v2/deep/repo/manifests/base', headers: { accept: MediaType.ociManifest } });
  t.equal(get.status, 200, 'the image pushed before is intact');
  t.same(Buffer.from(await get.bytes()), img.bytes);
});

t.test('/token POST with JSON nested 100,000 deep (as the body, or in any form field): a 4xx, server keeps serving', async (t) => {
  const authorizer = await createAuthorizer({ mode: 'token', users: new Map([['alice', bcrypt.hashSync('pw', 4)]]) });
  t.teardown(() => authorizer.close());
  const { client } = await startRegistry(t, { authorizer });
  const post = async (contentType: string, body: string) => {
    const res = await client.request({ method: 'POST', path: '/token', anonymous: true, headers: { 'content-type': contentType }, body });
    const text = await res.text();
    return { status: res.status, text };
  };
  for (const [shape, deep] of [['array', deepArray()], ['object', deepObject()]] as const) {
    const asJson = await post('application/json', deep);
    t.equal(asJson.status, 400, `a JSON body (${shape}) is refused: the token service takes forms`);
    t.ok(asJson.text.length < 2000, 'bounded answer');
    for (const field of ['grant_type', 'username', 'password', 'scope', 'service', 'refresh_token', 'access_type']) {
      const form = new URLSearchParams({ grant_type: 'password', username: 'alice', password: 'pw', service: 'regprobe-registry' });
      form.set(field, deep);
      const r = await post('application/x-www-form-urlencoded', form.toString());
      // The form is larger than the token service's 64 KiB form limit: 413; what matters is an answer.
      t.ok(r.status >= 400 && r.status < 500, `${field} = deep ${shape}: ${r.status}`);
      t.ok(r.text.length < 2000, `${field}: bounded answer`);
    }
  }
  // A deep value that fits the form limit reaches the grammar checks and grants nothing.
  const fits = new URLSearchParams({ grant_type: 'password', username: 'alice', password: 'pw', scope: deepArray(10_000) });
  const ok = await post('application/x-www-form-urlencoded', fits.toString());
  t.equal(ok.status, 200, 'a deep scope is an unreadable scope, not an error');
  t.match(ok.text, /"scope":""/);
  const base = await client.request({ method: 'GET', path: '/token', anonymous: true });
  t.equal(base.status, 200, 'still serving tokens');
  await base.dump();
});

t.test('a failure while answering a failure: 500 for that request, the process and server go on', async (t) => {
  let throwIn: string[] = [];
  const boom = (where: string) => {
    if (throwIn.includes(where)) throw new Error(`injected failure in ${where}`);
  };
  const tracing: RequestTracing = { start: () => boom('start'), route: () => boom('route'), error: () => boom('error') };
  let logged = 0;
  const logger: ServerLogger = {
    request: () => boom('request-log'),
    info: () => undefined,
    error: () => {
      logged++;
      boom('error-log');
    },
  };
  const { client } = await startRegistry(t, { tracing, logger });
  // [what throws, the status expected]: a throw before or in routing fails the request (500), and so
  // does a tracer or logger that throws while that 500 is being answered; a request log that throws
  // after the answer changes nothing.
  const scenarios: Array<[string[], number]> = [
    [['start'], 500],
    [['route'], 500],
    [['route', 'error'], 500],
    [['route', 'error-log'], 500],
    [['start', 'route', 'error', 'error-log', 'request-log'], 500],
    [['request-log'], 404],
  ];
  for (const [where, status] of scenarios) {
    throwIn = where;
    const res = await client.request({ method: 'GET', path: '/v2/repo/tags/list' });
    const text = await res.text();
    t.equal(res.status, status, `throws in ${where.join(', ')}: ${status}`);
    if (status === 500) t.match(text, /"code":"UNKNOWN"/, 'the spec error body');
    throwIn = [];
    await stillServes(t, client, `a failure in ${where.join(', ')}`);
  }
  t.ok(logged >= 4, `the failures were logged (${logged})`);
});

t.test('a stream error on a request (a write after its end) ends that request, not the process', async (t) => {
  const responses = new WeakMap<IncomingMessage, import('node:http').ServerResponse>();
  const lines: string[] = [];
  const logger: ServerLogger = { request: () => undefined, info: () => undefined, error: (m, f) => void lines.push(`${m} ${String(f?.error)}`) };
  const tracing: RequestTracing = {
    start: (req, res) => void responses.set(req, res),
    route: (req: IncomingMessage) => {
      const res = responses.get(req)!;
      if (!req.url?.includes('write-after-end')) return;
      res.end('{}');
      res.write('more'); // emits 'error' (ERR_STREAM_WRITE_AFTER_END) on the response
    },
    error: () => undefined,
  };
  const { client } = await startRegistry(t, { logger, tracing });
  const res = await client.request({ method: 'GET', path: '/v2/write-after-end/tags/list' }).then(
    async (r) => { await r.dump(); return 'answered'; },
    () => 'connection closed',
  );
  t.ok(['answered', 'connection closed'].includes(res), `the request ends (${res})`);
  await stillServes(t, client, 'a write after end');
  t.match(lines.join('\n'), /ERR_STREAM_WRITE_AFTER_END|write after end/, 'logged');
});

t.test('an unexpected error in a handler is a 500 and is logged with its request', async (t) => {
  const lines: Array<Record<string, unknown>> = [];
  const logger: ServerLogger = { request: () => undefined, info: () => undefined, error: (m, f) => void lines.push({ m, ...f }) };
  const tracing: RequestTracing = {
    start: () => undefined,
    route: (req: IncomingMessage) => {
      if (req.url?.includes('explode')) throw new TypeError('handler bug');
    },
    error: () => undefined,
  };
  const { client } = await startRegistry(t, { logger, tracing });
  const res = await client.request({ method: 'GET', path: '/v2/explode/tags/list' });
  t.equal(res.status, 500);
  await res.dump();
  t.match(lines, [{ m: 'internal error', method: 'GET', url: '/v2/explode/tags/list', error: /TypeError: handler bug/ }]);
  await stillServes(t, client, 'a handler bug');
});
