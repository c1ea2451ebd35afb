// --max-rps: the load dispatcher never starts HTTP requests faster than the ceiling, whatever the
// concurrency (a lower bound on elapsed time, so a slow machine cannot make it fail).
import t from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { RegistryClient } from '../../src/client/registry-client.js';
import { createLoadDispatcher, RequestPacer } from '../../src/client/load-dispatcher.js';
import { ping } from '../../src/client/operations.js';

t.test('pacer: evenly spaced slots, no burst after idle time', async (t) => {
  let now = 0;
  const p = new RequestPacer(10, () => now);
  t.same([p.reserve(), p.reserve(), p.reserve()], [0, 100, 200]);
  now = 1000;
  t.same([p.reserve(), p.reserve()], [0, 100], 'idle time is not saved up for a burst');
  t.throws(() => new RequestPacer(0));
});

t.test('pacer: a timer that fires before its slot does not start the request early', async (t) => {
  // Timers run by the event loop's cached clock, which lags the real one on a busy machine: here the
  // pacer's clock stands still, so every timer fires "early", and only the slot check holds the start.
  let now = 0;
  let reads = 0;
  let onRead = (): void => {};
  const p = new RequestPacer(10, () => {
    reads++;
    onRead();
    return now;
  });
  const started: number[] = [];
  p.schedule(() => started.push(now));
  t.same(started, [0], 'a free slot starts at once');
  const secondStarted = new Promise<void>((resolve) => p.schedule(() => resolve(void started.push(now))));
  const readsArmed = reads;
  await new Promise<void>((resolve) => {
    onRead = () => {
      if (reads > readsArmed) resolve();
    };
  });
  onRead = () => {};
  t.same(started, [0], 'the timer fired while the clock said 0: not started');
  now = 100;
  await secondStarted;
  t.same(started, [0, 100], 'started once the clock reached its slot');
});

t.test('requests through a paced dispatcher arrive no faster than the ceiling', async (t) => {
  const arrivals: number[] = [];
  const server = createServer((_req, res) => {
    arrivals.push(performance.now());
    res.writeHead(200, { 'content-length': '2' });
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  // One connection, opened before measuring: connection set-up would otherwise delay some arrivals.
  const d = createLoadDispatcher({ maxRps: 50, connections: 1 });
  const client = new RegistryClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }, d);
  t.teardown(async () => {
    await client.close();
    await d.close();
    server.close();
  });
  await ping(client);
  arrivals.length = 0;
  let left = 20;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (left-- > 0) await ping(client);
  }));
  const elapsed = performance.now() - t0;
  t.equal(arrivals.length, 20, 'every request reached the server');
  // 20 requests at 50/s: the last may start no earlier than 19 x 20 ms after the first, so the
  // batch cannot finish sooner (unpaced, 20 loopback pings take a few ms).
  t.ok(elapsed >= 19 * 20, `20 requests took ${elapsed.toFixed(0)} ms`);
});
