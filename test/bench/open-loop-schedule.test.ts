// The open loop's arrival schedule (bench/drivers/open-loop.ts) with shards (bench/shard.ts): the
// shards of one step, each at rate/N and offset as the runner offsets it, together arrive evenly
// at the rate the user asked for; an unsharded run keeps its schedule. Pure: no timers.
import t from 'tap';
import { arrivalsDue, intendedStartMs } from '../../bench/drivers/open-loop.js';
import { shardLoad, stepArrivalOffsetMs, type Shard } from '../../bench/shard.js';
import type { LoadModel } from '../../bench/model.js';

const shards = (n: number): Shard[] => [...Array(n).keys()].map((index) => ({ index, count: n }));

/** The first `k` intended starts of every shard of `step`, merged in time order. */
function merged(step: LoadModel, n: number, k: number, offsets = true): number[] {
  const times: number[] = [];
  for (const s of shards(n)) {
    const load = shardLoad(step, s);
    if (load.kind !== 'open') throw new Error('open loop expected');
    const offset = offsets ? stepArrivalOffsetMs(load, s) : 0;
    for (let i = 0; i < k; i++) times.push(intendedStartMs(i, load.ratePerSec, offset));
  }
  return times.sort((a, b) => a - b);
}

function gaps(times: readonly number[]): number[] {
  return times.slice(1).map((x, i) => x - times[i]!);
}

t.test('the shards of a step together arrive evenly at the whole rate', async (t) => {
  for (const rate of [100, 7, 1234.5]) {
    for (const n of [2, 3, 4, 7]) {
      const step: LoadModel = { kind: 'open', ratePerSec: rate, maxInFlight: 64 };
      const times = merged(step, n, 50);
      const want = 1000 / rate;
      const worst = Math.max(...gaps(times).map((g) => Math.abs(g - want)));
      t.ok(worst < 1e-6 * Math.max(1, want), `rate ${rate}/s over ${n} shards: every gap ${want.toFixed(4)} ms (worst deviation ${worst.toExponential(2)} ms)`);
      t.equal(times[0], 0, 'the first arrival of the run is at the step start');
      t.equal(times.length, 50 * n);
    }
  }
});

t.test('without the offsets the shards would arrive in bursts', async (t) => {
  // The failure mode the offsets exist for: N arrivals at the same instants, then a gap of N/rate.
  const times = merged({ kind: 'open', ratePerSec: 100, maxInFlight: 64 }, 4, 10, false);
  t.same([...new Set(gaps(times).map((g) => Math.round(g * 1000) / 1000))].sort((a, b) => a - b), [0, 40]);
});

t.test('an unsharded run, a single shard and a closed loop have no offset', async (t) => {
  const load: LoadModel = { kind: 'open', ratePerSec: 40, maxInFlight: 8 };
  t.equal(stepArrivalOffsetMs(load, undefined), 0);
  t.equal(stepArrivalOffsetMs(load, { index: 0, count: 1 }), 0);
  t.equal(stepArrivalOffsetMs({ kind: 'closed', concurrency: 4 }, { index: 1, count: 2 }), 0);
  t.same([0, 1, 2, 3].map((i) => intendedStartMs(i, 40)), [0, 25, 50, 75], 'arrival i at i/rate');
  // Shard 2 of 4 at 100/s in all: it runs at 25/s (every 40 ms), starting 20 ms in.
  const s: Shard = { index: 2, count: 4 };
  const slice = shardLoad({ kind: 'open', ratePerSec: 100, maxInFlight: 8 }, s);
  t.equal(stepArrivalOffsetMs(slice, s), 20);
  t.same([0, 1, 2].map((i) => intendedStartMs(i, 25, 20)), [20, 60, 100]);
});

t.test('the driver launches an arrival once its intended start has come, not before', async (t) => {
  for (const [rate, offset] of [[40, 0], [25, 20], [1234.5, 0.3]] as const) {
    t.equal(arrivalsDue(0, rate, offset), offset > 0 ? 0 : 1, `rate ${rate}, offset ${offset}: at the step start`);
    for (let i = 0; i < 20; i++) {
      const at = intendedStartMs(i, rate, offset);
      t.equal(arrivalsDue(at + 1e-6, rate, offset), i + 1, `arrival ${i} due just after ${at} ms`);
      t.equal(arrivalsDue(at - 1e-6, rate, offset), i, `arrival ${i} not due just before ${at} ms`);
    }
  }
});
