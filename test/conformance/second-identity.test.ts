// auth.second-identity.*: with --second-username/--second-password naming an account the registry
// refuses, pull, push and delete by that account must be refused (401/403, DENIED or UNAUTHORIZED) with
// no effect and no content in the refusal; without it the cases skip saying why. Checked against the
// reference registry in token and htpasswd mode, and against registries that let the account through
// or leak the content in the refusal.
import t, { type Test } from 'tap';
import bcrypt from 'bcryptjs';
import { startReferenceServer } from '../../reference-server/server.js';
import { createAuthorizer, type AuthorizerOptions } from '../../reference-server/auth/authorizer.js';
import { parseAccessRules } from '../../reference-server/auth/access-rules.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaseResult, ConformanceReport, SecondIdentity } from '../../src/conformance/model.js';
import { runCli } from '../helpers/cli-child.js';
import { requirePeers } from '../helpers/peers.js';
import { startDistribution } from '../../src/peers/distribution.js';
import { conformanceSettings, type ConformanceArgs } from '../../src/cli/conformance-command.js';
import { routeOf, startFaultProxy, type Fault } from './fault-proxy.js';
import { runAuthCases } from './auth-run.js';

const USERS = new Map([
  ['alice', bcrypt.hashSync('alice-pw', 4)],
  ['bob', bcrypt.hashSync('bob-pw', 4)],
]);
const BOB: SecondIdentity = { username: 'bob', password: 'bob-pw' };
const IDS = ['auth.second-identity.pull-refused', 'auth.second-identity.push-refused', 'auth.second-identity.delete-refused'];
/** alice may do everything; bob only pulls from elsewhere/*. */
const RULES = '{"rules":[{"account":"alice","repository":"*","actions":["*"]},{"account":"alice","type":"registry","name":"catalog","actions":["*"]},{"account":"bob","repository":"elsewhere/*","actions":["pull"]}]}';

async function registry(t: Test, o: Partial<AuthorizerOptions> & { mode: 'token' | 'htpasswd' }, rules = RULES): Promise<string> {
  const authz = await createAuthorizer({ users: USERS, rules: parseAccessRules(rules), ...o });
  const server = await startReferenceServer({ authorizer: authz });
  t.teardown(async () => {
    await server.close();
    await authz.close();
  });
  return server.url;
}

function run(t: Test, url: string, second?: SecondIdentity): Promise<Record<string, CaseResult>> {
  return runAuthCases(t, url, ['auth.second-identity.*'], second ? { secondIdentity: second } : {});
}

for (const mode of ['token', 'htpasswd'] as const) {
  t.test(`${mode} mode: the refused account can neither pull, push nor delete`, async (t) => {
    const r = await run(t, await registry(t, { mode }), BOB);
    for (const id of IDS) t.equal(r[id]?.status, 'pass', `${id}: ${r[id]?.message ?? ''}`);
    const statusKey = Object.keys(r[IDS[0]!]!.observations ?? {}).find((k) => k.endsWith('status'));
    t.ok(statusKey, 'the refusal status is recorded');
  });
}

t.test('without a second identity the cases skip, saying how to give one', async (t) => {
  const r = await run(t, await registry(t, { mode: 'token' }));
  for (const id of IDS) {
    t.equal(r[id]?.status, 'skip', id);
    t.equal(r[id]?.skipKind, 'unsupported', id);
    t.match(r[id]?.message, /--second-username\/--second-password or REGPROBE_SECOND_USERNAME\/REGPROBE_SECOND_PASSWORD/);
  }
});

t.test('an account that is let through fails each case', async (t) => {
  const lax = RULES.replace('"repository":"elsewhere/*","actions":["pull"]', '"repository":"*","actions":["*"]');
  const r = await run(t, await registry(t, { mode: 'token' }, lax), BOB);
  for (const id of IDS) t.equal(r[id]?.status, 'fail', id);
  t.match(r['auth.second-identity.pull-refused']?.actual, /200: the content was served/);
  t.match(r['auth.second-identity.push-refused']?.actual, /201: the registry went ahead/);
  t.match(r['auth.second-identity.delete-refused']?.actual, /202: the registry went ahead/);
});

t.test('a refusal that carries the content fails the pull case', async (t) => {
  const url = await registry(t, { mode: 'token' });
  const proxy = await startFaultProxy(url);
  t.teardown(() => proxy.close());
  // Blobs seen going up (monolithic PUT ?digest=), served back inside the 401/403 to a blob GET.
  const uploaded = new Map<string, Buffer>();
  const leak: Fault = {
    id: 'refusal-leaks-blob',
    breaks: 'the 401/403 to a blob GET carries the blob',
    suites: ['auth'],
    caughtBy: ['auth.second-identity.pull-refused'],
    request: (req) => {
      const d = req.query.get('digest');
      if (routeOf(req.path).kind === 'upload' && req.method === 'PUT' && d && req.body.length > 0) uploaded.set(d, req.body);
    },
    response: (req, res) => {
      const r = routeOf(req.path);
      const blob = r.kind === 'blob' && req.method === 'GET' && (res.status === 401 || res.status === 403) ? uploaded.get(r.ref!) : undefined;
      if (!blob) return false;
      res.headers['content-type'] = 'application/octet-stream';
      res.body = blob;
      return true;
    },
  };
  proxy.setFault(leak);
  const r = await run(t, proxy.url, BOB);
  t.ok(proxy.fired > 0, 'the fault fired');
  t.equal(r['auth.second-identity.pull-refused']?.status, 'fail');
  t.match(r['auth.second-identity.pull-refused']?.actual, /bytes in the refusal body/);
});

t.test('--second-username/--second-password and REGPROBE_SECOND_USERNAME/PASSWORD', async (t) => {
  const base: ConformanceArgs = { namespace: 'regprobe-conformance', spec: '1.1', readOnly: false, keep: false, insecure: false, timeout: 30, reportDir: 'reports', format: ['table'], quiet: false, strict: false };
  t.same(conformanceSettings({ ...base, secondUsername: 'bob', secondPassword: 'pw' }, {}).secondIdentity, { username: 'bob', password: 'pw' });
  t.same(conformanceSettings(base, { REGPROBE_SECOND_USERNAME: 'bob', REGPROBE_SECOND_PASSWORD: 'pw' }).secondIdentity, { username: 'bob', password: 'pw' });
  t.same(conformanceSettings({ ...base, secondUsername: 'carol' }, { REGPROBE_SECOND_USERNAME: 'bob', REGPROBE_SECOND_PASSWORD: 'pw' }).secondIdentity, { username: 'carol', password: 'pw' }, 'the flag wins');
  t.equal(conformanceSettings(base, {}).secondIdentity, undefined);
  const bad: Array<[Partial<ConformanceArgs>, NodeJS.ProcessEnv, RegExp]> = [
    [{ secondUsername: 'bob' }, {}, /--second-username bob needs a password: add --second-password \(or REGPROBE_SECOND_PASSWORD\)/],
    [{ secondPassword: 'pw' }, {}, /a second password was given without a user name: add --second-username/],
    [{ username: 'bob', password: 'x', secondUsername: 'bob', secondPassword: 'y' }, {}, /is the run's own user/],
  ];
  for (const [args, env, message] of bad) t.throws(() => conformanceSettings({ ...base, ...args }, env), { name: 'CliError', message }, JSON.stringify(args));
});

t.test('regprobe conformance passes the second identity from REGPROBE_SECOND_* to the cases', async (t) => {
  const url = await registry(t, { mode: 'token' });
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-second-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const r = await runCli(['conformance', url, '--only', 'auth.second-identity.*', '--format', 'json', '--report-dir', dir, '--quiet'], {
    env: { ...process.env, REGPROBE_USERNAME: 'alice', REGPROBE_PASSWORD: 'alice-pw', REGPROBE_SECOND_USERNAME: 'bob', REGPROBE_SECOND_PASSWORD: 'bob-pw' },
  });
  t.equal(r.code, 0, r.stderr);
  const report = JSON.parse(await readFile(join(dir, 'conformance.json'), 'utf8')) as ConformanceReport;
  const results = report.results.filter((x) => x.id.startsWith('auth.second-identity.'));
  t.same(results.map((x) => `${x.id} ${x.status}`), IDS.map((id) => `${id} pass`));
  t.notMatch(JSON.stringify(report), /bob-pw/, 'the password is nowhere in the report');
});

t.test('distribution 2.8 (Debian docker-registry) trusting the reference token service refuses the second identity', async (t) => {
  if (!requirePeers(t, 'docker-registry')) return;
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-second-peer-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const authz = await createAuthorizer({ mode: 'token', users: USERS, rules: parseAccessRules(RULES), keyDir: join(dir, 'keys'), extraServices: ['peer-registry'] });
  const server = await startReferenceServer({ authorizer: authz });
  t.teardown(async () => {
    await server.close();
    await authz.close();
  });
  const peer = await startDistribution({
    auth: { mode: 'token', realm: `${server.url}/token`, service: 'peer-registry', issuer: authz.issuer!, rootCertBundle: authz.signingKey!.certFile! },
  });
  t.teardown(() => peer.stop());
  const r = await run(t, peer.url, BOB);
  for (const id of IDS) t.equal(r[id]?.status, 'pass', `${id}: ${r[id]?.message ?? ''}`);
  t.comment(IDS.map((id) => `${id}: ${JSON.stringify(r[id]?.observations ?? {})}`).join('\n'));
});
