import t from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLoadDispatcher } from '../../src/client/load-dispatcher.js';
import { RegistryClient } from '../../src/client/registry-client.js';

t.test('the load pool keeps connections alive across HEAD requests (undici closes them by default)', async (t) => {
  let connections = 0;
  const server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Length': 5, 'Docker-Content-Digest': 'sha256:x' });
    res.end(req.method === 'HEAD' ? undefined : 'hello');
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const pool = createLoadDispatcher();
  const client = new RegistryClient({ baseUrl: url }, pool);
  t.teardown(async () => {
    await pool.close();
    await new Promise((r) => server.close(r));
  });
  const exchange = async (method: string) => {
    const res = await client.request({ method, path: '/v2/r/manifests/latest' });
    t.equal(res.status, 200);
    await res.dump();
  };
  for (let i = 0; i < 10; i++) await exchange('GET');
  const afterGets = connections;
  t.ok(afterGets >= 1 && afterGets <= 2, `10 sequential GETs: ${afterGets} connection(s)`);
  for (let i = 0; i < 10; i++) await exchange('HEAD');
  t.equal(connections, afterGets, '10 sequential HEADs open no new connection');
});
