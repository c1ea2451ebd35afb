// The load drivers. Open loop: arrivals follow the rate, latency counts from the scheduled start
// (queueing behind a slow server is latency, no coordinated omission), arrivals that never get a slot
// are failures. Closed loop: exact counts, warm-up excluded. Assertions are lower bounds implied by
// the schedule (a slower machine only makes them larger), never speed.
import t from 'tap';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { RegistryClient } from '../../src/client/registry-client.js';
import { ping } from '../../src/client/operations.js';
import { StepRecorder } from '../../bench/aggregate.js';
import { runOpenLoop } from '../../bench/drivers/open-loop.js';
import { runClosedLoop } from '../../bench/drivers/closed-loop.js';
import type { PreparedWorkload } from '../../bench/workload.js';
import { decodeHistogram } from '../../bench/histogram.js';

/** A loopback server that answers GET /v2/ after `delayMs`, counting requests. */
async function slowServer(delayMs: number): Promise<{ url: string; server: Server; requests: () => number }> {
  let n = 0;
  const server = createServer((req, res) => {
    n++;
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '2' });
      res.end('{}');
    }, delayMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, requests: () => n };
}

t.test('open loop: queueing behind a slow server counts as latency (from the intended start)', async (t) => {
  const srv = await slowServer(50);
  const client = new RegistryClient({ baseUrl: srv.url });
  t.teardown(async () => {
    await client.close();
    srv.server.close();
  });
  const w: PreparedWorkload = { run: async (_i, probe) => void (probe.ttfbMs = (await ping(client)).ttfbMs) };
  // 100 arrivals/s for 0.5 s = 50 arrivals; 2 slots x (1 op / 50 ms) = at most 40 ops/s served, so
  // arrivals queue: the 50th cannot finish before 50/40 s = 1250 ms after the first arrival, while it
  // was scheduled at 490 ms -> its latency is at least ~760 ms although the server answers in 50 ms.
  const rec = new StepRecorder({ kind: 'open', ratePerSec: 100, maxInFlight: 2 }, 0);
  const out = await runOpenLoop(w, { ratePerSec: 100, maxInFlight: 2, warmupMs: 0, durationMs: 500, drainTimeoutMs: 30_000 }, rec);
  const step = rec.finish();
  t.equal(out.arrivals, 50, 'arrivals = rate x duration');
  t.equal(step.arrivals, 50);
  t.equal(step.operations, 50);
  t.equal(step.ok, 50);
  t.equal(out.notStarted, 0);
  t.equal(srv.requests(), 50, 'one request per arrival, none more');
  t.ok(step.latency.max >= 700, `max latency ${step.latency.max} ms includes the wait for a slot`);
  t.ok(step.latency.p50 >= 200, `median ${step.latency.p50} ms: most arrivals waited`);
  // Service time alone (TTFB from the actual send) stays near the server's 50 ms.
  t.ok(step.ttfb && step.ttfb.p50 < step.latency.p50, 'TTFB (from the send) is below the latency from the schedule');
  t.equal(decodeHistogram(step.histogram).totalCount, 50);
});

t.test('open loop: arrivals follow the rate when the work is fast; warm-up arrivals are not recorded', async (t) => {
  let calls = 0;
  let prepared = 0;
  const inputs = new Set<unknown>();
  const w: PreparedWorkload = {
    // Inputs are prepared ahead (off the clock) and each is used once.
    prepare: () => ++prepared,
    run: async (input) => {
      calls++;
      inputs.add(input);
      await sleep(1);
    },
  };
  const rec = new StepRecorder({ kind: 'open', ratePerSec: 200, maxInFlight: 64 }, 200);
  const out = await runOpenLoop(w, { ratePerSec: 200, maxInFlight: 64, warmupMs: 200, durationMs: 500, drainTimeoutMs: 30_000 }, rec);
  const step = rec.finish();
  t.equal(out.arrivals, 100);
  t.equal(step.operations, 100, 'measured: the 100 arrivals of the measured window');
  t.equal(calls, 140, '40 warm-up arrivals ran but were not recorded');
  t.equal(inputs.size, 140, 'every operation got its own prepared input');
  t.ok(prepared >= 140 && prepared <= 140 + 16, `${prepared} inputs prepared (at most the prefetch depth unused)`);
  // The schedule spreads arrivals over the window: the measured window is at least its length.
  t.ok(step.durationMs >= 495, `window ${step.durationMs} ms`);
});

t.test('open loop: arrivals that never get a slot before the drain limit are failures, with their wait', async (t) => {
  const w: PreparedWorkload = { run: () => sleep(300) };
  const rec = new StepRecorder({ kind: 'open', ratePerSec: 50, maxInFlight: 1 }, 0);
  // 10 arrivals over 200 ms, one slot of 300 ms each, 100 ms to drain after the last arrival:
  // only the first can start in time.
  const out = await runOpenLoop(w, { ratePerSec: 50, maxInFlight: 1, warmupMs: 0, durationMs: 200, drainTimeoutMs: 100 }, rec);
  const step = rec.finish();
  t.equal(out.arrivals, 10);
  t.ok(out.notStarted >= 8, `${out.notStarted} arrivals could not start`);
  t.equal(step.operations, 10, 'every arrival is accounted for');
  t.equal(step.errors, out.notStarted);
  t.equal(step.counters?.['not-started'], out.notStarted);
  t.equal(step.errorDetail.other?.['NotStartedError'], out.notStarted);
  t.ok(step.latency.max >= 90, `a waiting arrival's latency (${step.latency.max} ms) is its wait`);
});

t.test('closed loop: by count, exactly that many measured operations; warm-up excluded', async (t) => {
  let calls = 0;
  let prepared = 0;
  const w: PreparedWorkload = {
    prepare: () => ++prepared,
    run: async (input, probe) => {
      calls++;
      probe.bytes = 10;
      if ((input as number) % 5 === 0) throw new Error('every fifth fails');
      await sleep(2);
    },
  };
  const rec = new StepRecorder({ kind: 'closed', concurrency: 4 }, 100);
  await runClosedLoop(w, { concurrency: 4, warmupMs: 100, count: 37, maxMs: 60_000 }, rec);
  const step = rec.finish();
  t.equal(step.operations, 37);
  t.equal(step.ok + step.errors, 37);
  t.ok(step.errors > 0, 'failures are recorded');
  t.equal(step.errorDetail.other?.['Error'], step.errors);
  t.same(step.errorDetail.samples, ['every fifth fails']);
  t.ok(calls > 37, `warm-up operations ran (${calls} calls) but are not counted`);
  t.equal(step.timeline.reduce((n, x) => n + x.bytes, 0), step.ok * 10, 'goodput counts successful operations only');
  t.ok(Math.abs(step.bytesPerSec - (step.ok * 10) / (step.durationMs / 1000)) <= 0.01 * step.bytesPerSec + 1, 'bytes per second over the window');
  t.equal(step.timeline.reduce((n, s) => n + s.ops + s.errors, 0), 37, 'the timeline holds every measured operation');
});

t.test('closed loop: by duration, operations keep the workers busy and stop after the window', async (t) => {
  let inFlight = 0;
  let maxInFlight = 0;
  const w: PreparedWorkload = {
    run: async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await sleep(5);
      inFlight--;
    },
  };
  const rec = new StepRecorder({ kind: 'closed', concurrency: 3 }, 0);
  await runClosedLoop(w, { concurrency: 3, warmupMs: 0, durationMs: 300, maxMs: 60_000 }, rec);
  const step = rec.finish();
  t.equal(maxInFlight, 3, 'concurrency 3 = three operations at once, never more');
  t.equal(inFlight, 0, 'the driver returns only when every operation has ended');
  t.ok(step.operations >= 3, `${step.operations} operations`);
  t.ok(step.durationMs >= 300, `window ${step.durationMs} ms covers the duration`);
});
