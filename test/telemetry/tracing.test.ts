// OpenTelemetry end to end: the CLI exports its spans over OTLP/HTTP to a receiver on loopback, the
// reference registry (`serve --otel`, Basic auth) exports its own; the test checks the span tree
// (case spans under workflow spans, HTTP spans under cases), parentage across processes (traceparent),
// attributes, error statuses, that no credential appears anywhere in what was exported, and that
// without OTEL settings no SDK module is even loaded.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import bcrypt from 'bcryptjs';
import { REPO_ROOT, runCli, startServeChild, killChild } from '../helpers/cli-child.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js';
import { startFaultProxy } from '../conformance/fault-proxy.js';
import type { ConformanceReport } from '../../src/conformance/model.js';

const USER = 'alice';
const PASSWORD = 'pw-Zq81-never-in-a-span';
const BASIC = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
const SPAN_KIND = { internal: 1, server: 2, client: 3 };
const ERROR = 2;

function otelEnv(rx: OtlpReceiver, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '200', ...extra };
}

/** Nothing secret in any byte any exporter sent (JSON and protobuf alike carry strings as UTF-8). */
function assertNoSecrets(t: Test, rx: OtlpReceiver, what: string): void {
  const all = Buffer.concat(rx.bodies.map((b) => b.body)).toString('latin1');
  t.ok(all.length > 0, `${what}: something was exported`);
  t.notOk(all.includes(PASSWORD), `${what}: no password`);
  t.notOk(all.includes(BASIC), `${what}: no Basic credentials`);
  t.notMatch(all, /\b(basic|bearer)\s+(?!<redacted>)[A-Za-z0-9+/=._-]{6,}/i, `${what}: no Authorization value`);
  t.notMatch(all, /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\./, `${what}: no JWT`);
  t.notOk(all.includes('process.command_args'), `${what}: the command line (with --password) is not a resource attribute`);
}

function tree(spans: ReceivedSpan[]) {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  return {
    parent: (s: ReceivedSpan) => (s.parentSpanId ? byId.get(s.parentSpanId) : undefined),
    named: (prefix: string) => spans.filter((s) => s.name === prefix || s.name.startsWith(`${prefix} `)),
  };
}

t.test('conformance (Basic auth, `serve --otel` behind a proxy that breaks blob GETs) and bench (token auth) with tracing', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-otel-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const htpasswd = join(dir, 'users.htpasswd');
  await writeFile(htpasswd, `${USER}:${bcrypt.hashSync(PASSWORD, 5)}\n`);

  const serverRx = await startOtlpReceiver();
  t.teardown(() => serverRx.close());
  const server = await startServeChild(['--port', '0', '--auth', 'htpasswd', '--htpasswd', htpasswd, '--otel', '--log-format', 'none'], { env: otelEnv(serverRx) });
  t.teardown(() => killChild(server));

  // Every answer gets a request id; blob GETs answer 500, so the cases that read blobs fail.
  let ids = 0;
  const proxy = await startFaultProxy(server.url);
  t.teardown(() => proxy.close());
  proxy.setFault({
    id: 'request-ids-and-broken-blob-get',
    breaks: 'GET of a blob answers 500',
    suites: ['pull'],
    caughtBy: [],
    response(req, res) {
      res.headers['x-request-id'] = `rid-${++ids}`;
      if (req.method === 'GET' && /\/blobs\/sha256:/.test(req.path)) {
        res.status = 500;
        res.body = Buffer.from('{"errors":[{"code":"UNKNOWN","message":"injected"}]}');
        res.headers['content-type'] = 'application/json';
      }
      return true;
    },
  });

  await t.test('conformance --only pull.*: span tree, attributes, errors', async (t) => {
    const rx = await startOtlpReceiver();
    t.teardown(() => rx.close());
    const reports = join(dir, 'conformance');
    const r = await runCli(['conformance', proxy.url, '--only', 'pull.*', '--username', USER, '--password', PASSWORD, '--format', 'json', '--report-dir', reports, '-q'], {
      env: otelEnv(rx),
      timeoutMs: 120_000,
    });
    t.equal(r.code, 1, `a MUST case failed (stderr: ${r.stderr})`);
    t.equal(r.stderr, '', 'no export warning');
    const report = JSON.parse(await readFile(join(reports, 'conformance.json'), 'utf8')) as ConformanceReport;
    const spans = rx.spans();
    const { parent, named } = tree(spans);

    const roots = spans.filter((s) => !s.parentSpanId);
    t.same(roots.map((s) => s.name), ['regprobe conformance'], 'one root span: the command');
    const root = roots[0]!;
    t.equal(root.attributes['regprobe.exit_code'], 1);
    t.equal(root.status.code, ERROR, 'the command span is an error when the exit code is not 0');
    t.ok(spans.every((s) => s.traceId === root.traceId), 'one trace');
    t.equal(root.resource['service.name'], 'regprobe');
    t.equal(root.scope, 'regprobe');

    const [run] = named('conformance');
    t.equal(parent(run!)?.spanId, root.spanId, 'conformance under the command');
    t.equal(run!.attributes['regprobe.conformance.failed'], report.summary.failed);
    const workflows = named('workflow');
    t.same(workflows.map((s) => s.name), ['workflow pull'], 'one workflow span: only pull was selected');
    t.equal(parent(workflows[0]!)?.spanId, run!.spanId, 'workflow under conformance');

    const cases = named('case');
    t.ok(cases.length >= 5, `case spans (${cases.length})`);
    const results = new Map(report.results.map((x) => [x.id, x]));
    for (const c of cases) {
      const id = c.attributes['regprobe.case.id'] as string;
      t.equal(c.name, `case ${id}`);
      t.equal(parent(c)?.spanId, workflows[0]!.spanId, `${id}: under the workflow`);
      t.equal(c.attributes['regprobe.case.status'], results.get(id)?.status, `${id}: status as reported`);
      t.ok(c.endNs >= c.startNs);
    }
    const ran = report.results.filter((x) => x.status === 'pass' || x.status === 'fail');
    t.same(new Set(cases.map((c) => c.attributes['regprobe.case.id'])), new Set(ran.map((x) => x.id)), 'a span for each case that ran');

    const failed = cases.find((c) => c.attributes['regprobe.case.id'] === 'pull.blob.get')!;
    t.equal(failed.attributes['regprobe.case.status'], 'fail');
    t.equal(failed.status.code, ERROR, 'a failed case is an error span');
    const ex = failed.events.find((e) => e.name === 'exception');
    t.equal(ex?.attributes['exception.type'], 'CaseFailure');
    t.match(String(ex?.attributes['exception.message']), /500/, 'the exception says what came back');
    for (const c of cases.filter((x) => x.attributes['regprobe.case.status'] === 'pass')) t.equal(c.status.code, 0, `${c.name}: a passing case is no error`);

    const http = spans.filter((s) => s.kind === SPAN_KIND.client);
    t.ok(http.length >= cases.length, `HTTP spans (${http.length})`);
    const parentNames = new Set(http.map((s) => parent(s)?.name.split(' ')[0]));
    t.same([...parentNames].sort(), ['case', 'cleanup', 'conformance', 'setup'], 'HTTP spans under the probe (conformance), setup, cases and cleanup');
    for (const h of http) {
      t.match(h.attributes['url.full'], new RegExp(`^${proxy.url}/v2/`), `${h.name}: url`);
      t.type(h.attributes['http.response.status_code'], 'number');
      t.match(h.attributes['http.response.header.x-request-id'], [/^rid-\d+$/], `${h.name}: the registry's request id`);
      t.type(h.attributes['http.response.body.size'], 'number');
      t.equal(h.name, `${h.attributes['http.request.method']} ${h.attributes['url.template']}`);
    }
    const broken = http.filter((h) => h.attributes['http.response.status_code'] === 500);
    t.ok(broken.length > 0, 'the broken blob GETs were traced');
    for (const h of broken) {
      t.equal(h.status.code, ERROR);
      t.equal(h.attributes['error.type'], '500');
      t.equal(h.attributes['url.template'], '/v2/{name}/blobs/{digest}');
    }
    const puts = http.filter((h) => h.attributes['http.request.method'] === 'PUT' && h.attributes['url.template'] === '/v2/{name}/manifests/{reference}');
    t.ok(puts.length > 0 && puts.every((h) => (h.attributes['http.request.body.size'] as number) > 0), 'manifest PUTs count the bytes sent');
    const caseHttp = http.filter((h) => parent(h)?.name === 'case pull.manifest.get-by-tag');
    t.ok(caseHttp.some((h) => h.attributes['http.request.method'] === 'GET' && h.attributes['http.response.status_code'] === 200), 'the GET of a case is its child');
    assertNoSecrets(t, rx, 'client spans');

    // The server's spans: stop it gracefully so they are flushed, then match them to the client's.
    server.signal('SIGTERM');
    const exit = await server.exited;
    t.equal(exit.code, 0, 'serve stopped cleanly');
    const served = serverRx.spans();
    t.ok(served.length > 0, `server spans (${served.length})`);
    t.ok(served.every((s) => s.kind === SPAN_KIND.server && s.scope === 'regprobe-reference-server'));
    const clientIds = new Map(http.map((h) => [h.spanId, h]));
    const joined = served.filter((s) => s.parentSpanId && clientIds.has(s.parentSpanId));
    t.ok(joined.length >= http.length * 0.9, `server spans continue the client's trace through the proxy (${joined.length} of ${http.length})`);
    for (const s of joined) {
      const c = clientIds.get(s.parentSpanId!)!;
      t.equal(s.traceId, c.traceId);
      t.equal(s.attributes['http.request.method'], c.attributes['http.request.method']);
      if (c.attributes['http.response.status_code'] !== 500) t.equal(s.attributes['http.response.status_code'], c.attributes['http.response.status_code'], `${s.name}: same status both sides`);
      t.equal(s.attributes['http.route'], c.attributes['url.template'], `${s.name}: route`);
      t.equal(s.name, `${s.attributes['http.request.method']} ${s.attributes['http.route']}`);
    }
    t.ok(served.some((s) => s.attributes['http.response.status_code'] === 401), 'the Basic challenge is traced too');
    t.ok(served.every((s) => s.status.code === 0), 'no 5xx from the server itself: no error span');
    assertNoSecrets(t, serverRx, 'server spans');
  });

  await t.test('bench: phase and step spans; a span per request only when sampled', async (t) => {
    // Token auth this time: Bearer tokens flow, and none may appear in a span.
    const registry = await startServeChild(['--port', '0', '--auth', 'token', '--htpasswd', htpasswd, '--storage', join(dir, 'token-store'), '--log-format', 'none']);
    t.teardown(() => killChild(registry));
    for (const rate of [0, 1]) {
      const rx = await startOtlpReceiver();
      const r = await runCli(
        ['bench', registry.url, '-w', 'manifest.get', '-c', '2', '-n', '12', '--warmup', '0', '--username', USER, '--password', PASSWORD, '--format', 'json', '--report-dir', join(dir, 'bench'), '-q', '--otel-sample-rate', String(rate)],
        { env: otelEnv(rx), timeoutMs: 120_000 },
      );
      await rx.close();
      t.equal(r.code, 0, `bench ran (rate ${rate}; stderr: ${r.stderr})`);
      const spans = rx.spans();
      const { parent, named } = tree(spans);
      const [root] = named('regprobe bench');
      const [bench] = named('bench');
      const [workload] = named('workload');
      const [setup] = named('setup');
      const steps = named('step');
      t.equal(parent(bench!)?.spanId, root!.spanId);
      t.equal(parent(workload!)?.spanId, bench!.spanId);
      t.equal(parent(setup!)?.spanId, workload!.spanId);
      t.equal(steps.length, 1);
      t.equal(parent(steps[0]!)?.spanId, workload!.spanId);
      t.equal(workload!.attributes['regprobe.bench.workload'], 'manifest.get');
      t.equal(steps[0]!.name, `step ${String(workload!.attributes['regprobe.bench.key'])} c=2`);
      t.equal(steps[0]!.attributes['regprobe.bench.concurrency'], 2);
      t.equal(steps[0]!.attributes['regprobe.bench.operations'], 12);
      t.equal(steps[0]!.attributes['regprobe.bench.errors'], 0);
      t.type(steps[0]!.attributes['regprobe.bench.ops_per_sec'], 'number');
      const http = spans.filter((s) => s.kind === SPAN_KIND.client);
      if (rate === 0) {
        t.equal(http.length, 0, 'rate 0: no span per request');
      } else {
        const inStep = http.filter((h) => parent(h)?.spanId === steps[0]!.spanId);
        t.ok(inStep.length >= 12, `rate 1: every request of the step has a span (${inStep.length})`);
        t.ok(http.every((h) => h.attributes['regprobe.sample_rate'] === 1));
        t.ok(http.some((h) => parent(h)?.spanId === setup!.spanId), 'and those of the setup');
        const token = http.filter((h) => new URL(String(h.attributes['url.full'])).pathname === '/token');
        t.ok(token.length > 0, 'the token requests are traced');
        for (const h of token) t.match(h.attributes, { 'http.response.status_code': 200, 'http.request.method': /^(GET|POST)$/ }, 'a token was issued');
      }
      assertNoSecrets(t, rx, `bench rate ${rate}`);
    }
  });
});

t.test('without OTEL settings no SDK module is loaded; with them it is', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-otel-cache-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // Prints the @opentelemetry packages in the module cache once the command has run.
  const script = join(dir, 'probe.mts');
  await writeFile(
    script,
    `import { createRequire } from 'node:module';
const { main } = await import(${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'src/cli/main.ts')).href)});
const code = await main(process.argv.slice(2));
const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('@opentelemetry'));
process.stdout.write(JSON.stringify({ code, packages: [...new Set(loaded.map((k) => /@opentelemetry\\/([^/]+)/.exec(k)[1]))].sort() }) + '\\n');
`,
  );
  const args = ['bench', '-w', 'ping', '-n', '3', '-c', '1', '--warmup', '0', '--format', 'json', '--report-dir', dir, '-q'];
  const bare = { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' };
  const run = async (env: NodeJS.ProcessEnv, extra: string[] = []) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args, ...extra], { cwd: REPO_ROOT, env: { ...process.env, ...bare, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await once(child, 'close');
    clearTimeout(timer);
    return { stderr, loaded: JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { code: number; packages: string[] } };
  };

  const off = await run({});
  t.equal(off.loaded.code, 0);
  t.same(off.loaded.packages.filter((p) => p !== 'api'), [], `no SDK module without OTEL settings (loaded: ${off.loaded.packages.join(', ')})`);

  const rx = await startOtlpReceiver();
  t.teardown(() => rx.close());
  const on = await run({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url });
  t.equal(on.loaded.code, 0);
  t.ok(on.loaded.packages.includes('sdk-trace-node') && on.loaded.packages.includes('exporter-trace-otlp-proto'), `the SDK and the protobuf exporter (the default protocol) with an endpoint set: ${on.loaded.packages.join(', ')}`);
  t.ok(rx.bodies.length > 0 && rx.bodies.every((b) => b.path === '/v1/traces' && b.contentType === 'application/x-protobuf'), 'spans arrived as OTLP protobuf on /v1/traces');
  t.ok(rx.bodies.some((b) => b.body.includes('regprobe bench')), 'the command span is in them');

});
