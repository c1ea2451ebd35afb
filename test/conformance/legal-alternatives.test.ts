// The suites accept a registry's legal choices and provoke what only some registries allow: against
// the reference registry with deletion disabled (400/405 are legal: skipped, and the refusal's code
// checked) and behind Basic auth (UNAUTHORIZED provoked by an anonymous request).
import t from 'tap';
import bcrypt from 'bcryptjs';
import { startReferenceServer } from '../../reference-server/server.js';
import { createAuthorizer } from '../../reference-server/auth/authorizer.js';
import { RegistryClient } from '../../src/client/registry-client.js';
import { BasicAuth } from '../../src/auth/basic-auth.js';
import { runConformance } from '../../src/conformance/runner.js';
import { SUITES } from '../../src/conformance/suites.js';
import type { CaseResult, ConformanceReport } from '../../src/conformance/model.js';

async function run(client: RegistryClient, url: string, workflows: string[], only: string[], hasCredentials = false): Promise<ConformanceReport> {
  return runConformance({
    client,
    suites: SUITES.filter((s) => workflows.includes(s.workflow)),
    target: { url, reference: true },
    hasCredentials,
    spec: 'draft',
    readOnly: false,
    namespace: 'legal',
    only,
    skip: [],
    keep: false,
    caseTimeoutMs: 10_000,
    toolVersion: 'test',
  });
}

const byId = (r: ConformanceReport, id: string): CaseResult | undefined => r.results.find((x) => x.id === id);
const problems = (r: ConformanceReport) => r.results.filter((x) => x.status === 'fail' || x.status === 'error').map((x) => `${x.id}: ${x.message}`);

t.test('deletion disabled (405): delete cases are skipped as not offered, the refusals carry UNSUPPORTED', async (t) => {
  const server = await startReferenceServer({ port: 0, deleteEnabled: false });
  const client = new RegistryClient({ baseUrl: server.url, timeoutMs: 10_000 });
  t.teardown(async () => {
    await client.close();
    await server.close();
  });
  const report = await run(client, server.url, ['tag-listing', 'management', 'referrers', 'errors'], ['tag-listing.delete', 'management', 'referrers.delete', 'errors.unsupported']);
  t.same(problems(report), [], 'no case fails or errors');
  for (const id of ['tag-listing.delete.tag-disappears', 'management.delete.tag', 'management.delete.manifest', 'management.delete.blob', 'management.delete.blob-unknown', 'management.delete.manifest-unknown-repository', 'referrers.delete.referrer-removed']) {
    const r = byId(report, id);
    t.equal(r?.status, 'skip', `${id} is skipped`);
    t.equal(r?.skipKind, 'unsupported', `${id}: as a feature not offered`);
    t.match(r?.message ?? '', /disabled/, `${id} says deletion is disabled`);
  }
  t.equal(byId(report, 'management.delete.blob')?.observations?.['blob-delete'], 'disabled (405)', 'the choice is recorded');
  for (const id of ['errors.unsupported.tag-delete-refused', 'errors.unsupported.blob-delete-refused']) {
    t.equal(byId(report, id)?.status, 'pass', `${id} passes`);
    t.equal(byId(report, id)?.observations?.['error-codes'], 'UNSUPPORTED');
  }
});

t.test('Basic auth: an anonymous request is answered 401 with a challenge and UNAUTHORIZED', async (t) => {
  const authorizer = await createAuthorizer({ mode: 'htpasswd', users: new Map([['alice', bcrypt.hashSync('alice-pw', 4)]]) });
  const server = await startReferenceServer({ port: 0, authorizer });
  const client = new RegistryClient({ baseUrl: server.url, timeoutMs: 10_000, auth: new BasicAuth({ username: 'alice', password: 'alice-pw' }) });
  t.teardown(async () => {
    await client.close();
    await server.close();
    await authorizer.close();
  });
  const report = await run(client, server.url, ['tag-listing', 'errors'], [], true);
  t.same(problems(report), [], 'no case fails or errors through auth');
  const r = byId(report, 'errors.unauthorized.anonymous');
  t.equal(r?.status, 'pass', 'errors.unauthorized.anonymous passes');
  t.equal(r?.observations?.['error-codes'], 'UNAUTHORIZED');

  // And without auth the same case is skipped: UNAUTHORIZED cannot be provoked on an open registry.
  const open = await startReferenceServer({ port: 0 });
  const anon = new RegistryClient({ baseUrl: open.url, timeoutMs: 10_000 });
  t.teardown(async () => {
    await anon.close();
    await open.close();
  });
  const openReport = await run(anon, open.url, ['errors'], ['errors.unauthorized']);
  t.equal(byId(openReport, 'errors.unauthorized.anonymous')?.status, 'skip');
  t.equal(byId(openReport, 'errors.unauthorized.anonymous')?.skipKind, 'unsupported');
});
