// A step that measures no operation (its work outlasts a tiny window, or no arrival falls in it),
// run for real against the bundled reference registry: the step result says why in `notes`, which
// survive the JSON round trip; the table, the progress line and the HTML page show it; and compare
// reads it as no data, not as a 100% drop in throughput nor as a 0 ms latency that passes a limit.
import t from 'tap';
import { startReferenceServer, type ReferenceServer } from '../../reference-server/server.js';
import type { PlanChoices } from '../../bench/plan.js';
import type { BenchEvent } from '../../bench/runner.js';
import { runBenchAgainst } from '../helpers/bench-run.js';
import type { BenchReport } from '../../bench/model.js';
import { renderBenchJson } from '../../src/report/bench-outputs.js';
import { parseBenchReport } from '../../src/report/bench-load.js';
import { renderBenchTable } from '../../src/report/bench-table.js';
import { renderBenchHtml } from '../../src/report/bench-html.js';
import { benchProgress } from '../../src/report/bench-progress.js';
import { compareBench } from '../../src/report/compare-model.js';
import { renderCompareTable } from '../../src/report/compare-table.js';
import { renderCompareMarkdown } from '../../src/report/compare-markdown.js';
import { checkRegressions, checkThresholds, parseThreshold } from '../../src/report/compare-gate.js';
import { mergeBenchReports } from '../../bench/merge.js';

async function bench(server: ReferenceServer, choices: Partial<PlanChoices>, onProgress?: (e: BenchEvent) => void): Promise<BenchReport> {
  const { report } = await runBenchAgainst(server.url, choices, { namespace: 'bench-test/empty', ...(onProgress ? { onProgress } : {}) });
  return report;
}

/** Through the JSON file format and back, as `compare` and `merge` read it. */
const roundTrip = (r: BenchReport) => parseBenchReport(renderBenchJson(r), 'test report');

t.test('closed loop: a 64 MiB push at c=1 in a 2 ms window measures nothing and says why', async (t) => {
  const server = await startReferenceServer({ port: 0 });
  t.teardown(() => server.close());
  const progress: string[] = [];
  // Preparing 64 MiB of content alone (keystream and digest) takes far longer than warm-up + window (4 ms).
  const report = roundTrip(
    await bench(server, { workloads: ['push.monolithic'], params: { size: String(64 * 1024 * 1024) }, concurrency: [1], warmupMs: 2, durationMs: 2 }, benchProgress({ write: (s: string) => progress.push(s) }, false)),
  );
  const w = report.workloads[0]!;
  t.notOk(w.error ?? w.skipped, 'the workload ran');
  const s = w.steps[0]!;
  t.equal(s.operations, 0, 'no operation measured');
  t.equal(s.opsPerSec, 0);
  t.equal(s.notes?.length, 1, `one note: ${JSON.stringify(s.notes)}`);
  const note = s.notes![0]!;
  t.match(note, /^no operation started within the 2 ms measured window: every worker was still busy with work begun in the 2 ms warm-up/);
  t.match(note, /lengthen --duration or use --count$/);

  const table = renderBenchTable(report, { color: false });
  t.match(table, /push\.monolithic\.64MiB\s+│ c=1\s+│ no operation measured \(see Details\)/, 'the row says no operation was measured instead of zeros');
  t.ok(table.includes(`push.monolithic.64MiB c=1: ${note}`), 'the note is in the details');
  t.ok(progress.some((l) => l.includes(`push.monolithic.64MiB c=1: no operation measured: ${note}`)), `the progress line says so: ${progress.join('')}`);
  const html = renderBenchHtml(report);
  t.ok(html.includes('colspan="9"><span class="note">no operation measured: no operation started within the 2 ms'), 'the HTML summary row says so');
  t.match(html, /<ul class="notes"><li class="note">c=1: no operation started within/, 'and the workload section');
});

t.test('open loop: no arrival in the window; compare says no data instead of a ratio', async (t) => {
  const server = await startReferenceServer({ port: 0 });
  t.teardown(() => server.close());
  const open = { workloads: ['ping'], rate: 1, maxInFlight: 4, warmupMs: 0 };
  // 1/s over 100 ms schedules round(0.1) = 0 arrivals.
  const empty = roundTrip(await bench(server, { ...open, durationMs: 100 }));
  const s = empty.workloads[0]!.steps[0]!;
  t.equal(s.operations, 0);
  t.equal(s.arrivals, 0);
  t.same(s.notes, ['no arrival was scheduled within the 100 ms measured window at 1/s; lengthen --duration, raise --rate or use --count']);
  t.match(renderBenchTable(empty, { color: false }), /ping\s+│ 1\/s\s+│ no operation measured \(see Details\)/);

  const full = roundTrip(await bench(server, { ...open, count: 2 }));
  t.equal(full.workloads[0]!.steps[0]!.operations, 2, 'the baseline measured its 2 arrivals');
  t.notOk(full.workloads[0]!.steps[0]!.notes, 'a step with data has no note');

  const c = compareBench([
    { source: 'full.json', report: full },
    { source: 'empty.json', report: empty },
  ]);
  const md = renderCompareMarkdown(c, undefined, { noise: 0.05 });
  const row = md.split('\n').find((l) => l.startsWith('| `ping`'));
  // ops/s A, B, B/A; MB/s A, B, B/A; p50 A, B, B/A; p99 A, B, B/A; errors A, B.
  t.match(row, /^\| `ping` \| rate=1\/s \| [\d.]+ \| no data \| no data \| 0 \| - \| no data \| [\d.]+ \| - \| no data \| [\d.]+ \| - \| no data \| 0 \| - \|$/, `no ratio against a step without data: ${row}`);
  const table = renderCompareTable(c, undefined, { color: false, noise: 0.05 });
  t.notMatch(table, /0\.00x/, 'no 0x ratio anywhere');
  t.match(table, /│ ping\s+│ rate=1\/s\s+│\s+[\d.]+ │ no data │ no data │/);

  const gate = checkRegressions(c, 0.1);
  t.same(gate.failures, [], 'not a 100% regression');
  t.same(gate.notes, [`B ping rate=1/s: no data in B (no operation measured: ${s.notes![0]}), not checked for regressions`]);
  const reverse = checkRegressions(compareBench([{ source: 'empty.json', report: empty }, { source: 'full.json', report: full }]), 0.1);
  t.same(reverse.failures, []);
  t.match(reverse.notes[0], /^B ping rate=1\/s: no data in A /, 'an empty baseline is named as such');

  // A latency limit would hold on the empty step's 0 ms: it must not pass silently.
  const th = checkThresholds([parseThreshold('ping:p99<10s')], [{ source: 'full.json', report: full }, { source: 'empty.json', report: empty }]);
  t.same(th.failures, [`B ping rate=1/s: no data (no operation measured: ${s.notes![0]}), so 'ping:p99<10s' cannot hold`]);
  t.equal(th.passed.length, 0);
  t.equal(checkThresholds([parseThreshold('ping:p99<10s')], [{ source: 'empty.json', report: empty }, { source: 'full.json', report: full }]).failures.length, 0, 'the same limit holds where there is data');

  // Merged shards: the note stays when no shard measured anything, and goes when one did.
  const shard = (r: BenchReport, index: number): BenchReport => ({ ...structuredClone(r), shard: { index, count: 2 } });
  const bothEmpty = mergeBenchReports([{ source: 's0.json', report: shard(empty, 0) }, { source: 's1.json', report: shard(empty, 1) }]);
  t.same(bothEmpty.workloads[0]!.steps[0]!.notes, s.notes, 'two empty shards: one note, not two');
  const oneEmpty = mergeBenchReports([{ source: 's0.json', report: shard(empty, 0) }, { source: 's1.json', report: shard(full, 1) }]);
  t.equal(oneEmpty.workloads[0]!.steps[0]!.operations, 2);
  t.notOk(oneEmpty.workloads[0]!.steps[0]!.notes, 'a merge with data has no note about missing data');
});
