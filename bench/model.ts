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
  /** Per-second samples for time-series charts and CSV. */
  timeline: Array<{ t: number; ops: number; bytes: number; errors: number; p99: number }>;
}

export interface WorkloadResult {
  /** Stable workload id, e.g. `manifest.get`, `push.monolithic`, `pull.blob`. */
  id: string;
  title: string;
  params: Record<string, string | number | boolean>;
  steps: StepResult[];
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
  workloads: WorkloadResult[];
}
