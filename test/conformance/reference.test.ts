// The bundled reference registry must pass the whole conformance suite: no failure and no error, for
// every registered case, under the draft (which includes every case), under 1.1 for the cases the draft
// supersedes, and in --read-only mode against content pushed beforehand.
import t from 'tap';
import { startReferenceServer } from '../../reference-server/server.js';
import { RegistryClient } from '../../src/client/registry-client.js';
import { runConformance, type RunOptions } from '../../src/conformance/runner.js';
import { SUITES } from '../../src/conformance/suites.js';
import type { CaseResult, ConformanceReport } from '../../src/conformance/model.js';
import { makeImage, pushManifestWithBlobs } from '../../src/conformance/fixtures.js';

const server = await startReferenceServer({ port: 0 });
t.teardown(() => server.close());
const client = new RegistryClient({ baseUrl: server.url, timeoutMs: 10_000 });
t.teardown(() => client.close());

const ALL_IDS = SUITES.flatMap((s) => s.cases.map((c) => c.id));

function run(overrides: Partial<RunOptions>): Promise<ConformanceReport> {
  return runConformance({
    client,
    suites: SUITES,
    target: { url: server.url, reference: true },
    spec: 'draft',
    readOnly: false,
    namespace: 'reference-test',
    only: [],
    skip: [],
    keep: false,
    caseTimeoutMs: 15_000,
    toolVersion: 'test',
    ...overrides,
  });
}

function badOnes(results: readonly CaseResult[]): string[] {
  return results.filter((r) => r.status === 'fail' || r.status === 'error').map((r) => `${r.status} ${r.id}: ${r.message ?? ''}`);
}

t.test('every case, spec draft: no failure, no error', async (t) => {
  const report = await run({ spec: 'draft' });
  t.same(badOnes(report.results), [], 'no case fails or errors');
  t.same(report.results.map((r) => r.id).sort(), [...ALL_IDS].sort(), 'every registered case is reported once');
  t.ok(report.summary.passed >= ALL_IDS.length * 0.8, `${report.summary.passed} of ${ALL_IDS.length} cases passed`);
  // The reference registry offers every optional feature these suites can see.
  const unsupported = report.results.filter((r) => r.status === 'skip' && r.skipKind === 'unsupported' && /^(pull|push|chunked-upload|cross-mount|ranges)\./.test(r.id));
  t.same(unsupported.map((r) => `${r.id}: ${r.message}`), [], 'no pull/push/chunked-upload/cross-mount/ranges feature reported as not offered');

  // Cases the draft supersedes (skipped as spec-version) run under 1.1 and must pass there.
  const superseded = report.results.filter((r) => r.status === 'skip' && r.skipKind === 'spec-version').map((r) => r.id);
  t.ok(superseded.length > 0, `cases checked only under 1.1: ${superseded.join(', ')}`);
  const v11 = await run({ spec: '1.1', only: superseded });
  for (const id of superseded) t.equal(v11.results.find((r) => r.id === id)?.status, 'pass', `${id} passes under spec 1.1`);
  t.same(badOnes(v11.results), [], 'no failure under 1.1');
});

t.test('--read-only against content pushed beforehand: the read-only cases pass', async (t) => {
  const repo = 'reference-test/existing';
  const image = makeImage({ layerSizes: [3000] });
  await pushManifestWithBlobs(client, repo, image, 'stable');
  const readOnlyIds = SUITES.flatMap((s) => s.cases.filter((c) => c.readOnly).map((c) => c.id));
  for (const existing of [{ repo, tag: 'stable' }, { repo, digest: image.digest }]) {
    const report = await run({ readOnly: true, existing });
    const label = existing.tag ? 'by tag' : 'by digest';
    t.same(badOnes(report.results), [], `${label}: no case fails or errors`);
    for (const r of report.results) {
      if (!readOnlyIds.includes(r.id)) t.equal(r.skipKind, 'read-only', `${label}: ${r.id} (writes) is skipped as read-only`);
    }
    const passed = report.results.filter((r) => r.status === 'pass').map((r) => r.id);
    for (const id of ['pull.manifest.get-by-digest', 'pull.blob.get', 'ranges.blob.satisfiable', 'ranges.blob.unsatisfiable']) {
      t.ok(passed.includes(id), `${label}: ${id} passes against existing content`);
    }
    // Named by digest only, the by-tag cases cannot run; they say so.
    const byTag = report.results.find((r) => r.id === 'pull.manifest.get-by-tag');
    t.equal(byTag?.status, existing.tag ? 'pass' : 'skip', `${label}: pull.manifest.get-by-tag ${existing.tag ? 'passes' : 'is skipped'}`);
  }
  const without = await run({ readOnly: true });
  const pull = without.results.find((r) => r.id === 'pull.blob.get');
  t.equal(pull?.status, 'skip', 'with no --tag/--digest the pull cases are skipped');
  t.match(pull?.message ?? '', /--tag or --digest/, 'and say what is missing');
});
