// What `compare` shows, independent of the format: reports lined up side by side, matched by
// workload + step (benchmarks) or by case id (conformance), with ratios and status changes against
// the first report (the baseline).
import type { BenchReport, StepResult } from '../../bench/model.js';
import { loadLabel, workloadKey, workloadLabel } from '../../bench/labels.js';
import type { CaseStatus, ConformanceReport, Level } from '../conformance/model.js';

export interface LoadedReport<R> {
  /** File name as the user gave it. */
  source: string;
  report: R;
}

/** A column of the comparison: `A`, `B`, ... with where it came from. */
export interface ReportColumn {
  label: string;
  source: string;
  target: string;
  startedAt: string;
  /** One line about the run (profile, shards, machine), for legends. */
  about: string;
}

export interface BenchCell {
  opsPerSec: number;
  /** Goodput in bytes per second. */
  bytesPerSec: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  errors: number;
  /** 0: the step measured nothing, its figures are no data (`notes` may say why). */
  operations: number;
  notes?: string[];
}

export interface BenchRow {
  /** Match key: workload identity + step. */
  key: string;
  /** `blob.get.1MiB`. */
  workload: string;
  /** `c=8`; '' for a workload that did not run. */
  step: string;
  /** One entry per report; undefined when the report has no such row. */
  cells: Array<BenchCell | { skipped: string } | undefined>;
}

export interface BenchComparison {
  kind: 'bench';
  columns: ReportColumn[];
  rows: BenchRow[];
}

export type StatusChange = 'same' | 'newly-failing' | 'newly-passing' | 'changed' | 'added' | 'removed';

export interface ConformanceRow {
  id: string;
  title: string;
  level: Level;
  statuses: Array<CaseStatus | undefined>;
  /** Against the baseline, one per report (the first is always 'same'). */
  changes: StatusChange[];
}

export interface ConformanceComparison {
  kind: 'conformance';
  columns: ReportColumn[];
  rows: ConformanceRow[];
  summaries: Array<ConformanceReport['summary']>;
}

export type Comparison = BenchComparison | ConformanceComparison;

/** `A`, `B`, ..., `Z`, `AA`, ... */
export function columnLabel(i: number): string {
  let s = '';
  let n = i + 1;
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

function benchAbout(r: BenchReport): string {
  const shard = r.shard ? ('merged' in r.shard ? `merge of ${r.shard.merged} shards` : `shard ${r.shard.index}/${r.shard.count}`) : '';
  const e = r.environment;
  return [r.profile && `profile ${r.profile}`, shard, `${e.cpuModel}, ${e.cores} cores`, `node ${e.node}`].filter(Boolean).join('; ');
}

export function cellOf(s: StepResult): BenchCell {
  const l = s.latency;
  return {
    opsPerSec: s.opsPerSec,
    bytesPerSec: s.bytesPerSec,
    p50: l.p50,
    p90: l.p90,
    p95: l.p95,
    p99: l.p99,
    p999: l.p999,
    max: l.max,
    mean: l.mean,
    errors: s.errors,
    operations: s.operations,
    ...(s.notes?.length ? { notes: s.notes } : {}),
  };
}

export function compareBench(inputs: ReadonlyArray<LoadedReport<BenchReport>>): BenchComparison {
  // Workloads in order of first appearance in any report, each with its steps in the same order.
  const groups = new Map<string, { label: string; steps: Map<string, BenchRow>; skipped: Array<{ i: number; why: string }> }>();
  inputs.forEach((inp, i) => {
    for (const w of inp.report.workloads) {
      const wk = workloadKey(w);
      let g = groups.get(wk);
      if (!g) groups.set(wk, (g = { label: workloadLabel(w), steps: new Map(), skipped: [] }));
      if (w.steps.length === 0) g.skipped.push({ i, why: w.skipped ?? w.error ?? 'did not run' });
      for (const s of w.steps) {
        const step = loadLabel(s.load);
        let r = g.steps.get(step);
        if (!r) g.steps.set(step, (r = { key: `${wk}@${step}`, workload: g.label, step, cells: inputs.map(() => undefined) }));
        r.cells[i] = cellOf(s);
      }
    }
  });
  const rows: BenchRow[] = [];
  for (const [wk, g] of groups) {
    // A report where the workload did not run says so on the rows of the steps others measured.
    const stepRows = g.steps.size > 0 ? [...g.steps.values()] : [{ key: `${wk}@`, workload: g.label, step: '', cells: inputs.map(() => undefined) } as BenchRow];
    for (const { i, why } of g.skipped) for (const r of stepRows) r.cells[i] = { skipped: why };
    rows.push(...stepRows);
  }
  return {
    kind: 'bench',
    columns: inputs.map((inp, i) => ({
      label: columnLabel(i),
      source: inp.source,
      target: inp.report.target.url + (inp.report.target.reference ? ' (bundled reference registry)' : ''),
      startedAt: inp.report.startedAt,
      about: benchAbout(inp.report),
    })),
    rows,
  };
}

export function isFailing(s: CaseStatus | undefined): boolean {
  return s === 'fail' || s === 'error';
}

export function statusChange(a: CaseStatus | undefined, b: CaseStatus | undefined): StatusChange {
  if (a === undefined) return b === undefined ? 'same' : 'added';
  if (b === undefined) return 'removed';
  if (a === 'pass' && isFailing(b)) return 'newly-failing';
  if (isFailing(a) && b === 'pass') return 'newly-passing';
  return a === b ? 'same' : 'changed';
}

export function compareConformance(inputs: ReadonlyArray<LoadedReport<ConformanceReport>>): ConformanceComparison {
  const rows = new Map<string, ConformanceRow>();
  inputs.forEach((inp, i) => {
    for (const r of inp.report.results) {
      let row = rows.get(r.id);
      if (!row) rows.set(r.id, (row = { id: r.id, title: r.title, level: r.level, statuses: inputs.map(() => undefined), changes: [] }));
      row.statuses[i] = r.status;
    }
  });
  for (const row of rows.values()) row.changes = row.statuses.map((s) => statusChange(row.statuses[0], s));
  return {
    kind: 'conformance',
    columns: inputs.map((inp, i) => ({
      label: columnLabel(i),
      source: inp.source,
      target: inp.report.target.url + (inp.report.target.reference ? ' (bundled reference registry)' : ''),
      startedAt: inp.report.startedAt,
      about: `spec ${inp.report.options.spec}${inp.report.options.readOnly ? ', read-only' : ''}; regprobe ${inp.report.tool.version}`,
    })),
    rows: [...rows.values()],
    summaries: inputs.map((inp) => inp.report.summary),
  };
}

/** Rows whose status differs between any report and the baseline. */
export function changedRows(c: ConformanceComparison): ConformanceRow[] {
  return c.rows.filter((r) => r.changes.some((ch) => ch !== 'same'));
}
