// The runner against real targets: the in-process reference registry with tiny suites defined here,
// and misbehaving loopback servers (hang, reset, garbage, TLS, 401).
import t from 'tap';
import { RegistryClient } from '../../src/client/registry-client.js';
import { uploadBlobPostPut } from '../../src/client/operations.js';
import { expectStatus, expectThat, failAt } from '../../src/conformance/expect.js';
import type { CaseDefinition, ConformanceReport, Suite } from '../../src/conformance/model.js';
import { runConformance, type ProgressEvent, type RunOptions } from '../../src/conformance/runner.js';
import { TargetUnusableError } from '../../src/conformance/probe.js';
import { startReferenceServer } from '../../reference-server/server.js';
import { BROKEN_SERVER_HEADER, closedPort, selfSignedCert, startBrokenTarget } from '../helpers/broken-targets.js';

const MUST = [{ ref: 'end-2', level: 'MUST' as const }];
const SHOULD = [{ ref: 'end-2', level: 'SHOULD' as const }];

function c(id: string, run: CaseDefinition['run'], extra: Partial<CaseDefinition> = {}): CaseDefinition {
  return { id, title: `${id} does what it must.`, requirements: MUST, run, ...extra };
}

function options(client: RegistryClient, url: string, suites: Suite[], extra: Partial<RunOptions> = {}): RunOptions {
  return {
    client,
    suites,
    target: { url, reference: false },
    spec: '1.1',
    readOnly: false,
    namespace: 'rp-test',
    only: [],
    skip: [],
    keep: false,
    caseTimeoutMs: 5000,
    toolVersion: 'test',
    ...extra,
  };
}

function byId(report: ConformanceReport) {
  return new Map(report.results.map((r) => [r.id, r]));
}

t.test('against the reference registry: every outcome, cleanup, teardown, summary', async (t) => {
  const server = await startReferenceServer();
  const client = new RegistryClient({ baseUrl: server.url, timeoutMs: 5000 });
  t.teardown(async () => {
    await client.close();
    await server.close();
  });

  const seenRepos: Record<string, string> = {};
  let teardowns = 0;
  const alpha: Suite = {
    workflow: 'alpha',
    title: 'Alpha',
    async setup(ctx) {
      const blob = await uploadBlobPostPut(ctx.client, ctx.repo, Buffer.from('alpha blob'));
      ctx.state.set('blob', blob.digest);
      ctx.observe('setup-saw', 'single PUT');
      ctx.onCleanup(async () => {
        const res = await ctx.client.request({ method: 'DELETE', path: `/v2/${ctx.repo}/blobs/${blob.digest}` });
        await res.dump();
      });
    },
    cases: [
      c('alpha.blob.head', async (ctx) => {
        seenRepos.repo = ctx.repo;
        seenRepos.cross = ctx.crossRepo;
        seenRepos.fresh1 = ctx.freshRepo('Fresh Label!');
        seenRepos.fresh2 = ctx.freshRepo('Fresh Label!');
        const res = await ctx.client.request({ method: 'HEAD', path: `/v2/${ctx.repo}/blobs/${ctx.state.get('blob')}` });
        await expectStatus(res, 200);
        ctx.observe('head-status', res.status);
      }),
      c('alpha.blob.wrong-expectation', async (ctx) => {
        const res = await ctx.client.request({ method: 'GET', path: `/v2/${ctx.repo}/blobs/${ctx.state.get('blob')}` });
        await expectStatus(res, 404, 'a deliberately wrong expectation');
      }),
      c('alpha.feature.optional', async (ctx) => ctx.skip('unsupported', 'the target does not offer this optional feature')),
      c('alpha.dep.on-failed', async () => undefined, { dependsOn: ['alpha.blob.wrong-expectation'] }),
      c('alpha.dep.on-passed', async () => undefined, { dependsOn: ['alpha.blob.head'] }),
      c('alpha.dep.on-skipped', async () => undefined, { dependsOn: ['alpha.feature.optional'] }),
      c('alpha.should.not-met', async (ctx) => {
        const res = await ctx.client.request({ method: 'GET', path: '/v2/' });
        expectThat(res.header('x-never-sent') !== undefined, 'header X-Never-Sent', 'none', res, await res.text());
      }, { requirements: SHOULD }),
      c('alpha.bug.throws', async (ctx) => {
        (ctx.state.get('missing') as { x: number }).x.toFixed();
      }),
      c('alpha.spec.draft-only', async () => undefined, { since: 'draft' }),
      c('alpha.read.only', async () => undefined, { readOnly: true }),
    ],
    async teardown() {
      teardowns += 1;
    },
  };
  let betaTeardown = false;
  const beta: Suite = {
    workflow: 'beta',
    title: 'Beta (setup fails)',
    async setup(ctx) {
      const res = await ctx.client.request({ method: 'GET', path: `/v2/${ctx.repo}/tags/list` });
      await expectStatus(res, 200, 'tags of a repository that does not exist');
    },
    cases: [c('beta.a.one', async () => undefined), c('beta.a.two', async () => undefined)],
    async teardown() {
      betaTeardown = true;
    },
  };
  const gamma: Suite = {
    workflow: 'gamma',
    title: 'Gamma (not offered)',
    async setup(ctx) {
      ctx.skip('unsupported', 'no gamma API here');
    },
    cases: [c('gamma.a.one', async () => undefined, { requirements: [{ ref: 'x', level: 'MAY' }] })],
  };
  let deltaSetup = false;
  const delta: Suite = {
    workflow: 'delta',
    title: 'Delta (all deselected)',
    async setup() {
      deltaSetup = true;
    },
    cases: [c('delta.a.one', async () => undefined)],
  };

  const events: ProgressEvent[] = [];
  const report = await runConformance(
    options(client, server.url, [alpha, beta, gamma, delta], { skip: ['delta'], crossNamespace: 'rp-cross', runId: 'rfixed', onProgress: (e) => events.push(e) }),
  );
  const r = byId(report);
  t.equal(report.schema, 'regprobe.conformance/v1');
  t.equal(report.target.serverHeaders['docker-distribution-api-version'], 'registry/2.0', 'server headers recorded from the probe');

  t.equal(r.get('alpha.blob.head')!.status, 'pass');
  t.same(r.get('alpha.blob.head')!.observations, { 'setup-saw': 'single PUT', 'head-status': 200 }, 'observations of setup and case');
  t.same(seenRepos, {
    repo: 'rp-test/rfixed/alpha',
    cross: 'rp-cross/rfixed/alpha-cross',
    fresh1: 'rp-test/rfixed/alpha-fresh-label-1',
    fresh2: 'rp-test/rfixed/alpha-fresh-label-2',
  }, 'repository names under the namespace, with the run id');

  const wrong = r.get('alpha.blob.wrong-expectation')!;
  t.match(wrong, {
    status: 'fail',
    level: 'MUST',
    expected: 'a deliberately wrong expectation: status 404',
    actual: 'status 200',
    exchange: { request: /^GET \/v2\/rp-test\/rfixed\/alpha\/blobs\/sha256:[0-9a-f]{64}$/, status: 200, headers: { 'content-length': '10' }, bodyStart: 'alpha blob' },
  });
  t.match(r.get('alpha.feature.optional'), { status: 'skip', skipKind: 'unsupported', message: 'the target does not offer this optional feature' });
  t.match(r.get('alpha.dep.on-failed'), { status: 'skip', skipKind: 'dependency', message: 'depends on alpha.blob.wrong-expectation, which failed' });
  t.equal(r.get('alpha.dep.on-passed')!.status, 'pass');
  t.match(r.get('alpha.dep.on-skipped'), { status: 'skip', skipKind: 'dependency', message: /which was skipped/ });
  t.match(r.get('alpha.should.not-met'), { status: 'fail', level: 'SHOULD', exchange: { request: 'GET /v2/', status: 200 } });
  t.match(r.get('alpha.bug.throws'), { status: 'error', message: /^TypeError: .*undefined/ });
  t.match(r.get('alpha.spec.draft-only'), { status: 'skip', skipKind: 'spec-version' });
  t.equal(r.get('alpha.read.only')!.status, 'pass');

  for (const id of ['beta.a.one', 'beta.a.two']) {
    t.match(r.get(id), { status: 'error', message: /^suite setup: expected tags of a repository that does not exist: status 200, got status 404/, exchange: { status: 404 } }, `${id} errors with the setup's message`);
  }
  t.ok(betaTeardown, 'teardown runs after a failed setup');
  t.match(r.get('gamma.a.one'), { status: 'skip', skipKind: 'unsupported', message: 'suite setup: no gamma API here' });
  t.match(r.get('delta.a.one'), { status: 'skip', skipKind: 'disabled', message: 'disabled by --skip delta' });
  t.notOk(deltaSetup, 'no setup for a suite with nothing to run');
  t.equal(teardowns, 1);

  t.same(report.summary, {
    total: 14, passed: 3, failed: 2, errored: 3, skipped: 6,
    requiredFailed: 4, recommendedNotMet: 1, optionalNotOffered: 2,
  });
  t.same(report.results.map((x) => x.id), [...alpha.cases, ...beta.cases, ...gamma.cases, ...delta.cases].map((x) => x.id), 'results in registry order');

  const blobGone = await client.request({ method: 'HEAD', path: `/v2/rp-test/rfixed/alpha/blobs/${(await uploadBlobPostPut(client, 'rp-test/other', Buffer.from('alpha blob'))).digest}` });
  t.equal(blobGone.status, 404, 'cleanup deleted what setup pushed');
  await blobGone.dump();

  t.same(events.map((e) => e.type).filter((x, i, a) => x !== a[i - 1]), ['run-start', 'suite-start', 'case-end', 'suite-end', 'suite-start', 'case-end', 'suite-end', 'suite-start', 'case-end', 'suite-end', 'suite-start', 'case-end', 'suite-end', 'run-end']);
  t.equal(events.filter((e) => e.type === 'case-end').length, 14, 'one progress event per case');
});

t.test('read-only, --only with dependencies, --keep', async (t) => {
  const server = await startReferenceServer();
  const client = new RegistryClient({ baseUrl: server.url, timeoutMs: 5000 });
  t.teardown(async () => {
    await client.close();
    await server.close();
  });
  let pushed = '';
  const suite: Suite = {
    workflow: 'kappa',
    title: 'Kappa',
    cases: [
      c('kappa.push.blob', async (ctx) => {
        pushed = (await uploadBlobPostPut(ctx.client, ctx.repo, Buffer.from('kept'))).digest;
        ctx.onCleanup(async () => {
          await (await ctx.client.request({ method: 'DELETE', path: `/v2/${ctx.repo}/blobs/${pushed}` })).dump();
        });
      }),
      c('kappa.pull.blob', async (ctx) => {
        await expectStatus(await ctx.client.request({ method: 'HEAD', path: `/v2/${ctx.repo}/blobs/${pushed}` }), 200);
        expectThat(ctx.existing?.tag === 'v1', 'existing content passed on', String(ctx.existing?.tag));
      }, { dependsOn: ['kappa.push.blob'], readOnly: true }),
      c('kappa.other.case', async () => undefined),
    ],
  };
  const ro = await runConformance(options(client, server.url, [suite], { readOnly: true, existing: { repo: 'x/y', tag: 'v1' } }));
  t.match(byId(ro).get('kappa.push.blob'), { status: 'skip', skipKind: 'read-only' });
  t.match(byId(ro).get('kappa.pull.blob'), { status: 'skip', skipKind: 'dependency', message: 'depends on kappa.push.blob, which was skipped' });

  const only = await runConformance(options(client, server.url, [suite], { only: ['kappa.pull.*'], keep: true, runId: 'rkeep', existing: { repo: 'x/y', tag: 'v1' } }));
  t.equal(byId(only).get('kappa.push.blob')!.status, 'pass', '--only pulls in the cases the selection depends on');
  t.equal(byId(only).get('kappa.pull.blob')!.status, 'pass');
  t.match(byId(only).get('kappa.other.case'), { status: 'skip', skipKind: 'disabled', message: 'not selected by --only' });
  const kept = await client.request({ method: 'HEAD', path: `/v2/rp-test/rkeep/kappa/blobs/${pushed}` });
  t.equal(kept.status, 200, '--keep: nothing cleaned up');
  await kept.dump();
});

t.test('invalid suites are refused before anything runs', async (t) => {
  const client = new RegistryClient({ baseUrl: 'http://127.0.0.1:9' });
  t.teardown(() => client.close());
  const bad: Suite = {
    workflow: 'omega',
    title: 'Omega',
    cases: [
      c('omega.a.one', async () => undefined),
      c('omega.a.one', async () => undefined),
      c('other.a.two', async () => undefined),
      c('omega.a.late', async () => undefined, { dependsOn: ['omega.a.later'] }),
      c('omega.a.later', async () => undefined, { requirements: [] }),
      c('omega.Bad_Id', async () => undefined),
    ],
  };
  await t.rejects(runConformance(options(client, 'http://127.0.0.1:9', [bad])), {
    message: /duplicate id[\s\S]*start with "omega\."[\s\S]*depends on omega\.a\.later, which is not a case registered before it[\s\S]*no requirement[\s\S]*omega\.Bad_Id: an id is dotted/,
  });
});

const SLOW_SUITE = (ids: string[]): Suite => ({
  workflow: 'slow',
  title: 'Slow',
  cases: [
    ...ids.map((id) => c(id, async (ctx) => {
      const res = await ctx.client.request({ method: 'GET', path: `/v2/${ctx.repo}/tags/list` });
      await expectStatus(res, 200);
    })),
    c('slow.base.still-runs', async (ctx) => expectStatus(await ctx.client.request({ method: 'GET', path: '/v2/' }), 200)),
  ],
});

t.test('a hanging target: the case errors within the time limit and the run goes on', async (t) => {
  const target = await startBrokenTarget('hang');
  t.teardown(() => target.close());
  // Request timeout shorter than the case limit: the transport error names the request.
  // Limits leave room for a loaded CI machine: only the hanging requests may reach them.
  const client = new RegistryClient({ baseUrl: target.url, timeoutMs: 1000 });
  t.teardown(() => client.close());
  const started = Date.now();
  const report = await runConformance(options(client, target.url, [SLOW_SUITE(['slow.tags.list'])], { caseTimeoutMs: 4000 }));
  t.match(byId(report).get('slow.tags.list'), { status: 'error', message: /^GET http:\/\/127\.0\.0\.1:\d+\/v2\/rp-test\/r[0-9a-f]+\/slow\/tags\/list: timed out waiting for the registry/ });
  t.equal(byId(report).get('slow.base.still-runs')!.status, 'pass', 'later cases still run');
  t.equal(report.target.serverHeaders['server'], BROKEN_SERVER_HEADER);

  // Case limit shorter than the request timeout: the runner's own limit ends the case.
  const patient = new RegistryClient({ baseUrl: target.url, timeoutMs: 4000 });
  t.teardown(() => patient.close());
  const r2 = await runConformance(options(patient, target.url, [SLOW_SUITE(['slow.tags.limit'])], { caseTimeoutMs: 1000, probeTimeoutMs: 5000 }));
  t.match(byId(r2).get('slow.tags.limit'), { status: 'error', message: /^the case did not finish within 1 s \(is the target hanging\? raise --timeout if it is just slow\)$/ });
  t.equal(byId(r2).get('slow.base.still-runs')!.status, 'pass');
  // The target never answers: finishing at all shows the limits hold; generous for busy machines.
  t.ok(Date.now() - started < 60_000, `bounded by the limits, not by the target (${Date.now() - started} ms)`);
});

t.test('a target that stops answering: a few timeouts end the workflow, cleanups give up, the next workflow runs', async (t) => {
  const target = await startBrokenTarget('hang');
  t.teardown(() => target.close());
  // 2 s: only the hanging requests may reach it, not GET /v2/ on a busy machine.
  const client = new RegistryClient({ baseUrl: target.url, timeoutMs: 2000 });
  t.teardown(() => client.close());
  const hanging: Suite = {
    workflow: 'stall',
    title: 'Stall',
    cases: ['a', 'b', 'c', 'd', 'e'].map((x) => c(`stall.hang.${x}`, async (ctx) => {
      ctx.onCleanup(async () => {
        await (await ctx.client.request({ method: 'DELETE', path: `/v2/${ctx.repo}/manifests/${x}` })).dump();
      });
      await expectStatus(await ctx.client.request({ method: 'GET', path: `/v2/${ctx.repo}/tags/list` }), 200);
    })),
  };
  const warnings: string[] = [];
  const report = await runConformance(options(client, target.url, [hanging, SLOW_SUITE([])], { onProgress: (e) => e.type === 'warning' && warnings.push(e.message) }));
  const r = byId(report);
  for (const x of ['a', 'b', 'c']) t.match(r.get(`stall.hang.${x}`), { status: 'error', message: /timed out waiting for the registry/ });
  for (const x of ['d', 'e']) {
    t.match(r.get(`stall.hang.${x}`), { status: 'error', message: 'not run: the target stopped answering (3 cases of this workflow in a row timed out)' });
  }
  t.equal(r.get('slow.base.still-runs')!.status, 'pass', 'the next workflow runs');
  t.equal(warnings.length, 1, 'one warning for the cleanups');
  t.match(warnings[0], /^stall: 1 of 3 cleanups failed, 2 not tried as the target stopped answering \(first: DELETE .*timed out.*\); something may be left under rp-test\/r[0-9a-f]+\/stall$/);
  t.equal(target.seen.filter((x) => x.startsWith('DELETE')).length, 1, 'only one cleanup request was sent');
});

t.test('a target that resets connections or answers garbage: errors with a clear message', async (t) => {
  for (const [mode, pattern] of [['reset', /connection reset or closed by the registry/], ['garbage', /the registry did not answer valid HTTP/]] as const) {
    const target = await startBrokenTarget(mode);
    const client = new RegistryClient({ baseUrl: target.url, timeoutMs: 2000 });
    const report = await runConformance(options(client, target.url, [SLOW_SUITE([`slow.tags.${mode}`])]));
    const r = byId(report).get(`slow.tags.${mode}`)!;
    t.equal(r.status, 'error', `${mode}: error`);
    t.match(r.message, pattern, `${mode}: ${r.message}`);
    t.notMatch(r.message, /\n/, 'one line');
    t.equal(byId(report).get('slow.base.still-runs')!.status, 'pass', `${mode}: the run goes on`);
    await client.close();
    await target.close();
  }
});

t.test('unusable targets: the probe says what to do in one line', async (t) => {
  const suites = [SLOW_SUITE(['slow.tags.x'])];
  const port = await closedPort();
  const refused = new RegistryClient({ baseUrl: `http://127.0.0.1:${port}` });
  await t.rejects(runConformance(options(refused, `http://127.0.0.1:${port}`, suites)), {
    name: 'TargetUnusableError',
    message: /^GET http:\/\/127\.0\.0\.1:\d+\/v2\/: connection refused: is the registry running at this address\?/,
  });
  await refused.close();

  const cert = await selfSignedCert();
  t.teardown(() => cert.cleanup());
  const tls = await startBrokenTarget('not-found', cert);
  t.teardown(() => tls.close());
  const strict = new RegistryClient({ baseUrl: tls.url });
  const err = await runConformance(options(strict, tls.url, suites)).catch((e: unknown) => e);
  t.ok(err instanceof TargetUnusableError);
  t.match((err as Error).message, /TLS failure: use --ca-file to trust its certificate, or --insecure to skip verification/);
  t.notMatch((err as Error).message, /\n/);
  await strict.close();
  for (const opts of [{ ca: cert.cert }, { insecure: true }]) {
    const ok = new RegistryClient({ baseUrl: tls.url, ...opts });
    const report = await runConformance(options(ok, tls.url, suites));
    t.equal(report.target.serverHeaders['server'], BROKEN_SERVER_HEADER, `probe passes with ${Object.keys(opts)[0]}`);
    t.match(byId(report).get('slow.tags.x'), { status: 'fail', actual: 'status 404' });
    await ok.close();
  }

  const auth = await startBrokenTarget('basic-auth');
  t.teardown(() => auth.close());
  const anon = new RegistryClient({ baseUrl: auth.url });
  await t.rejects(runConformance(options(anon, auth.url, suites)), { message: /answered 401: the registry needs credentials \(it asks for Basic\); pass --username\/--password/ });
  await t.rejects(runConformance(options(anon, auth.url, suites, { hasCredentials: true })), { message: /401 with the credentials given/ });
  await anon.close();
});

t.test('a failure counts at the level of the check that failed, never above the case', async (t) => {
  const server = await startReferenceServer();
  const client = new RegistryClient({ baseUrl: server.url, timeoutMs: 5000 });
  t.teardown(async () => {
    await client.close();
    await server.close();
  });
  const base = async (ctx: Parameters<CaseDefinition['run']>[0]) => {
    const res = await ctx.client.request({ method: 'GET', path: '/v2/' });
    await res.dump();
    return res;
  };
  const suite: Suite = {
    workflow: 'levels',
    title: 'Levels',
    cases: [
      // A MUST case (a status) whose second check cites a SHOULD (which error code): that failure is SHOULD.
      c('levels.code.should', async (ctx) => failAt('SHOULD', 'error code X', 'code Y', await base(ctx))),
      c('levels.status.must', async (ctx) => expectStatus(await base(ctx), 201)),
      c('levels.capped.may', async (ctx) => failAt('MUST', 'something', 'nothing', await base(ctx)), { requirements: [{ ref: 'x', level: 'MAY' }] }),
    ],
  };
  const report = await runConformance(options(client, server.url, [suite]));
  const r = byId(report);
  t.match(r.get('levels.code.should'), { status: 'fail', level: 'SHOULD', expected: 'error code X', exchange: { request: 'GET /v2/' } });
  t.match(r.get('levels.status.must'), { status: 'fail', level: 'MUST' });
  t.match(r.get('levels.capped.may'), { status: 'fail', level: 'MAY' });
  t.match(report.summary, { failed: 3, requiredFailed: 1, recommendedNotMet: 1 });
});
