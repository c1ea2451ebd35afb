// Refusals sent before the request body is read (issue 10, defect 2): a client that writes its whole
// body and only then reads must get the status, not ECONNRESET/EPIPE. And CONNECT / unknown methods
// (defect 3) get an answer with the error body instead of a silent close.
import t from 'tap';
import { connect } from 'node:net';
import { MediaType } from '../../src/oci/media-types.js';
import { parseRawResponse, rawExchange, startRegistry } from './harness.js';

interface Outcome {
  status: number;
  body: string;
  /** The socket error seen, if any (after or instead of the answer). */
  error?: string;
}

/**
 * Writes `head` then all of `body` (waiting for each write to be taken), and only then reads: the
 * way a simple client behaves. Resolves when the server closes, or after `boundMs` (a safety bound).
 */
function writeAllThenRead(port: number, head: string, body: Buffer, boundMs = 30_000): Promise<Outcome> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let error: string | undefined;
    const timer = setTimeout(() => sock.destroy(new Error('test bound reached')), boundMs);
    sock.pause(); // read nothing until the body is written
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    sock.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('latin1');
      const r = parseRawResponse(raw);
      resolve({ status: r.status, body: r.body, ...(error ? { error } : {}) });
    });
    const writeAll = async () => {
      const step = 64 * 1024;
      const put = (b: Buffer | string) => new Promise<void>((res, rej) => sock.write(b, (e) => (e ? rej(e) : res())));
      try {
        await put(head);
        for (let i = 0; i < body.length; i += step) await put(body.subarray(i, i + step));
      } catch {
        // a reset while writing: the outcome says what was read
      }
      sock.resume();
    };
    sock.once('connect', () => void writeAll());
  });
}

t.test('a 4 MiB manifest PUT to an invalid tag: the client that writes it all reads 400 TAG_INVALID', async (t) => {
  const { server, client } = await startRegistry(t);
  const body = Buffer.alloc(4 * 1024 * 1024, 0x20);
  const head = `PUT /v2/r/manifests/.bad HTTP/1.1\r\nHost: x\r\nContent-Type: ${MediaType.ociManifest}\r\nContent-Length: ${body.length}\r\n\r\n`;
  // Several at once: the loss happened under load.
  const outcomes = await Promise.all(Array.from({ length: 4 }, () => writeAllThenRead(server.port, head, body)));
  for (const o of outcomes) {
    t.equal(o.status, 400, `status read (socket error: ${o.error ?? 'none'})`);
    t.match(o.body, /"code":"TAG_INVALID"/);
  }
  const ok = await client.request({ method: 'GET', path: '/v2/' });
  t.equal(ok.status, 200);
  await ok.dump();
});

t.test('a manifest declared past 4x the limit: 413 is read by a client that sends it all', async (t) => {
  const { server } = await startRegistry(t, { maxManifestSize: 1024 * 1024 });
  const body = Buffer.alloc(5 * 1024 * 1024, 0x20);
  const head = `PUT /v2/r/manifests/t HTTP/1.1\r\nHost: x\r\nContent-Type: ${MediaType.ociManifest}\r\nContent-Length: ${body.length}\r\n\r\n`;
  const o = await writeAllThenRead(server.port, head, body);
  t.equal(o.status, 413, `status read (socket error: ${o.error ?? 'none'})`);
  t.match(o.body, /"code":"MANIFEST_INVALID"/);
  // Chunked (no declared length), found too big while reading (past 4x the limit + 1 MiB): also answered.
  const chunk = Buffer.alloc(512 * 1024, 0x20);
  const chunked = Buffer.concat([...Array.from({ length: 12 }, () => Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')])), Buffer.from('0\r\n\r\n')]);
  const c = await writeAllThenRead(server.port, `PUT /v2/r/manifests/t HTTP/1.1\r\nHost: x\r\nContent-Type: ${MediaType.ociManifest}\r\nTransfer-Encoding: chunked\r\n\r\n`, chunked);
  t.equal(c.status, 413, `chunked: status read (socket error: ${c.error ?? 'none'})`);
});

t.test('a second PATCH while one is writing: 416 is read by a client that sends its whole chunk', async (t) => {
  const { server, client } = await startRegistry(t);
  const start = await client.request({ method: 'POST', path: '/v2/r/blobs/uploads/' });
  t.equal(start.status, 202);
  await start.dump();
  const location = start.header('location')!;
  // The first PATCH sends its headers and a first byte, then holds: the session is busy.
  const first = connect(server.port, '127.0.0.1');
  const firstAnswer = new Promise<string>((resolve) => {
    const got: Buffer[] = [];
    first.on('data', (c: Buffer) => got.push(c));
    first.on('close', () => resolve(Buffer.concat(got).toString('latin1')));
  });
  await new Promise<void>((resolve) => first.write(`PATCH ${location} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 2\r\nConnection: close\r\n\r\na`, () => resolve()));
  // Wait (by polling the upload status, bounded) until the server has started reading it.
  const body = Buffer.alloc(8 * 1024 * 1024, 0x61);
  let o: Outcome | undefined;
  for (let i = 0; i < 50; i++) {
    o = await writeAllThenRead(server.port, `PATCH ${location} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`, body);
    if (o.status !== 202) break;
  }
  t.equal(o!.status, 416, `status read (socket error: ${o!.error ?? 'none'})`);
  t.match(o!.body, /"code":"BLOB_UPLOAD_INVALID"/);
  first.write('b'); // not end(): Node's server drops a request whose client half-closes
  const firstRaw = await firstAnswer;
  t.equal(parseRawResponse(firstRaw).status, 202, `the first PATCH completes: ${firstRaw.slice(0, 300)}`);
});

t.test('a 1.2 MB header: 431 is read by a client that sends it all', async (t) => {
  const { server } = await startRegistry(t);
  const head = `GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(1_200_000)}\r\n\r\n`;
  const outcomes = await Promise.all(Array.from({ length: 3 }, () => writeAllThenRead(server.port, head, Buffer.alloc(0))));
  for (const o of outcomes) {
    t.equal(o.status, 431, `status read (socket error: ${o.error ?? 'none'})`);
    t.match(o.body, /"code":"UNSUPPORTED"/);
  }
});

t.test('CONNECT, absolute-form targets and made-up methods are answered with the error body', async (t) => {
  const { server, client } = await startRegistry(t);
  for (const line of ['CONNECT example.com:443 HTTP/1.1', 'CONNECT 127.0.0.1:22 HTTP/1.1', 'CONNECT /v2/ HTTP/1.1']) {
    const raw = parseRawResponse(await rawExchange(server.port, `${line}\r\nHost: example.com:443\r\n\r\n`));
    t.equal(raw.status, 405, line);
    t.equal(raw.headers['docker-distribution-api-version'], 'registry/2.0', `${line}: version header`);
    t.match(raw.body, /"code":"UNSUPPORTED"/, `${line}: error body`);
  }
  for (const line of ['BREW /v2/ HTTP/1.1', 'FOO /v2/ HTTP/1.1', 'PROPFIND /v2/ HTTP/1.1', 'MKCOL /v2/r/blobs/uploads/ HTTP/1.1', 'TRACE /v2/ HTTP/1.1']) {
    const raw = parseRawResponse(await rawExchange(server.port, `${line}\r\nHost: x\r\nConnection: close\r\n\r\n`));
    t.equal(raw.status, 405, line);
    t.match(raw.body, /"code":"UNSUPPORTED"/, `${line}: error body`);
  }
  // Absolute-form targets (what a client configured to use us as a proxy sends) are routed by path.
  const abs = parseRawResponse(await rawExchange(server.port, 'GET http://elsewhere.example/v2/ HTTP/1.1\r\nHost: elsewhere.example\r\nConnection: close\r\n\r\n'));
  t.equal(abs.status, 200, 'absolute-form GET /v2/');
  const absUnknown = parseRawResponse(await rawExchange(server.port, 'GET http://elsewhere.example/index.html HTTP/1.1\r\nHost: elsewhere.example\r\nConnection: close\r\n\r\n'));
  t.equal(absUnknown.status, 404);
  t.match(absUnknown.body, /"code":"UNSUPPORTED"/);
  const ok = await client.request({ method: 'GET', path: '/v2/' });
  t.equal(ok.status, 200, 'still serving');
  await ok.dump();
});
