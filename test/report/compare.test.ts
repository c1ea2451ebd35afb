// compare: thresholds (grammar and evaluation), the regression gate, conformance status changes,
// and the renderings; reports come from the generator (real HDR histograms) and the sample
// conformance report.
import t from 'tap';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleReport as sampleBench } from '../helpers/bench-report.js';
import { sampleReport as sampleConformance } from '../helpers/sample-conformance-report.js';
import { summaryOf } from '../../src/conformance/runner.js';
import type { BenchReport } from '../../bench/model.js';
import type { ConformanceReport } from '../../src/conformance/model.js';
import { compareBench, compareConformance, changedRows } from '../../src/report/compare-model.js';
import { checkConformance, checkRegressions, checkThresholds, GateSpecError, parseMaxRegression, parseThreshold } from '../../src/report/compare-gate.js';
import { renderCompareMarkdown } from '../../src/report/compare-markdown.js';
import { renderCompareTable } from '../../src/report/compare-table.js';
import { runCompare } from '../../src/cli/compare-command.js';
import { CliError } from '../../src/cli/exit.js';
import { runCli } from '../helpers/cli-child.js';
import { main } from '../../src/cli/main.js';

t.test('threshold grammar', async (t) => {
  t.match(parseThreshold('blob.get.1MiB:p99<200ms'), { name: 'blob.get.1MiB', metric: 'p99', op: '<', value: 200, unit: 'ms', params: [] });
  t.match(parseThreshold(' manifest.get @c=8 : ops/s >= 1000 '.replace(' @', '@')), { name: 'manifest.get', step: { kind: 'closed', concurrency: 8 }, metric: 'ops/s', op: '>=', value: 1000 });
  t.match(parseThreshold('push.monolithic[size=1048576,x=y]@rate=50/s:MB/s>20'), { params: [['size', '1048576'], ['x', 'y']], step: { kind: 'open', ratePerSec: 50 }, metric: 'MB/s' });
  t.match(parseThreshold('*:errors<0.5%'), { name: '*', metric: 'errors', unit: '%', value: 0.5 });
  t.match(parseThreshold('*:errors<=3'), { metric: 'errors', unit: '', value: 3 });
  t.match(parseThreshold('x:p999<1.5s'), { metric: 'p999', unit: 's', value: 1.5 });
  t.match(parseThreshold('x:max<900'), { metric: 'max', unit: 'ms' }, 'latency defaults to ms');
  t.match(parseThreshold('x:MiB/s>100'), { metric: 'MiB/s' });
  t.match(parseThreshold('x@c16:p50<3us'), { step: { kind: 'closed', concurrency: 16 }, unit: 'us' });
  const bad: Array<[string, RegExp]> = [
    ['blob.get', /expected SELECTOR:METRIC<VALUE/],
    ['blob.get:p98<3ms', /unknown metric p98 \(metrics: p50/],
    ['blob.get:p99<3MB', /p99 is a latency: use us, ms or s, not MB/],
    ['blob.get:ops/s>3ms', /ops\/s takes a plain number, not ms/],
    ['blob.get:errors<3ms', /errors is a count, or a share with %/],
    ['blob.get@x8:p99<3ms', /step "@x8" is not @c=N \(closed loop\) or @rate=N\/s/],
    ['blob.get[size]:p99<3ms', /"size" is not param=value/],
    ['blob.get:p99=3ms', /expected SELECTOR/],
  ];
  for (const [text, re] of bad) {
    t.throws(() => parseThreshold(text), re, text);
    t.throws(() => parseThreshold(text), GateSpecError);
  }
  t.equal(parseMaxRegression('10%'), 0.1);
  t.equal(parseMaxRegression('2.5'), 0.025);
  t.throws(() => parseMaxRegression('-5%'), /expected a percentage/);
});

function pair(): [BenchReport, BenchReport] {
  // Same operations, B with 80% of A's operations in the same windows: ops/s exactly 0.8x.
  return [sampleBench(1), sampleBench(1, 0.8)];
}
const loaded = (rs: BenchReport[]) => rs.map((report, i) => ({ source: `${'ab'[i]}.json`, report }));

t.test('thresholds select by key, id, params, step and hold or break', async (t) => {
  const [a, b] = pair();
  const blob = b.workloads[1]!.steps[0]!;
  const p99 = blob.latency.p99;
  let g = checkThresholds([parseThreshold(`pull.blob.1MiB:p99<${p99 + 1}ms`)], loaded([a, b]));
  t.same(g.failures, []);
  t.equal(g.passed.length, 1, 'applies to B only (A is the baseline)');
  t.match(g.passed[0], /^B pull\.blob\.1MiB c=4: p99 [\d.]+ ms, limit < [\d.]+ ms$/);

  g = checkThresholds([parseThreshold(`pull.blob.1MiB:p99<${p99}ms`)], loaded([a, b]));
  t.equal(g.failures.length, 1, 'a limit equal to the value breaks "<"');
  g = checkThresholds([parseThreshold(`pull.blob.1MiB:p99<=${p99}ms`)], loaded([a, b]));
  t.equal(g.failures.length, 0, '"<=" holds at the value');
  g = checkThresholds([parseThreshold(`pull.blob.1MiB:p99<${(p99 + 1) / 1000}s`)], loaded([a, b]));
  t.equal(g.failures.length, 0, 'seconds are converted');

  g = checkThresholds([parseThreshold('manifest.get:ops/s>0')], loaded([a, b]));
  t.equal(g.checks, 2, 'an id selects every step of the workload');
  g = checkThresholds([parseThreshold('manifest.get@c=8:ops/s>100000')], loaded([a, b]));
  t.equal(g.checks, 1);
  t.match(g.failures[0], /^B manifest\.get c=8: ops\/s [\d.]+, limit > 100000$/);
  g = checkThresholds([parseThreshold('pull.blob[size=1048576]:MB/s>1')], loaded([a, b]));
  t.equal(g.failures.length, 0);
  g = checkThresholds([parseThreshold('*:errors<0.5%')], loaded([a, b]));
  t.equal(g.checks, 3);
  t.equal(g.failures.length, 1, 'manifest.get c=8 has ~1% errors');
  t.match(g.failures[0], /manifest\.get c=8: errors [\d.]+%, limit < 0\.5%/);
  g = checkThresholds([parseThreshold('pull.blob.1MiB:p99<1s')], loaded([b]));
  t.equal(g.checks, 1, 'one report: the threshold applies to it');

  t.throws(() => checkThresholds([parseThreshold('pull.blob.4MiB:p99<1s')], loaded([a, b])), /--threshold 'pull\.blob\.4MiB:p99<1s': no workload pull\.blob\.4MiB in b\.json \(it has: manifest\.get, pull\.blob\.1MiB\)/);
  t.throws(() => checkThresholds([parseThreshold('pull.blob[size=1]:p99<1s')], loaded([a, b])), /no workload pull\.blob\[size=1\] in b\.json/);
  t.throws(() => checkThresholds([parseThreshold('manifest.get@c=32:p99<1s')], loaded([a, b])), /manifest\.get has no step @c=32 in b\.json \(steps: c=1, c=8\)/);

  const skipped = sampleBench(3);
  skipped.workloads[1]!.steps = [];
  skipped.workloads[1]!.skipped = 'not supported';
  g = checkThresholds([parseThreshold('pull.blob.1MiB:p99<1s')], loaded([a, skipped]));
  t.match(g.failures, [/B pull\.blob\.1MiB: did not run \(not supported\), so 'pull\.blob\.1MiB:p99<1s' cannot hold/], 'a named workload that did not run breaks the gate');
  g = checkThresholds([parseThreshold('*:p99<1s')], loaded([a, skipped]));
  t.same(g.failures, []);
  t.match(g.notes, [/did not run \(not supported\), not checked/], "'*' notes what did not run");
});

t.test('--max-regression: p99 up or ops/s down beyond the limit', async (t) => {
  const [a, b] = pair();
  const c = compareBench(loaded([a, b]));
  t.equal(c.rows.length, 3);
  t.same(c.rows.map((r) => `${r.workload} ${r.step}`), ['manifest.get c=1', 'manifest.get c=8', 'pull.blob.1MiB c=4']);
  let g = checkRegressions(c, 0.1);
  t.same(g.failures.filter((f) => /ops\/s down (19\.\d|20\.\d)%/.test(f)).map((f) => f.split(':')[0]), ['B manifest.get c=1', 'B manifest.get c=8', 'B pull.blob.1MiB c=4'], 'every row lost about 20% of its throughput');
  g = checkRegressions(c, 0.25);
  t.same(g.failures.filter((f) => f.includes('ops/s')), [], 'within 25%');
  const ab = compareBench(loaded([a, structuredClone(a)]));
  t.same(checkRegressions(ab, 0).failures, [], 'a report against itself does not regress');
  t.equal(checkRegressions(ab, 0).checks, 6);
  // B slower: latencies of the blob step doubled (the generator's scale changes the median).
  const slow = sampleBench(1, 0.5);
  const g2 = checkRegressions(compareBench(loaded([a, slow])), 0.5);
  t.match(g2.failures.join('\n'), /B pull\.blob\.1MiB c=4: p99 up \d+\.\d% \([\d.]+ -> [\d.]+ ms\), more than 50\.0%/);

  const missing = structuredClone(a);
  missing.workloads.pop();
  const g3 = checkRegressions(compareBench(loaded([a, missing])), 0.1);
  t.match(g3.notes, [/B pull\.blob\.1MiB c=4: not in this report, not checked for regressions/]);
});

function changed(): [ConformanceReport, ConformanceReport] {
  const a = sampleConformance();
  const b = sampleConformance();
  const by = (id: string) => b.results.find((r) => r.id === id)!;
  by('pull.manifest.by-tag').status = 'fail';
  by('pull.blob.missing-404').status = 'pass';
  by('push.blob.chunk-min').status = 'error';
  b.results = b.results.filter((r) => r.id !== 'discovery.catalog.page');
  b.results.push({ id: 'tags.list.n', workflow: 'tags', title: 'n limits the list.', requirements: [], level: 'MUST', status: 'pass', durationMs: 1 });
  b.summary = summaryOf(b.results);
  return [a, b];
}

t.test('conformance: changes against A, gate on newly failing cases', async (t) => {
  const [a, b] = changed();
  const c = compareConformance([{ source: 'a.json', report: a }, { source: 'b.json', report: b }]);
  const change = (id: string) => c.rows.find((r) => r.id === id)!.changes[1];
  t.equal(change('pull.manifest.by-tag'), 'newly-failing');
  t.equal(change('pull.blob.missing-404'), 'newly-passing');
  t.equal(change('push.blob.chunk-min'), 'changed');
  t.equal(change('discovery.catalog.page'), 'removed');
  t.equal(change('tags.list.n'), 'added');
  t.equal(change('push.blob.post-put'), 'same');
  t.equal(changedRows(c).length, 5);
  const g = checkConformance(c);
  t.same(g.failures, ['B: pull.manifest.by-tag passed in A, now fail']);
  const same = compareConformance([{ source: 'a.json', report: a }, { source: 'a2.json', report: sampleConformance() }]);
  t.same(checkConformance(same).failures, []);
  const md = renderCompareMarkdown(c, g, { noise: 0.05 });
  t.match(md, /\| `pull\.manifest\.by-tag` \| MUST \| pass \| fail \| \*\*newly failing\*\* \|/);
  t.match(md, /\| `pull\.blob\.missing-404` \| MUST \| fail \| pass \| \*\*newly passing\*\* \|/);
  t.match(md, /### Gate: FAIL \(1 of \d+ checks failed\)/);
  t.notMatch(md, /push\.blob\.post-put/, 'unchanged cases are not listed');
  t.match(renderCompareMarkdown(c, g, { noise: 0.05, all: true }), /push\.blob\.post-put/, '--all lists them');
  const table = renderCompareTable(c, g, { color: false, noise: 0.05 });
  t.match(table, /│ pull\.manifest\.by-tag\s+│ MUST\s+│ pass\s+│ fail\s+│ newly failing\s+│/);
  t.match(table, /FAIL gate: 1 of \d+ checks failed/);
});

t.test('renderings of a benchmark comparison', async (t) => {
  const [a, b] = pair();
  const c = compareBench(loaded([a, b]));
  const md = renderCompareMarkdown(c, undefined, { noise: 0.05 });
  const header = md.split('\n').find((l) => l.startsWith('| Workload'))!;
  t.equal(header, '| Workload | Step | ops/s A | ops/s B | B/A | MB/s A | MB/s B | B/A | p50 ms A | p50 ms B | B/A | p99 ms A | p99 ms B | B/A | errors A | errors B |');
  const blob = md.split('\n').find((l) => l.startsWith('| `pull.blob.1MiB`'))!;
  t.match(blob, /^\| `pull\.blob\.1MiB` \| c=4 \| 100 \| 80\.0 \| \*\*0\.80x\*\* \| 105 \| 83\.9 \| \*\*0\.80x\*\* \|/, 'values, ratio, bold beyond the noise');
  const table = renderCompareTable(c, undefined, { color: false, noise: 0.05 });
  t.match(table, /ops\/s \(higher is better\)/);
  t.match(table, /│ pull\.blob\.1MiB │ c=4\s+│\s+100 │ 80\.0 │ 0\.80x │/);
  t.notMatch(table, /\u001b\[/, 'no colour codes when colour is off');

  const skipped = structuredClone(b);
  skipped.workloads[1]!.steps = [];
  skipped.workloads[1]!.skipped = 'not offered';
  const md2 = renderCompareMarkdown(compareBench(loaded([a, skipped])), undefined, { noise: 0.05 });
  const rows = md2.split('\n').filter((l) => l.startsWith('| `pull.blob.1MiB`'));
  t.equal(rows.length, 1, "B's workload that did not run is shown on A's step row");
  t.match(rows[0], /^\| `pull\.blob\.1MiB` \| c=4 \| 100 \| did not run \|  \| 105 \|  \|  \| 9\.\d+ \|  \|  \|/);
  const none = compareBench(loaded([a, skipped, b]));
  t.same(none.rows.map((r) => r.step), ['c=1', 'c=8', 'c=4'], 'rows by workload, in order of first appearance');

  // A step that measured nothing (every operation outlasted the window): no latency, not 0 ms.
  const empty = structuredClone(b);
  Object.assign(empty.workloads[1]!.steps[0]!, { operations: 0, ok: 0, errors: 0, opsPerSec: 0, bytesPerSec: 0, latency: { min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 } });
  const md3 = renderCompareMarkdown(compareBench(loaded([a, empty])), undefined, { noise: 0.05 });
  // Nor 0 ops/s: 'no data' instead of a 0.00x ratio (a 100% drop) in every ratio column.
  t.match(md3.split('\n').find((l) => l.startsWith('| `pull.blob.1MiB`')), /^\| `pull\.blob\.1MiB` \| c=4 \| 100 \| no data \| no data \| 105 \| - \| no data \| 9\.\d+ \| - \| no data \| [\d.]+ \| - \| no data \| 0 \| - \|$/);
});

async function compareError(args: Parameters<typeof runCompare>[0]): Promise<string> {
  try {
    await runCompare(args);
  } catch (err) {
    if (err instanceof CliError && err.exitCode === 2) return err.message;
    throw err;
  }
  throw new Error('compare succeeded');
}

t.test('compare command: kinds, formats, exit codes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-compare-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const [a, b] = pair();
  const [ca, cb] = changed();
  const files = { a: join(dir, 'a.json'), b: join(dir, 'b.json'), ca: join(dir, 'ca.json'), cb: join(dir, 'cb.json'), junk: join(dir, 'junk.json') };
  await writeFile(files.a, JSON.stringify(a));
  await writeFile(files.b, JSON.stringify(b));
  await writeFile(files.ca, JSON.stringify(ca));
  await writeFile(files.cb, JSON.stringify(cb));
  await writeFile(files.junk, JSON.stringify({ schema: 'something/v9' }));
  const base = { format: 'table', all: false };

  const json = JSON.parse((await runCompare({ ...base, reports: [files.a, files.b], format: 'json', maxRegression: '10%' })).text);
  t.equal(json.schema, 'regprobe.compare/v1');
  t.equal(json.kind, 'bench');
  t.equal(json.gate.ok, false);
  t.equal(json.rows.length, 3);
  t.equal((await runCompare({ ...base, reports: [files.a, files.b], maxRegression: '40%' })).failed, false, 'p99 +35% and ops/s -20% are within 40%');
  t.equal((await runCompare({ ...base, reports: [files.a, files.b] })).failed, false, 'no gate without gate options');
  t.equal((await runCompare({ ...base, reports: [files.ca, files.cb] })).failed, true, 'conformance: newly failing case');
  t.equal((await runCompare({ ...base, reports: [files.cb, files.ca] })).failed, true, 'the other way round another case fails anew');
  t.equal((await runCompare({ ...base, reports: [files.ca, files.ca] })).failed, false, 'a report against itself');
  const htmlOut = await runCompare({ ...base, reports: [files.ca, files.cb], format: 'html' });
  t.match(htmlOut.text, /<tr data-change="newly-failing">/);

  t.equal(await compareError({ ...base, reports: [files.a, files.ca] }), `${files.a} is a benchmark report but ${files.ca} is a conformance report: compare reports of one kind`);
  t.match(await compareError({ ...base, reports: [files.a, files.junk] }), /junk\.json is not a regprobe report this version reads .*: it has schema "something\/v9"/);
  t.equal(await compareError({ ...base, reports: [files.a] }), 'compare needs two or more reports (or one report with --threshold)');
  t.equal(await compareError({ ...base, reports: [files.a], threshold: ['*:p99<1s'], maxRegression: '5%' }), '--max-regression needs a baseline and at least one more report');
  t.match(await compareError({ ...base, reports: [files.ca, files.cb], threshold: ['*:p99<1s'] }), /--threshold and --max-regression apply to benchmark reports/);
  t.match(await compareError({ ...base, reports: [files.a, files.b], threshold: ['nothing.here:p99<1s'] }), /no workload nothing\.here in .*b\.json/);
  t.equal(await compareError({ ...base, reports: [files.a, files.b], format: 'pdf' }), 'unknown --format pdf (choose from table, markdown, json, html)');

  // As a user runs it: exit 1 on a broken threshold, 2 on a threshold naming nothing.
  const broken = await runCli(['compare', files.a, files.b, '--threshold', 'pull.blob.1MiB:p99<1us', '--format', 'markdown']);
  t.equal(broken.code, 1, broken.stderr);
  t.match(broken.stdout, /- FAIL B pull\.blob\.1MiB c=4: p99 \d+ us, limit &lt; 1 us/);
  const nothing = await runCli(['compare', files.a, files.b, '--threshold', 'pull.blob.2MiB:p99<1s']);
  t.equal(nothing.code, 2);
  t.match(nothing.stderr, /^regprobe: --threshold 'pull\.blob\.2MiB:p99<1s': no workload pull\.blob\.2MiB in .*b\.json \(it has: manifest\.get, pull\.blob\.1MiB\)\n$/);
  t.equal(nothing.stdout, '');
});

t.test('--output writes the comparison to a file; flags may sit between the report files', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-compare-out-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const [a, b] = pair();
  await writeFile(join(dir, 'a.json'), JSON.stringify(a));
  await writeFile(join(dir, 'b.json'), JSON.stringify(b));
  const out = join(dir, 'out', 'compare.md');
  const code = await main(['compare', join(dir, 'a.json'), '--threshold', 'pull.blob.1MiB:p99<1us', join(dir, 'b.json'), '--threshold', '*:errors<5%', '--format', 'markdown', '--output', out, '--max-regression', '50%']);
  t.equal(code, 1, 'a broken threshold: exit 1');
  const text = await readFile(out, 'utf8');
  t.match(text, /^## regprobe compare: benchmark, gate FAIL/);
  t.match(text, /- FAIL B pull\.blob\.1MiB c=4: p99 \d+ us, limit &lt; 1 us/);
  t.match(text, /- ok B manifest\.get c=8: errors [\d.]+%, limit &lt; 5%/);
  t.equal((await readdir(join(dir, 'out'))).length, 1, 'only the file, no temporary left');
});
