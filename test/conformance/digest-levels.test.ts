// A Docker-Content-Digest that does not name the content fails at the level of the sentence it breaks:
// on a pulled manifest (or a blob HEAD) SHOULD under spec 1.1 ("SHOULD contain the digest") and MUST
// under the draft ("MUST contain the digest"); on a blob GET MUST under both ("MUST be a digest matching
// that of the response body"). Faults from faults.ts, in front of the reference registry.
import t from 'tap';
import { startReferenceServer } from '../../reference-server/server.js';
import { RegistryClient } from '../../src/client/registry-client.js';
import { runConformance } from '../../src/conformance/runner.js';
import { SUITES } from '../../src/conformance/suites.js';
import type { ConformanceReport, SpecVersion } from '../../src/conformance/model.js';
import { startFaultProxy } from './fault-proxy.js';
import { FAULTS } from './faults.js';

const server = await startReferenceServer({ port: 0 });
t.teardown(() => server.close());
const proxy = await startFaultProxy(server.url);
t.teardown(() => proxy.close());
const client = new RegistryClient({ baseUrl: proxy.url, timeoutMs: 10_000 });
t.teardown(() => client.close());

async function pull(faultId: string, spec: SpecVersion): Promise<ConformanceReport> {
  proxy.setFault(FAULTS.find((f) => f.id === faultId)!);
  try {
    return await runConformance({
      client,
      suites: SUITES.filter((s) => s.workflow === 'pull'),
      target: { url: proxy.url, reference: true },
      spec,
      readOnly: false,
      namespace: 'digest-levels',
      only: [],
      skip: [],
      keep: false,
      caseTimeoutMs: 10_000,
      toolVersion: 'test',
    });
  } finally {
    proxy.setFault(undefined);
  }
}

const failed = (r: ConformanceReport) => r.results.filter((x) => x.status === 'fail').map((x) => `${x.id} ${x.level}`);

for (const [fault, should, must] of [
  ['manifest-digest-header-wrong', 'pull.manifest.headers', 'pull.manifest.headers-required'],
  ['blob-head-digest-header-wrong', 'pull.blob.headers', 'pull.blob.headers-required'],
] as const) {
  t.test(`${fault}: SHOULD under 1.1, MUST under the draft`, async (t) => {
    const v11 = await pull(fault, '1.1');
    t.same(failed(v11), [`${should} SHOULD`], 'under 1.1 one SHOULD case fails');
    t.equal(v11.summary.requiredFailed, 0, 'no MUST failure under 1.1');
    const draft = await pull(fault, 'draft');
    t.same(failed(draft), [`${must} MUST`], 'under the draft the required twin fails at MUST');
  });
}

t.test('blob-get-digest-header-wrong: MUST under 1.1 too (the value MUST match the body)', async (t) => {
  const v11 = await pull('blob-get-digest-header-wrong', '1.1');
  t.same(failed(v11), ['pull.blob.get MUST', 'pull.blob.headers SHOULD']);
});
