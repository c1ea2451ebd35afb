// `regprobe bench --workers N`: the load runs in N threads, each a shard of the plan, merged by the
// same code as `regprobe merge`. Closed loop divides the connections, open loop the rate (with the
// shards' arrivals interleaved); the merged counts are sums and the merged percentiles those of the
// union of every thread's operations.
import t from 'tap';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { build, decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { startReferenceServer } from '../../reference-server/server.js';
import { runCli } from '../helpers/cli-child.js';
import { parseBenchReport } from '../../src/report/bench-load.js';
import { benchOptions, benchSettings, parseWorkers, type BenchArgs } from '../../src/cli/bench-command.js';
import { measureInWorkers } from '../../src/cli/bench-workers.js';
import { openTarget } from '../../src/cli/target.js';
import { mergeBenchReports } from '../../bench/merge.js';
import type { BenchEvent } from '../../bench/runner.js';
import type { BenchReport } from '../../bench/model.js';

function parse(args: string[]): BenchArgs {
  return benchOptions(yargs(['bench', ...args]).command('bench [url]', '')).parseSync() as unknown as BenchArgs;
}

t.test('--workers N|auto', async (t) => {
  t.equal(parseWorkers(undefined), 1);
  t.equal(parseWorkers('3'), 3);
  t.equal(parseWorkers('auto', 8), 7, 'auto leaves one core');
  t.equal(parseWorkers('auto', 1), 1, 'auto is at least 1');
  for (const bad of ['0', '-1', '1.5', 'many', '1000']) t.throws(() => parseWorkers(bad), /--workers takes a whole number 1\.\.256 or auto/, bad);
});

t.test('bad combinations are one line and exit 2', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--workers', '2', '--shard', '0/2'], /^regprobe: --workers and --shard exclude each other/],
    [['--workers', '4', '-c', '2'], /^regprobe: --workers 4: .*cannot be split over 4 shards/],
    [['--workers', 'lots'], /^regprobe: --workers takes a whole number/],
  ];
  for (const [args, re] of cases) {
    const r = await runCli(['bench', 'http://127.0.0.1:9/', '-w', 'manifest.get', ...args, '--quiet'], { timeoutMs: 60_000 });
    t.equal(r.code, 2, `${args.join(' ')}: exit 2`);
    t.match(r.stderr, re, args.join(' '));
    t.equal(r.stderr.trim().split('\n').length, 1, `${args.join(' ')}: one line`);
  }
});

t.test('closed loop in three threads: one report, counts add up, percentiles of the union', async (t) => {
  const server = await startReferenceServer();
  t.teardown(() => server.close());
  const argv = parse([server.url, '--workers', '3', '-w', 'manifest.get,blob.get', '--size', '16KiB', '-c', '3,6', '-d', '1s', '--warmup', '200ms', '--quiet']);
  const s = benchSettings(argv);
  t.equal(s.workers, 3);
  const target = await openTarget(s.target);
  t.teardown(() => target.close());
  const parts: BenchReport[] = [];
  const events: BenchEvent[] = [];
  const merged = await measureInWorkers(argv, s, target, { onWorkerReport: (i, r) => (parts[i] = r), onProgress: (e) => events.push(e) });

  t.equal(merged.workers, 3, 'the report says how many threads ran');
  t.equal(merged.shard, undefined, 'a --workers run is one run, not a merge of shards');
  t.same(parts.map((p) => p.shard), [0, 1, 2].map((index) => ({ index, count: 3 })), 'each thread ran its shard');
  t.same(merged.workloads.map((w) => w.key), ['manifest.get.by-tag', 'blob.get.16KiB']);
  const again = mergeBenchReports(parts.map((report, i) => ({ source: `w${i}`, report })));
  t.same(merged.workloads, again.workloads, 'the merge is the one `regprobe merge` makes');

  merged.workloads.forEach((w, wi) => {
    w.steps.forEach((step, si) => {
      const each = parts.map((p) => p.workloads[wi]!.steps[si]!);
      const name = `${w.key} step ${si + 1}`;
      t.same(step.load, { kind: 'closed', concurrency: [3, 6][si] }, `${name}: the threads' connections add up to the step asked for`);
      t.same(each.map((p) => p.load), each.map(() => ({ kind: 'closed', concurrency: [1, 2][si] })), `${name}: each thread ran a third`);
      t.ok(each.every((p) => p.ok > 0), `${name}: every thread did work`);
      t.equal(step.operations, each.reduce((n, p) => n + p.operations, 0), `${name}: operations add up`);
      const union = build({ numberOfSignificantValueDigits: 3 });
      for (const p of each) union.add(decodeFromCompressedBase64(p.histogram));
      t.equal(union.totalCount, step.operations, `${name}: the union holds every operation`);
      t.equal(step.latency.p99, Math.round(union.getValueAtPercentile(99)) / 1000, `${name}: p99 of the union`);
    });
  });

  // Progress: one stream; a step ends once, with the merged figures.
  const ends = events.filter((e): e is Extract<BenchEvent, { type: 'step-end' }> => e.type === 'step-end');
  t.equal(ends.length, 4, 'one step-end per step, not one per thread');
  t.same(ends.map((e) => e.step.operations), merged.workloads.flatMap((w) => w.steps.map((s) => s.operations)), 'step-end carries the merged step');
  t.equal(events.filter((e) => e.type === 'start').length, 1);
  t.equal(events.at(-1)?.type, 'end');
});

t.test('open loop in two threads: the rate is divided and the arrivals add up', async (t) => {
  const server = await startReferenceServer();
  t.teardown(() => server.close());
  const argv = parse([server.url, '--workers', '2', '-w', 'manifest.get', '--rate', '100', '-d', '2s', '--warmup', '0', '--quiet']);
  const s = benchSettings(argv);
  const target = await openTarget(s.target);
  t.teardown(() => target.close());
  const parts: BenchReport[] = [];
  const merged = await measureInWorkers(argv, s, target, { onWorkerReport: (i, r) => (parts[i] = r) });
  const step = merged.workloads[0]!.steps[0]!;
  t.same(step.load, { kind: 'open', ratePerSec: 100, maxInFlight: 256 }, 'the threads together offer the rate asked for');
  t.same(parts.map((p) => p.workloads[0]!.steps[0]!.load), [0, 1].map(() => ({ kind: 'open', ratePerSec: 50, maxInFlight: 128 })), 'each thread half');
  // 2 s at 100/s: 200 arrivals scheduled in the window, 100 per thread (the schedule, not the machine's speed).
  t.same(parts.map((p) => p.workloads[0]!.steps[0]!.arrivals), [100, 100], 'each thread scheduled its half');
  t.equal(step.arrivals, 200, 'the merged arrivals are the whole schedule');
});

t.test('the CLI: --workers writes one report and prints one table', async (t) => {
  const server = await startReferenceServer();
  t.teardown(() => server.close());
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-workers-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const r = await runCli(['bench', server.url, '--workers', '2', '-w', 'manifest.get', '-c', '4', '-d', '1s', '--warmup', '200ms', '--report-dir', dir, '--format', 'table,json'], { timeoutMs: 180_000 });
  t.equal(r.code, 0, r.stderr || 'exit 0');
  t.match(r.stdout, /2 load threads/, 'the table says how the load was generated');
  const report = parseBenchReport(await readFile(join(dir, 'bench.json'), 'utf8'));
  t.equal(report.workers, 2);
  t.same(report.workloads[0]!.steps[0]!.load, { kind: 'closed', concurrency: 4 });
  t.ok(report.workloads[0]!.steps[0]!.ok > 0);
  t.equal((r.stderr.match(/manifest\.get\.by-tag c=4:/g) ?? []).length, 1, 'progress shows the step once');
});
