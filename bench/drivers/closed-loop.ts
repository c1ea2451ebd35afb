// Closed loop: N workers, each starting its next operation when the previous one ends. By duration
// or by count, after a warm-up whose operations are not recorded. Latency is measured from the
// moment the operation started (closed loops cannot see queueing; use the open loop for that).
import { performance } from 'node:perf_hooks';
import type { StepRecorder } from '../aggregate.js';
import { newProbe, resetProbe, type PreparedWorkload } from '../workload.js';

export interface ClosedLoopOptions {
  concurrency: number;
  warmupMs: number;
  /** Measured window; operations started inside it are recorded. */
  durationMs?: number;
  /** Measured operations (instead of a duration). */
  count?: number;
  /** Hard limit for the whole step, warm-up included (bounds count mode). */
  maxMs: number;
  signal?: AbortSignal;
}

export async function runClosedLoop(w: PreparedWorkload, opts: ClosedLoopOptions, rec: StepRecorder): Promise<void> {
  if (opts.durationMs === undefined && opts.count === undefined) throw new TypeError('closed loop: give durationMs or count');
  const t0 = performance.now();
  const warmEnd = t0 + Math.max(0, opts.warmupMs);
  const hardStop = t0 + opts.maxMs;
  const stopAt = opts.durationMs !== undefined ? Math.min(warmEnd + opts.durationMs, hardStop) : hardStop;
  const count = opts.count ?? Number.POSITIVE_INFINITY;
  let issued = 0;
  if (opts.warmupMs <= 0) rec.start(t0);

  const worker = async (): Promise<void> => {
    const probe = newProbe();
    for (;;) {
      if (opts.signal?.aborted) return;
      // Stop before preparing input that would never be used (preparing big content is not free).
      const before = performance.now();
      if (before >= stopAt || (before >= warmEnd && issued >= count)) return;
      // Untimed: content generation is not registry latency.
      const input = w.prepare ? await w.prepare() : undefined;
      const start = performance.now();
      if (start >= stopAt) return;
      const measured = start >= warmEnd;
      if (measured) {
        if (!rec.started) rec.start(warmEnd);
        if (issued >= count) return;
        issued++;
      }
      resetProbe(probe);
      try {
        await w.run(input, probe);
        const end = performance.now();
        if (measured) rec.recordOk(end, end - start, probe);
      } catch (err) {
        const end = performance.now();
        if (measured) rec.recordError(end, end - start, err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, worker));
  // A run that never left its warm-up (count 0, an aborted run) still has a measured start.
  if (!rec.started) rec.start(Math.min(performance.now(), warmEnd));
}
