// Exact merge of benchmark reports: the shards of one run (`--shard i/N`), or independent runs of the
// same workloads against the same target. Histograms are added bucket by bucket and every percentile
// is recomputed from the sum, so the merged p99 is the p99 of all operations, not an average of p99s.
//
// Rates need a window. Shards of a step start together and run side by side, so the merged window of
// a step is the longest shard window: a shard that finished early counts as idle for the rest of it.
// (For duration-bounded steps the windows are equal and this is simply total / duration.)
import type { BenchReport, BenchSettings, Environment, ErrorCounts, LoadModel, MinuteSample, StepResult, WorkloadResult } from './model.js';
import { encodeHistogram, mergeHistograms, summarize } from './histogram.js';
import { paramsLabel, workloadKey, workloadLabel } from './labels.js';

export interface MergeInput {
  /** Where the report came from (a file name), used in messages. */
  source: string;
  report: BenchReport;
}

export interface MergeOptions {
  /** Merge a set of shards with some indices missing (otherwise refused). */
  allowPartial?: boolean;
}

/** The inputs cannot be merged; the message is one line naming the files and the difference. */
export class MergeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MergeError';
  }
}

export function mergeBenchReports(inputs: readonly MergeInput[], opts: MergeOptions = {}): BenchReport {
  if (inputs.length === 0) throw new MergeError('nothing to merge: name at least one report');
  checkShards(inputs, opts);
  checkSameRun(inputs);
  const first = inputs[0]!;
  const workloads = first.report.workloads.map((w, i) => mergeWorkload(inputs.map((inp) => ({ source: inp.source, w: matching(inp, w, i) }))));
  const starts = inputs.map((i) => Date.parse(i.report.startedAt));
  const startMs = Math.min(...starts);
  const endMs = Math.max(...inputs.map((i, k) => starts[k]! + i.report.durationMs));
  const allReference = inputs.every((i) => i.report.target.reference);
  const merged: BenchReport = {
    schema: 'regprobe.bench/v1',
    target: { url: first.report.target.url, reference: allReference },
    startedAt: Number.isFinite(startMs) ? new Date(startMs).toISOString() : first.report.startedAt,
    durationMs: Number.isFinite(endMs - startMs) ? endMs - startMs : Math.max(...inputs.map((i) => i.report.durationMs)),
    environment: mergeEnvironment(inputs.map((i) => i.report.environment)),
    shard: { merged: inputs.reduce((n, i) => n + shardWeight(i.report), 0) },
    workloads,
  };
  if (first.report.profile !== undefined) merged.profile = first.report.profile;
  if (first.report.settings) {
    const { namespace, ...rest } = first.report.settings;
    const sameNamespace = inputs.every((i) => i.report.settings?.namespace === namespace);
    merged.settings = sameNamespace && namespace !== undefined ? { ...rest, namespace } : rest;
  }
  return merged;
}

function shardWeight(r: BenchReport): number {
  return r.shard && 'merged' in r.shard ? r.shard.merged : 1;
}

function shardName(r: BenchReport): string {
  if (!r.shard) return 'a whole run';
  return 'merged' in r.shard ? `a merge of ${r.shard.merged} reports` : `shard ${r.shard.index}/${r.shard.count}`;
}

/** Shards of one run: all shards, same count, each index once. Non-shard inputs: no shard among them. */
function checkShards(inputs: readonly MergeInput[], opts: MergeOptions): void {
  const sharded = inputs.filter((i) => i.report.shard && 'index' in i.report.shard);
  if (sharded.length > 0 && sharded.length < inputs.length) {
    const a = sharded[0]!;
    const b = inputs.find((i) => !sharded.includes(i))!;
    throw new MergeError(`${a.source} is ${shardName(a.report)} but ${b.source} is ${shardName(b.report)}: merge the shards of one run together`);
  }
  const texts = new Map<string, string>();
  for (const inp of inputs) {
    const text = JSON.stringify(inp.report);
    const dup = texts.get(text);
    if (dup !== undefined) throw new MergeError(`${dup} and ${inp.source} are the same report: each measurement must be merged once`);
    texts.set(text, inp.source);
  }
  if (sharded.length === 0) return;
  const seen = new Map<number, string>();
  const count = (sharded[0]!.report.shard as { count: number }).count;
  for (const inp of sharded) {
    const s = inp.report.shard as { index: number; count: number };
    if (s.count !== count) throw new MergeError(`${sharded[0]!.source} is one of ${count} shards but ${inp.source} is one of ${s.count}: not the same run`);
    const dup = seen.get(s.index);
    if (dup !== undefined) throw new MergeError(`${dup} and ${inp.source} are both shard ${s.index}/${count}`);
    seen.set(s.index, inp.source);
  }
  const missing = [...Array(count).keys()].filter((k) => !seen.has(k));
  if (missing.length > 0 && !opts.allowPartial) {
    throw new MergeError(`shard${missing.length === 1 ? '' : 's'} ${missing.map((k) => `${k}/${count}`).join(', ')} missing (merging an incomplete set needs --allow-partial)`);
  }
}

/** Same profile, same target, same workloads with the same parameters and step shapes. */
function checkSameRun(inputs: readonly MergeInput[]): void {
  const a = inputs[0]!;
  for (const b of inputs.slice(1)) {
    if (a.report.profile !== b.report.profile) {
      throw new MergeError(`${a.source} ran profile ${a.report.profile ?? '(none)'} but ${b.source} ran ${b.report.profile ?? '(none)'}`);
    }
    const sameTarget = a.report.target.url === b.report.target.url || (a.report.target.reference && b.report.target.reference);
    if (!sameTarget) throw new MergeError(`${a.source} measured ${a.report.target.url} but ${b.source} measured ${b.report.target.url}`);
    compareWorkloadSets(a, b);
    compareWorkloadSets(b, a);
    if (a.report.workloads.length !== b.report.workloads.length) {
      throw new MergeError(`${a.source} has ${a.report.workloads.length} workload results but ${b.source} has ${b.report.workloads.length}`);
    }
    checkSettings(a, b);
    for (const [i, wa] of a.report.workloads.entries()) {
      const wb = matching(b, wa, i);
      if ((wa.skipped === undefined) !== (wb.skipped === undefined)) {
        const [ran, skipped] = wa.skipped === undefined ? [a, b] : [b, a];
        const reason = (wa.skipped ?? wb.skipped)!;
        throw new MergeError(`workload ${workloadLabel(wa)} ran in ${ran.source} but was skipped in ${skipped.source} (${reason})`);
      }
      // A shard whose setup failed has no steps; the merge carries its error (mergeWorkload).
      if (wa.error !== undefined || wb.error !== undefined) continue;
      if (wa.steps.length !== wb.steps.length) {
        throw new MergeError(`workload ${workloadLabel(wa)}: ${a.source} has ${wa.steps.length} step(s), ${b.source} has ${wb.steps.length}`);
      }
      for (const [k, sa] of wa.steps.entries()) {
        const sb = wb.steps[k]!;
        if (sa.load.kind !== sb.load.kind) {
          throw new MergeError(`workload ${workloadLabel(wa)} step ${k + 1}: ${a.source} ran a ${sa.load.kind} loop, ${b.source} a ${sb.load.kind} loop`);
        }
      }
    }
  }
}

/** The flags of the run must agree, except the namespace (each shard may name its own). */
function checkSettings(a: MergeInput, b: MergeInput): void {
  const sa = a.report.settings;
  const sb = b.report.settings;
  if (!sa || !sb) return;
  for (const k of new Set([...Object.keys(sa), ...Object.keys(sb)]) as Set<keyof BenchSettings>) {
    if (k === 'namespace') continue;
    if (JSON.stringify(sa[k]) !== JSON.stringify(sb[k])) {
      throw new MergeError(`${a.source} ran with ${k}=${JSON.stringify(sa[k]) ?? '(unset)'} but ${b.source} with ${k}=${JSON.stringify(sb[k]) ?? '(unset)'}`);
    }
  }
}

function compareWorkloadSets(a: MergeInput, b: MergeInput): void {
  const keysB = new Set(b.report.workloads.map(workloadKey));
  for (const w of a.report.workloads) {
    if (keysB.has(workloadKey(w))) continue;
    const sameId = b.report.workloads.find((x) => x.id === w.id);
    if (sameId) {
      throw new MergeError(`workload ${w.id} has different parameters: ${a.source} ran ${paramsLabel(w.params) || '(none)'}, ${b.source} ran ${paramsLabel(sameId.params) || '(none)'}`);
    }
    throw new MergeError(`${a.source} has workload ${workloadLabel(w)} but ${b.source} does not: not the same benchmark`);
  }
}

/** The workload of `inp` that corresponds to workload `i` of the first report (same position, else same key). */
function matching(inp: MergeInput, w: WorkloadResult, i: number): WorkloadResult {
  const key = workloadKey(w);
  const direct = inp.report.workloads[i];
  if (direct && workloadKey(direct) === key) return direct;
  return inp.report.workloads.find((x) => workloadKey(x) === key)!;
}

function mergeWorkload(parts: ReadonlyArray<{ source: string; w: WorkloadResult }>): WorkloadResult {
  const w0 = parts[0]!.w;
  const ran = parts.filter((p) => p.w.error === undefined);
  const out: WorkloadResult = {
    id: w0.id,
    title: w0.title,
    params: { ...w0.params },
    steps: ran.length > 0 ? ran[0]!.w.steps.map((_, k) => mergeStep(ran.map((p) => p.w.steps[k]!))) : [],
  };
  if (w0.key !== undefined) out.key = w0.key;
  if (w0.skipped !== undefined) out.skipped = w0.skipped;
  const failed = parts.filter((p) => p.w.error !== undefined);
  if (failed.length > 0) {
    // The workload failed somewhere: keep it failed (the verdict counts it); what ran is still shown.
    const errors = [...new Set(failed.map((p) => `${p.source}: ${p.w.error!}`))].join('; ');
    out.error = ran.length > 0 ? `${errors} (steps merged from ${ran.length} of ${parts.length} reports)` : errors;
  }
  return out;
}

function sumLoad(loads: readonly LoadModel[]): LoadModel {
  const l0 = loads[0]!;
  if (l0.kind === 'closed') {
    return { kind: 'closed', concurrency: loads.reduce((n, l) => n + (l.kind === 'closed' ? l.concurrency : 0), 0) };
  }
  let rate = 0;
  let inFlight = 0;
  for (const l of loads) {
    if (l.kind === 'open') {
      rate += l.ratePerSec;
      inFlight += l.maxInFlight;
    }
  }
  // Shards get rate/N each; summing N thirds must give the rate back, not 100.00000000000001.
  return { kind: 'open', ratePerSec: Math.round(rate * 1e6) / 1e6, maxInFlight: inFlight };
}

const MAX_ERROR_SAMPLES = 5;

function addCounts(into: Record<string, number>, from: Record<string, number> | undefined): void {
  for (const [k, n] of Object.entries(from ?? {})) into[k] = (into[k] ?? 0) + n;
}

function mergeErrors(all: readonly ErrorCounts[]): ErrorCounts {
  const out: ErrorCounts = { byStatus: {}, byCode: {}, byConnection: {}, digestMismatches: 0 };
  const other: Record<string, number> = {};
  const samples = new Set<string>();
  for (const e of all) {
    addCounts(out.byStatus, e.byStatus);
    addCounts(out.byCode, e.byCode);
    addCounts(out.byConnection, e.byConnection);
    addCounts(other, e.other);
    out.digestMismatches += e.digestMismatches;
    for (const line of e.samples ?? []) if (samples.size < MAX_ERROR_SAMPLES) samples.add(line);
  }
  if (Object.keys(other).length > 0) out.other = other;
  if (samples.size > 0) out.samples = [...samples];
  return out;
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function sumOf<T>(items: readonly T[], f: (x: T) => number): number {
  return items.reduce((n, x) => n + f(x), 0);
}

/**
 * Rates are rounded as the engine rounds them (ops/s to 0.01, bytes/s to 1). Bytes come from the
 * timelines (exact: every successful operation lands in one second); images, which have no timeline,
 * from each shard's rate over its own window.
 */
export function mergeStep(steps: readonly StepResult[]): StepResult {
  const durationMs = Math.max(...steps.map((s) => s.durationMs));
  const seconds = durationMs / 1000;
  const ok = sumOf(steps, (s) => s.ok);
  const bytes = sumOf(steps, (s) => sumOf(s.timeline, (p) => p.bytes));
  const hist = mergeHistograms(steps.map((s) => s.histogram));
  const out: StepResult = {
    load: sumLoad(steps.map((s) => s.load)),
    durationMs,
    warmupMs: Math.max(...steps.map((s) => s.warmupMs)),
    operations: sumOf(steps, (s) => s.operations),
    ok,
    errors: sumOf(steps, (s) => s.errors),
    opsPerSec: seconds > 0 ? round(ok / seconds, 2) : 0,
    bytesPerSec: seconds > 0 ? Math.round(bytes / seconds) : 0,
    latency: summarize(hist),
    histogram: encodeHistogram(hist),
    errorDetail: mergeErrors(steps.map((s) => s.errorDetail)),
    timeline: mergeTimelines(steps.map((s) => s.timeline)),
  };
  if (steps.some((s) => s.imagesPerSec !== undefined)) {
    const images = sumOf(steps, (s) => Math.round(((s.imagesPerSec ?? 0) * s.durationMs) / 1000));
    out.imagesPerSec = seconds > 0 ? round(images / seconds, 2) : 0;
  }
  // Time to first byte exists only where an operation succeeded; merge the shards that have it.
  const withTtfb = steps.filter((s) => s.ttfbHistogram !== undefined);
  if (withTtfb.length > 0) {
    const ttfb = mergeHistograms(withTtfb.map((s) => s.ttfbHistogram!));
    out.ttfb = summarize(ttfb);
    out.ttfbHistogram = encodeHistogram(ttfb);
  }
  const minutes = mergeMinutes(steps.map((s) => s.minutes ?? []));
  if (minutes.length > 0) out.minutes = minutes;
  if (steps.some((s) => s.arrivals !== undefined)) out.arrivals = sumOf(steps, (s) => s.arrivals ?? 0);
  const counters: Record<string, number> = {};
  for (const s of steps) addCounts(counters, s.counters);
  if (Object.keys(counters).length > 0) out.counters = counters;
  // Why nothing was measured holds for the merge only when no shard measured anything either.
  const notes = [...new Set(steps.flatMap((s) => s.notes ?? []))];
  if (out.operations === 0 && notes.length > 0) out.notes = notes;
  return out;
}

/** Minutes merged exactly: counts summed, histograms added, percentiles recomputed. */
function mergeMinutes(all: ReadonlyArray<readonly MinuteSample[]>): MinuteSample[] {
  const byT = new Map<number, MinuteSample[]>();
  for (const list of all) for (const m of list) byT.set(m.t, [...(byT.get(m.t) ?? []), m]);
  return [...byT.entries()]
    .sort(([a], [b]) => a - b)
    .map(([t, parts]) => {
      const h = mergeHistograms(parts.map((m) => m.histogram));
      return { t, ok: sumOf(parts, (m) => m.ok), errors: sumOf(parts, (m) => m.errors), latency: summarize(h), histogram: encodeHistogram(h) };
    });
}

/**
 * Per-second samples summed by second. The p99 of a merged second is the highest shard p99 of that
 * second: an upper bound, since per-second histograms are not kept (the step's own p99 is exact).
 */
function mergeTimelines(all: ReadonlyArray<StepResult['timeline']>): StepResult['timeline'] {
  const byT = new Map<number, StepResult['timeline'][number]>();
  for (const tl of all) {
    for (const p of tl) {
      const cur = byT.get(p.t);
      if (cur) {
        cur.ops += p.ops;
        cur.bytes += p.bytes;
        cur.errors += p.errors;
        cur.p99 = Math.max(cur.p99, p.p99);
        // Threads of one process report the same process; shards on other machines their own: the largest.
        if (p.rss !== undefined) cur.rss = Math.max(cur.rss ?? 0, p.rss);
      } else {
        byT.set(p.t, { ...p });
      }
    }
  }
  return [...byT.values()].sort((x, y) => x.t - y.t);
}

/**
 * One description of the machines that produced the load: distinct values joined. Cores and memory
 * add up over distinct host names; without host names they are the largest machine's (shards may
 * share a machine, and summing would invent capacity).
 */
function mergeEnvironment(envs: readonly Environment[]): Environment {
  const distinct = (f: (e: Environment) => string) => [...new Set(envs.map(f))].join(' + ');
  const capacity = (f: (e: Environment) => number): number => {
    if (envs.some((e) => !e.hostname)) return Math.max(...envs.map(f));
    const perHost = new Map<string, number>();
    for (const e of envs) perHost.set(e.hostname!, Math.max(perHost.get(e.hostname!) ?? 0, f(e)));
    return sumOf([...perHost.values()], (n) => n);
  };
  const out: Environment = {
    tool: distinct((e) => e.tool),
    version: distinct((e) => e.version),
    node: distinct((e) => e.node),
    platform: distinct((e) => e.platform),
    cpuModel: distinct((e) => e.cpuModel),
    cores: capacity((e) => e.cores),
    memoryBytes: capacity((e) => e.memoryBytes),
    targetHeaders: { ...envs[0]!.targetHeaders },
  };
  if (envs.every((e) => e.hostname)) out.hostname = distinct((e) => e.hostname!);
  return out;
}
