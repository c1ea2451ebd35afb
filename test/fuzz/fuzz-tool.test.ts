// The fuzzer itself: its raw sender tells an answer from a reset, a silent close and a timeout, and
// a run reports 5xx answers, unanswered well-formed requests and deaths (with the request that kills)
// when the server misbehaves in exactly those ways. Without these a green fuzz run would prove nothing.
import t from 'tap';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { once } from 'node:events';
import { exchange } from '../../bench/fuzz/raw-http.js';
import type { FuzzContext } from '../../bench/fuzz/requests.js';
import { runFuzz, requestsFor } from '../../bench/fuzz/run.js';
import { toWire, pythonOneLiner } from '../../bench/fuzz/wire.js';
import type { OwnedServer } from '../../bench/fuzz/target.js';

const h = (c: string) => c.repeat(64);
const ctx: FuzzContext = {
  repos: ['fuzz/a', 'fuzz/b/c'],
  canary: 'fuzzcanarytest',
  keep: {
    repo: 'fuzzkeep/image', tag: 'keep',
    manifest: { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${h('a')}`, size: 3 }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${h('b')}`, size: 4 }] },
    manifestDigest: `sha256:${h('c')}`, manifestSize: 300, configDigest: `sha256:${h('a')}`, layerDigest: `sha256:${h('b')}`, layerSize: 4,
  },
};

async function listen(s: Server | NetServer): Promise<number> {
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const a = s.address();
  return typeof a === 'object' && a ? a.port : 0;
}

const GET = Buffer.from('GET /v2/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');

t.test('raw exchange: answered, reset, closed, timeout, refused', async (t) => {
  const net = createNetServer((sock) => {
    sock.once('data', (d) => {
      const line = d.toString('latin1');
      if (line.startsWith('GET /answer')) sock.end('HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno');
      else if (line.startsWith('GET /reset')) sock.resetAndDestroy();
      else if (line.startsWith('GET /close')) sock.end();
      // /silent: never answers
    });
    sock.on('error', () => undefined);
  });
  const port = await listen(net);
  t.teardown(() => net.close());
  const plan = (path: string) => ({ parts: [{ bytes: Buffer.from(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`), delayMs: 0 }], after: 'wait' as const });
  const a = await exchange('127.0.0.1', port, plan('/answer'), 2000);
  t.match(a, { kind: 'answered', status: 404, bodyHead: 'no' });
  t.equal((await exchange('127.0.0.1', port, plan('/reset'), 2000)).kind, 'reset');
  t.equal((await exchange('127.0.0.1', port, plan('/close'), 2000)).kind, 'closed');
  const silent = await exchange('127.0.0.1', port, plan('/silent'), 300);
  t.equal(silent.kind, 'timeout');
  // Not before the limit; the upper bound only shows the wait ended (the peer never answers), generous for busy machines.
  t.ok(silent.ms >= 300 && silent.ms < 30_000, `the timeout is kept (${silent.ms} ms)`);
  net.close();
  await once(net, 'close');
  t.equal((await exchange('127.0.0.1', port, { parts: [{ bytes: GET, delayMs: 0 }], after: 'wait' }, 1000)).kind, 'refused');
});

t.test('the generator is seeded, covers every endpoint, and encodes bodies with their real length', async (t) => {
  const a = requestsFor(ctx, 7, 2000);
  t.same(requestsFor(ctx, 7, 50), a.slice(0, 50), 'same seed, same requests (a prefix of a longer run is the shorter run)');
  t.notSame(requestsFor(ctx, 8, 50), a.slice(0, 50), 'another seed, other requests');
  const ops = new Set(a.map((r) => r.shape.split(' · ')[0]));
  for (const op of ['GET /v2/', 'GET catalog', 'GET tags', 'GET manifest', 'HEAD manifest', 'PUT manifest', 'DELETE manifest', 'GET blob', 'HEAD blob', 'DELETE blob', 'POST upload', 'POST mount', 'POST monolithic', 'PATCH upload', 'PUT upload', 'GET upload', 'DELETE upload', 'GET referrers', 'CONNECT (method)']) {
    t.ok(ops.has(op), `covers ${op}`);
  }
  t.ok(a.some((r) => /deep (array|object) ×100000/.test(r.shape)), 'deep JSON');
  t.ok(a.some((r) => r.protocol?.kind === 'bad-chunked') && a.some((r) => r.protocol?.kind === 'slow') && a.some((r) => r.targetForm === 'absolute'), 'protocol abuse');
  t.notOk(a.some((r) => (r.method === 'DELETE' || r.method === 'PUT') && r.path.startsWith(`/v2/${ctx.keep.repo}/`) && !r.protocol), 'never writes to the fixture repository');
  // Plain requests carry exactly their body after a matching Content-Length.
  const plain = a.filter((r) => !r.protocol && !r.session && !!r.body && r.shape.includes('deep')).slice(0, 20);
  t.ok(plain.length >= 10, 'enough plain deep-JSON requests to check');
  for (const r of plain) {
    const bytes = Buffer.concat(toWire(r, { host: '127.0.0.1', port: 1 }).parts.map((p) => p.bytes));
    const split = bytes.indexOf('\r\n\r\n');
    const len = Number(/Content-Length: (\d+)/.exec(bytes.subarray(0, split).toString('latin1'))![1]);
    t.equal(bytes.length - split - 4, len, `${r.shape}: body length matches Content-Length`);
    if (r.shape.includes('×30 ')) t.doesNotThrow(() => JSON.parse(bytes.subarray(split + 4).toString()), 'a shallow nesting is valid JSON');
    t.match(pythonOneLiner(r, { host: '127.0.0.1', port: 1 }) ?? 'python3 ', /^python3 /);
  }
});

t.test('a run reports 5xx answers and unanswered well-formed requests by shape', async (t) => {
  // A registry that fails in two ways: 500 for every manifest PUT, and a reset for every tag list.
  const srv = createHttpServer((req, res) => {
    req.resume();
    if (req.url?.includes('/tags/list')) return req.socket.resetAndDestroy();
    if (req.method === 'PUT' && req.url?.includes('/manifests/')) return void res.writeHead(500).end('{}');
    res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[]}');
  });
  srv.on('clientError', (_e, s) => s.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'));
  srv.on('connect', (_req, s) => s.end('HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\n\r\n'));
  const port = await listen(srv);
  t.teardown(() => srv.close());
  const r = await runFuzz({ url: `http://127.0.0.1:${port}`, requests: 200, seed: 11, concurrency: 4, livenessEvery: 50, timeoutMs: 3000, ctx });
  const fiveXX = r.failures.filter((f) => f.kind === '5xx');
  const unanswered = r.failures.filter((f) => f.kind === 'unanswered');
  t.ok(fiveXX.length > 0 && fiveXX.every((f) => f.shape.startsWith('PUT manifest') && f.shape.endsWith('→ 500')), `5xx shapes are the manifest PUTs (${fiveXX.length})`);
  t.ok(unanswered.some((f) => f.shape.startsWith('GET tags')), `the tag lists are unanswered (${unanswered.length} shapes)`);
  // Besides them (any method on a tag list), only a header too big for Node's parser may lose its 431 to a reset (answered before it was read).
  t.same(unanswered.filter((f) => !/^GET tags| on tags /.test(f.shape) && !/header: (1\.2 MB value|5,000 headers)/.test(f.shape)).map((f) => f.shape), [], 'nothing else is unanswered');
  t.ok(unanswered.every((f) => f.example.reproduce.includes('--seed 11 --only')), 'each comes with a replay command');
  t.equal(r.deaths.length, 0, 'no death: /v2/ kept answering');
});

t.test('a run that kills its (owned) server finds the request that does it, and restarts it', async (t) => {
  let current: Server | undefined;
  let dead: string | undefined;
  let starts = 0;
  const start = async (): Promise<string> => {
    starts++;
    dead = undefined;
    const s = createHttpServer((req, res) => {
      req.resume();
      // Dies of any catalog request: the fuzzer must name that shape as the killer.
      if (req.url?.startsWith('/v2/_catalog')) {
        dead = 'exit code 1';
        s.closeAllConnections();
        s.close();
        return;
      }
      res.writeHead(404).end();
    });
    s.on('clientError', (_e, sock) => sock.destroy());
    current = s;
    return `http://127.0.0.1:${await listen(s)}`;
  };
  const url = await start();
  const owned: OwnedServer = {
    url, sandbox: '', storage: '',
    exited: () => dead,
    stderrTail: () => '',
    restart: async () => {
      current?.closeAllConnections();
      current?.close();
      return start();
    },
    stop: async () => {
      current?.closeAllConnections();
      current?.close();
    },
  };
  t.teardown(() => owned.stop());
  const r = await runFuzz({ url, requests: 150, seed: 5, concurrency: 2, livenessEvery: 10, timeoutMs: 2000, ctx, owned });
  t.ok(r.deaths.length > 0, `deaths were seen (${r.deaths.length})`);
  t.ok(r.deaths.every((d) => d.how.includes('exit code 1')), 'as the process ending');
  t.ok(r.deaths.some((d) => d.culprit?.shape.startsWith('GET catalog')), 'a replay named a catalog request as the killer');
  t.ok(r.failures.some((f) => f.kind === 'death' && f.shape.startsWith('GET catalog')), 'listed as a failing shape');
  t.ok(starts > 1, 'the server was started again and the run went on');
  t.ok(r.sent > 100, `most requests were still sent (${r.sent})`);
});
