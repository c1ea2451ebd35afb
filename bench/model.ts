// The benchmark report document (schema regprobe.bench/v1). Workloads and drivers produce it;
// src/report/ renders it; `compare` and `merge` read it. Histograms are kept whole (HDR, encoded)
// so shards merge exactly and any percentile can be recomputed later.

export type LoadModel =
  | { kind: 'closed'; concurrency: number }
  | { kind: 'open'; ratePerSec: number; maxInFlight: number };

export interface LatencySummary {
  /** Milliseconds. */
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

export interface ErrorCounts {
  /** HTTP status -> count, for answers that were not the expected status. */
  byStatus: Record<string, number>;
  /** OCI error code (from the body) -> count. */
  byCode: Record<string, number>;
  /** Transport class (TIMEOUT, RESET, CONNECTION_REFUSED, ...) -> count. */
  byConnection: Record<string, number>;
  digestMismatches: number;
  /** Errors of no class above (unexpected answers the client could not use), by short kind. */
  other?: Record<string, number>;
  /** The first few distinct error messages (one line each), so a reader can see what went wrong. */
  samples?: string[];
}

export interface StepResult {
  load: LoadModel;
  /** Measured window (warm-up excluded), ms. */
  durationMs: number;
  warmupMs: number;
  operations: number;
  /** Successful operations. */
  ok: number;
  errors: number;
  /** Successful operations per second of the measured window. */
  opsPerSec: number;
  /** Goodput: payload bytes of successful operations per second. */
  bytesPerSec: number;
  /** Images per second, for whole-image workloads. */
  imagesPerSec?: number;
  latency: LatencySummary;
  ttfb?: LatencySummary;
  /** HDR histogram of latency in microseconds, base64 (hdr-histogram-js encodeIntoCompressedBase64). */
  histogram: string;
  ttfbHistogram?: string;
  errorDetail: ErrorCounts;
  /**
   * Per-second samples for time-series charts and CSV: `t` is the second since the measured start
   * (by completion time), `ops` successful operations, `bytes` their payload, `p99` in ms.
   */
  timeline: Array<{
    t: number;
    ops: number;
    bytes: number;
    errors: number;
    p99: number;
    /** Resident memory of the load generator's process (bytes) as the second began: a soak shows it flat or growing. */
    rss?: number;
  }>;
  /**
   * Per minute of a window longer than one minute (`t`: the minute since the measured start): exact
   * percentiles from each minute's own histogram, so a registry that slows down over a soak shows it.
   */
  minutes?: MinuteSample[];
  /** Open loop: arrivals scheduled in the measured window (operations = arrivals). */
  arrivals?: number;
  /** Legal alternatives the registry chose and other tallies, e.g. `mounted`, `mount-fallback`, `range-ignored`. */
  counters?: Record<string, number>;
  /**
   * Why the step's figures are missing, one line each: a step with no measured operation (all of
   * them outlasted the measured window, or the run was interrupted) says why here, so that its zeros
   * are not read as measurements. Absent when there is nothing to say, and in older reports.
   */
  notes?: string[];
}

export interface WorkloadResult {
  /** Stable workload id, e.g. `manifest.get`, `push.monolithic`, `pull.blob`. */
  id: string;
  /**
   * Unique within a report: the id plus its distinguishing parameters (`blob.get.1MiB`,
   * `tags.list.1000.n100`), so several runs of one workload (the zb profile) can be told apart,
   * compared and named in thresholds. Absent in older reports: use `id` then.
   */
  key?: string;
  title: string;
  params: Record<string, string | number | boolean>;
  steps: StepResult[];
  /** Why the workload did not run (not supported by the target, needs auth, read-only...); steps is empty. */
  skipped?: string;
  /** The workload could not be set up (e.g. seeding content failed): one line; steps is empty. */
  error?: string;
}

export interface Environment {
  tool: string;
  version: string;
  node: string;
  platform: string;
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  /** Server, Docker-Distribution-API-Version, ... as the target sent them. */
  targetHeaders: Record<string, string>;
  /** Host name of the machine that generated the load. */
  hostname?: string;
}

export interface MinuteSample {
  t: number;
  /** Successful operations completed in this minute. */
  ok: number;
  errors: number;
  latency: LatencySummary;
  /** HDR histogram of the minute's latency (microseconds, base64), for exact merges. */
  histogram: string;
}

export interface BenchReport {
  schema: 'regprobe.bench/v1';
  target: { url: string; reference: boolean };
  profile?: string;
  startedAt: string;
  durationMs: number;
  environment: Environment;
  /** Present when this report is one shard of several (`--shard i/N`), or a merge of shards. */
  shard?: { index: number; count: number } | { merged: number };
  /** Load-generating threads of this run (`--workers N`); absent for one. Their results are merged exactly. */
  workers?: number;
  workloads: WorkloadResult[];
  /** How the run was configured (flags as given after defaults), for re-running it. */
  settings?: BenchSettings;
}

export interface BenchSettings {
  readOnly: boolean;
  namespace?: string;
  identicalContent: boolean;
  maxRps?: number;
  warmupMs: number;
  durationMs?: number;
  count?: number;
  /** Error rate (0..1) above which the run exits 1. */
  maxErrorRate: number;
}
