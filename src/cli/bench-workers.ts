// `regprobe bench --workers N`: the load runs in N worker threads, each a shard (i/N) of the plan with
// its own connections and histograms, so one run can use every core. The threads wait for each other
// before every step (so the steps run side by side), their progress is added up into one progress
// line, and their reports are merged by the same code as `regprobe merge` (bench/merge.ts): the
// merged count is the sum, the merged percentiles those of the union.
import { Worker } from 'node:worker_threads';
import type { BenchReport, StepResult } from '../../bench/model.js';
import { mergeBenchReports, mergeStep } from '../../bench/merge.js';
import type { BenchEvent } from '../../bench/runner.js';
import type { CleanupResult } from '../../bench/cleanup.js';
import type { LiveFigures } from '../../bench/aggregate.js';
import type { BenchArgs, BenchRunSettings } from './bench-command.js';
import { CliError, type ExitCodeValue } from './exit.js';
import type { Target } from './target.js';

/** What a worker thread is given (structured-cloned). */
export interface WorkerInput {
  argv: Record<string, unknown>;
  url: string;
  reference: boolean;
  container: boolean;
  index: number;
  count: number;
}

/** Messages between the threads. */
export type FromWorker =
  | { t: 'event'; e: BenchEvent }
  | { t: 'at'; workload: number; step: number }
  | { t: 'done'; report: BenchReport }
  | { t: 'fail'; message: string; exitCode?: ExitCodeValue };
export type ToWorker = { t: 'go'; workload: number; step: number } | { t: 'abort' };

/** Flags that belong to the parent only: the worker reaches the parent's target by its URL. */
const PARENT_ONLY = ['workers', 'shard', 'shard-count', 'shardCount', 'container', 'container-preset', 'containerPreset', 'container-port', 'containerPort', 'container-env', 'containerEnv', 'container-timeout', 'containerTimeout', 'url', 'otel', '_', '$0'];

/** The arguments a worker runs with: the user's, minus what only the parent does, with the target's URL and quiet. */
export function workerArgv(argv: BenchArgs, url: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(argv)) if (!PARENT_ONLY.includes(k) && typeof v !== 'function') out[k] = v;
  return { ...out, url, quiet: true };
}

// The worker runs from dist/ once built, and from source under tsx (tests, `npm run`): there the
// thread registers tsx's loader itself before loading the entry (loader hooks do not follow it).
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const ENTRY = new URL(FROM_SOURCE ? './bench-worker-entry.ts' : './bench-worker-entry.js', import.meta.url);

function startWorker(input: WorkerInput): Worker {
  if (!FROM_SOURCE) return new Worker(ENTRY, { workerData: input });
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(ENTRY.href)}); })`;
  return new Worker(boot, { eval: true, workerData: input });
}

/** Position of a thread in the plan, as one comparable number: waiting at a step, or past a workload. */
const STEPS_PER_WORKLOAD = 1_000_000;
const at = (workload: number, step: number) => workload * STEPS_PER_WORKLOAD + step;
const past = (workload: number) => at(workload, STEPS_PER_WORKLOAD - 1);

/**
 * Releases the threads waiting at a step once every thread is there or beyond it (a thread whose
 * workload was skipped or failed in setup reports that it is past the workload).
 */
class StepBarrier {
  private readonly position: number[];
  constructor(count: number, private readonly release: (worker: number, workload: number, step: number) => void) {
    this.position = Array.from({ length: count }, () => -1);
  }
  arrive(worker: number, workload: number, step: number): void {
    this.position[worker] = at(workload, step);
    this.check();
  }
  finishedWorkload(worker: number, workload: number): void {
    this.position[worker] = Math.max(this.position[worker]!, past(workload));
    this.check();
  }
  gone(worker: number): void {
    this.position[worker] = Number.POSITIVE_INFINITY;
    this.check();
  }
  private readonly waiting = new Map<number, number>();
  private check(): void {
    const slowest = Math.min(...this.position);
    for (const [w, pos] of this.position.entries()) {
      if (pos !== Number.POSITIVE_INFINITY && pos % STEPS_PER_WORKLOAD !== STEPS_PER_WORKLOAD - 1 && pos <= slowest && this.waiting.get(w) !== pos) {
        this.waiting.set(w, pos);
        this.release(w, Math.floor(pos / STEPS_PER_WORKLOAD), pos % STEPS_PER_WORKLOAD);
      }
    }
  }
}

/**
 * One progress stream from N: worker 0's structure (start, workloads, steps), ticks added up over the
 * threads, each step's end once every thread has ended it (the steps merged), cleanups added up.
 */
class ProgressMerger {
  private readonly live = new Map<number, { key: string; live: LiveFigures }>();
  private readonly ended = new Map<string, StepResult[]>();
  private readonly stepsSeen = new Map<string, number>();
  private readonly cleanups: CleanupResult[] = [];
  constructor(private readonly count: number, private readonly emit: (e: BenchEvent) => void) {}

  onEvent(worker: number, e: BenchEvent): void {
    switch (e.type) {
      case 'start':
      case 'workload-start':
      case 'step-start':
      case 'workload-end':
        if (worker === 0) this.emit(e);
        return;
      case 'tick': {
        this.live.set(worker, { key: e.key, live: e.live });
        if (worker !== 0) return;
        const sum: LiveFigures = { ...e.live };
        for (const [w, l] of this.live) {
          if (w === 0 || l.key !== e.key) continue;
          sum.ok += l.live.ok;
          sum.errors += l.live.errors;
          sum.bytes += l.live.bytes;
        }
        this.emit({ ...e, live: sum });
        return;
      }
      case 'step-end': {
        const k = `${worker}\u0000${e.key}`;
        const n = this.stepsSeen.get(k) ?? 0;
        this.stepsSeen.set(k, n + 1);
        const id = `${e.key}\u0000${n}`;
        const steps = [...(this.ended.get(id) ?? []), e.step];
        if (steps.length < this.count) {
          this.ended.set(id, steps);
          return;
        }
        this.ended.delete(id);
        this.emit({ ...e, step: mergeStep(steps) });
        return;
      }
      case 'cleanup':
        this.cleanups.push(e.result);
        return;
      case 'end':
        return;
    }
  }

  /** After every thread has ended: the cleanups as one, then the end of the merged run. */
  finish(report: BenchReport): void {
    if (this.cleanups.length > 0) {
      const notes = [...new Set(this.cleanups.flatMap((c) => (c.note ? [c.note] : [])))];
      this.emit({
        type: 'cleanup',
        result: {
          deleted: this.cleanups.reduce((n, c) => n + c.deleted, 0),
          failed: this.cleanups.reduce((n, c) => n + c.failed, 0),
          left: this.cleanups.reduce((n, c) => n + c.left, 0),
          ...(notes.length ? { note: notes.join('; ') } : {}),
        },
      });
    }
    this.emit({ type: 'end', report });
  }
}

export interface WorkersHooks {
  onProgress?: (e: BenchEvent) => void;
  signal?: AbortSignal;
  /** Each thread's own report, before the merge (the merge can be checked against them). */
  onWorkerReport?: (index: number, report: BenchReport) => void;
}

/** Runs the benchmark in s.workers threads against the open target; returns the merged report. */
export async function measureInWorkers(argv: BenchArgs, s: BenchRunSettings, target: Target, hooks: WorkersHooks = {}): Promise<BenchReport> {
  const count = s.workers;
  const progress = hooks.onProgress ? new ProgressMerger(count, hooks.onProgress) : undefined;
  const threads: Worker[] = [];
  const barrier = new StepBarrier(count, (w, workload, step) => threads[w]?.postMessage({ t: 'go', workload, step } satisfies ToWorker));
  const onAbort = () => {
    for (const th of threads) th.postMessage({ t: 'abort' } satisfies ToWorker);
  };
  hooks.signal?.addEventListener('abort', onAbort, { once: true });
  const base = workerArgv(argv, target.url);
  try {
    const outcomes = await Promise.allSettled(
      Array.from({ length: count }, (_, index) => {
        const input: WorkerInput = { argv: base, url: target.url, reference: target.reference, container: target.container !== undefined, index, count };
        const th = startWorker(input);
        threads.push(th);
        return new Promise<BenchReport>((resolve, reject) => {
          let report: BenchReport | undefined;
          let failure: Error | undefined;
          th.on('message', (m: FromWorker) => {
            if (m.t === 'event') {
              if (m.e.type === 'workload-end') barrier.finishedWorkload(index, s.plan.findIndex((p) => p.key === (m.e as { result: { key?: string; id: string } }).result.key));
              progress?.onEvent(index, m.e);
            } else if (m.t === 'at') {
              barrier.arrive(index, m.workload, m.step);
            } else if (m.t === 'done') {
              report = m.report;
            } else {
              failure = new CliError(m.message, m.exitCode);
              // The others would wait for this one at the next step: stop them.
              onAbort();
            }
          });
          th.on('error', (err) => {
            failure ??= err;
            onAbort();
          });
          th.on('exit', (code) => {
            barrier.gone(index);
            if (report) resolve(report);
            else reject(failure ?? new Error(`load worker ${index + 1} of ${count} exited (code ${code}) without a report`));
          });
        });
      }),
    );
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
    const reports = outcomes.map((o) => (o as PromiseFulfilledResult<BenchReport>).value);
    reports.forEach((r, i) => hooks.onWorkerReport?.(i, r));
    const merged = mergeBenchReports(reports.map((report, i) => ({ source: `worker ${i + 1}/${count}`, report })));
    delete merged.shard;
    merged.workers = count;
    merged.settings = { ...s.settings };
    progress?.finish(merged);
    return merged;
  } finally {
    hooks.signal?.removeEventListener('abort', onAbort);
    await Promise.all(threads.map((th) => th.terminate()));
  }
}
