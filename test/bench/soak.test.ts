// Soak runs (`--duration 30m`): the report keeps the load generator's resident memory per second (so
// a leak in the load generator is visible and told apart from the registry's) and exact per-minute
// latency (so a registry that slows down over time shows it), both merged exactly across threads.
import t from 'tap';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StepRecorder } from '../../bench/aggregate.js';
import { newProbe } from '../../bench/workload.js';
import { mergeStep } from '../../bench/merge.js';
import { decodeHistogram } from '../../bench/histogram.js';
import { renderBenchHtml } from '../../src/report/bench-html.js';
import { parseBenchReport } from '../../src/report/bench-load.js';
import { startReferenceServer } from '../../reference-server/server.js';
import { runCli } from '../helpers/cli-child.js';

/** A step of `minutes` minutes with one operation per second, slower each minute (times are given, not waited for). */
function syntheticSoak(minutes: number, latencyOfMinute: (m: number) => number): StepRecorder {
  const rec = new StepRecorder({ kind: 'closed', concurrency: 1 }, 0);
  rec.start(0);
  for (let s = 0; s < minutes * 60; s++) rec.recordOk(s * 1000 + 500, latencyOfMinute(Math.floor(s / 60)), newProbe());
  return rec;
}

t.test('per-minute latency: exact, from each minute\'s own histogram', async (t) => {
  const step = syntheticSoak(3, (m) => 10 * (m + 1)).finish(180_000);
  t.equal(step.minutes?.length, 3, 'three minutes');
  t.same(step.minutes!.map((m) => m.ok), [60, 60, 60]);
  t.same(step.minutes!.map((m) => Math.round(m.latency.p99)), [10, 20, 30], 'a registry slowing down shows minute by minute');
  t.same(step.minutes!.map((m) => decodeHistogram(m.histogram).totalCount), [60, 60, 60], 'each minute keeps its histogram');
  t.equal(step.timeline.length, 180);
  t.ok(step.timeline.every((p) => typeof p.rss === 'number' && p.rss > 0), 'every second carries the RSS');

  const short = syntheticSoak(0.5, () => 5).finish(30_000);
  t.equal(short.minutes, undefined, 'a step of a minute or less has no per-minute rows (the step is the minute)');
});

t.test('per-minute latency merges exactly across threads and shards', async (t) => {
  const a = syntheticSoak(2, (m) => (m === 0 ? 10 : 40)).finish(120_000);
  const b = syntheticSoak(2, (m) => (m === 0 ? 20 : 50)).finish(120_000);
  const merged = mergeStep([a, b]);
  t.same(merged.minutes!.map((m) => m.ok), [120, 120], 'counts add up');
  t.same(merged.minutes!.map((m) => Math.round(m.latency.max)), [20, 50], 'the maximum of the union');
  t.same(merged.minutes!.map((m) => Math.round(m.latency.p50)), [10, 40], 'the median of the union, not an average of medians');
  t.same(merged.minutes!.map((m) => decodeHistogram(m.histogram).totalCount), [120, 120]);
  const html = renderBenchHtml({
    schema: 'regprobe.bench/v1',
    target: { url: 'http://registry.test/', reference: false },
    startedAt: new Date(0).toISOString(),
    durationMs: 120_000,
    environment: { tool: 'regprobe', version: '0', node: 'v20', platform: 'linux', cpuModel: 'cpu', cores: 2, memoryBytes: 2 ** 30, targetHeaders: {} },
    workloads: [{ id: 'manifest.get', key: 'manifest.get', title: 'GET a manifest', params: {}, steps: [merged] }],
  });
  t.match(html, /<table class="minutes">/, 'the page has the per-minute table');
  t.match(html, /data-chart="memory"/, 'and the memory chart');
});

t.test('a short soak against the reference registry: RSS per second, bounded', async (t) => {
  const server = await startReferenceServer();
  t.teardown(() => server.close());
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-soak-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // Open loop at a rate any machine holds: the schedule, not the machine's speed, sets the work.
  const r = await runCli(['bench', server.url, '-w', 'manifest.get', '--rate', '200', '-d', '6s', '--warmup', '1s', '--report-dir', dir, '--format', 'json,html,csv', '--quiet'], { timeoutMs: 180_000 });
  t.equal(r.code, 0, r.stderr || 'exit 0');
  const report = parseBenchReport(await readFile(join(dir, 'bench.json'), 'utf8'));
  const step = report.workloads[0]!.steps[0]!;
  const rss = step.timeline.map((p) => p.rss);
  t.ok(step.timeline.length >= 5, `a timeline of the measured seconds (${step.timeline.length})`);
  t.ok(rss.every((v) => typeof v === 'number' && v > 0), 'each second has the load generator\'s RSS');
  const mib = (v: number) => v / 2 ** 20;
  const values = rss as number[];
  // Generous bounds: a leak of the kind a soak exists to find grows without limit; 1,200 small GETs
  // must not move the process by more than a few tens of MiB, whatever else the machine is doing.
  t.ok(mib(Math.max(...values)) < 1024, `RSS under 1 GiB (max ${mib(Math.max(...values)).toFixed(0)} MiB)`);
  t.ok(mib(Math.max(...values) - Math.min(...values)) < 64, `RSS flat within 64 MiB over the step (${mib(Math.min(...values)).toFixed(0)}-${mib(Math.max(...values)).toFixed(0)} MiB)`);
  const csv = await readFile(join(dir, 'bench.csv'), 'utf8');
  t.match(csv.split('\r\n')[0]!, /,rss_bytes$/, 'the CSV time series has the RSS column');
  const page = await readFile(join(dir, 'bench.html'), 'utf8');
  t.match(page, /data-chart="memory"/, 'the HTML timeline charts it');
});
