// What a workload is: a stable id, parameters, and a setup that returns the measured operation.
// Workloads never print and never time themselves; the drivers time operations and the recorder
// aggregates them. One operation may be several HTTP exchanges (a whole-image push).
import type { RegistryClient } from '../src/client/registry-client.js';
import type { Credentials } from '../src/auth/basic-auth.js';
import type { ContentFactory } from '../src/conformance/fixtures.js';
import type { Cleanup } from './cleanup.js';

export type ParamValue = string | number | boolean;
export type Params = Record<string, ParamValue>;

/** Filled in by an operation for the recorder; reset by the driver before each operation. */
export interface OpProbe {
  /** Payload bytes moved (blob and manifest bodies, not headers): goodput. */
  bytes: number;
  /** Time to the first response headers of the operation's main request, ms; < 0 when not applicable. */
  ttfbMs: number;
  /** Whole images moved (pull.image, push.image). */
  images: number;
  /** A tally to add to the step's counters (a legal alternative the registry chose). */
  note: string | undefined;
}

export function newProbe(): OpProbe {
  return { bytes: 0, ttfbMs: -1, images: 0, note: undefined };
}

export function resetProbe(p: OpProbe): void {
  p.bytes = 0;
  p.ttfbMs = -1;
  p.images = 0;
  p.note = undefined;
}

/**
 * The measured work. `prepare` (optional, untimed) makes the input of one operation, e.g. unique
 * content and its digest, so generating test data never counts as registry latency; `run` is timed.
 */
export interface PreparedWorkload<P = unknown> {
  prepare?: () => P | Promise<P>;
  run: (input: P, probe: OpProbe) => Promise<void>;
  /** Releases what setup made that cleanup does not cover (agents, timers). */
  close?: () => Promise<void>;
}

export interface ExistingImage {
  repo: string;
  tag: string;
}

/** What a workload's setup may use. */
export interface WorkloadEnv {
  client: RegistryClient;
  /** Repositories are created under this prefix (`<namespace>/<name>`). */
  namespace: string;
  readOnly: boolean;
  /** --tag REPO:TAG: existing content for read workloads (required with --read-only). */
  existing?: ExistingImage;
  /** Blob content for pushes: unique per push, or identical with --identical-content. */
  content: ContentFactory;
  /** Credentials the run was given (token issuance needs them). */
  credentials?: Credentials;
  /** Builds a fresh client (own connection pool), e.g. for each client of a pull storm. */
  newClient: () => RegistryClient;
  cleanup: Cleanup;
}

/** Thrown by setup when the workload cannot run against this target; recorded as `skipped`. */
export class WorkloadSkip extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'WorkloadSkip';
  }
}

export type Family = 'api' | 'push' | 'pull' | 'mixed';

export interface WorkloadDefinition {
  id: string;
  /** One line for --list and reports. */
  title: string;
  family: Family;
  /** Creates or changes content: excluded by --read-only. */
  writes: boolean;
  /** Counts images (imagesPerSec in the report). */
  images?: boolean;
  /** Parameters and their defaults; a profile or the CLI overrides some. */
  defaults: Params;
  /** Short description of each parameter, for --list --verbose and docs. */
  paramHelp?: Record<string, string>;
  /** The part of the report key after the id, from the effective params (`1MiB`, `1000.n100`). */
  label?: (params: Params) => string | undefined;
  setup: (env: WorkloadEnv, params: Params) => Promise<PreparedWorkload>;
}

export function num(params: Params, name: string): number {
  const v = params[name];
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) throw new TypeError(`parameter ${name}: ${String(v)} is not a number`);
  return n;
}

export function str(params: Params, name: string): string {
  return String(params[name]);
}

export function bool(params: Params, name: string): boolean {
  const v = params[name];
  return v === true || v === 'true' || v === 1 || v === '1';
}
