// CaseContext (model.ts) for suites and cases: repository names under the run's namespace with a
// per-run random suffix (so runs never collide with each other or with real content), suite-scoped
// state, observations, skips and cleanup registration.
import { randomBytes } from 'node:crypto';
import type { RegistryClient } from '../client/registry-client.js';
import { CaseSkip, type CaseContext, type SecondIdentity, type SkipKind, type SpecVersion } from './model.js';

/** What every context of one run shares. */
export interface RunScope {
  client: RegistryClient;
  namespace: string;
  crossNamespace: string;
  /** Random per-run path segment, e.g. `r3f9a1c`. */
  runId: string;
  spec: SpecVersion;
  readOnly: boolean;
  keep: boolean;
  existing?: { repo: string; tag?: string; digest?: string };
  secondIdentity?: SecondIdentity;
}

/** What the setup, cases and teardown of one suite share. */
export class SuiteScope {
  readonly state = new Map<string, unknown>();
  /** Registered cleanups, run last-in first-out (manifests before the blobs they reference). */
  readonly cleanups: Array<() => Promise<void>> = [];
  readonly repo: string;
  readonly crossRepo: string;
  private fresh = 0;

  constructor(readonly run: RunScope, readonly workflow: string) {
    const label = toNameComponent(workflow);
    this.repo = `${run.namespace}/${run.runId}/${label}`;
    this.crossRepo = `${run.crossNamespace}/${run.runId}/${label}-cross`;
  }

  freshRepo(label: string): string {
    this.fresh += 1;
    return `${this.repo}-${toNameComponent(label)}-${this.fresh}`;
  }
}

/** Observations recorded by one case (or by setup); closed once its result is final. */
export class ObservationSink {
  readonly values: Record<string, string | number | boolean> = {};
  private closed = false;
  record(key: string, value: string | number | boolean): void {
    // A case that timed out may still be running; what it sees afterwards is not part of its result.
    if (!this.closed) this.values[key] = value;
  }
  close(): void {
    this.closed = true;
  }
  get size(): number {
    return Object.keys(this.values).length;
  }
}

export function createContext(suite: SuiteScope, sink: ObservationSink): CaseContext {
  const run = suite.run;
  return {
    client: run.client,
    repo: suite.repo,
    crossRepo: suite.crossRepo,
    freshRepo: (label) => suite.freshRepo(label),
    spec: run.spec,
    readOnly: run.readOnly,
    keep: run.keep,
    ...(run.existing ? { existing: run.existing } : {}),
    ...(run.secondIdentity ? { secondIdentity: run.secondIdentity } : {}),
    state: suite.state,
    observe: (key, value) => sink.record(key, value),
    skip: (kind: SkipKind, reason: string): never => {
      throw new CaseSkip(kind, reason);
    },
    onCleanup: (fn) => {
      suite.cleanups.push(fn);
    },
  };
}

/** A fresh run id: a letter then hex, a valid repository path component. */
export function newRunId(): string {
  return `r${randomBytes(4).toString('hex')}`;
}

/** Lower-cases a label and replaces what the name grammar forbids, e.g. `Chunked Upload` -> `chunked-upload`. */
export function toNameComponent(label: string): string {
  const s = label.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return s || 'x';
}
