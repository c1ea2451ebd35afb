// What a benchmark span says: a workload, a load step and its figures. Requests inside a benchmark
// get spans only when sampled (LOAD_PHASE, see http-client-spans.ts); the step span carries the totals.
import type { Attributes, Span } from '@opentelemetry/api';
import type { LoadModel, StepResult, WorkloadResult } from '../../bench/model.js';
import { recordFailure } from './spans.js';

export function loadAttributes(load: LoadModel): Attributes {
  return load.kind === 'closed'
    ? { 'regprobe.bench.load': 'closed', 'regprobe.bench.concurrency': load.concurrency }
    : { 'regprobe.bench.load': 'open', 'regprobe.bench.rate': load.ratePerSec, 'regprobe.bench.max_in_flight': load.maxInFlight };
}

export function stepName(key: string, load: LoadModel): string {
  return load.kind === 'closed' ? `step ${key} c=${load.concurrency}` : `step ${key} rate=${load.ratePerSec}/s`;
}

export function markStep(span: Span, step: StepResult): void {
  span.setAttributes({
    'regprobe.bench.operations': step.operations,
    'regprobe.bench.ok': step.ok,
    'regprobe.bench.errors': step.errors,
    'regprobe.bench.ops_per_sec': step.opsPerSec,
    'regprobe.bench.bytes_per_sec': step.bytesPerSec,
    'regprobe.bench.latency_p50_ms': step.latency.p50,
    'regprobe.bench.latency_p99_ms': step.latency.p99,
    'regprobe.bench.duration_ms': step.durationMs,
  });
  if (step.errors > 0) recordFailure(span, 'OperationErrors', `${step.errors} of ${step.operations} operations failed${step.errorDetail.samples?.length ? ` (first: ${step.errorDetail.samples[0]})` : ''}`);
}

export function markWorkload(span: Span, r: WorkloadResult): void {
  if (r.skipped) span.setAttribute('regprobe.bench.skipped', r.skipped);
  if (r.error) recordFailure(span, 'WorkloadError', r.error);
}
