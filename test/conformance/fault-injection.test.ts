// Fault injection: the suites are only as good as the faults they notice. A proxy in front of the
// in-process reference registry breaks one rule at a time (test/conformance/faults.ts); for each fault
// the suites about that rule run through the proxy, and at least one case must fail, including the
// cases the fault names. The mapping fault -> failing cases is printed as tap comments.
import t from 'tap';
import { startReferenceServer } from '../../reference-server/server.js';
import { RegistryClient } from '../../src/client/registry-client.js';
import { runConformance } from '../../src/conformance/runner.js';
import { SUITES } from '../../src/conformance/suites.js';
import type { ConformanceReport } from '../../src/conformance/model.js';
import { startFaultProxy, type Fault, type FaultProxy } from './fault-proxy.js';
import { FAULTS } from './faults.js';

// Referrers in pages of 4, so the referrers suites walk Link headers and the pagination faults have pages to break.
const server = await startReferenceServer({ port: 0, referrersPageSize: 4 });
t.teardown(() => server.close());

/** Faults run this many at a time, each worker with its own proxy and client (the registry is shared). */
const WORKERS = 3;

interface Worker {
  proxy: FaultProxy;
  client: RegistryClient;
}

async function startWorker(): Promise<Worker> {
  const proxy = await startFaultProxy(server.url);
  const client = new RegistryClient({ baseUrl: proxy.url, timeoutMs: 10_000, connections: 4 });
  t.teardown(async () => {
    await client.close();
    await proxy.close();
  });
  return { proxy, client };
}

async function run(w: Worker, workflows: readonly string[], only: readonly string[] = []): Promise<ConformanceReport> {
  return runConformance({
    client: w.client,
    suites: SUITES.filter((s) => workflows.includes(s.workflow)),
    target: { url: w.proxy.url, reference: true },
    spec: 'draft',
    readOnly: false,
    namespace: 'fault',
    only,
    skip: [],
    keep: false,
    caseTimeoutMs: 10_000,
    toolVersion: 'test',
  });
}

interface Outcome {
  fault: Fault;
  fired: number;
  report: ConformanceReport;
}

const workers = await Promise.all(Array.from({ length: WORKERS }, startWorker));
// REGPROBE_FAULTS=id,id runs only those faults (while working on one); the catalogue check covers all.
const only = (process.env.REGPROBE_FAULTS ?? '').split(',').filter(Boolean);
const selected = only.length > 0 ? FAULTS.filter((f) => only.includes(f.id)) : FAULTS;
const workflows = [...new Set(selected.flatMap((f) => f.suites))];

// The baseline first: with no fault every case the faults run must pass, or the mapping means nothing.
// A workflow whose faults all narrow it with `only` runs just those cases here too.
const baselineOnly = workflows.flatMap((w) => {
  const fs = selected.filter((f) => f.suites.includes(w));
  return fs.every((f) => f.only) ? fs.flatMap((f) => f.only!.filter((g) => g === w || g.startsWith(`${w}.`))) : [w];
});
workers[0]!.proxy.setFault(undefined);
const baseline = await run(workers[0]!, workflows, baselineOnly);

const outcomes: Outcome[] = [];
const queue = [...selected];
await Promise.all(
  workers.map(async (w) => {
    for (let fault = queue.shift(); fault; fault = queue.shift()) {
      w.proxy.setFault(fault);
      const report = await run(w, fault.suites, fault.only);
      outcomes.push({ fault, fired: w.proxy.fired, report });
      w.proxy.setFault(undefined);
    }
  }),
);
outcomes.sort((a, b) => selected.indexOf(a.fault) - selected.indexOf(b.fault));

t.test('the fault catalogue is sound', async (t) => {
  const ids = FAULTS.map((f) => f.id);
  t.equal(new Set(ids).size, ids.length, 'fault ids are unique');
  t.ok(FAULTS.length >= 30, `at least 30 faults (${FAULTS.length})`);
  const known = new Set(SUITES.flatMap((s) => s.cases.map((c) => c.id)));
  for (const f of FAULTS) {
    for (const w of f.suites) t.ok(SUITES.some((s) => s.workflow === w), `${f.id}: suite ${w} is registered`);
    for (const id of [...f.caughtBy, ...Object.keys(f.verdicts ?? {})]) t.ok(known.has(id), `${f.id}: ${id} is a registered case`);
    if (f.legal) t.same(f.caughtBy, [], `${f.id}: a legal behaviour is caught by nothing`);
  }
});

t.test('without a fault, the suites pass through the proxy', async (t) => {
  const bad = baseline.results.filter((r) => r.status === 'fail' || r.status === 'error');
  t.same(bad.map((r) => `${r.id}: ${r.message}`), [], 'no case fails or errors');
  t.ok(baseline.summary.passed > 0, `${baseline.summary.passed} cases passed`);
});

for (const { fault, fired, report } of outcomes) {
  t.test(`${fault.id}: ${fault.breaks}`, async (t) => {
    t.ok(fired > 0, `the fault changed ${fired} exchange(s)`);
    const failed = report.results.filter((r) => r.status === 'fail').map((r) => r.id);
    t.comment(`${fault.id} caught by: ${failed.join(', ') || 'nothing'}`);
    if (fault.legal) {
      // A legal behaviour: nothing fails or errors but what the verdicts allow (a SHOULD not met).
      const allowed = Object.entries(fault.verdicts ?? {}).filter(([, v]) => v.status === 'fail').map(([id]) => id);
      const bad = report.results.filter((r) => (r.status === 'fail' && !allowed.includes(r.id)) || r.status === 'error');
      t.same(bad.map((r) => `${r.status} ${r.id}: ${r.message}`), [], 'no false alarm');
    } else {
      t.ok(failed.length > 0, 'at least one case fails');
    }
    for (const id of fault.caughtBy) t.ok(failed.includes(id), `${id} fails`, { failed, results: brief(report) });
    for (const [id, v] of Object.entries(fault.verdicts ?? {})) {
      const r = report.results.find((x) => x.id === id);
      t.ok(r, `${id} ran`);
      if (!r) continue;
      const want = { status: v.status, ...(v.level ? { level: v.level } : {}), ...(v.skipKind ? { skipKind: v.skipKind } : {}), ...(v.message ? { message: v.message } : {}), ...(v.observations ? { observations: v.observations } : {}) };
      t.match(r, want, `${id}: ${JSON.stringify(want, (_k, x: unknown) => (x instanceof RegExp ? String(x) : x))}`, { result: r });
    }
  });
}

t.test('every fault ran', async (t) => {
  t.equal(outcomes.length, selected.length);
});

function brief(report: ConformanceReport): string[] {
  return report.results.filter((r) => r.status !== 'pass').map((r) => `${r.status} ${r.id}: ${r.message ?? ''}`.slice(0, 200));
}
