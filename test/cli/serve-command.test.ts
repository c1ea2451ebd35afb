// `regprobe serve` as a user runs it: a child process, its output lines, its signals and exit codes.
import t, { type Test } from 'tap';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { RegistryClient } from '../../src/client/registry-client.js';
import { TransportError } from '../../src/client/errors.js';
import { putManifest, readBlob, startUpload, uploadBlobPostPut } from '../../src/client/operations.js';
import { uniqueBytes, makeArtifact, makeImage, manifestDescriptor } from '../../src/conformance/fixtures.js';
import { digestOf } from '../../src/oci/digest.js';
import { parseErrorBody } from '../../src/oci/errors.js';
import { killChild, REPO_ROOT, runCli, SERVE_ENTRY, startServeChild, type ServeChild } from '../helpers/cli-child.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-serve-test-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function clientFor(t: Test, url: string): RegistryClient {
  const c = new RegistryClient({ baseUrl: url, timeoutMs: 20_000 });
  t.teardown(() => c.close());
  return c;
}

function guard(t: Test, child: ServeChild): ServeChild {
  t.teardown(() => killChild(child));
  return child;
}

/**
 * A body that sends the first half of `data`, reports when it has left, and sends the rest only after
 * release(): the request stays in flight for exactly as long as the test needs, however busy the machine.
 */
function heldBody(data: Buffer): { body: Readable; started: Promise<void>; release: () => void } {
  let first!: () => void;
  const started = new Promise<void>((r) => (first = r));
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const half = Math.ceil(data.length / 2);
  async function* gen() {
    yield data.subarray(0, half);
    first();
    await released;
    yield data.subarray(half);
  }
  return { body: Readable.from(gen()), started, release };
}

t.test('prints its URL, serves /v2/, and on SIGTERM finishes an in-flight slow upload, then exits 0', async (t) => {
  const dir = await tempDir(t);
  const storage = join(dir, 'store');
  const server = guard(t, await startServeChild(['--port', '0', '--storage', storage]));
  t.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/, 'URL line names a loopback URL with the chosen port');
  t.match(server.stdout(), `(storage ${storage};`, 'the listening line names the storage directory');

  const second = await runCli(['serve', '--port', '0', '--storage', storage], { timeoutMs: 120_000 });
  t.equal(second.code, 2, 'a second server on the same storage directory: exit 2');
  t.match(second.stderr, /^regprobe: storage directory .* is in use by process \d+/, 'and says which process holds it');

  const client = clientFor(t, server.url);
  const base = await client.request({ method: 'GET', path: '/v2/' });
  t.equal(base.status, 200, 'GET /v2/ answers 200');
  t.equal(base.header('docker-distribution-api-version'), 'registry/2.0');
  await base.dump();

  // A PUT whose body is held half-sent until the checks below are done; SIGTERM lands while it is in flight.
  const data = uniqueBytes(96 * 1024);
  const digest = digestOf(data);
  const { location } = await startUpload(client, 'serve/slow');
  const { body, started, release } = heldBody(data);
  const put = client.request({
    method: 'PUT',
    path: location,
    query: { digest },
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(data.length) },
    body,
  });
  await started;
  server.signal('SIGTERM');
  // The bound only turns a hang into a failure.
  await server.waitFor(/SIGTERM: finishing in-flight requests/, 60_000);

  // Not accepting anymore: a fresh connection is not served while the upload still runs. It is
  // refused, or reset when it raced into the accept backlog just as the listener closed.
  const late = new RegistryClient({ baseUrl: server.url, timeoutMs: 5_000 });
  const lateError = await late.request({ method: 'GET', path: '/v2/' }).then(
    () => undefined,
    (err: unknown) => err as { code?: string },
  );
  t.ok(lateError && ['CONNECTION_REFUSED', 'RESET'].includes(lateError.code ?? ''), `new connections are not served after SIGTERM (got ${lateError?.code ?? 'an answer'})`);
  await late.close();

  release();
  const res = await put;
  t.equal(res.status, 201, 'the in-flight upload completes with 201 after SIGTERM');
  t.equal(res.header('docker-content-digest'), digest);
  await res.dump();

  const exit = await server.exited;
  t.same({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, 'exit code 0 after a graceful stop');
  t.match(exit.stdout, /regprobe serve: stopped/);
  t.equal(exit.stderr, '', 'nothing on stderr');

  // The finished upload is a blob when the same storage is served again.
  // (serve() without the CLI parser in front: the same server code, a faster start)
  const again = guard(t, await startServeChild([storage, 'none'], { entry: SERVE_ENTRY }));
  const c2 = clientFor(t, again.url);
  const read = await readBlob(c2, 'serve/slow', digest);
  t.same({ status: read.status, bytes: read.bytes }, { status: 200, bytes: data.length }, 'blob served after restart, re-hashed to its digest');
  again.signal('SIGTERM');
  t.equal((await again.exited).code, 0);
});

t.test('a second signal stops at once; temporary storage is removed', async (t) => {
  const server = guard(t, await startServeChild(['-', 'none'], { entry: SERVE_ENTRY }));
  const storage = /\(storage (\S+), temporary/.exec(server.stdout())?.[1];
  t.ok(storage && existsSync(storage), 'without --storage the line names an existing temporary directory');

  const client = clientFor(t, server.url);
  const data = uniqueBytes(64 * 1024);
  const { location } = await startUpload(client, 'serve/stuck');
  // Half-sent and never released: the upload cannot finish (the server would cut it only after 60 s idle).
  const { body, started } = heldBody(data);
  const put = client.request({ method: 'PUT', path: location, query: { digest: digestOf(data) }, headers: { 'content-length': String(data.length) }, body });
  const putOutcome = put.then(
    (r) => `status ${r.status}`,
    (e: unknown) => (e instanceof TransportError ? e.code : String(e)),
  );
  await started;
  server.signal('SIGINT');
  await server.waitFor(/SIGINT: finishing in-flight requests/, 60_000);
  const t0 = Date.now();
  server.signal('SIGINT');
  const exit = await server.exited;
  // Waiting for the held upload would last until the server's 60 s idle cut: an exit well before
  // that is "at once". Generous, so that a busy machine cannot fail it.
  t.ok(Date.now() - t0 < 30_000, `exited ${Date.now() - t0} ms after the second signal`);
  t.equal(exit.signal, 'SIGINT', 'ended by the re-raised signal (status 130 in a shell)');
  t.equal(await putOutcome, 'RESET', 'the unfinished upload was cut');
  t.notOk(existsSync(storage!), 'temporary storage removed');
  t.equal(exit.stderr, '', 'no stack trace');
});

t.test('JSON log lines; --no-delete, --max-manifest-size and --referrers-page-size reach the server', async (t) => {
  const server = guard(t, await startServeChild(['--port', '0', '--log-format', 'json', '--no-delete', '--max-manifest-size', '2KiB', '--referrers-page-size', '1']));
  const client = clientFor(t, server.url);

  const img = makeImage({ layerSizes: [16] });
  for (const b of img.blobs) {
    const { location } = await startUpload(client, 'serve/opts');
    const r = await client.request({ method: 'PUT', path: location, query: { digest: b.digest }, headers: { 'content-length': String(b.size) }, body: b.bytes });
    t.equal(r.status, 201, `blob ${b.digest} pushed`);
    await r.dump();
  }
  const { res } = await putManifest(client, 'serve/opts', 'small', img.bytes, img.mediaType);
  t.equal(res.status, 201, 'a manifest under the limit is accepted');

  // Two referrers, one per page: the first page links to the second.
  for (const kind of ['a', 'b']) {
    const r = makeArtifact({ artifactType: `application/vnd.example.${kind}`, subject: manifestDescriptor(img) });
    for (const b of r.blobs) await uploadBlobPostPut(client, 'serve/opts', b.bytes);
    await putManifest(client, 'serve/opts', r.digest, r.bytes, r.mediaType);
  }
  const page = await client.request({ method: 'GET', path: `/v2/serve/opts/referrers/${img.digest}` });
  t.equal(((await page.json()) as { manifests: unknown[] }).manifests.length, 1, '--referrers-page-size 1: one referrer per page');
  t.match(page.header('link'), /^<\/v2\/serve\/opts\/referrers\/sha256:[0-9a-f]{64}\?last=[^>]+>; rel="next"$/, 'and a Link to the next');

  const big = makeImage({ layerSizes: [16], annotations: { padding: 'x'.repeat(2048) } });
  const tooBig = await client.request({ method: 'PUT', path: '/v2/serve/opts/manifests/big', headers: { 'content-type': big.mediaType }, body: big.bytes });
  t.equal(tooBig.status, 413, `a ${big.bytes.length}-byte manifest is over --max-manifest-size 2KiB: 413`);
  await tooBig.dump();

  const del = await client.request({ method: 'DELETE', path: `/v2/serve/opts/manifests/${img.digest}` });
  t.equal(del.status, 405, '--no-delete: DELETE answers 405');
  t.equal(parseErrorBody(await del.text())?.errors[0]?.code, 'UNSUPPORTED');

  server.signal('SIGTERM');
  const exit = await server.exited;
  t.equal(exit.code, 0);
  const lines = exit.stdout.trim().split('\n');
  const parsed = lines.map((l) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      return null;
    }
  });
  t.same(lines.filter((_, i) => parsed[i] === null), [], 'every stdout line is JSON');
  const started = parsed.find((p) => p?.msg === 'serve started');
  t.match(started, { level: 'info', url: server.url, deleteEnabled: false, maxManifestSize: 2048 }, 'start event carries the settings');
  t.ok(parsed.some((p) => p?.msg === 'request' && p.method === 'DELETE' && p.status === 405), 'requests are logged as JSON lines');
  t.ok(parsed.some((p) => p?.msg === 'stopped'), 'stop event logged');
});

t.test('bad arguments and unusable settings: one line on stderr, exit 2, no server', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'a-file');
  await writeFile(file, 'x');
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => busy.close(() => r())));
  const busyPort = (busy.address() as { port: number }).port;

  const cases: [string[], RegExp][] = [
    [['--port', '70000'], /^regprobe: --port: 70000 is not a port number/],
    [['--max-manifest-size', '4XB'], /^regprobe: --max-manifest-size: "4XB" is not a size/],
    [['--log-format', 'xml'], /^regprobe: Invalid values: Argument: log-format, Given: "xml"/],
    [['--referrers-page-size', '0'], /^regprobe: --referrers-page-size: 0 is not a whole number from 1 to 100000/],
    [['--storage', join(file, 'sub')], /^regprobe: --storage .*a-file\/sub: cannot use it as the storage directory \(it or a parent is not a directory\)/],
    [['--port', String(busyPort)], new RegExp(`^regprobe: cannot listen on 127\\.0\\.0\\.1:${busyPort}: the address is in use`)],
  ];
  // Two at a time: each child loads the whole CLI, which is slow on a busy 2-core machine.
  const runs: Awaited<ReturnType<typeof runCli>>[] = [];
  for (let i = 0; i < cases.length; i += 2) {
    runs.push(...(await Promise.all(cases.slice(i, i + 2).map(([args]) => runCli(['serve', ...args], { timeoutMs: 120_000 })))));
  }
  for (const [i, [args, re]] of cases.entries()) {
    const r = runs[i]!;
    t.equal(r.code, 2, `serve ${args.join(' ')}: exit 2`);
    t.match(r.stderr, re, `serve ${args.join(' ')}: says why`);
    t.equal(r.stderr.trim().split('\n').length, 1, `serve ${args.join(' ')}: one line (${JSON.stringify(r.stderr)})`);
    t.equal(r.stdout, '', `serve ${args.join(' ')}: nothing on stdout`);
  }
});

t.test('the built launcher: node bin/regprobe.js serve --help', async (t) => {
  const built = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(built)) {
    t.skip('dist/ not built (npm ci builds it; or run npm run build)', () => {});
    return;
  }
  const { stdout } = await promisify(execFile)(process.execPath, [join(REPO_ROOT, 'bin', 'regprobe.js'), 'serve', '--help'], { timeout: 30_000 });
  for (const flag of ['--host', '--port', '--storage', '--delete', '--automatic-mount', '--max-manifest-size', '--log-format']) t.match(stdout, flag);
});
