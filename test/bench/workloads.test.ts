// Every workload against the bundled reference registry (in-process, temp storage), with short
// count-based runs and small sizes: each one runs without errors, reports what it moved, and the
// run's cleanup deletes what it pushed. Read-only mode reads an existing image and writes nothing.
import t from 'tap';
import { startReferenceServer, type ReferenceServer } from '../../reference-server/server.js';
import { RegistryClient } from '../../src/client/registry-client.js';
import { ContentFactory } from '../../src/conformance/fixtures.js';
import { buildPlan, type PlanChoices } from '../../bench/plan.js';
import type { BenchRunOptions } from '../../bench/runner.js';
import { runBenchAgainst } from '../helpers/bench-run.js';
import { WORKLOADS } from '../../bench/workloads/index.js';
import { makeImageContent, pushImage } from '../../bench/workloads/common.js';
import { Cleanup } from '../../bench/cleanup.js';
import type { WorkloadEnv } from '../../bench/workload.js';
import { listCatalogPage } from '../../src/client/operations.js';

const SMALL = { size: '65536', layerSize: '32768', tags: '10', chunk: '16384', range: '4096', repos: '2', referrers: '2', sizes: '16KiB:1,64KiB:1', read: '50' };

function bench(server: ReferenceServer, choices: Partial<PlanChoices>, opts: Partial<BenchRunOptions> = {}) {
  return runBenchAgainst(server.url, { concurrency: [2], count: 3, warmupMs: 0, ...choices }, { namespace: 'bench-test/run1', ...opts });
}

t.test('every workload runs against the reference registry', async (t) => {
  const server = await startReferenceServer({ port: 0 });
  t.teardown(() => server.close());
  const ids = WORKLOADS.map((w) => w.id);
  const { report, cleanup } = await bench(server, { workloads: ids, params: SMALL });
  t.same(report.workloads.map((w) => w.id), ids, 'one result per workload, in order');
  for (const w of report.workloads) {
    if (w.id === 'token.issue') {
      t.match(w.skipped, /does not use token auth/, 'token issuance is skipped without token auth');
      continue;
    }
    t.notOk(w.skipped ?? w.error, `${w.key} ran`);
    const s = w.steps[0]!;
    t.equal(s.operations, 3, `${w.key}: 3 measured operations`);
    t.equal(s.errors, 0, `${w.key}: no errors ${JSON.stringify(s.errorDetail)}`);
    t.equal(s.errorDetail.digestMismatches, 0);
    t.ok(s.latency.p50 > 0, `${w.key}: latency recorded`);
    t.ok(s.opsPerSec > 0);
  }
  const by = (key: string) => report.workloads.find((w) => w.key === key)!.steps[0]!;
  // Goodput is what each operation moved.
  const moved = (key: string) => by(key).timeline.reduce((n, x) => n + x.bytes, 0);
  t.equal(moved('blob.get.64KiB'), 3 * 65536);
  t.equal(moved('push.post-put.64KiB'), 3 * 65536);
  t.equal(moved('pull.range.4KiB-of-64KiB'), 3 * 4096, 'a range read moves the range');
  t.ok(moved('pull.image.3x32KiB') > 3 * 3 * 32768, 'an image pull moves manifest, config and layers');
  t.ok(by('blob.get.64KiB').ttfb, 'blob GET records time to first byte');
  t.equal(by('pull.range.4KiB-of-64KiB').counters?.['range-ignored'], undefined, 'the reference registry serves ranges');
  t.equal(by('push.mount.64KiB').counters?.['mounted'], 3, 'mounts are counted as such');
  t.ok(by('pull.image.3x32KiB').imagesPerSec! > 0, 'whole-image workloads report images/s');
  t.ok(by('push.image.3x32KiB.post-put.same-repo').imagesPerSec! > 0);
  const mixed = report.workloads.find((w) => w.id === 'mixed')!.steps[0]!;
  t.equal((mixed.counters?.['pull'] ?? 0) + (mixed.counters?.['push'] ?? 0), 3, 'each mixed operation is a pull or a push');
  t.ok(cleanup && cleanup.deleted > 0 && cleanup.failed === 0 && cleanup.left === 0, `cleanup deleted what was pushed: ${JSON.stringify(cleanup)}`);
  t.equal(report.schema, 'regprobe.bench/v1');
  t.ok(report.environment.cores >= 1 && report.environment.node.startsWith('v'));
});

t.test('tag list paging, chunked upload sizes and the open loop through the runner', async (t) => {
  const server = await startReferenceServer({ port: 0 });
  t.teardown(() => server.close());
  const { report } = await bench(server, {
    workloads: ['tags.list', 'push.chunked'],
    params: { tags: '25', n: '10', walk: 'true', size: '40000', chunk: '16384' },
    rate: 20,
    maxInFlight: 4,
    count: 4,
  });
  const [tags, chunked] = report.workloads;
  t.equal(tags!.key, 'tags.list.25.n10.walk');
  const s = tags!.steps[0]!;
  t.same(s.load, { kind: 'open', ratePerSec: 20, maxInFlight: 4 });
  t.equal(s.arrivals, 4);
  t.equal(s.ok, 4);
  // Walking 25 tags 10 per page moves the whole list: 3 pages of JSON per operation.
  t.ok(s.bytesPerSec > 0);
  t.equal(chunked!.key, 'push.chunked.40000B.c16KiB');
  t.equal(chunked!.steps[0]!.ok, 4);
});

t.test('read-only: existing content only, writers refused or skipped', async (t) => {
  const server = await startReferenceServer({ port: 0 });
  t.teardown(() => server.close());
  const client = new RegistryClient({ baseUrl: server.url });
  t.teardown(() => client.close());
  const env = { client, cleanup: new Cleanup(false) } as unknown as WorkloadEnv;
  const img = await makeImageContent(new ContentFactory(), [20_000, 50_000]);
  await pushImage(env, client, 'prod/app', img, { tag: 'v1' });
  const before = (await listCatalogPage(client)).repositories;

  const refused = buildPlan({ profile: 'quick', readOnly: true, workloads: ['blob.get', 'push.image'] });
  t.match(refused, { ok: false, problem: /--read-only: push.image would write/ });

  const { report } = await bench(
    server,
    { readOnly: true, workloads: ['manifest.get', 'manifest.head', 'blob.get', 'pull.image', 'pull.range', 'tags.list', 'referrers'] },
    { readOnly: true, existing: { repo: 'prod/app', tag: 'v1' } },
  );
  for (const w of report.workloads) {
    t.notOk(w.skipped ?? w.error, `${w.key} ran read-only`);
    t.equal(w.steps[0]!.errors, 0, `${w.key}: no errors`);
  }
  const blob = report.workloads.find((w) => w.id === 'blob.get')!.steps[0]!;
  t.equal(blob.timeline.reduce((n, x) => n + x.bytes, 0), 3 * 50_000, 'blob.get reads the largest layer of the image');
  t.same((await listCatalogPage(client)).repositories, before, 'nothing was created');

  const profile = await bench(server, { readOnly: true, count: 1, concurrency: [1] }, { readOnly: true, existing: { repo: 'prod/app', tag: 'v1' } });
  const pushes = profile.report.workloads.filter((w) => w.id.startsWith('push.') || w.id === 'mixed');
  t.ok(pushes.length > 0);
  for (const w of pushes) t.equal(w.skipped, 'writes to the registry (read-only run)');
  t.same((await listCatalogPage(client)).repositories, before, 'the quick profile in read-only mode created nothing');
});

t.test('a registry that refuses deletes: cleanup says so and stops trying', async (t) => {
  const server = await startReferenceServer({ port: 0, deleteEnabled: false });
  t.teardown(() => server.close());
  const { cleanup } = await bench(server, { workloads: ['push.post-put'], params: { size: '1000' }, count: 30 });
  t.ok(cleanup);
  t.equal(cleanup!.deleted, 0);
  t.match(cleanup!.note, /405 to DELETE blob/);
  t.ok(cleanup!.left > 0, 'the rest was not attempted');
});

t.test('identical content: every push of a size has the same digest', async (t) => {
  const f = new ContentFactory({ identical: true, bufferLimit: 1024 });
  const [a, b, c] = await Promise.all([f.blob(5000), f.blob(5000), f.blob(4000)]);
  t.equal(a!.digest, b!.digest);
  t.not(a!.digest, c!.digest);
  const u = new ContentFactory();
  t.not((await u.blob(5000)).digest, (await u.blob(5000)).digest, 'unique by default');
});
