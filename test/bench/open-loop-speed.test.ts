// The open loop at speed: thousands of arrivals a second over the lean load path, against a server
// that stalls for 400 ms in the middle. The driver must keep the asked rate (within 1 %), start
// every arrival, and count the stall in the latency of every arrival scheduled during it (measured
// from the intended start: no coordinated omission), while the service time (TTFB, from the send)
// stays low for most of them. 2,000/s is far below one core's limit for this client and server.
import t from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegistryClient } from '../../src/client/registry-client.js';
import { createLoadDispatcher } from '../../src/client/load-dispatcher.js';
import { pingOp } from '../../src/client/load-reads.js';
import { StepRecorder } from '../../bench/aggregate.js';
import { runOpenLoop } from '../../bench/drivers/open-loop.js';
import { decodeHistogram } from '../../bench/histogram.js';
import type { PreparedWorkload } from '../../bench/workload.js';

const RATE = 2000;
const WARMUP_MS = 200;
const DURATION_MS = 3000;
const STALL_MS = 400;
/** The stall starts with this request: one second into the measured window. */
const STALL_AT = ((WARMUP_MS + 1000) * RATE) / 1000;

t.test('open loop at 2,000/s: the rate is kept, a stall is latency for every arrival it delayed', async (t) => {
  let requests = 0;
  let stallEnd = 0;
  const server = createServer((_req, res) => {
    requests++;
    if (requests === STALL_AT) stallEnd = performance.now() + STALL_MS;
    const answer = () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '2' });
      res.end('{}');
    };
    const wait = stallEnd - performance.now();
    if (wait > 0) setTimeout(answer, wait);
    else answer();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const dispatcher = createLoadDispatcher();
  const client = new RegistryClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }, dispatcher);
  t.teardown(async () => {
    await client.close();
    await dispatcher.close();
    server.closeAllConnections();
    server.close();
  });
  t.ok(client.leanHttp(), 'the lean load path is used');
  const ping = pingOp(client);
  const w: PreparedWorkload = { run: async (_in, probe) => void (probe.ttfbMs = (await ping()).ttfbMs) };
  const rec = new StepRecorder({ kind: 'open', ratePerSec: RATE, maxInFlight: 64 }, WARMUP_MS);
  const out = await runOpenLoop(w, { ratePerSec: RATE, maxInFlight: 64, warmupMs: WARMUP_MS, durationMs: DURATION_MS, drainTimeoutMs: 30_000 }, rec);
  const step = rec.finish();

  const arrivals = (DURATION_MS * RATE) / 1000;
  t.equal(out.arrivals, arrivals, 'arrivals = rate x duration');
  t.equal(out.notStarted, 0, 'every arrival started');
  t.equal(step.ok, arrivals, 'every measured arrival completed');
  t.equal(requests, arrivals + (WARMUP_MS * RATE) / 1000, 'one request per arrival, warm-up included');
  t.ok(Math.abs(out.achievedRatePerSec - RATE) <= RATE * 0.01, `achieved ${out.achievedRatePerSec.toFixed(1)}/s, asked ${RATE}/s (within 1 %)`);

  // Arrivals scheduled in the first 300 ms of the stall waited at least 100 ms: 600 of 6,000 (10 %),
  // so at least 9 % of all latencies are 100 ms or more (a driver that timed from the send would
  // show only the 64 requests in flight as slow: about 1 %).
  const h = decodeHistogram(step.histogram);
  const p91 = h.getValueAtPercentile(91) / 1000;
  t.ok(p91 >= 99.9, `p91 latency ${p91} ms: the stall is in the latency of the arrivals it delayed (from the intended start)`);
  // Only the requests in flight when it stalled (at most 64) were slow to be answered.
  t.ok(step.ttfb && step.ttfb.p95 < 100, `TTFB (from the send) p95 ${step.ttfb?.p95} ms: the service time of most was short`);
});
