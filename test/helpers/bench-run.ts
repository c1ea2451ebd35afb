// A benchmark run through the engine against a registry the test started (usually the bundled
// reference registry in-process): plan from choices, fresh clients, cleanup on.
import { RegistryClient } from '../../src/client/registry-client.js';
import { ContentFactory } from '../../src/conformance/fixtures.js';
import { buildPlan, type PlanChoices } from '../../bench/plan.js';
import { runBenchmark, type BenchRunOptions } from '../../bench/runner.js';

export async function runBenchAgainst(url: string, choices: Partial<PlanChoices>, opts: Partial<BenchRunOptions> = {}): ReturnType<typeof runBenchmark> {
  const plan = buildPlan({ profile: 'quick', readOnly: false, ...choices });
  if (!plan.ok) throw new Error(plan.problem);
  const client = new RegistryClient({ baseUrl: url });
  try {
    return await runBenchmark({
      client,
      newClient: () => new RegistryClient({ baseUrl: url }),
      target: { url, reference: true },
      plan: plan.entries,
      namespace: 'bench-test/run',
      readOnly: false,
      content: new ContentFactory(),
      hasCredentials: false,
      cleanup: true,
      toolVersion: 'test',
      settings: { readOnly: false, identicalContent: false, warmupMs: 0, maxErrorRate: 0 },
      maxStepMs: 60_000,
      drainTimeoutMs: 10_000,
      ...opts,
    });
  } finally {
    await client.close();
  }
}
