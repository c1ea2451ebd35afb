// Builds regprobe.bench/v1 reports from simulated operations for tests of merge, compare and the
// renderers: every figure (percentiles, rates, timelines) is computed from real HDR histograms of the
// operations, the way the bench engine computes them, never typed in by hand.
import type { BenchReport, LoadModel, StepResult, WorkloadResult } from '../../bench/model.js';
import { encodeHistogram, newHistogram, summarize } from '../../bench/histogram.js';

/** One simulated operation of a step. */
export interface SimOp {
  /** Start, ms after the measured window opened. */
  atMs: number;
  latencyUs: number;
  ttfbUs: number;
  bytes: number;
  ok: boolean;
  /** HTTP status of a failed operation. */
  status?: number;
}

/** Deterministic PRNG (mulberry32) so a failing test can be re-run with the same data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimOptions {
  count: number;
  durationMs: number;
  /** Median latency in µs; the spread is log-normal with a long tail. */
  medianUs: number;
  bytes?: number;
  errorRate?: number;
}

export function simulateOps(rand: () => number, o: SimOptions): SimOp[] {
  const ops: SimOp[] = [];
  for (let i = 0; i < o.count; i++) {
    // Box-Muller normal -> log-normal latency.
    const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    const latencyUs = Math.max(1, Math.round(o.medianUs * Math.exp(0.6 * z)));
    const ok = rand() >= (o.errorRate ?? 0);
    ops.push({
      atMs: Math.min(o.durationMs - 1, Math.floor((i / o.count) * o.durationMs + rand() * 3)),
      latencyUs,
      ttfbUs: Math.max(1, Math.round(latencyUs * 0.6)),
      bytes: ok ? (o.bytes ?? 0) : 0,
      ok,
      status: ok ? undefined : 503,
    });
  }
  return ops;
}

/** A step result computed from operations the way the engine does it. */
export function stepFrom(load: LoadModel, ops: readonly SimOp[], durationMs: number, warmupMs = 0): StepResult {
  const hist = newHistogram();
  const ttfb = newHistogram();
  const perSecond = new Map<number, { ops: number; bytes: number; errors: number; hist: ReturnType<typeof newHistogram> }>();
  const byStatus: Record<string, number> = {};
  let okCount = 0;
  let bytes = 0;
  for (const op of ops) {
    hist.recordValue(op.latencyUs);
    const t = Math.floor(op.atMs / 1000);
    let sec = perSecond.get(t);
    if (!sec) perSecond.set(t, (sec = { ops: 0, bytes: 0, errors: 0, hist: newHistogram() }));
    if (op.ok) {
      // As the engine does: a second counts successful operations, TTFB exists for successes only.
      ttfb.recordValue(op.ttfbUs);
      sec.ops += 1;
      sec.bytes += op.bytes;
      sec.hist.recordValue(op.latencyUs);
      okCount += 1;
      bytes += op.bytes;
    } else {
      sec.errors += 1;
      const k = String(op.status ?? 0);
      byStatus[k] = (byStatus[k] ?? 0) + 1;
    }
  }
  const seconds = durationMs / 1000;
  return {
    load,
    durationMs,
    warmupMs,
    operations: ops.length,
    ok: okCount,
    errors: ops.length - okCount,
    opsPerSec: Math.round((okCount / seconds) * 100) / 100,
    bytesPerSec: Math.round(bytes / seconds),
    latency: summarize(hist),
    ttfb: summarize(ttfb),
    histogram: encodeHistogram(hist),
    ttfbHistogram: encodeHistogram(ttfb),
    errorDetail: { byStatus, byCode: {}, byConnection: {}, digestMismatches: 0 },
    timeline: [...perSecond.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([t, s]) => ({ t, ops: s.ops, bytes: s.bytes, errors: s.errors, p99: s.hist.getValueAtPercentile(99) / 1000 })),
  };
}

/** `label` makes the report key `id.label` (`pull.blob.1MiB`), as the engine does. */
export function workload(id: string, params: WorkloadResult['params'], steps: StepResult[], label?: string): WorkloadResult {
  return { id, key: label ? `${id}.${label}` : id, title: `${id} (simulated)`, params, steps };
}

export function report(workloads: WorkloadResult[], extra: Partial<BenchReport> = {}): BenchReport {
  return {
    schema: 'regprobe.bench/v1',
    target: { url: 'http://127.0.0.1:5000', reference: false },
    profile: 'quick',
    startedAt: '2025-01-01T00:00:00.000Z',
    durationMs: 60_000,
    environment: {
      tool: 'regprobe',
      version: '0.1.0',
      node: 'v20.20.0',
      platform: 'linux x64',
      cpuModel: 'Test CPU',
      cores: 2,
      memoryBytes: 4 * 1024 ** 3,
      targetHeaders: { 'docker-distribution-api-version': 'registry/2.0' },
    },
    workloads,
    ...extra,
  };
}

/** A typical two-workload report: manifest GETs at two concurrencies and 1 MiB blob pulls. */
export function sampleReport(seed: number, scale = 1, extra: Partial<BenchReport> = {}): BenchReport {
  const rand = prng(seed);
  const d = 3000;
  return report(
    [
      workload('manifest.get', { tag: 'latest' }, [
        stepFrom({ kind: 'closed', concurrency: 1 }, simulateOps(rand, { count: Math.round(600 * scale), durationMs: d, medianUs: 900, bytes: 500 }), d),
        stepFrom({ kind: 'closed', concurrency: 8 }, simulateOps(rand, { count: Math.round(2400 * scale), durationMs: d, medianUs: 2500, bytes: 500, errorRate: 0.01 }), d),
      ]),
      workload('pull.blob', { size: 1048576 }, [
        stepFrom({ kind: 'closed', concurrency: 4 }, simulateOps(rand, { count: Math.round(300 * scale), durationMs: d, medianUs: 9000 / scale, bytes: 1024 * 1024 }), d),
      ], '1MiB'),
    ],
    extra,
  );
}
