// The file formats of a benchmark report besides JSON and HTML: CSV time series and the two
// github-action-benchmark files, written by writeBenchFiles.
import t from 'tap';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleReport, workload } from '../helpers/bench-report.js';
import { csvField, renderBenchCsv } from '../../src/report/bench-csv.js';
import { gabEntries } from '../../src/report/bench-gab.js';
import { writeBenchFiles } from '../../src/report/bench-outputs.js';

t.test('CSV: a row per workload, step and second, matching the timelines', async (t) => {
  const r = sampleReport(4);
  r.workloads.push({ ...workload('referrers', {}, []), skipped: 'no API' });
  const lines = renderBenchCsv(r).split('\r\n');
  t.equal(lines.pop(), '', 'ends with a line break');
  t.equal(lines[0], 'workload,id,step,concurrency,rate_per_s,second,covered_s,ops,errors,bytes,p99_ms,rss_bytes');
  const rows = lines.slice(1).map((l) => l.split(','));
  const expected = r.workloads.flatMap((w) => w.steps.flatMap((s) => s.timeline.map((p) => ({ w, s, p }))));
  t.equal(rows.length, expected.length, 'one row per timeline sample');
  rows.forEach((row, i) => {
    const { w, s, p } = expected[i]!;
    t.same(row.slice(0, 6), [w.key, w.id, s.load.kind === 'closed' ? `c=${s.load.concurrency}` : '', String(s.load.kind === 'closed' ? s.load.concurrency : ''), '', String(p.t)]);
    t.same(row.slice(7, 11).map(Number), [p.ops, p.errors, p.bytes, p.p99]);
    t.equal(row[11], p.rss === undefined ? '' : String(p.rss), 'rss_bytes: empty where the report has none');
  });
  const sumOps = rows.filter((r) => r[0] === 'manifest.get' && r[2] === 'c=8').reduce((n, r) => n + Number(r[7]), 0);
  t.equal(sumOps, r.workloads[0]!.steps[1]!.ok, 'the successful operations of a step add up');
  t.equal(csvField('a,b'), '"a,b"');
  t.equal(csvField('say "x"'), '"say ""x"""');
  t.equal(csvField('plain'), 'plain');
});

t.test('github-action-benchmark: latency smaller-is-better, throughput bigger-is-better, stable names', async (t) => {
  const r = sampleReport(4);
  const { smaller, bigger } = gabEntries(r);
  t.equal(smaller.length, 6, 'p50 and p99 for each of three steps');
  t.equal(bigger.length, 6, 'ops/s and MB/s for each step (all move payload)');
  t.same(
    smaller.map((e) => e.name),
    ['manifest.get c=1 p50', 'manifest.get c=1 p99', 'manifest.get c=8 p50', 'manifest.get c=8 p99', 'pull.blob.1MiB c=4 p50', 'pull.blob.1MiB c=4 p99'],
  );
  const blob = r.workloads[1]!.steps[0]!;
  t.same(smaller[5], { name: 'pull.blob.1MiB c=4 p99', unit: 'ms', value: blob.latency.p99, extra: smaller[5]!.extra });
  t.same(bigger.find((e) => e.name === 'pull.blob.1MiB c=4 ops/s')!.value, blob.opsPerSec);
  t.equal(bigger.find((e) => e.name === 'pull.blob.1MiB c=4 MB/s')!.value, Math.round(blob.bytesPerSec / 1e4) / 100);
  t.equal(new Set([...smaller, ...bigger].map((e) => e.name)).size, 12, 'names are unique');
  t.ok([...smaller, ...bigger].every((e) => typeof e.value === 'number' && Number.isFinite(e.value) && e.unit.length > 0));
  // A step that measured nothing gives no entries (its zeros would chart as an improvement).
  const empty = r.workloads[0]!.steps[0]!;
  Object.assign(empty, { operations: 0, ok: 0, opsPerSec: 0, notes: ['no operation measured'] });
  const after = gabEntries(r);
  t.same(after.smaller.map((e) => e.name), smaller.map((e) => e.name).filter((n) => !n.startsWith('manifest.get c=1 ')));
  t.equal(after.bigger.length, 4);
});

t.test('writeBenchFiles writes html, csv and both gab files', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-bench-files-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const r = sampleReport(4);
  const written = await writeBenchFiles(r, dir, ['table', 'json', 'html', 'csv', 'gab']);
  t.same(written.map((p) => p.slice(dir.length + 1)), ['bench.json', 'bench.html', 'bench.csv', 'bench.gab-smaller.json', 'bench.gab-bigger.json']);
  t.same((await readdir(dir)).sort(), ['bench.csv', 'bench.gab-bigger.json', 'bench.gab-smaller.json', 'bench.html', 'bench.json'], 'no temporary files left');
  t.same(JSON.parse(await readFile(join(dir, 'bench.gab-bigger.json'), 'utf8')), gabEntries(r).bigger);
  t.match(await readFile(join(dir, 'bench.html'), 'utf8'), /^<!DOCTYPE html>/);
});
