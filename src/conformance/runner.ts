// The conformance runner: probe the target, then run suites in order (setup, cases, cleanups, teardown),
// each case under a time limit, and return the report document. It never prints; progress goes to an
// optional callback that the CLI renders.
import { performance } from 'node:perf_hooks';
import type { RegistryClient } from '../client/registry-client.js';
import { TransportError } from '../client/errors.js';
import { CaseFailure, CaseSkip, type CaseDefinition, type CaseResult, type ConformanceReport, type Level, type SecondIdentity, type SpecVersion, type Suite } from './model.js';
import { createContext, newRunId, ObservationSink, SuiteScope, type RunScope } from './context.js';
import { selectCases, type Exclusion } from './selection.js';
import { levelOf, suiteProblems } from './suite-rules.js';
import { oneLine, probeTarget } from './probe.js';
import { inSpan } from '../telemetry/spans.js';
import { caseAttributes, markCase, markPhase, markRun, workflowAttributes } from '../telemetry/conformance-spans.js';

export interface RunOptions {
  client: RegistryClient;
  suites: readonly Suite[];
  target: { url: string; reference: boolean };
  /** Whether credentials were given (for the probe's advice on a 401). */
  hasCredentials?: boolean;
  spec: SpecVersion;
  readOnly: boolean;
  namespace: string;
  /** Namespace of ctx.crossRepo (default: namespace). */
  crossNamespace?: string;
  only: readonly string[];
  skip: readonly string[];
  keep: boolean;
  existing?: { repo: string; tag?: string; digest?: string };
  /** An identity expected to be refused (auth.second-identity.* cases). */
  secondIdentity?: SecondIdentity;
  /** A case still running after this is an error and the run goes on. */
  caseTimeoutMs: number;
  /** Limit for setup, teardown and each cleanup (default 5 x caseTimeoutMs). */
  phaseTimeoutMs?: number;
  /** Limit for the reachability probe (default caseTimeoutMs). */
  probeTimeoutMs?: number;
  toolVersion: string;
  /** Fixed run id (tests); default random. */
  runId?: string;
  onProgress?: (event: ProgressEvent) => void;
}

export type ProgressEvent =
  | { type: 'run-start'; total: number; serverHeaders: Record<string, string> }
  | { type: 'suite-start'; workflow: string; title: string; cases: number }
  | { type: 'case-end'; result: CaseResult }
  | { type: 'suite-end'; workflow: string; results: CaseResult[] }
  | { type: 'warning'; message: string }
  | { type: 'run-end'; report: ConformanceReport };

/** Thrown for a time limit; the case (or phase) is reported as an error with this message. */
class TimeLimitError extends Error {}

/** The whole run in one `conformance` span (workflows, their phases and cases, HTTP exchanges under it). */
export function runConformance(opts: RunOptions): Promise<ConformanceReport> {
  return inSpan('conformance', { 'regprobe.conformance.spec': opts.spec, 'regprobe.read_only': opts.readOnly, 'regprobe.target.reference': opts.target.reference }, async (span) => {
    const report = await runAll(opts);
    markRun(span, report);
    return report;
  });
}

async function runAll(opts: RunOptions): Promise<ConformanceReport> {
  const problems = suiteProblems(opts.suites);
  if (problems.length > 0) throw new Error(`invalid conformance suites:\n  ${problems.join('\n  ')}`);
  const startedAt = new Date();
  const t0 = performance.now();
  const emit = (e: ProgressEvent) => opts.onProgress?.(e);

  const { serverHeaders } = await probeTarget(opts.client, opts.hasCredentials ?? false, opts.probeTimeoutMs ?? opts.caseTimeoutMs);
  const selection = selectCases(opts.suites, { only: opts.only, skip: opts.skip, spec: opts.spec, readOnly: opts.readOnly });
  const run: RunScope = {
    client: opts.client,
    namespace: opts.namespace,
    crossNamespace: opts.crossNamespace ?? opts.namespace,
    runId: opts.runId ?? newRunId(),
    spec: opts.spec,
    readOnly: opts.readOnly,
    keep: opts.keep,
    ...(opts.existing ? { existing: opts.existing } : {}),
    ...(opts.secondIdentity ? { secondIdentity: opts.secondIdentity } : {}),
  };
  const phaseTimeoutMs = opts.phaseTimeoutMs ?? opts.caseTimeoutMs * 5;
  emit({ type: 'run-start', total: opts.suites.reduce((n, s) => n + s.cases.length, 0), serverHeaders });

  const results: CaseResult[] = [];
  const byId = new Map<string, CaseResult>();
  for (const suite of opts.suites) {
    emit({ type: 'suite-start', workflow: suite.workflow, title: suite.title, cases: suite.cases.length });
    const go = () => runSuite(suite, run, selection.excluded, byId, { caseTimeoutMs: opts.caseTimeoutMs, phaseTimeoutMs }, (r) => {
      results.push(r);
      byId.set(r.id, r);
      emit({ type: 'case-end', result: r });
    }, (message) => emit({ type: 'warning', message }));
    // A workflow with no case selected does nothing: no span for it.
    const suiteResults = suite.cases.some((c) => !selection.excluded.has(c.id)) ? await inSpan(`workflow ${suite.workflow}`, workflowAttributes(suite), go) : await go();
    emit({ type: 'suite-end', workflow: suite.workflow, results: suiteResults });
  }

  const report: ConformanceReport = {
    schema: 'regprobe.conformance/v1',
    tool: { name: 'regprobe', version: opts.toolVersion, node: process.version },
    target: { url: opts.target.url, serverHeaders, reference: opts.target.reference },
    options: { spec: opts.spec, readOnly: opts.readOnly, namespace: opts.namespace, only: [...opts.only], skip: [...opts.skip] },
    startedAt: startedAt.toISOString(),
    durationMs: round(performance.now() - t0),
    results,
    summary: summaryOf(results),
  };
  emit({ type: 'run-end', report });
  return report;
}

interface Limits {
  caseTimeoutMs: number;
  phaseTimeoutMs: number;
}

async function runSuite(
  suite: Suite,
  run: RunScope,
  excluded: Map<string, Exclusion>,
  done: Map<string, CaseResult>,
  limits: Limits,
  record: (r: CaseResult) => void,
  warn: (message: string) => void,
): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  const put = (r: CaseResult) => {
    out.push(r);
    record(r);
  };
  const toRun = suite.cases.filter((c) => !excluded.has(c.id));
  // A suite with nothing to run does no setup: nothing is pushed for cases that will not look at it.
  if (toRun.length === 0) {
    for (const c of suite.cases) put(skipped(suite, c, excluded.get(c.id)!, 0));
    return out;
  }

  const scope = new SuiteScope(run, suite.workflow);
  const setupSink = new ObservationSink();
  let setupOutcome: Outcome | undefined;
  if (suite.setup) {
    const setup = suite.setup;
    setupOutcome = await inSpan(`setup ${suite.workflow}`, {}, async (span) => {
      const o = await attempt(() => setup(createContext(scope, setupSink)), limits.phaseTimeoutMs, 'setup');
      markPhase(span, o);
      return o;
    });
    setupSink.close();
  }

  // A target that stops answering would cost a full timeout per case; a few in a row end the workflow.
  let stalls = 0;
  for (const c of suite.cases) {
    const exclusion = excluded.get(c.id);
    if (exclusion) {
      put(skipped(suite, c, exclusion, 0));
      continue;
    }
    if (setupOutcome && setupOutcome.status !== 'pass') {
      // Every case of a suite whose setup failed reports the setup's problem (or its skip).
      const status = setupOutcome.status === 'skip' ? 'skip' : 'error';
      put(result(suite, c, { ...setupOutcome, status, message: `suite setup: ${setupOutcome.message}` }, 0, setupSink));
      continue;
    }
    const unmet = unmetDependency(c, done);
    if (unmet) {
      put(skipped(suite, c, { kind: 'dependency', reason: unmet }, 0));
      continue;
    }
    if (stalls >= STALL_LIMIT) {
      put(result(suite, c, { status: 'error', message: `not run: the target stopped answering (${STALL_LIMIT} cases of this workflow in a row timed out)` }, 0));
      continue;
    }
    const sink = new ObservationSink();
    const t = performance.now();
    await inSpan(`case ${c.id}`, caseAttributes(suite, c), async (span) => {
      const outcome = await attempt(() => c.run(createContext(scope, sink)), limits.caseTimeoutMs, 'case');
      sink.close();
      stalls = outcome.stalled ? stalls + 1 : 0;
      // What setup observed (e.g. a legal choice while pushing fixtures) is part of every case's context.
      const r = result(suite, c, outcome, performance.now() - t, setupSink, sink);
      markCase(span, r);
      put(r);
    });
  }

  if (!run.keep && scope.cleanups.length > 0) await inSpan(`cleanup ${suite.workflow}`, {}, () => runCleanups(scope, limits, warn));
  if (suite.teardown) {
    const teardown = suite.teardown;
    const o = await inSpan(`teardown ${suite.workflow}`, {}, async (span) => {
      const phase = await attempt(() => teardown(createContext(scope, new ObservationSink())), limits.phaseTimeoutMs, 'teardown');
      markPhase(span, phase);
      return phase;
    });
    if (o.status !== 'pass') warn(`${suite.workflow}: teardown failed (${o.message})`);
  }
  return out;
}

/** Runs registered cleanups last-in first-out; one warning sums up what failed. */
async function runCleanups(scope: SuiteScope, limits: Limits, warn: (message: string) => void): Promise<void> {
  const fns = [...scope.cleanups].reverse();
  let failed = 0;
  let first: string | undefined;
  let untried = 0;
  for (const [i, fn] of fns.entries()) {
    const o = await attempt(fn, limits.phaseTimeoutMs, 'cleanup');
    if (o.status === 'pass') continue;
    failed += 1;
    first ??= o.message;
    if (o.stalled) {
      untried = fns.length - i - 1;
      break;
    }
  }
  if (failed === 0) return;
  const rest = untried > 0 ? `, ${untried} not tried as the target stopped answering` : '';
  warn(`${scope.workflow}: ${failed} of ${fns.length} cleanups failed${rest} (first: ${first}); something may be left under ${scope.repo}`);
}

/** Why a case cannot run because of a case it depends on, or undefined when all of them passed. */
function unmetDependency(c: CaseDefinition, done: Map<string, CaseResult>): string | undefined {
  for (const dep of c.dependsOn ?? []) {
    const r = done.get(dep);
    if (!r) return `depends on ${dep}, which did not run`;
    if (r.status !== 'pass') return `depends on ${dep}, which ${r.status === 'skip' ? 'was skipped' : r.status === 'fail' ? 'failed' : 'errored'}`;
  }
  return undefined;
}

type Outcome = Pick<CaseResult, 'status' | 'message' | 'skipKind' | 'expected' | 'actual' | 'exchange'> & {
  /** A failure's own level (CaseFailure.level), when it named one. */
  level?: Level;
  /** Ended by a time limit or a transport timeout: the target may have stopped answering. */
  stalled?: boolean;
};

/** Consecutive stalled cases after which the rest of a workflow is not run. */
const STALL_LIMIT = 3;

/** Runs one piece of suite code under a time limit and classifies how it ended. */
async function attempt(fn: () => Promise<void>, limitMs: number, what: 'case' | 'setup' | 'teardown' | 'cleanup'): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TimeLimitError(`the ${what} did not finish within ${seconds(limitMs)} (is the target hanging? raise --timeout if it is just slow)`)),
      limitMs,
    );
  });
  try {
    await Promise.race([Promise.resolve().then(fn), limit]);
    return { status: 'pass' };
  } catch (err) {
    return classify(err);
  } finally {
    clearTimeout(timer);
  }
}

export function classify(err: unknown): Outcome {
  if (err instanceof CaseFailure) {
    return {
      status: 'fail',
      message: oneLine(err.message),
      expected: err.expected,
      actual: err.actual,
      ...(err.exchange ? { exchange: err.exchange } : {}),
      ...(err.level ? { level: err.level } : {}),
    };
  }
  if (err instanceof CaseSkip) return { status: 'skip', skipKind: err.kind, message: oneLine(err.message) };
  if (err instanceof TimeLimitError) return { status: 'error', message: oneLine(err.message), stalled: true };
  if (err instanceof TransportError) return { status: 'error', message: oneLine(err.message), stalled: err.code === 'TIMEOUT' };
  // A bug in a suite or an unexpected answer it could not handle: say where, briefly.
  const e = err instanceof Error ? err : new Error(String(err));
  const where = /\((\S*suites\/[^)]+)\)/.exec(e.stack ?? '')?.[1];
  return { status: 'error', message: oneLine(`${e.name}: ${e.message}${where ? ` (at ${where.replace(/^.*?(suites\/)/, '$1')})` : ''}`) };
}

function result(suite: Suite, c: CaseDefinition, o: Outcome, durationMs: number, ...sinks: ObservationSink[]): CaseResult {
  const observations = Object.assign({}, ...sinks.map((s) => s.values)) as Record<string, string | number | boolean>;
  return {
    id: c.id,
    workflow: suite.workflow,
    title: c.title,
    requirements: c.requirements,
    level: o.status === 'fail' && o.level ? weaker(o.level, levelOf(c.requirements)) : levelOf(c.requirements),
    status: o.status,
    durationMs: round(durationMs),
    ...(o.message !== undefined ? { message: o.message } : {}),
    ...(o.skipKind ? { skipKind: o.skipKind } : {}),
    ...(o.expected !== undefined ? { expected: o.expected } : {}),
    ...(o.actual !== undefined ? { actual: o.actual } : {}),
    ...(o.exchange ? { exchange: o.exchange } : {}),
    ...(Object.keys(observations).length > 0 ? { observations } : {}),
  };
}

function skipped(suite: Suite, c: CaseDefinition, ex: Exclusion, durationMs: number): CaseResult {
  return result(suite, c, { status: 'skip', skipKind: ex.kind, message: ex.reason }, durationMs);
}

export function summaryOf(results: readonly CaseResult[]): ConformanceReport['summary'] {
  const count = (f: (r: CaseResult) => boolean) => results.filter(f).length;
  return {
    total: results.length,
    passed: count((r) => r.status === 'pass'),
    failed: count((r) => r.status === 'fail'),
    errored: count((r) => r.status === 'error'),
    skipped: count((r) => r.status === 'skip'),
    requiredFailed: count((r) => r.level === 'MUST' && (r.status === 'fail' || r.status === 'error')),
    recommendedNotMet: count((r) => r.level === 'SHOULD' && r.status === 'fail'),
    optionalNotOffered: count((r) => r.status === 'skip' && r.skipKind === 'unsupported'),
  };
}

/** The weaker of two levels: a failure never counts above the case's strongest requirement. */
function weaker(a: Level, b: Level): Level {
  const rank: Record<Level, number> = { MUST: 2, SHOULD: 1, MAY: 0 };
  return rank[a] <= rank[b] ? a : b;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
