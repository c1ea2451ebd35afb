// The conformance test-case model (DESIGN.md "Test identity"). Suites (suites/*.ts) export data of
// these shapes; the runner (src/conformance/runner.ts) executes them; reports are built from results.
import type { RegistryClient, RegistryResponse } from '../client/registry-client.js';

export type Level = 'MUST' | 'SHOULD' | 'MAY';
export type SpecVersion = '1.0' | '1.1' | 'draft';

/** A spec requirement a case checks: an endpoint id (`end-5`), an error code (`code-4`) or a section. */
export interface Requirement {
  ref: string;
  level: Level;
  /** Optional short quote or pointer into the spec text. */
  text?: string;
}

export type CaseStatus = 'pass' | 'fail' | 'skip' | 'error';

/**
 * Why a case was skipped: disabled by --only/--skip; not supported by the target where the spec lets it
 * (an optional feature, e.g. catalog); depends on a case that failed; not run in --read-only; not part
 * of the chosen --spec version.
 */
export type SkipKind = 'disabled' | 'unsupported' | 'dependency' | 'read-only' | 'spec-version';

export interface CaseDefinition {
  /** Stable dotted id, `<workflow>.<group>.<name>`; never changes meaning once released. */
  id: string;
  /** One sentence that says what must happen. */
  title: string;
  requirements: Requirement[];
  /** Ids of cases that must have passed for this one to run (else skip with kind `dependency`). */
  dependsOn?: string[];
  /** First spec version that has this behaviour (default '1.0'); later versions include earlier ones. */
  since?: SpecVersion;
  /** Safe on production: reads only. Only these run with --read-only. */
  readOnly?: boolean;
  run(ctx: CaseContext): Promise<void>;
}

export interface Suite {
  /** Workflow name, also the first id segment: pull, push, chunked-upload, ... */
  workflow: string;
  title: string;
  /** Runs once before the cases (push fixtures, ...); a throw errors every case of the suite. */
  setup?(ctx: CaseContext): Promise<void>;
  cases: CaseDefinition[];
  /** Runs after the cases, also when they failed (deletes what setup pushed unless --keep). */
  teardown?(ctx: CaseContext): Promise<void>;
}

/** Credentials of an account that must be refused the run's repositories (DENIED cases). */
export interface SecondIdentity {
  username: string;
  password: string;
}

/** What the runner hands each suite and case. Implemented in src/conformance/context.ts. */
export interface CaseContext {
  client: RegistryClient;
  /** Repository under the run's namespace for this suite, e.g. `regprobe-test/3f9a/pull`. */
  repo: string;
  /** A second repository under --cross-namespace (or the namespace), for cross-repo cases. */
  crossRepo: string;
  /** Make another fresh repository name under the namespace (unique per call). */
  freshRepo(label: string): string;
  spec: SpecVersion;
  readOnly: boolean;
  keep: boolean;
  /** Existing content named by --tag/--digest (read-only mode), when given. */
  existing?: { repo: string; tag?: string; digest?: string };
  /** An identity the run expects the registry to refuse (--second-username/--second-password), when given. */
  secondIdentity?: SecondIdentity;
  /** Suite-scoped storage: setup puts fixtures here, cases read them. */
  state: Map<string, unknown>;
  /** Record a legal choice the target made (shown in reports; never a failure). */
  observe(key: string, value: string | number | boolean): void;
  /** Skip the running case, e.g. `ctx.skip('unsupported', 'catalog answers 404')`. Throws. */
  skip(kind: SkipKind, reason: string): never;
  /** Register cleanup of something pushed (run at teardown unless --keep, best effort). */
  onCleanup(fn: () => Promise<void>): void;
}

/** A request/response summary attached to failures so a user sees what happened. */
export interface ExchangeSummary {
  request: string;
  status?: number;
  headers?: Record<string, string>;
  bodyStart?: string;
}

/** Thrown by assertions: the case failed (the target broke a rule). */
export class CaseFailure extends Error {
  readonly expected: string;
  readonly actual: string;
  readonly exchange?: ExchangeSummary;
  /**
   * The level of the rule the failed check is about, when it is weaker than the case's strongest
   * requirement (a case that checks a MUST status and a SHOULD error code fails the code at SHOULD).
   */
  readonly level?: Level;
  constructor(expected: string, actual: string, exchange?: ExchangeSummary, level?: Level) {
    super(`expected ${expected}, got ${actual}${exchange ? ` (${exchange.request})` : ''}`);
    this.name = 'CaseFailure';
    this.expected = expected;
    this.actual = actual;
    this.exchange = exchange;
    if (level) this.level = level;
  }
}

/** Thrown by ctx.skip(). */
export class CaseSkip extends Error {
  readonly kind: SkipKind;
  constructor(kind: SkipKind, reason: string) {
    super(reason);
    this.name = 'CaseSkip';
    this.kind = kind;
  }
}

export interface CaseResult {
  id: string;
  workflow: string;
  title: string;
  requirements: Requirement[];
  /**
   * What a failure means: the level of the check that failed when the check names a weaker one (see
   * CaseFailure.level), else (and for every other status) the strongest level among the requirements.
   */
  level: Level;
  status: CaseStatus;
  durationMs: number;
  /** fail/error: what went wrong; skip: the reason. */
  message?: string;
  skipKind?: SkipKind;
  expected?: string;
  actual?: string;
  exchange?: ExchangeSummary;
  /** Legal choices recorded by ctx.observe(). */
  observations?: Record<string, string | number | boolean>;
}

/** The versioned report document; every other format is rendered from it. */
export interface ConformanceReport {
  schema: 'regprobe.conformance/v1';
  tool: { name: 'regprobe'; version: string; node: string };
  target: { url: string; serverHeaders: Record<string, string>; reference: boolean };
  options: { spec: SpecVersion; readOnly: boolean; namespace: string; only: string[]; skip: string[] };
  startedAt: string;
  durationMs: number;
  results: CaseResult[];
  summary: {
    total: number;
    passed: number;
    failed: number;
    errored: number;
    skipped: number;
    /** MUST cases that failed or errored. */
    requiredFailed: number;
    /** SHOULD cases that failed. */
    recommendedNotMet: number;
    /** Cases skipped because the target does not offer an optional feature. */
    optionalNotOffered: number;
  };
}

export type { RegistryResponse };
