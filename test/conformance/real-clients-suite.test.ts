// The real-clients workflow: skopeo, podman, buildah, docker, ctr, oras and cosign, the installed
// binaries, driven against the reference registry with no auth, htpasswd and token auth (every
// client passes), and against Debian's distribution 2.8.2 (outcomes pinned). docker and ctr get an
// isolated engine started here (its managed containerd serves ctr).
import t from 'tap';
import bcrypt from 'bcryptjs';
import { startReferenceServer } from '../../reference-server/server.js';
import { createAuthorizer, type AuthorizerOptions } from '../../reference-server/auth/authorizer.js';
import { RegistryClient } from '../../src/client/registry-client.js';
import { AuthEngine } from '../../src/auth/auth-engine.js';
import { runConformance } from '../../src/conformance/runner.js';
import type { CaseResult, ConformanceReport } from '../../src/conformance/model.js';
import { makeRealClientsSuite } from '../../suites/real-clients.js';
import { parseRealClients, REAL_CLIENTS, type RealClientName } from '../../src/real-clients/catalog.js';
import { tarOf } from '../../src/real-clients/image-layout.js';
import { startDistribution } from '../../src/peers/distribution.js';
import { startDockerd, type DockerEngine } from '../helpers/dockerd.js';
import { requirePeers } from '../helpers/peers.js';
import { runCli } from '../helpers/cli-child.js';

const USERS = new Map([['alice', bcrypt.hashSync('alice-pw', 4)]]);

function run(client: RegistryClient, url: string, clients: 'auto' | RealClientName[], reference = true): Promise<ConformanceReport> {
  return runConformance({
    client,
    suites: [makeRealClientsSuite({ clients })],
    target: { url, reference },
    hasCredentials: client.auth !== undefined,
    spec: 'draft',
    readOnly: false,
    namespace: 'real-clients-test',
    only: [],
    skip: [],
    keep: false,
    caseTimeoutMs: 180_000,
    toolVersion: 'test',
  });
}

const bad = (rs: readonly CaseResult[]) => rs.filter((r) => r.status === 'fail' || r.status === 'error').map((r) => `${r.status} ${r.id}: ${r.message ?? ''}`);
const statusOf = (rs: readonly CaseResult[]) => Object.fromEntries(rs.map((r) => [r.id, r.status]));
const LOGIN_CASES = ['skopeo', 'podman', 'docker', 'oras'].flatMap((c) => [`real-clients.${c}.login`, `real-clients.${c}.logout`]);

t.test('--real-clients values', async (t) => {
  t.same(parseRealClients(undefined), []);
  t.same(parseRealClients('none'), []);
  t.equal(parseRealClients('auto'), 'auto');
  t.same(parseRealClients('oras, skopeo,oras'), ['oras', 'skopeo']);
  t.throws(() => parseRealClients('skopeo,crane'), /--real-clients: unknown client crane \(choose from skopeo, podman/);
  const r = await runCli(['conformance', 'http://127.0.0.1:9/', '--real-clients', 'helm', '--quiet'], { timeoutMs: 60_000 });
  t.equal(r.code, 2);
  t.match(r.stderr, /^regprobe: --real-clients: unknown client helm/);
  t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
});

t.test('tar of one file: what tar itself reads', async (t) => {
  const tar = tarOf('hello.txt', Buffer.from('hi\n'));
  t.equal(tar.length, 512 * 4, 'header, one data block, two zero blocks');
  t.equal(tar.subarray(257, 262).toString(), 'ustar');
  const sum = [...tar.subarray(0, 512)].reduce((n, b, i) => n + (i >= 148 && i < 156 ? 32 : b), 0);
  t.equal(parseInt(tar.subarray(148, 155).toString(), 8), sum, 'the header checksum');
});

t.test('a client that is not installed is a skip naming its package', async (t) => {
  const server = await startReferenceServer();
  const client = new RegistryClient({ baseUrl: server.url, timeoutMs: 10_000 });
  t.teardown(async () => {
    await client.close();
    await server.close();
  });
  const path = process.env.PATH;
  process.env.PATH = '/nonexistent';
  let report: ConformanceReport;
  try {
    report = await run(client, server.url, ['oras']);
  } finally {
    process.env.PATH = path;
  }
  const oras = report.results.filter((r) => r.id.startsWith('real-clients.oras.'));
  t.ok(oras.length > 0);
  t.ok(oras.every((r) => r.status === 'skip'), 'every oras case is skipped');
  const first = oras.filter((r) => r.skipKind !== 'dependency');
  t.same(first.map((r) => r.id), ['real-clients.oras.login', 'real-clients.oras.push'], 'the cases that depend on nothing say why (the rest follow as dependencies)');
  for (const r of first) t.equal(r.message, 'oras is not installed (Debian package: oras (Debian trixie and later))', `${r.id}: one line naming the package`);
  const skopeo = report.results.filter((r) => r.id.startsWith('real-clients.skopeo.') && r.skipKind !== 'dependency');
  t.ok(skopeo.length > 0 && skopeo.every((r) => r.status === 'skip' && r.skipKind === 'disabled' && r.message === 'skopeo was not asked for (--real-clients)'), 'a client not asked for is disabled');
});

t.test('every client against the reference registry', async (t) => {
  if (!requirePeers(t, 'skopeo', 'podman', 'buildah', 'oras', 'cosign', 'dockerd', 'ctr')) return;
  const engine: DockerEngine = await startDockerd({ timeoutMs: 60_000 });
  const saved = { DOCKER_HOST: process.env.DOCKER_HOST, CONTAINERD_ADDRESS: process.env.CONTAINERD_ADDRESS };
  // The sandbox hands the user's engines to docker and ctr: here, the isolated one (ctr talks to its managed containerd).
  process.env.DOCKER_HOST = engine.host;
  process.env.CONTAINERD_ADDRESS = `${engine.dir}/exec/containerd/containerd.sock`;
  t.teardown(async () => {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
    await engine.stop();
  });

  await t.test('no auth: every step of every client passes; login/logout have nothing to do', async (t) => {
    const server = await startReferenceServer();
    const client = new RegistryClient({ baseUrl: server.url, timeoutMs: 10_000 });
    t.teardown(async () => {
      await client.close();
      await server.close();
    });
    const report = await run(client, server.url, 'auto');
    t.same(bad(report.results), []);
    const s = statusOf(report.results);
    for (const name of REAL_CLIENTS) {
      const ran = report.results.filter((r) => r.id.startsWith(`real-clients.${name}.`) && !LOGIN_CASES.includes(r.id));
      t.ok(ran.length > 0 && ran.every((r) => r.status === 'pass'), `${name}: ${ran.map((r) => `${r.id}=${r.status}`).join(', ')}`);
    }
    for (const id of LOGIN_CASES) t.equal(s[id], 'skip', `${id}: no credentials, skipped`);
    t.equal(report.results.find((r) => r.id === 'real-clients.oras.attach')?.observations?.['referrers'], 'referrers API', 'oras stores its referrer through the referrers API here');
  });

  for (const mode of ['htpasswd', 'token'] as const) {
    await t.test(`${mode} auth: logins work and every client passes with the run's credentials`, async (t) => {
      const authz = await createAuthorizer({ mode, users: USERS } as AuthorizerOptions);
      const server = await startReferenceServer({ authorizer: authz });
      const auth = new AuthEngine({ credential: { username: 'alice', password: 'alice-pw', source: 'test' } });
      const client = new RegistryClient({ baseUrl: server.url, auth, timeoutMs: 10_000 });
      t.teardown(async () => {
        await client.close();
        await auth.close();
        await server.close();
        await authz.close();
      });
      const report = await run(client, server.url, 'auto');
      t.same(bad(report.results), []);
      const skipped = report.results.filter((r) => r.status === 'skip').map((r) => `${r.id}: ${r.message ?? ''}`);
      t.same(skipped, [], 'nothing skipped: every client and every login ran');
      t.notMatch(JSON.stringify(report), /alice-pw/, 'the password is in no result');
    });
  }
});

t.test("Debian's distribution 2.8.2: outcomes pinned", async (t) => {
  if (!requirePeers(t, 'docker-registry', 'skopeo', 'podman', 'buildah', 'oras', 'cosign')) return;
  const peer = await startDistribution();
  const client = new RegistryClient({ baseUrl: peer.url, timeoutMs: 10_000 });
  t.teardown(async () => {
    await client.close();
    await peer.stop();
  });
  const report = await run(client, peer.url, ['skopeo', 'podman', 'buildah', 'oras', 'cosign'], false);
  t.same(bad(report.results), [], 'every client works with distribution 2.8.2');
  const attach = report.results.find((r) => r.id === 'real-clients.oras.attach');
  t.match(attach?.observations?.['referrers'], /^tag-schema fallback \(referrers API answered 404\)$/, 'distribution 2.8 has no referrers API: oras attach and discover work through the tag-schema fallback');
  const sign = report.results.find((r) => r.id === 'real-clients.cosign.sign');
  t.match(sign?.observations?.['signature'], /^tag sha256-[0-9a-f]{64}\.sig$/, 'cosign stores its signature under the .sig tag');
});
