// Auth interop with real third parties: Debian's docker-registry (CNCF distribution 2.8) trusting the
// reference registry's token service (realm = our /token, root cert bundle = our certificate), and
// skopeo as the client against it and against the reference registry in both auth modes.
import t, { type Test } from 'tap';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { startReferenceServer } from '../../reference-server/server.js';
import { createAuthorizer, type AuthorizerOptions } from '../../reference-server/auth/authorizer.js';
import { startDistribution } from '../../src/peers/distribution.js';
import { runAuthCases } from '../conformance/auth-run.js';
import { requirePeers } from '../helpers/peers.js';
import { buildOciImage, corruptBlobs, layoutTagDigest, tool, type OciImage } from '../helpers/oci-image.js';

const PASSWORD = 'alice-pw'; // runAuthCases runs as alice with this password
const USERS = new Map([['alice', bcrypt.hashSync(PASSWORD, 5)]]);

async function tempDir(t: Test): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'regprobe-auth-interop-'));
  t.teardown(() => rm(d, { recursive: true, force: true }));
  return d;
}

async function reference(t: Test, o: AuthorizerOptions) {
  const authz = await createAuthorizer(o);
  const server = await startReferenceServer({ authorizer: authz });
  t.teardown(async () => {
    await server.close();
    await authz.close();
  });
  return { authz, server };
}

/** skopeo with an empty auth file (the user's own credentials are never read). */
function skopeo(dir: string) {
  const authfile = join(dir, 'no-auth.json');
  return async (args: string[]): Promise<{ ok: boolean; out: string }> => {
    await writeFile(authfile, '{}');
    try {
      return { ok: true, out: await tool('skopeo', [...args.slice(0, 1), '--authfile', authfile, ...args.slice(1)], 180_000) };
    } catch (err) {
      return { ok: false, out: (err as Error).message };
    }
  };
}

/** Push with credentials, pull back (every blob checked), and see anonymous push and pull refused. */
async function roundTrip(t: Test, dir: string, host: string, image: OciImage, repo: string): Promise<void> {
  const sk = skopeo(dir);
  const ref = `docker://${host}/${repo}`;
  const creds = `alice:${PASSWORD}`;
  const anonPush = await sk(['copy', '-q', '--dest-tls-verify=false', `oci:${image.layout}:${image.tag}`, `${ref}:anon`]);
  t.notOk(anonPush.ok, 'skopeo without credentials: push refused');
  t.match(anonPush.out, /unauthorized|authentication required|401|denied/i);
  const push = await sk(['copy', '-q', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${image.layout}:${image.tag}`, `${ref}:v1`]);
  t.ok(push.ok, `skopeo with credentials pushes${push.ok ? '' : `: ${push.out}`}`);
  const inspect = await sk(['inspect', '--tls-verify=false', '--creds', creds, `${ref}:v1`]);
  t.ok(inspect.ok, 'inspect with credentials');
  if (inspect.ok) t.equal((JSON.parse(inspect.out) as { Digest: string }).Digest, image.manifestDigest);
  const out = join(dir, `pulled-${repo.replace(/\W/g, '-')}`);
  const pull = await sk(['copy', '-q', '--src-tls-verify=false', '--src-creds', creds, `${ref}:v1`, `oci:${out}:pulled`]);
  t.ok(pull.ok, `skopeo with credentials pulls${pull.ok ? '' : `: ${pull.out}`}`);
  if (pull.ok) {
    t.equal(await layoutTagDigest(out, 'pulled'), image.manifestDigest, 'same manifest digest');
    t.same((await corruptBlobs(out)).bad, [], 'every pulled blob hashes to its name');
  }
  const anonPull = await sk(['inspect', '--tls-verify=false', `${ref}:v1`]);
  t.notOk(anonPull.ok, 'skopeo without credentials: pull refused');
  const wrong = await sk(['inspect', '--tls-verify=false', '--creds', 'alice:wrong', `${ref}:v1`]);
  t.notOk(wrong.ok, 'skopeo with a wrong password: refused');
}

t.test('docker-registry (distribution 2.8) trusting our token service: skopeo, and the auth suite', async (t) => {
  if (!requirePeers(t, 'docker-registry', 'skopeo', 'umoci')) return;
  for (const algorithm of ['ES256', 'RS256'] as const) {
    await t.test(algorithm, async (t) => {
      const dir = await tempDir(t);
      const { authz, server } = await reference(t, { mode: 'token', users: USERS, keyDir: join(dir, 'keys'), algorithm, extraServices: ['peer-registry'] });
      const peer = await startDistribution({
        auth: { mode: 'token', realm: `${server.url}/token`, service: 'peer-registry', issuer: authz.issuer!, rootCertBundle: authz.signingKey!.certFile! },
      });
      t.teardown(() => peer.stop());
      const image = await buildOciImage(join(dir, 'src'), 'v1', [0, 200_000]);
      await roundTrip(t, dir, new URL(peer.url).host, image, `interop/${algorithm.toLowerCase()}`);

      // The auth suite against the third-party registry, as alice through the client's auth engine.
      const results = Object.values(await runAuthCases(t, peer.url, [], { namespace: 'auth-interop' }));
      const bad = results.filter((r) => r.status !== 'pass').map((r) => `${r.status} ${r.id}: ${r.message ?? ''}`);
      // The second-identity cases skip without --second-username (test/conformance/second-identity.test.ts runs them).
      t.same(bad.filter((b) => !/^skip auth\.second-identity\./.test(b)), [], 'every auth case passes against distribution 2.8');
      t.equal(results.length, 18);
    });
  }
});

t.test('skopeo against the reference registry in htpasswd mode and in token mode', async (t) => {
  if (!requirePeers(t, 'skopeo', 'umoci')) return;
  const dir = await tempDir(t);
  const image = await buildOciImage(join(dir, 'src'), 'v1', [0, 300_000]);
  for (const mode of ['htpasswd', 'token'] as const) {
    await t.test(mode, async (t) => {
      const { server } = await reference(t, { mode, users: USERS });
      await roundTrip(t, dir, `${server.host}:${server.port}`, image, `interop/${mode}`);
    });
  }
});
