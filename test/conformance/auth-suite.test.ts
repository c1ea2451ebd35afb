// The auth suite, and the whole conformance run, against the reference registry in htpasswd mode and
// in token mode (through the client's auth engine, as `regprobe conformance --username` runs it).
import t from 'tap';
import bcrypt from 'bcryptjs';
import { startReferenceServer } from '../../reference-server/server.js';
import { createAuthorizer, type AuthorizerOptions } from '../../reference-server/auth/authorizer.js';
import { parseAccessRules } from '../../reference-server/auth/access-rules.js';
import { RegistryClient } from '../../src/client/registry-client.js';
import { AuthEngine } from '../../src/auth/auth-engine.js';
import { runConformance, type RunOptions } from '../../src/conformance/runner.js';
import { SUITES } from '../../src/conformance/suites.js';
import type { CaseResult, ConformanceReport, Suite } from '../../src/conformance/model.js';
import { makeAuthSuite, withAuthTests } from '../../suites/auth.js';

const USERS = new Map([['alice', bcrypt.hashSync('alice-pw', 4)]]);

async function target(t: { teardown(fn: () => unknown): void }, o: AuthorizerOptions, password = 'alice-pw') {
  const authz = await createAuthorizer(o);
  const server = await startReferenceServer({ authorizer: authz });
  const engine = new AuthEngine({ credential: { username: 'alice', password, source: 'test' } });
  const client = new RegistryClient({ baseUrl: server.url, auth: engine, timeoutMs: 10_000 });
  t.teardown(async () => {
    await client.close();
    await engine.close();
    await server.close();
    await authz.close();
  });
  return { server, client, engine };
}

function run(client: RegistryClient, url: string, suites: readonly Suite[], extra: Partial<RunOptions> = {}): Promise<ConformanceReport> {
  return runConformance({
    client,
    suites,
    target: { url, reference: true },
    hasCredentials: true,
    spec: 'draft',
    readOnly: false,
    namespace: 'auth-test',
    only: [],
    skip: [],
    keep: false,
    caseTimeoutMs: 20_000,
    toolVersion: 'test',
    ...extra,
  });
}

const bad = (rs: readonly CaseResult[]) => rs.filter((r) => r.status === 'fail' || r.status === 'error').map((r) => `${r.status} ${r.id}: ${r.message ?? ''}`);
const statusOf = (rs: readonly CaseResult[]) => Object.fromEntries(rs.map((r) => [r.id, r.status]));

t.test('token mode: every auth case passes (rules allow anonymous pull of nothing)', async (t) => {
  const { client, server } = await target(t, { mode: 'token', users: USERS });
  const report = await run(client, server.url, [makeAuthSuite()]);
  t.same(bad(report.results), []);
  const s = statusOf(report.results);
  for (const id of ['auth.challenge.missing-credentials', 'auth.challenge.service-and-scope', 'auth.token.issued', 'auth.token.usable', 'auth.credentials.wrong-password', 'auth.scope.pull-token-cannot-push', 'auth.scope.other-repository-refused', 'auth.scope.boundaries', 'auth.token.tampered-refused', 'auth.oauth.refresh-flow', 'auth.catalog.scope', 'auth.mount.source-not-readable', 'auth.input.malformed-authorization', 'auth.token.odd-scope-grants-nothing', 'auth.anonymous.pull-as-configured']) {
    t.equal(s[id], 'pass', id);
  }
  const anon = report.results.find((r) => r.id === 'auth.anonymous.pull-as-configured')!;
  t.equal(anon.observations?.['anonymous pull'], 'refused');
});

t.test('token mode with rules giving anonymous pull: recorded as allowed, still passing', async (t) => {
  const rules = parseAccessRules('{"rules":[{"account":"alice","repository":"*","actions":["*"]},{"account":"alice","type":"registry","name":"catalog","actions":["*"]},{"account":"*","repository":"auth-test/*","actions":["pull"]}]}');
  const { client, server } = await target(t, { mode: 'token', users: USERS, rules });
  const report = await run(client, server.url, [makeAuthSuite()]);
  t.same(bad(report.results), []);
  const anon = report.results.find((r) => r.id === 'auth.anonymous.pull-as-configured')!;
  t.equal(anon.status, 'pass');
  t.equal(anon.observations?.['anonymous pull'], 'allowed');
});

t.test('htpasswd mode: Basic cases pass, token-only cases skip as not applicable', async (t) => {
  const { client, server } = await target(t, { mode: 'htpasswd', users: USERS });
  const report = await run(client, server.url, [makeAuthSuite()]);
  t.same(bad(report.results), []);
  const s = statusOf(report.results);
  for (const id of ['auth.challenge.missing-credentials', 'auth.credentials.wrong-password', 'auth.anonymous.pull-as-configured', 'auth.input.malformed-authorization']) t.equal(s[id], 'pass', id);
  // The second-identity cases apply to Basic too: without --second-username they skip for that reason.
  const skipped = report.results.filter((r) => r.status === 'skip' && !r.id.startsWith('auth.second-identity.'));
  t.ok(skipped.length >= 8 && skipped.every((r) => r.skipKind === 'unsupported' && /Basic auth/.test(r.message ?? '')), 'token cases skipped, saying why');
  for (const r of report.results.filter((x) => x.id.startsWith('auth.second-identity.'))) t.match(r.message, /no second identity given/, r.id);
});

t.test('a registry without auth: the suite is skipped unless --auth-tests', async (t) => {
  const server = await startReferenceServer();
  const client = new RegistryClient({ baseUrl: server.url, timeoutMs: 10_000 });
  t.teardown(async () => {
    await client.close();
    await server.close();
  });
  const report = await run(client, server.url, [makeAuthSuite()]);
  t.ok(report.results.every((r) => r.status === 'skip' && r.skipKind === 'unsupported'), 'all skipped as not offered');
  t.match(report.results[0]!.message, /does not require auth/);
  const forcedList = withAuthTests(SUITES);
  t.same(forcedList.map((x) => x.workflow), SUITES.map((x) => x.workflow), '--auth-tests keeps every suite, in order');
  const forced = await run(client, server.url, forcedList.filter((x) => x.workflow === 'auth'));
  t.ok(forced.results.every((r) => r.status === 'error'), 'forced: every case reports that the target did not ask for credentials');
  t.match(forced.results[0]!.message, /anonymous request refused/);
});

t.test('the whole conformance run passes in token mode and in htpasswd mode', async (t) => {
  for (const mode of ['token', 'htpasswd'] as const) {
    const { client, server, engine } = await target(t, { mode, users: USERS });
    const report = await run(client, server.url, SUITES);
    t.same(bad(report.results), [], `${mode}: no case fails or errors`);
    t.ok(report.summary.passed > 50, `${mode}: ${report.summary.passed} cases passed`);
    if (mode === 'token') t.ok(engine.stats.tokenFetches > 0 && engine.stats.tokenFetches < 200, `${engine.stats.tokenFetches} token fetches for the whole run`);
  }
});

t.test('a registry that takes any Bearer token fails the cases that check tokens', async (t) => {
  const real = await createAuthorizer({ mode: 'token', users: USERS });
  // Lax: any Bearer header is accepted without verification (what the suite must catch).
  const lax = {
    handle: real.handle!.bind(real),
    authorize: async (req: Parameters<typeof real.authorize>[0], access: Parameters<typeof real.authorize>[1]) =>
      req.headers.authorization?.startsWith('Bearer ') ? { ok: true as const } : real.authorize(req, access),
  };
  const server = await startReferenceServer({ authorizer: lax });
  const engine = new AuthEngine({ credential: { username: 'alice', password: 'alice-pw', source: 'test' } });
  const client = new RegistryClient({ baseUrl: server.url, auth: engine, timeoutMs: 10_000 });
  t.teardown(async () => {
    await client.close();
    await engine.close();
    await server.close();
    await real.close();
  });
  const report = await run(client, server.url, [makeAuthSuite()]);
  const s = statusOf(report.results);
  for (const id of ['auth.token.tampered-refused', 'auth.scope.pull-token-cannot-push', 'auth.scope.other-repository-refused', 'auth.scope.boundaries', 'auth.catalog.scope', 'auth.mount.source-not-readable', 'auth.token.odd-scope-grants-nothing']) {
    t.equal(s[id], 'fail', `${id} fails`);
  }
  const tampered = report.results.find((r) => r.id === 'auth.token.tampered-refused')!;
  t.match(tampered.expected, /refused/);
  t.match(tampered.exchange?.request, /^GET \/v2\/auth-test\//);
  t.equal(s['auth.token.issued'], 'pass', 'the token service itself is fine');
});
