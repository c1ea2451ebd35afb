// auth.scope.boundaries, one action at a time both ways: it passes against the reference token service
// and against Debian's distribution 2.8 trusting that service, and fails against registries whose
// authorizer ignores the actions or the repository a token names.
import t, { type Test } from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { startReferenceServer } from '../../reference-server/server.js';
import { createAuthorizer } from '../../reference-server/auth/authorizer.js';
import type { Access, RequestAuthorizer } from '../../reference-server/auth/types.js';
import { startDistribution } from '../../src/peers/distribution.js';
import type { CaseResult } from '../../src/conformance/model.js';
import { runAuthCases } from './auth-run.js';
import { requirePeers } from '../helpers/peers.js';

const USERS = new Map([['alice', bcrypt.hashSync('alice-pw', 4)]]);
const ONLY = ['auth.scope.*', 'auth.catalog.scope'];

async function scopeRun(t: Test, url: string): Promise<CaseResult> {
  const results = await runAuthCases(t, url, ONLY);
  t.same(Object.values(results).filter((r) => r.status === 'error').map((r) => `${r.id}: ${r.message ?? ''}`), [], 'no case errors');
  return results['auth.scope.boundaries']!;
}

/** The reference registry in token mode, with `wrap` between the router and the real authorizer. */
async function reference(t: Test, wrap?: (real: RequestAuthorizer) => RequestAuthorizer['authorize']): Promise<string> {
  const real = await createAuthorizer({ mode: 'token', users: USERS });
  const authorizer: RequestAuthorizer = wrap ? { handle: real.handle!.bind(real), authorize: wrap(real) } : real;
  const server = await startReferenceServer({ authorizer });
  t.teardown(async () => {
    await server.close();
    await real.close();
  });
  return server.url;
}

t.test('reference token service: every row holds, both ways', async (t) => {
  const r = await scopeRun(t, await reference(t));
  t.equal(r.status, 'pass', r.message ?? '');
  const rows = String(r.observations?.rows ?? '');
  t.match(rows, /repository:auth-cases\/\S+:pull -> pull: allowed/);
  t.match(rows, /:pull -> push: refused \(401\)/);
  t.match(rows, /:pull,push -> push: allowed/);
  t.match(rows, /:pull,push -> delete: refused \(401\)/);
  t.match(rows, /registry:catalog:\* -> catalog: allowed/);
  t.match(rows, /:delete -> delete: allowed/);
});

t.test('an authorizer that checks the repository but not the action fails it', async (t) => {
  // Every access is judged as if it needed pull only: a pull token may push and delete.
  const url = await reference(t, (real) => (req, access) => real.authorize(req, access.map((a: Access) => ({ ...a, actions: a.type === 'repository' ? ['pull'] : a.actions }))));
  const r = await scopeRun(t, url);
  t.equal(r.status, 'fail');
  t.match(r.expected, /pull -> push: refused/);
});

t.test('an authorizer that lets any Bearer token pull, whatever it grants, fails it', async (t) => {
  const url = await reference(t, (real) => async (req, access) => {
    const d = await real.authorize(req, access);
    const pull = access.length > 0 && access.every((a) => a.type === 'repository' && a.actions.every((x) => x === 'pull'));
    return !d.ok && pull && /^Bearer /.test(req.headers.authorization ?? '') ? { ok: true } : d;
  });
  const r = await scopeRun(t, url);
  t.equal(r.status, 'fail');
  t.match(r.expected, /-> pull: refused/);
});

t.test('distribution 2.8 (Debian docker-registry) trusting the reference token service: every row holds', async (t) => {
  if (!requirePeers(t, 'docker-registry')) return;
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-scope-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const authz = await createAuthorizer({ mode: 'token', users: USERS, keyDir: join(dir, 'keys'), extraServices: ['peer-registry'] });
  const server = await startReferenceServer({ authorizer: authz });
  t.teardown(async () => {
    await server.close();
    await authz.close();
  });
  const peer = await startDistribution({
    auth: { mode: 'token', realm: `${server.url}/token`, service: 'peer-registry', issuer: authz.issuer!, rootCertBundle: authz.signingKey!.certFile! },
  });
  t.teardown(() => peer.stop());
  const r = await scopeRun(t, peer.url);
  t.equal(r.status, 'pass', r.message ?? '');
  t.comment(String(r.observations?.rows ?? ''));
  t.match(String(r.observations?.rows ?? ''), /:pull,push -> delete: refused \(401\)/);
});
