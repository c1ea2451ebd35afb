// bench/merge.ts: shard reports add up exactly (histograms, counts, rates, timelines), and reports of
// different benchmarks are refused with a message naming the files and the difference.
import t, { type Test } from 'tap';
import { mergeBenchReports, MergeError, type MergeInput } from '../../bench/merge.js';
import { decodeHistogram, newHistogram, summarize } from '../../bench/histogram.js';
import { prng, report, sampleReport, simulateOps, stepFrom, workload, type SimOp } from '../helpers/bench-report.js';
import type { BenchReport } from '../../bench/model.js';

/** Three shards of one run: concurrency 32 split 11/11/10, different latencies and windows per shard. */
function threeShards(): { inputs: MergeInput[]; ops: SimOp[][]; blobOps: SimOp[][] } {
  const rand = prng(42);
  const ops: SimOp[][] = [];
  const blobOps: SimOp[][] = [];
  const conc = [11, 11, 10];
  const durations = [5000, 5040, 4980];
  const inputs = conc.map((c, i) => {
    const o = simulateOps(rand, { count: 1500 + i * 100, durationMs: durations[i]!, medianUs: 2000 + i * 700, bytes: 700, errorRate: 0.02 });
    const b = simulateOps(rand, { count: 200, durationMs: durations[i]!, medianUs: 15_000, bytes: 1 << 20 });
    ops.push(o);
    blobOps.push(b);
    const r = report(
      [
        workload('manifest.get', { tag: 'latest' }, [stepFrom({ kind: 'closed', concurrency: c }, o, durations[i]!, 1000)]),
        workload('pull.blob', { size: 1048576 }, [stepFrom({ kind: 'open', ratePerSec: 100 / 3, maxInFlight: i === 0 ? 2 : 1 }, b, durations[i]!)], '1MiB'),
      ],
      { shard: { index: i, count: 3 }, startedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(), durationMs: 20_000 },
    );
    r.environment.cpuModel = i === 2 ? 'Other CPU' : 'Test CPU';
    r.environment.cores = i === 2 ? 8 : 2;
    return { source: `shard-${i}.json`, report: r };
  });
  return { inputs, ops, blobOps };
}

t.test('shards merge exactly: counts add up, percentiles are those of the union', async (t) => {
  const { inputs, ops, blobOps } = threeShards();
  const merged = mergeBenchReports(inputs);
  t.equal(merged.schema, 'regprobe.bench/v1');
  t.same(merged.shard, { merged: 3 });
  t.equal(merged.workloads.length, 2);

  const step = merged.workloads[0]!.steps[0]!;
  const all = ops.flat();
  t.same(step.load, { kind: 'closed', concurrency: 32 }, 'concurrency is the sum of the shards');
  t.equal(step.operations, all.length, 'operations add up');
  t.equal(step.ok, all.filter((o) => o.ok).length, 'successes add up');
  t.equal(step.errors, all.filter((o) => !o.ok).length, 'errors add up');
  t.equal(step.errorDetail.byStatus['503'], step.errors, 'errors by status add up');

  const union = newHistogram();
  for (const o of all) union.recordValue(o.latencyUs);
  t.same(step.latency, summarize(union), 'merged percentiles equal the percentiles of all operations together');
  t.ok(step.latency.p99 > 0 && step.latency.p99 < step.latency.max);
  const decoded = decodeHistogram(step.histogram);
  t.equal(decoded.totalCount, all.length, 'merged histogram holds every operation');
  t.equal(decoded.getValueAtPercentile(99.99), union.getValueAtPercentile(99.99), 'any percentile can be recomputed from the merged histogram');

  const ttfbUnion = newHistogram();
  for (const o of all) if (o.ok) ttfbUnion.recordValue(o.ttfbUs);
  t.same(step.ttfb, summarize(ttfbUnion), 'time to first byte merged the same way');

  t.equal(step.durationMs, 5040, 'window is the longest shard window');
  t.equal(step.warmupMs, 1000);
  const okOps = all.filter((o) => o.ok);
  t.equal(step.opsPerSec, Math.round((okOps.length / 5.04) * 100) / 100, 'successful ops/s over the common window');
  const bytes = okOps.reduce((n, o) => n + o.bytes, 0);
  t.equal(step.bytesPerSec, Math.round(bytes / 5.04), 'bytes/s over the common window');

  const tlOps = step.timeline.reduce((n, p) => n + p.ops + p.errors, 0);
  t.equal(tlOps, all.length, 'timeline operations add up');
  const second2 = all.filter((o) => Math.floor(o.atMs / 1000) === 2);
  const p2 = step.timeline.find((p) => p.t === 2)!;
  t.equal(p2.ops, second2.filter((o) => o.ok).length, 'timeline summed by second');
  t.equal(p2.errors, second2.filter((o) => !o.ok).length);
  t.ok(step.timeline.every((p, i, a) => i === 0 || a[i - 1]!.t < p.t), 'timeline sorted by second');

  const open = merged.workloads[1]!.steps[0]!;
  t.same(open.load, { kind: 'open', ratePerSec: 100, maxInFlight: 4 }, 'open-loop rates add back to the asked rate');
  const blobUnion = newHistogram();
  for (const o of blobOps.flat()) blobUnion.recordValue(o.latencyUs);
  t.same(open.latency, summarize(blobUnion));

  t.equal(merged.startedAt, '2025-01-01T00:00:00.000Z', 'earliest start');
  t.equal(merged.durationMs, 22_000, 'from the first start to the last end');
  t.equal(merged.environment.cpuModel, 'Test CPU + Other CPU');
  t.equal(merged.environment.cores, 8);
});

t.test('error details, counters, arrivals and machines add up', async (t) => {
  const a = sampleReport(11, 1, { environment: { ...sampleReport(0).environment, hostname: 'node-a', cores: 4 } });
  const b = sampleReport(12, 1, { environment: { ...sampleReport(0).environment, hostname: 'node-b', cores: 8 } });
  const c = sampleReport(13, 1, { environment: { ...sampleReport(0).environment, hostname: 'node-b', cores: 8 } });
  const sa = a.workloads[0]!.steps[1]!;
  const sb = b.workloads[0]!.steps[1]!;
  sa.errorDetail.byCode = { BLOB_UNKNOWN: 2 };
  sb.errorDetail.byCode = { BLOB_UNKNOWN: 1, DENIED: 4 };
  sa.errorDetail.byConnection = { RESET: 1 };
  sb.errorDetail.other = { 'invalid-json': 3 };
  sa.errorDetail.digestMismatches = 1;
  sb.errorDetail.digestMismatches = 2;
  sa.errorDetail.samples = ['x', 'y'];
  sb.errorDetail.samples = ['y', 'z', 'u', 'v', 'w'];
  sa.counters = { mounted: 5 };
  sb.counters = { mounted: 1, 'mount-fallback': 2 };
  sa.arrivals = 10;
  sb.arrivals = 20;
  const m = mergeBenchReports([{ source: 'a', report: a }, { source: 'b', report: b }, { source: 'c', report: c }]);
  const e = m.workloads[0]!.steps[1]!.errorDetail;
  t.same(e.byCode, { BLOB_UNKNOWN: 3, DENIED: 4 });
  t.same(e.byConnection, { RESET: 1 });
  t.same(e.other, { 'invalid-json': 3 });
  t.equal(e.digestMismatches, 3);
  t.same(e.samples, ['x', 'y', 'z', 'u', 'v'], 'distinct samples, at most five');
  t.same(m.workloads[0]!.steps[1]!.counters, { mounted: 6, 'mount-fallback': 2 });
  t.equal(m.workloads[0]!.steps[1]!.arrivals, 30);
  t.equal(m.environment.hostname, 'node-a + node-b');
  t.equal(m.environment.cores, 12, 'cores add up over distinct machines');
});

t.test('merging merged reports and whole runs', async (t) => {
  const a = sampleReport(1);
  const b = sampleReport(2);
  const c = sampleReport(3);
  const ab = mergeBenchReports([{ source: 'a', report: a }, { source: 'b', report: b }]);
  const abc = mergeBenchReports([{ source: 'ab', report: ab }, { source: 'c', report: c }]);
  t.same(abc.shard, { merged: 3 });
  const direct = mergeBenchReports([{ source: 'a', report: a }, { source: 'b', report: b }, { source: 'c', report: c }]);
  t.same(abc.workloads.map((w) => w.steps.map((s) => s.latency)), direct.workloads.map((w) => w.steps.map((s) => s.latency)), 'merge is associative for percentiles');
  t.equal(abc.workloads[0]!.steps[1]!.operations, a.workloads[0]!.steps[1]!.operations * 3);
  const one = mergeBenchReports([{ source: 'a', report: a }]);
  t.same(one.workloads[0]!.steps[0]!.latency, a.workloads[0]!.steps[0]!.latency, 'a single report merges into itself');
});

function refused(t: Test, inputs: MergeInput[], pattern: RegExp, opts = {}): void {
  t.throws(() => mergeBenchReports(inputs, opts), pattern);
  try {
    mergeBenchReports(inputs, opts);
  } catch (err) {
    t.type(err, MergeError);
    t.notMatch((err as Error).message, /\n/, 'one line');
  }
}


t.test('different benchmarks are refused with a clear line', async (t) => {
  const base = (): BenchReport => sampleReport(7);
  const a = { source: 'a.json', report: base() };

  const params = base();
  params.workloads[1]!.params = { size: 10485760 };
  refused(t, [a, { source: 'b.json', report: params }], /workload pull\.blob has different parameters: a\.json ran size=1048576, b\.json ran size=10485760/);

  const missing = base();
  missing.workloads.pop();
  refused(t, [a, { source: 'b.json', report: missing }], /a\.json has workload pull\.blob\.1MiB but b\.json does not/);

  const skipped = base();
  skipped.workloads[1]!.steps = [];
  skipped.workloads[1]!.skipped = 'needs a token service';
  refused(t, [a, { source: 'b.json', report: skipped }], /workload pull\.blob\.1MiB ran in a\.json but was skipped in b\.json \(needs a token service\)/);

  const settings = (): BenchReport => ({ ...base(), settings: { readOnly: false, identicalContent: false, warmupMs: 1000, durationMs: 10_000, maxErrorRate: 0.01, namespace: 'x' } });
  const longer = settings();
  longer.settings!.durationMs = 20_000;
  longer.settings!.namespace = 'y';
  refused(t, [{ source: 'a.json', report: settings() }, { source: 'b.json', report: longer }], /a\.json ran with durationMs=10000 but b\.json with durationMs=20000/);

  const extra = base();
  extra.workloads.push(workload('catalog', {}, [extra.workloads[0]!.steps[0]!]));
  refused(t, [a, { source: 'b.json', report: extra }], /b\.json has workload catalog but a\.json does not/);

  const profile = base();
  profile.profile = 'standard';
  refused(t, [a, { source: 'b.json', report: profile }], /a\.json ran profile quick but b\.json ran standard/);

  const target = base();
  target.target.url = 'http://127.0.0.1:6000';
  refused(t, [a, { source: 'b.json', report: target }], /a\.json measured http:\/\/127\.0\.0\.1:5000 but b\.json measured http:\/\/127\.0\.0\.1:6000/);

  const steps = base();
  steps.workloads[0]!.steps.pop();
  refused(t, [a, { source: 'b.json', report: steps }], /workload manifest\.get: a\.json has 2 step\(s\), b\.json has 1/);

  const kind = base();
  kind.workloads[0]!.steps[0]!.load = { kind: 'open', ratePerSec: 10, maxInFlight: 4 };
  refused(t, [a, { source: 'b.json', report: kind }], /step 1: a\.json ran a closed loop, b\.json a open loop/);

  refused(t, [a, { source: 'again.json', report: base() }], /a\.json and again\.json are the same report/);
});

t.test('a workload that failed in one shard stays failed in the merge', async (t) => {
  const a = sampleReport(21);
  const b = sampleReport(22);
  const c = sampleReport(23);
  b.workloads[1]!.steps = [];
  b.workloads[1]!.error = 'seeding failed: 500';
  const m = mergeBenchReports([{ source: 'a', report: a }, { source: 'b', report: b }, { source: 'c', report: c }]);
  t.equal(m.workloads[1]!.error, 'b: seeding failed: 500 (steps merged from 2 of 3 reports)');
  t.equal(m.workloads[1]!.steps[0]!.operations, a.workloads[1]!.steps[0]!.operations + c.workloads[1]!.steps[0]!.operations);
  t.equal(m.workloads[0]!.error, undefined);
});

t.test('shard sets must be complete, consistent and without repeats', async (t) => {
  const shard = (seed: number, index: number, count: number): BenchReport => sampleReport(seed, 1, { shard: { index, count } });
  refused(t, [{ source: 's0', report: shard(1, 0, 3) }, { source: 's1', report: shard(2, 1, 3) }], /shard 2\/3 missing \(merging an incomplete set needs --allow-partial\)/);
  const partial = mergeBenchReports([{ source: 's0', report: shard(1, 0, 3) }, { source: 's1', report: shard(2, 1, 3) }], { allowPartial: true });
  t.same(partial.shard, { merged: 2 }, '--allow-partial merges what is there');
  refused(t, [{ source: 's0', report: shard(1, 0, 2) }, { source: 'x', report: shard(2, 0, 2) }], /s0 and x are both shard 0\/2/);
  refused(t, [{ source: 's0', report: shard(1, 0, 2) }, { source: 's1', report: shard(2, 1, 3) }], /s0 is one of 2 shards but s1 is one of 3/);
  refused(t, [{ source: 's0', report: shard(1, 0, 2) }, { source: 'whole', report: sampleReport(2) }], /s0 is shard 0\/2 but whole is a whole run/);
  refused(t, [], /nothing to merge/);
});
