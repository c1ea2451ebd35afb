// Runs selected auth-suite cases as alice (password alice-pw) against a registry URL, for the tests of
// the scope-boundary and second-identity cases; returns the results by id.
import type { Test } from 'tap';
import { RegistryClient } from '../../src/client/registry-client.js';
import { AuthEngine } from '../../src/auth/auth-engine.js';
import { runConformance, type RunOptions } from '../../src/conformance/runner.js';
import type { CaseResult } from '../../src/conformance/model.js';
import { makeAuthSuite } from '../../suites/auth.js';

export async function runAuthCases(t: Test, url: string, only: string[], extra: Partial<RunOptions> = {}): Promise<Record<string, CaseResult>> {
  const engine = new AuthEngine({ credential: { username: 'alice', password: 'alice-pw', source: 'test' } });
  const client = new RegistryClient({ baseUrl: url, auth: engine, timeoutMs: 15_000 });
  t.teardown(async () => {
    await client.close();
    await engine.close();
  });
  const report = await runConformance({
    client,
    suites: [makeAuthSuite()],
    target: { url, reference: false },
    hasCredentials: true,
    spec: 'draft',
    readOnly: false,
    namespace: 'auth-cases',
    only,
    skip: [],
    keep: false,
    caseTimeoutMs: 20_000,
    toolVersion: 'test',
    ...extra,
  });
  return Object.fromEntries(report.results.map((r) => [r.id, r]));
}
