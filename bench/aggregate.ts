// Aggregation of one concurrency step: latency and TTFB histograms, counts, goodput, a per-second
// timeline, and errors by HTTP status, OCI error code, connection class and digest mismatch.
// The drivers call record*(); finish() returns the StepResult of the report.
import { OperationError, DigestMismatchError } from '../src/client/operations.js';
import { TransportError } from '../src/client/errors.js';
import { parseErrorBody } from '../src/oci/errors.js';
import { TokenError } from '../src/auth/token-client.js';
import { AuthError } from '../src/auth/errors.js';
import { encodeHistogram, newCoarseHistogram, newHistogram, recordMs, summarize, type Histogram } from './histogram.js';
import type { ErrorCounts, LoadModel, StepResult } from './model.js';
import type { OpProbe } from './workload.js';

const MAX_SAMPLES = 5;

interface Second {
  ops: number;
  bytes: number;
  errors: number;
  latency: Histogram;
  rss: number;
}

interface Minute {
  ok: number;
  errors: number;
  latency: Histogram;
}

/** Live figures for the progress line. */
export interface LiveFigures {
  ok: number;
  errors: number;
  bytes: number;
  /** Measured time so far, ms (0 during warm-up). */
  elapsedMs: number;
  warmingUp: boolean;
}

export type ErrorClass =
  | { kind: 'status'; status: number; code?: string }
  | { kind: 'connection'; cls: string }
  | { kind: 'digest' }
  | { kind: 'other'; what: string };

/** What kind of failure an operation's error is, for the report's error breakdown. */
export function classifyError(err: unknown): ErrorClass {
  if (err instanceof DigestMismatchError) return { kind: 'digest' };
  if (err instanceof OperationError) {
    const body = parseErrorBody(err.bodyStart);
    const code = body?.errors[0]?.code;
    return code ? { kind: 'status', status: err.status, code } : { kind: 'status', status: err.status };
  }
  if (err instanceof TransportError) return { kind: 'connection', cls: err.code };
  // The token endpoint's answer (token issuance, or the auth engine fetching one for a request).
  if (err instanceof TokenError) return err.status > 0 ? { kind: 'status', status: err.status } : { kind: 'other', what: `token-${err.kind}` };
  if (err instanceof AuthError) return { kind: 'other', what: `auth-${err.kind}` };
  if (err instanceof SyntaxError) return { kind: 'other', what: 'invalid-json' };
  if (err instanceof Error) return { kind: 'other', what: err.name || 'Error' };
  return { kind: 'other', what: 'unknown' };
}

export class StepRecorder {
  private readonly latency = newHistogram();
  private readonly ttfb = newHistogram();
  private readonly seconds: Second[] = [];
  private readonly minutes: Minute[] = [];
  private readonly errorDetail: ErrorCounts = { byStatus: {}, byCode: {}, byConnection: {}, digestMismatches: 0 };
  private readonly samples = new Set<string>();
  private readonly counters: Record<string, number> = {};
  private ok = 0;
  private errors = 0;
  private bytes = 0;
  private images = 0;
  private measuredStart = -1;
  private lastEnd = -1;
  private arrivals: number | undefined;

  constructor(
    private readonly load: LoadModel,
    private readonly warmupMs: number,
    private readonly countsImages = false,
  ) {}

  /** The measured window starts now (performance.now() ms); records before this are rejected. */
  start(atMs: number): void {
    this.measuredStart = atMs;
    this.lastEnd = atMs;
  }

  get started(): boolean {
    return this.measuredStart >= 0;
  }

  setArrivals(n: number): void {
    this.arrivals = n;
  }

  count(name: string, n = 1): void {
    this.counters[name] = (this.counters[name] ?? 0) + n;
  }

  recordOk(endMs: number, latencyMs: number, probe: OpProbe): void {
    this.ok++;
    this.bytes += probe.bytes;
    this.images += probe.images;
    recordMs(this.latency, latencyMs);
    if (probe.ttfbMs >= 0) recordMs(this.ttfb, probe.ttfbMs);
    if (probe.note) this.count(probe.note);
    const s = this.second(endMs);
    s.ops++;
    s.bytes += probe.bytes;
    recordMs(s.latency, latencyMs);
    const m = this.minute(endMs);
    m.ok++;
    recordMs(m.latency, latencyMs);
    if (endMs > this.lastEnd) this.lastEnd = endMs;
  }

  recordError(endMs: number, latencyMs: number, err: unknown): void {
    this.errors++;
    // Failed operations are in the latency histogram too: a timeout is latency a user waited.
    recordMs(this.latency, latencyMs);
    this.second(endMs).errors++;
    const m = this.minute(endMs);
    m.errors++;
    recordMs(m.latency, latencyMs);
    if (endMs > this.lastEnd) this.lastEnd = endMs;
    const c = classifyError(err);
    const d = this.errorDetail;
    switch (c.kind) {
      case 'digest':
        d.digestMismatches++;
        break;
      case 'status':
        d.byStatus[c.status] = (d.byStatus[c.status] ?? 0) + 1;
        if (c.code) d.byCode[c.code] = (d.byCode[c.code] ?? 0) + 1;
        break;
      case 'connection':
        d.byConnection[c.cls] = (d.byConnection[c.cls] ?? 0) + 1;
        break;
      case 'other':
        d.other ??= {};
        d.other[c.what] = (d.other[c.what] ?? 0) + 1;
        break;
    }
    if (this.samples.size < MAX_SAMPLES) {
      const line = (err instanceof Error ? err.message : String(err)).replace(/\s*[\r\n]+\s*/g, ' ').slice(0, 300);
      this.samples.add(line);
    }
  }

  live(nowMs: number): LiveFigures {
    const warmingUp = this.measuredStart < 0;
    return { ok: this.ok, errors: this.errors, bytes: this.bytes, elapsedMs: warmingUp ? 0 : nowMs - this.measuredStart, warmingUp };
  }

  private second(endMs: number): Second {
    const i = Math.max(0, Math.floor((endMs - this.measuredStart) / 1000));
    if (this.seconds.length <= i) {
      // Sampled once per second, not per operation: reading RSS costs a system call.
      const rss = process.memoryUsage.rss();
      while (this.seconds.length <= i) this.seconds.push({ ops: 0, bytes: 0, errors: 0, latency: newCoarseHistogram(), rss });
    }
    return this.seconds[i]!;
  }

  private minute(endMs: number): Minute {
    const i = Math.max(0, Math.floor((endMs - this.measuredStart) / 60_000));
    while (this.minutes.length <= i) this.minutes.push({ ok: 0, errors: 0, latency: newHistogram() });
    return this.minutes[i]!;
  }

  /** The step's result; the measured window ends with the last completed operation (or `endMs`). */
  finish(endMs?: number): StepResult {
    const durationMs = Math.max(1, (endMs ?? this.lastEnd) - this.measuredStart);
    const secs = durationMs / 1000;
    if (this.samples.size) this.errorDetail.samples = [...this.samples];
    const result: StepResult = {
      load: this.load,
      durationMs: round(durationMs, 1),
      warmupMs: this.warmupMs,
      operations: this.ok + this.errors,
      ok: this.ok,
      errors: this.errors,
      opsPerSec: round(this.ok / secs, 2),
      bytesPerSec: Math.round(this.bytes / secs),
      ...(this.countsImages ? { imagesPerSec: round(this.images / secs, 2) } : {}),
      latency: summarize(this.latency),
      ...(this.ttfb.totalCount ? { ttfb: summarize(this.ttfb) } : {}),
      histogram: encodeHistogram(this.latency),
      ...(this.ttfb.totalCount ? { ttfbHistogram: encodeHistogram(this.ttfb) } : {}),
      errorDetail: this.errorDetail,
      timeline: this.seconds.map((s, t) => ({ t, ops: s.ops, bytes: s.bytes, errors: s.errors, p99: summarize(s.latency).p99, rss: s.rss })),
      ...(durationMs > 60_000 ? { minutes: this.minutes.map((m, t) => ({ t, ok: m.ok, errors: m.errors, latency: summarize(m.latency), histogram: encodeHistogram(m.latency) })) } : {}),
      ...(this.arrivals !== undefined ? { arrivals: this.arrivals } : {}),
      ...(Object.keys(this.counters).length ? { counters: { ...this.counters } } : {}),
    };
    return result;
  }
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
