// Pagination verdicts on a registry that paginates: the reference registry serving referrers in pages
// of 3 (serve --referrers-page-size 3). The suites must walk every Link and pass, at 1.1 and draft;
// the fault-injection test shows the same cases failing when a page, a Link or its format is broken.
import t from 'tap';
import { startReferenceServer } from '../../reference-server/server.js';
import { RegistryClient } from '../../src/client/registry-client.js';
import { runConformance } from '../../src/conformance/runner.js';
import { SUITES } from '../../src/conformance/suites.js';
import type { CaseResult } from '../../src/conformance/model.js';

const server = await startReferenceServer({ port: 0, referrersPageSize: 3 });
t.teardown(() => server.close());
const client = new RegistryClient({ baseUrl: server.url, timeoutMs: 10_000 });
t.teardown(() => client.close());

const bad = (rs: readonly CaseResult[]) => rs.filter((r) => r.status === 'fail' || r.status === 'error').map((r) => `${r.status} ${r.id}: ${r.message ?? ''}`);

for (const spec of ['1.1', 'draft'] as const) {
  t.test(`spec ${spec}: the referrers and tag-listing suites pass against a registry paging referrers by 3`, async (t) => {
    const report = await runConformance({
      client,
      suites: SUITES.filter((s) => s.workflow === 'referrers' || s.workflow === 'tag-listing'),
      target: { url: server.url, reference: true },
      spec,
      readOnly: false,
      namespace: `pagination-${spec}`,
      only: [],
      skip: [],
      keep: false,
      caseTimeoutMs: 15_000,
      toolVersion: 'test',
    });
    t.same(bad(report.results), [], 'no case fails or errors');
    const walk = report.results.find((r) => r.id === 'referrers.paginate.link-walk')!;
    t.equal(walk.status, 'pass');
    t.equal(walk.observations?.pages, 4, '12 referrers in 4 pages of 3, every Link followed');
    const all = report.results.find((r) => r.id === 'referrers.list.all-referrers')!;
    t.equal(all.observations?.pages, 2, 'the setup\'s 5 referrers in 2 pages');
    for (const id of ['tag-listing.paginate.no-link-at-end', 'tag-listing.paginate.last-past-end']) {
      t.equal(report.results.find((r) => r.id === id)?.status, 'pass', id);
    }
  });
}
