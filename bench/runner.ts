// Runs a benchmark plan against a target: probe, then per workload setup, each load step (closed or
// open loop), close; then cleanup. Returns the report document (regprobe.bench/v1). Never prints:
// progress goes to an optional callback that the CLI renders.
import { performance } from 'node:perf_hooks';
import type { RegistryClient } from '../src/client/registry-client.js';
import type { Credentials } from '../src/auth/basic-auth.js';
import type { ContentFactory } from '../src/conformance/fixtures.js';
import { probeTarget } from '../src/conformance/probe.js';
import { StepRecorder, type LiveFigures } from './aggregate.js';
import { Cleanup, type CleanupResult } from './cleanup.js';
import { runClosedLoop } from './drivers/closed-loop.js';
import { runOpenLoop } from './drivers/open-loop.js';
import { captureEnvironment } from './environment.js';
import type { BenchReport, BenchSettings, LoadModel, StepResult, WorkloadResult } from './model.js';
import type { PlanEntry } from './plan.js';
import { stepArrivalOffsetMs, type Shard } from './shard.js';
import { WorkloadSkip, type ExistingImage, type PreparedWorkload, type WorkloadEnv } from './workload.js';
import { inSpan } from '../src/telemetry/spans.js';
import { loadAttributes, markStep, markWorkload, stepName } from '../src/telemetry/bench-spans.js';

export interface BenchRunOptions {
  client: RegistryClient;
  /** A client with its own connections (and auth state), for workloads that model separate clients. */
  newClient: () => RegistryClient;
  target: { url: string; reference: boolean };
  plan: PlanEntry[];
  profile?: string;
  namespace: string;
  readOnly: boolean;
  existing?: ExistingImage;
  content: ContentFactory;
  credentials?: Credentials;
  hasCredentials: boolean;
  /** Delete what the run created (off for a throw-away reference registry). */
  cleanup: boolean;
  toolVersion: string;
  settings: BenchSettings;
  /** Hard limit of one step, warm-up and drain included. */
  maxStepMs: number;
  /** Open loop: how long after the last arrival work may still start and finish. */
  drainTimeoutMs: number;
  /**
   * The shard this run is, when the plan is already cut to its slice (bench/shard.ts shardPlan):
   * open-loop arrivals are then offset so that the shards' schedules interleave.
   */
  shard?: Shard;
  probeTimeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Awaited before each step's load starts (workload and step indices in the plan): the worker
   * threads of one run (`--workers`) wait there for each other, so their steps run side by side.
   */
  beforeStep?: (workload: number, step: number) => Promise<void>;
  onProgress?: (e: BenchEvent) => void;
  progressIntervalMs?: number;
}

export type BenchEvent =
  | { type: 'start'; workloads: number; serverHeaders: Record<string, string> }
  | { type: 'workload-start'; key: string; title: string }
  | { type: 'step-start'; key: string; load: LoadModel }
  | { type: 'tick'; key: string; load: LoadModel; live: LiveFigures }
  | { type: 'step-end'; key: string; step: StepResult }
  | { type: 'workload-end'; result: WorkloadResult }
  | { type: 'cleanup'; result: CleanupResult }
  | { type: 'end'; report: BenchReport };

export interface BenchOutcome {
  report: BenchReport;
  cleanup?: CleanupResult;
}

/**
 * The run in one `bench` span: workloads, their setup and steps under it. A load phase: requests get
 * spans only as sampled (src/telemetry/http-client-spans.ts), never one each by default.
 */
export function runBenchmark(o: BenchRunOptions): Promise<BenchOutcome> {
  return inSpan('bench', { 'regprobe.read_only': o.readOnly, 'regprobe.target.reference': o.target.reference, ...(o.profile ? { 'regprobe.bench.profile': o.profile } : {}) }, () => runAll(o), { load: true });
}

async function runAll(o: BenchRunOptions): Promise<BenchOutcome> {
  const startedAt = new Date();
  const t0 = performance.now();
  const emit = (e: BenchEvent) => o.onProgress?.(e);
  const { serverHeaders } = await probeTarget(o.client, o.hasCredentials, o.probeTimeoutMs);
  emit({ type: 'start', workloads: o.plan.length, serverHeaders });

  const cleanup = new Cleanup(o.cleanup && !o.readOnly);
  const env: WorkloadEnv = {
    client: o.client,
    namespace: o.namespace,
    readOnly: o.readOnly,
    ...(o.existing ? { existing: o.existing } : {}),
    content: o.content,
    ...(o.credentials ? { credentials: o.credentials } : {}),
    newClient: o.newClient,
    cleanup,
  };

  const workloads: WorkloadResult[] = [];
  let cleaned: CleanupResult | undefined;
  try {
    for (const [index, entry] of o.plan.entries()) {
      if (o.signal?.aborted) break;
      const result = await inSpan(`workload ${entry.key}`, { 'regprobe.bench.workload': entry.def.id, 'regprobe.bench.key': entry.key }, async (span) => {
        const r = await runEntry(entry, index, env, o, emit);
        markWorkload(span, r);
        return r;
      });
      workloads.push(result);
      emit({ type: 'workload-end', result });
    }
  } finally {
    if (cleanup.size > 0) {
      cleaned = await inSpan('cleanup', {}, () => cleanup.run(o.client, { timeoutMs: 60_000 }));
      emit({ type: 'cleanup', result: cleaned });
    }
  }
  const report: BenchReport = {
    schema: 'regprobe.bench/v1',
    target: o.target,
    ...(o.profile ? { profile: o.profile } : {}),
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    environment: captureEnvironment(o.toolVersion, serverHeaders),
    workloads,
    settings: o.settings,
  };
  emit({ type: 'end', report });
  return { report, ...(cleaned ? { cleanup: cleaned } : {}) };
}

async function runEntry(entry: PlanEntry, index: number, env: WorkloadEnv, o: BenchRunOptions, emit: (e: BenchEvent) => void): Promise<WorkloadResult> {
  const base = { id: entry.def.id, key: entry.key, title: entry.def.title, params: entry.params };
  emit({ type: 'workload-start', key: entry.key, title: entry.def.title });
  if (o.readOnly && entry.def.writes) return { ...base, steps: [], skipped: 'writes to the registry (read-only run)' };
  let prepared: PreparedWorkload;
  try {
    prepared = await inSpan(`setup ${entry.key}`, {}, () => entry.def.setup(env, entry.params));
  } catch (err) {
    if (err instanceof WorkloadSkip) return { ...base, steps: [], skipped: err.message };
    return { ...base, steps: [], error: `setup failed: ${oneLine(err)}` };
  }
  const steps: StepResult[] = [];
  try {
    for (const [stepIndex, load] of entry.steps.entries()) {
      if (o.signal?.aborted) break;
      await o.beforeStep?.(index, stepIndex);
      if (o.signal?.aborted) break;
      emit({ type: 'step-start', key: entry.key, load });
      const step = await inSpan(stepName(entry.key, load), loadAttributes(load), async (span) => {
        const rec = new StepRecorder(load, entry.warmupMs, entry.def.images === true);
        const ticker = setInterval(() => emit({ type: 'tick', key: entry.key, load, live: rec.live(performance.now()) }), o.progressIntervalMs ?? 250);
        try {
          if (load.kind === 'closed') {
            await runClosedLoop(
              prepared,
              {
                concurrency: load.concurrency,
                warmupMs: entry.warmupMs,
                ...(entry.durationMs !== undefined ? { durationMs: entry.durationMs } : {}),
                ...(entry.count !== undefined ? { count: entry.count } : {}),
                maxMs: o.maxStepMs,
                ...(o.signal ? { signal: o.signal } : {}),
              },
              rec,
            );
          } else {
            const startOffsetMs = stepArrivalOffsetMs(load, o.shard);
            await runOpenLoop(
              prepared,
              {
                ratePerSec: load.ratePerSec,
                maxInFlight: load.maxInFlight,
                warmupMs: entry.warmupMs,
                ...(entry.durationMs !== undefined ? { durationMs: entry.durationMs } : {}),
                ...(entry.count !== undefined ? { count: entry.count } : {}),
                drainTimeoutMs: o.drainTimeoutMs,
                ...(startOffsetMs > 0 ? { startOffsetMs } : {}),
                ...(o.signal ? { signal: o.signal } : {}),
              },
              rec,
            );
          }
        } finally {
          clearInterval(ticker);
        }
        const finished = rec.finish();
        if (finished.operations === 0) {
          const window = { warmupMs: entry.warmupMs, maxStepMs: o.maxStepMs, interrupted: o.signal?.aborted === true };
          finished.notes = [emptyStepNote(load, { ...window, ...(entry.durationMs !== undefined ? { durationMs: entry.durationMs } : {}) })];
        }
        markStep(span, finished);
        return finished;
      });
      steps.push(step);
      emit({ type: 'step-end', key: entry.key, step });
    }
  } finally {
    await prepared.close?.();
  }
  return { ...base, steps };
}

/** `500 ms`, `5 s`, `2.5 min`. */
function spanText(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Number((ms / 1000).toFixed(1))} s`;
  return `${Number((ms / 60_000).toFixed(1))} min`;
}

export interface StepWindow {
  warmupMs: number;
  /** The measured window; absent when the step is bounded by a count. */
  durationMs?: number;
  /** The hard limit of the step (count mode ends there). */
  maxStepMs: number;
  interrupted: boolean;
}

/**
 * Why a step measured no operation, for its notes. Closed loop: an operation is recorded when it
 * starts inside the measured window, however late it ends; so none means every worker was still
 * busy with work begun before the window (a warm-up operation, or preparing its input) until the
 * window closed. Open loop: every arrival scheduled in the window is recorded (done, failed or not
 * started), so none means no arrival fell in the window.
 */
export function emptyStepNote(load: LoadModel, w: StepWindow): string {
  if (w.interrupted) return 'interrupted before any operation was measured';
  const window = w.durationMs !== undefined ? `the ${spanText(w.durationMs)} measured window` : `the step's time limit of ${spanText(w.maxStepMs)}`;
  if (load.kind === 'open') return `no arrival was scheduled within ${window} at ${load.ratePerSec}/s; lengthen --duration, raise --rate or use --count`;
  const before = w.warmupMs > 0 ? `work begun in the ${spanText(w.warmupMs)} warm-up (an operation, or preparing its input)` : 'preparing its input';
  const hint = w.durationMs !== undefined ? 'lengthen --duration or use --count' : 'shorten --warmup or use a smaller --size';
  return `no operation started within ${window}: every worker was still busy with ${before}; ${hint}`;
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s*[\r\n]+\s*/g, ' ').slice(0, 500);
}
