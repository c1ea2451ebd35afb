// Three shards of one short benchmark, run as three `regprobe bench --shard i/3` processes side by
// side against one reference registry, then merged: counts add up, the load adds back to what was
// asked, and the merged percentiles are those of all the shards' operations together.
import t from 'tap';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { startReferenceServer } from '../../reference-server/server.js';
import { runCli } from '../helpers/cli-child.js';
import { parseBenchReport } from '../../src/report/bench-load.js';
import { runMerge } from '../../src/cli/merge-command.js';
import type { BenchReport } from '../../bench/model.js';

t.test('three local shards merge into the whole', async (t) => {
  const server = await startReferenceServer();
  t.teardown(() => server.close());
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-shards-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));

  const runs = await Promise.all(
    [0, 1, 2].map((i) =>
      runCli(
        ['bench', server.url, '--shard', `${i}/3`, '--workload', 'manifest.get,blob.get', '--size', '16KiB', '-c', '3,6', '--duration', '1s', '--warmup', '200ms', '--report-dir', join(dir, `s${i}`), '--quiet'],
        { timeoutMs: 180_000 },
      ),
    ),
  );
  runs.forEach((r, i) => t.equal(r.code, 0, `shard ${i}: ${r.stderr || 'exit 0'}`));
  const shards: BenchReport[] = [];
  for (const i of [0, 1, 2]) shards.push(parseBenchReport(await readFile(join(dir, `s${i}`, 'bench.json'), 'utf8')));
  shards.forEach((s, i) => {
    t.same(s.shard, { index: i, count: 3 }, `shard ${i} says which it is`);
    t.same(s.workloads[0]!.steps.map((st) => st.load), [{ kind: 'closed', concurrency: 1 }, { kind: 'closed', concurrency: 2 }], `shard ${i} ran a third of the workers`);
  });

  const out = join(dir, 'merged.json');
  await runMerge({ out, reports: [0, 1, 2].map((i) => join(dir, `s${i}`, 'bench.json')), allowPartial: false, quiet: true });
  const merged = parseBenchReport(await readFile(out, 'utf8'));
  t.same(merged.shard, { merged: 3 });
  t.same(merged.workloads.map((w) => w.key), ['manifest.get.by-tag', 'blob.get.16KiB']);

  merged.workloads.forEach((w, wi) => {
    w.steps.forEach((step, si) => {
      const parts = shards.map((s) => s.workloads[wi]!.steps[si]!);
      const name = `${w.key} ${step.load.kind === 'closed' ? `c=${step.load.concurrency}` : ''}`;
      t.same(step.load, { kind: 'closed', concurrency: [3, 6][si] }, `${name}: the workers add up to the step asked for`);
      t.equal(step.operations, parts.reduce((n, p) => n + p.operations, 0), `${name}: operations add up`);
      t.equal(step.ok, parts.reduce((n, p) => n + p.ok, 0), `${name}: successes add up`);
      t.ok(step.ok > 0, `${name}: work was done`);
      t.equal(step.timeline.reduce((n, p) => n + p.ops, 0), step.ok, `${name}: the merged timeline holds every success`);
      const window = Math.max(...parts.map((p) => p.durationMs));
      t.equal(step.opsPerSec, Math.round((step.ok / (window / 1000)) * 100) / 100, `${name}: ops/s over the common window`);

      // The union, built here straight from hdr-histogram-js: every shard's recorded values together.
      const union = build({ numberOfSignificantValueDigits: 3 });
      for (const p of parts) union.add(decodeFromCompressedBase64(p.histogram));
      t.equal(union.totalCount, step.operations, `${name}: the union holds every operation`);
      const ms = (p: number) => Math.round(union.getValueAtPercentile(p)) / 1000;
      t.same(
        [step.latency.p50, step.latency.p90, step.latency.p95, step.latency.p99, step.latency.p999],
        [ms(50), ms(90), ms(95), ms(99), ms(99.9)],
        `${name}: merged percentiles are the percentiles of the union`,
      );
      t.equal(step.latency.max, Math.max(...parts.map((p) => p.latency.max)), `${name}: the maximum is the largest shard's`);
      t.equal(decodeFromCompressedBase64(step.histogram).totalCount, step.operations, `${name}: the merged histogram is kept whole`);
    });
  });
});
