// Open loop: operations arrive at a fixed rate whatever the registry does, and each one's latency
// is measured from its INTENDED start (arrival i at t0 + i/rate), so waiting for a free slot or for
// a late timer counts as latency: no coordinated omission. In-flight operations are bounded; an
// arrival that finds every slot busy waits (its clock running) and starts when one frees. Arrivals
// still waiting when the drain limit passes are recorded as failed `not-started` operations.
import { performance } from 'node:perf_hooks';
import type { StepRecorder } from '../aggregate.js';
import { newProbe, type OpProbe, type PreparedWorkload } from '../workload.js';

export interface OpenLoopOptions {
  ratePerSec: number;
  maxInFlight: number;
  warmupMs: number;
  /** Measured window: arrivals scheduled inside it are recorded. */
  durationMs?: number;
  /** Measured arrivals (instead of a duration). */
  count?: number;
  /** After the last arrival, how long waiting arrivals may still start and in-flight ones finish. */
  drainTimeoutMs: number;
  /**
   * Delay of the first arrival after the step starts: a shard's place in the interleaved schedule of
   * all shards (bench/shard.ts stepArrivalOffsetMs). Default 0.
   */
  startOffsetMs?: number;
  signal?: AbortSignal;
}

/** An arrival that could not start before the drain limit (every slot stayed busy). */
export class NotStartedError extends Error {
  constructor(waitedMs: number) {
    super(`operation could not start within ${Math.round(waitedMs)} ms of its scheduled time: every in-flight slot was busy`);
    this.name = 'NotStartedError';
  }
}

export interface OpenLoopOutcome {
  /** Measured arrivals (scheduled inside the measured window). */
  arrivals: number;
  notStarted: number;
  /**
   * Measured arrivals started per second, from the first one's intended start to the last one's
   * actual start: the rate the driver kept (the asked rate when it keeps up; less when it lags).
   */
  achievedRatePerSec: number;
  /** How late the driver started arrivals after their intended start, ms (the largest; 0 = on time). */
  maxStartLagMs: number;
}

/** Intended start of arrival `i`, ms after the step's start: evenly spaced at `ratePerSec`, from `offsetMs`. */
export function intendedStartMs(i: number, ratePerSec: number, offsetMs = 0): number {
  return offsetMs + (i * 1000) / ratePerSec;
}

/** How many arrivals are due `elapsedMs` after the step's start (those whose intended start has come). */
export function arrivalsDue(elapsedMs: number, ratePerSec: number, offsetMs = 0): number {
  if (elapsedMs < offsetMs) return 0;
  return Math.floor(((elapsedMs - offsetMs) * ratePerSec) / 1000) + 1;
}

export async function runOpenLoop(w: PreparedWorkload, opts: OpenLoopOptions, rec: StepRecorder): Promise<OpenLoopOutcome> {
  if (!(opts.ratePerSec > 0)) throw new TypeError('open loop: rate must be > 0');
  if (opts.durationMs === undefined && opts.count === undefined) throw new TypeError('open loop: give durationMs or count');
  const offset = Math.max(0, opts.startOffsetMs ?? 0);
  const warmupArrivals = Math.ceil((Math.max(0, opts.warmupMs) * opts.ratePerSec) / 1000);
  const measuredArrivals = opts.count ?? Math.round((opts.durationMs! * opts.ratePerSec) / 1000);
  const total = warmupArrivals + measuredArrivals;
  const t0 = performance.now();
  const intended = (i: number) => t0 + intendedStartMs(i, opts.ratePerSec, offset);
  const lastArrival = intended(Math.max(0, total - 1));
  const drainDeadline = lastArrival + opts.drainTimeoutMs;
  rec.setArrivals(measuredArrivals);

  let next = 0;
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const poke = () => {
    const f = wake;
    wake = undefined;
    f?.();
  };
  /** Resolves once nothing is in flight any more (the end of the step). */
  let drained: (() => void) | undefined;
  let started = 0;
  let lastStart = 0;
  let maxLag = 0;
  const feeder = w.prepare ? new Prefetch(w.prepare, Math.min(opts.maxInFlight, 16)) : undefined;
  const probes: OpProbe[] = [];

  const launch = (i: number, now: number): void => {
    const at = intended(i);
    const measured = i >= warmupArrivals;
    if (measured) {
      if (!rec.started) rec.start(at);
      started++;
      lastStart = now;
      if (now - at > maxLag) maxLag = now - at;
    }
    inFlight++;
    const probe = probes.pop() ?? newProbe();
    probe.bytes = 0;
    probe.ttfbMs = -1;
    probe.images = 0;
    probe.note = undefined;
    void (async () => {
      try {
        const input = feeder ? await feeder.take() : undefined;
        await w.run(input, probe);
        const end = performance.now();
        if (measured) rec.recordOk(end, end - at, probe);
      } catch (err) {
        const end = performance.now();
        if (measured) rec.recordError(end, end - at, err);
      } finally {
        inFlight--;
        probes.push(probe);
        poke();
        if (inFlight === 0) drained?.();
      }
    })();
  };

  try {
    while (next < total && !opts.signal?.aborted) {
      const now = performance.now();
      if (now > drainDeadline) break;
      const due = Math.min(total, arrivalsDue(now - t0, opts.ratePerSec, offset));
      while (next < due && inFlight < opts.maxInFlight) launch(next++, now);
      if (next >= total) break;
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        // No backlog: sleep until the next arrival. Backlog waiting for a slot: a completion wakes
        // us, or the drain deadline. Timers tick by the millisecond: above 1,000/s the arrivals of
        // each millisecond start together, up to 1 ms late, and that lateness is in their latency
        // (counted from the intended start). Spinning instead would burn a core the registry may need.
        const until = next >= due ? intended(next) : drainDeadline + 1;
        timer = setTimeout(poke, Math.max(0, until - performance.now()));
      });
      clearTimeout(timer);
    }
  } finally {
    wake = undefined;
  }
  // Arrivals that never started: failed, with the time they waited (until the deadline) as latency.
  const cut = Math.min(performance.now(), drainDeadline);
  let notStarted = 0;
  for (let i = Math.max(next, warmupArrivals); i < total; i++) {
    if (!rec.started) rec.start(intended(i));
    rec.recordError(cut, Math.max(0, cut - intended(i)), new NotStartedError(cut - intended(i)));
    notStarted++;
  }
  if (notStarted) rec.count('not-started', notStarted);
  if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
  feeder?.stop();
  if (!rec.started) rec.start(intended(warmupArrivals));
  const firstAt = intended(warmupArrivals);
  const achievedRatePerSec = started > 1 && lastStart > firstAt ? ((started - 1) * 1000) / (lastStart - firstAt) : started > 1 ? opts.ratePerSec : 0;
  return { arrivals: measuredArrivals, notStarted, achievedRatePerSec, maxStartLagMs: maxLag };
}

/** Keeps up to `depth` operation inputs prepared ahead, so preparing them is off the clock. */
class Prefetch<P> {
  private readonly ready: P[] = [];
  private pending = 0;
  private stopped = false;
  constructor(
    private readonly make: () => P | Promise<P>,
    private readonly depth: number,
  ) {
    this.fill();
  }
  private fill(): void {
    while (!this.stopped && this.ready.length + this.pending < this.depth) {
      this.pending++;
      void Promise.resolve()
        .then(this.make)
        .then(
          (v) => {
            this.pending--;
            if (!this.stopped) this.ready.push(v);
          },
          () => {
            this.pending--;
          },
        );
    }
  }
  async take(): Promise<P> {
    const v = this.ready.length ? this.ready.shift()! : await this.make();
    this.fill();
    return v;
  }
  stop(): void {
    this.stopped = true;
    this.ready.length = 0;
  }
}
