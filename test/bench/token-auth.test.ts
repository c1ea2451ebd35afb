// Benchmarks of a registry with token auth (the reference registry in token mode): the token
// issuance workload measures fresh tokens, while every other workload goes through the auth engine,
// which fetches a token once per scope and reuses it, never one per request.
import t from 'tap';
import bcrypt from 'bcryptjs';
import { startReferenceServer } from '../../reference-server/server.js';
import { createAuthorizer } from '../../reference-server/auth/authorizer.js';
import { RegistryClient } from '../../src/client/registry-client.js';
import { AuthEngine } from '../../src/auth/auth-engine.js';
import { ContentFactory } from '../../src/conformance/fixtures.js';
import { buildPlan } from '../../bench/plan.js';
import { runBenchmark } from '../../bench/runner.js';

t.test('token issuance is measured; other workloads reuse cached tokens', async (t) => {
  // No key directory: the signing key lives in memory for this server only.
  const authorizer = await createAuthorizer({ mode: 'token', users: new Map([['alice', bcrypt.hashSync('alice-pw', 4)]]) });
  const server = await startReferenceServer({ port: 0, authorizer });
  t.teardown(async () => {
    await server.close();
    await authorizer.close();
  });
  const credential = { username: 'alice', password: 'alice-pw', source: 'test' };
  const engine = new AuthEngine({ credential });
  const client = new RegistryClient({ baseUrl: server.url, auth: engine });
  t.teardown(() => client.close());

  const plan = buildPlan({ profile: 'quick', readOnly: false, workloads: ['token.issue', 'manifest.get', 'blob.get'], params: { size: '4096' }, concurrency: [4], count: 40, warmupMs: 0 });
  if (!plan.ok) throw new Error(plan.problem);
  const { report } = await runBenchmark({
    client,
    newClient: () => new RegistryClient({ baseUrl: server.url, auth: new AuthEngine({ credential }) }),
    target: { url: server.url, reference: true },
    plan: plan.entries,
    namespace: 'bench-token/run',
    readOnly: false,
    content: new ContentFactory(),
    credentials: { username: 'alice', password: 'alice-pw' },
    hasCredentials: true,
    cleanup: false,
    toolVersion: 'test',
    settings: { readOnly: false, identicalContent: false, warmupMs: 0, maxErrorRate: 0 },
    maxStepMs: 60_000,
    drainTimeoutMs: 10_000,
  });
  const [token, manifest, blob] = report.workloads;
  t.notOk(token!.skipped, `token.issue ran (${token!.skipped ?? ''})`);
  t.equal(token!.steps[0]!.ok, 40, '40 tokens issued');
  t.equal(manifest!.steps[0]!.ok, 40);
  t.equal(blob!.steps[0]!.ok, 40);
  // 80 authenticated GETs plus the setup pushes: a handful of scope sets, so a handful of tokens.
  t.ok(engine.stats.tokenFetches <= 10, `the auth engine fetched ${engine.stats.tokenFetches} tokens for 80+ requests`);
});

t.test('wrong credentials: token issuance fails with the status, counted as errors', async (t) => {
  const authorizer = await createAuthorizer({ mode: 'token', users: new Map([['alice', bcrypt.hashSync('alice-pw', 4)]]) });
  const server = await startReferenceServer({ port: 0, authorizer });
  t.teardown(async () => {
    await server.close();
    await authorizer.close();
  });
  const client = new RegistryClient({ baseUrl: server.url, auth: new AuthEngine({ credential: { username: 'alice', password: 'alice-pw', source: 'test' } }) });
  t.teardown(() => client.close());
  const plan = buildPlan({ profile: 'quick', readOnly: false, workloads: ['token.issue'], concurrency: [1], count: 3, warmupMs: 0 });
  if (!plan.ok) throw new Error(plan.problem);
  const { report } = await runBenchmark({
    client,
    newClient: () => client,
    target: { url: server.url, reference: true },
    plan: plan.entries,
    namespace: 'bench-token/run',
    readOnly: false,
    content: new ContentFactory(),
    credentials: { username: 'alice', password: 'wrong' },
    hasCredentials: true,
    cleanup: false,
    toolVersion: 'test',
    settings: { readOnly: false, identicalContent: false, warmupMs: 0, maxErrorRate: 0 },
    maxStepMs: 60_000,
    drainTimeoutMs: 10_000,
  });
  const s = report.workloads[0]!.steps[0]!;
  t.equal(s.errors, 3);
  t.equal(s.errorDetail.byStatus['401'], 3, 'refused token requests are counted by status');
});
