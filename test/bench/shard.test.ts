// bench/shard.ts: --shard i/N and JOB_COMPLETION_INDEX + a count, and slices of the load that add up.
import t from 'tap';
import { arrivalOffsetMs, parseShard, resolveShard, shardLoad, shardOperationCount, shardPlan, ShardError, splitInteger, type Shard } from '../../bench/shard.js';
import type { LoadModel } from '../../bench/model.js';

const shards = (n: number): Shard[] => [...Array(n).keys()].map((index) => ({ index, count: n }));

t.test('--shard i/N is 0-based and checked', async (t) => {
  t.same(parseShard('0/3'), { index: 0, count: 3 });
  t.same(parseShard(' 2 / 3 '), { index: 2, count: 3 });
  t.throws(() => parseShard('3/3'), new ShardError('--shard: shard index 3 is out of range: indices are 0-based, 0..2 for 3 shards'));
  t.throws(() => parseShard('0/0'), /the shard count must be at least 1/);
  t.throws(() => parseShard('1of3'), /--shard: "1of3" is not i\/N/);
  t.throws(() => parseShard('-1/3'), /is not i\/N/);
});

t.test('the shard comes from the flag, else from JOB_COMPLETION_INDEX and a count', async (t) => {
  t.equal(resolveShard({}), undefined, 'unsharded');
  t.equal(resolveShard({ env: { JOB_COMPLETION_INDEX: '2' } }), undefined, 'an index without a count does not shard');
  t.same(resolveShard({ shardCount: 4, env: { JOB_COMPLETION_INDEX: '3' } }), { index: 3, count: 4 });
  t.same(resolveShard({ env: { JOB_COMPLETION_INDEX: '1', REGPROBE_SHARD_COUNT: '2' } }), { index: 1, count: 2 });
  t.same(resolveShard({ shard: '0/2', env: { JOB_COMPLETION_INDEX: '1', REGPROBE_SHARD_COUNT: '2' } }), { index: 0, count: 2 }, 'the flag wins');
  t.throws(() => resolveShard({ shardCount: 3, env: {} }), /--shard-count needs JOB_COMPLETION_INDEX/);
  t.throws(() => resolveShard({ env: { JOB_COMPLETION_INDEX: '5', REGPROBE_SHARD_COUNT: '3' } }), /JOB_COMPLETION_INDEX: shard index 5 is out of range/);
  t.throws(() => resolveShard({ env: { JOB_COMPLETION_INDEX: 'x', REGPROBE_SHARD_COUNT: '3' } }), /JOB_COMPLETION_INDEX: "x" is not a whole number/);
  t.throws(() => resolveShard({ shardCount: 'three', env: { JOB_COMPLETION_INDEX: '0' } }), /--shard-count: "three" is not a whole number/);
});

t.test('slices add up to the whole and differ by at most one', async (t) => {
  for (const [total, n] of [[32, 3], [10, 3], [3, 3], [7, 1], [1000, 7]] as const) {
    const parts = shards(n).map((s) => splitInteger(total, s, 'concurrency'));
    t.equal(parts.reduce((a, b) => a + b, 0), total, `${total} over ${n}: ${parts.join(', ')}`);
    t.ok(Math.max(...parts) - Math.min(...parts) <= 1);
  }
  t.same(shards(3).map((s) => shardLoad({ kind: 'closed', concurrency: 32 }, s)), [
    { kind: 'closed', concurrency: 11 },
    { kind: 'closed', concurrency: 11 },
    { kind: 'closed', concurrency: 10 },
  ]);
  t.throws(() => shardLoad({ kind: 'closed', concurrency: 2 }, { index: 2, count: 3 }), /concurrency 2 cannot be split over 3 shards/);
  t.throws(() => shardOperationCount(1, { index: 1, count: 2 }), /count 1 cannot be split over 2 shards/);
  t.same(shards(4).map((s) => shardOperationCount(10, s)), [3, 3, 2, 2]);

  const open = shards(4).map((s) => shardLoad({ kind: 'open', ratePerSec: 100, maxInFlight: 10 }, s));
  t.equal(open.reduce((n, l) => n + (l.kind === 'open' ? l.ratePerSec : 0), 0), 100, 'rates add up');
  t.equal(open.reduce((n, l) => n + (l.kind === 'open' ? l.maxInFlight : 0), 0), 10, 'in-flight caps add up');
  t.same(shardLoad({ kind: 'open', ratePerSec: 5, maxInFlight: 1 }, { index: 2, count: 3 }), { kind: 'open', ratePerSec: 5 / 3, maxInFlight: 1 }, 'each shard may keep one request in flight');
});

t.test('open-loop schedules of the shards interleave', async (t) => {
  // 4 shards at 100/s in total: each sends every 40 ms; offsets 0, 10, 20, 30 ms fill the gaps.
  t.same(shards(4).map((s) => arrivalOffsetMs(100, s)), [0, 10, 20, 30]);
  t.equal(arrivalOffsetMs(0, { index: 1, count: 2 }), 0);
});

t.test('a plan is cut into slices, or refused naming the step that cannot be split', async (t) => {
  const plan = [
    { key: 'manifest.get', steps: [{ kind: 'closed', concurrency: 8 }, { kind: 'closed', concurrency: 32 }] as LoadModel[], warmupMs: 1000, other: 'kept' },
    { key: 'blob.get.1MiB', steps: [{ kind: 'open', ratePerSec: 90, maxInFlight: 30 }] as LoadModel[], count: 100 },
  ];
  const s1 = shardPlan(plan, { index: 1, count: 3 });
  t.same(s1[0], { key: 'manifest.get', steps: [{ kind: 'closed', concurrency: 3 }, { kind: 'closed', concurrency: 11 }], warmupMs: 1000, other: 'kept' });
  t.same(s1[1], { key: 'blob.get.1MiB', steps: [{ kind: 'open', ratePerSec: 30, maxInFlight: 10 }], count: 33 });
  t.same(plan[0]!.steps[0], { kind: 'closed', concurrency: 8 }, 'the input plan is not changed');
  t.throws(
    () => shardPlan([{ key: 'ping', steps: [{ kind: 'closed', concurrency: 1 }] }], { index: 0, count: 2 }),
    new ShardError('ping: concurrency 1 cannot be split over 2 shards: each shard needs at least 1; use concurrency (or --count) of at least 2, or fewer shards'),
  );
});
