// How long a full conformance run against the bundled reference registry takes: what
// `regprobe conformance` with no URL costs after Node has started. Each repetition starts a fresh
// in-process registry (temp storage), runs every registered suite and stops it; prints each run and the
// median of the warm runs. Usage: node --import tsx bench/conformance-run.ts [--runs N] [--spec 1.0|1.1|draft]
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { RegistryClient } from '../src/client/registry-client.js';
import { runConformance } from '../src/conformance/runner.js';
import { SUITES } from '../src/conformance/suites.js';
import type { SpecVersion } from '../src/conformance/model.js';
import { startReferenceServer } from '../reference-server/server.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, spec: { type: 'string', default: '1.1' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 100) throw new Error('--runs must be an integer from 1 to 100');
const spec = values.spec as SpecVersion;
if (!['1.0', '1.1', 'draft'].includes(spec)) throw new Error('--spec must be 1.0, 1.1 or draft');

/** Wall seconds per workflow (setup, cases, cleanup, teardown), summed over all runs. */
const perWorkflow = new Map<string, number[]>();

async function once(): Promise<{ seconds: number; summary: Awaited<ReturnType<typeof runConformance>>['summary'] }> {
  const t0 = performance.now();
  let suiteStart = 0;
  const server = await startReferenceServer({ host: '127.0.0.1', port: 0 });
  const client = new RegistryClient({ baseUrl: server.url, timeoutMs: 30_000 });
  try {
    const report = await runConformance({
      client,
      suites: SUITES,
      target: { url: server.url, reference: true },
      spec,
      readOnly: false,
      namespace: 'regprobe-bench',
      only: [],
      skip: [],
      keep: false,
      caseTimeoutMs: 60_000,
      toolVersion: 'bench',
      onProgress: (e) => {
        if (e.type === 'suite-start') suiteStart = performance.now();
        if (e.type === 'suite-end') {
          const list = perWorkflow.get(e.workflow) ?? [];
          list.push((performance.now() - suiteStart) / 1000);
          perWorkflow.set(e.workflow, list);
        }
      },
    });
    return { seconds: (performance.now() - t0) / 1000, summary: report.summary };
  } finally {
    await client.close();
    await server.close();
  }
}

const times: number[] = [];
console.log(`conformance run against the in-process reference registry: ${SUITES.length} suites, spec ${spec}, ${runs} runs`);
for (let i = 0; i < runs; i++) {
  const { seconds, summary: s } = await once();
  times.push(seconds);
  console.log(
    `run ${i + 1}: ${seconds.toFixed(2)} s  (${s.total} cases: ${s.passed} pass, ${s.failed} fail, ${s.skipped} skip, ${s.errored} error)`,
  );
}
// The first run in a process pays for module loading and JIT warm-up, as one CLI invocation does.
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const warm = times.length > 1 ? times.slice(1) : times;
console.log(`first (cold) run ${times[0]!.toFixed(2)} s; median of ${warm.length} warm run(s) ${median(warm).toFixed(2)} s (min ${Math.min(...warm).toFixed(2)}, max ${Math.max(...warm).toFixed(2)})`);
console.log(`per workflow (median over runs): ${[...perWorkflow].map(([w, xs]) => `${w} ${median(xs).toFixed(2)} s`).join(', ')}`);
