// The CI gate of `compare`: thresholds on named workloads (`--threshold`), regressions against the
// baseline (`--max-regression`), and for conformance reports, cases that passed before and fail now.
//
// Threshold grammar (docs: `regprobe compare --help` and the README):
//
//   THRESHOLD := SELECTOR ":" METRIC OP NUMBER [UNIT]
//   SELECTOR  := NAME [ "[" PARAM "=" VALUE { "," PARAM "=" VALUE } "]" ] [ "@" STEP ]
//   NAME      := a workload key as the tables show it (blob.get.1MiB), a workload id (blob.get: every
//                workload of that id), or "*" (every workload that ran)
//   STEP      := "c=" N | "rate=" R [ "/s" ]    (without it, every step must hold)
//   METRIC    := p50 | p90 | p95 | p99 | p999 | max | mean   UNIT us | ms | s (default ms)
//              | ops/s                                      successful operations per second
//              | MB/s | MiB/s                               goodput, 10^6 or 2^20 bytes per second
//              | errors                                     failed operations; UNIT "%": share of all
//   OP        := "<" | "<=" | ">" | ">="
//
// A threshold applies to every report after the baseline (or to the only report). One that selects
// nothing in a report is a usage error (exit 2), never a silent pass.
import type { BenchReport, StepResult, WorkloadResult } from '../../bench/model.js';
import { loadLabel, workloadLabel } from '../../bench/labels.js';
import type { BenchComparison, ConformanceComparison, LoadedReport } from './compare-model.js';
import { columnLabel } from './compare-model.js';
import { formatMs, formatRate } from './bench-format.js';

/** The user's gate specification cannot be used (exit 2); one line. */
export class GateSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GateSpecError';
  }
}

export type LatencyMetric = 'p50' | 'p90' | 'p95' | 'p99' | 'p999' | 'max' | 'mean';
export type Metric = LatencyMetric | 'ops/s' | 'MB/s' | 'MiB/s' | 'errors';
export type Op = '<' | '<=' | '>' | '>=';

export interface Threshold {
  text: string;
  /** Workload key, id or '*'. */
  name: string;
  params: Array<[string, string]>;
  step?: { kind: 'closed'; concurrency: number } | { kind: 'open'; ratePerSec: number };
  metric: Metric;
  op: Op;
  /** As written, in `unit`. */
  value: number;
  /** `ms`, `s`, `us`, `%` or '' (the metric's own unit). */
  unit: string;
}

const LATENCY: readonly string[] = ['p50', 'p90', 'p95', 'p99', 'p999', 'max', 'mean'];
const METRIC_NAMES: Record<string, Metric> = {
  ...Object.fromEntries(LATENCY.map((m) => [m, m as Metric])),
  'ops/s': 'ops/s',
  'mb/s': 'MB/s',
  'mib/s': 'MiB/s',
  errors: 'errors',
};
export const METRICS_HELP = 'p50, p90, p95, p99, p999, max, mean (us/ms/s), ops/s, MB/s, MiB/s, errors (count or %)';

const THRESHOLD_RE = /^\s*(?<sel>[^:]+?)\s*:\s*(?<metric>[a-z0-9]+(?:\/s)?)\s*(?<op><=|>=|<|>)\s*(?<num>\d+(?:\.\d+)?|\.\d+)\s*(?<unit>[a-zµ%]*)\s*$/i;
const SELECTOR_RE = /^(?<name>[^[\]@:\s]+)(?:\[(?<params>[^\]]*)\])?(?:@(?<step>\S+))?$/;

export function parseThreshold(text: string): Threshold {
  const bad = (why: string) => new GateSpecError(`--threshold '${text}': ${why}`);
  const m = THRESHOLD_RE.exec(text);
  if (!m?.groups) throw bad('expected SELECTOR:METRIC<VALUE, e.g. blob.get.1MiB:p99<200ms or manifest.get@c=8:ops/s>=1000');
  const g = m.groups as { sel: string; metric: string; op: Op; num: string; unit: string };
  const metric = METRIC_NAMES[g.metric.toLowerCase()];
  if (!metric) throw bad(`unknown metric ${g.metric} (metrics: ${METRICS_HELP})`);
  let unit = g.unit.toLowerCase().replace('µs', 'us');
  if (LATENCY.includes(metric)) {
    if (unit === '') unit = 'ms';
    if (!['us', 'ms', 's'].includes(unit)) throw bad(`${metric} is a latency: use us, ms or s, not ${g.unit}`);
  } else if (metric === 'errors') {
    if (unit !== '' && unit !== '%') throw bad(`errors is a count, or a share with %, not ${g.unit}`);
  } else if (unit !== '') {
    throw bad(`${metric} takes a plain number, not ${g.unit}`);
  }
  const sel = SELECTOR_RE.exec(g.sel.trim());
  if (!sel?.groups) throw bad(`"${g.sel}" is not a selector (NAME, NAME[param=value], NAME@c=8)`);
  const params: Array<[string, string]> = [];
  if (sel.groups['params'] !== undefined) {
    for (const part of sel.groups['params'].split(',')) {
      const eq = part.indexOf('=');
      if (eq <= 0) throw bad(`"${part}" is not param=value`);
      params.push([part.slice(0, eq).trim(), part.slice(eq + 1).trim()]);
    }
  }
  const th: Threshold = { text, name: sel.groups['name']!, params, metric, op: g.op, value: Number(g.num), unit };
  const step = sel.groups['step'];
  if (step !== undefined) {
    const c = /^c=?(\d+)$/i.exec(step);
    const r = /^(?:rate=|r)(\d+(?:\.\d+)?)(?:\/s)?$/i.exec(step);
    if (c) th.step = { kind: 'closed', concurrency: Number(c[1]) };
    else if (r) th.step = { kind: 'open', ratePerSec: Number(r[1]) };
    else throw bad(`step "@${step}" is not @c=N (closed loop) or @rate=N/s (open loop)`);
  }
  return th;
}

/** `10%` or `10` (percent) -> 0.1. */
export function parseMaxRegression(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  if (!m) throw new GateSpecError(`--max-regression '${text}': expected a percentage, e.g. 10%`);
  return Number(m[1]) / 100;
}

/** The threshold's limit and a step's value in one unit (the threshold's), for comparing and printing. */
function measure(th: Threshold, s: StepResult): number {
  switch (th.metric) {
    case 'ops/s':
      return s.opsPerSec;
    case 'MB/s':
      return s.bytesPerSec / 1e6;
    case 'MiB/s':
      return s.bytesPerSec / 2 ** 20;
    case 'errors':
      return th.unit === '%' ? (s.operations > 0 ? (100 * s.errors) / s.operations : 0) : s.errors;
    default: {
      const ms = s.latency[th.metric];
      return th.unit === 's' ? ms / 1000 : th.unit === 'us' ? ms * 1000 : ms;
    }
  }
}

function holds(th: Threshold, v: number): boolean {
  switch (th.op) {
    case '<':
      return v < th.value;
    case '<=':
      return v <= th.value;
    case '>':
      return v > th.value;
    case '>=':
      return v >= th.value;
  }
}

function show(th: Threshold, v: number): string {
  const digits = Math.abs(v) >= 100 ? 1 : Math.abs(v) >= 1 ? 2 : 3;
  const n = String(Number(v.toFixed(digits)));
  if (th.metric === 'errors') return th.unit === '%' ? `${n}%` : n;
  return th.unit ? `${n} ${th.unit}` : n;
}

function selectorText(th: Threshold): string {
  const params = th.params.length ? `[${th.params.map(([k, v]) => `${k}=${v}`).join(',')}]` : '';
  return `${th.name}${params}`;
}

function selectWorkloads(th: Threshold, r: BenchReport): WorkloadResult[] {
  let ws: WorkloadResult[];
  if (th.name === '*') ws = r.workloads;
  else {
    ws = r.workloads.filter((w) => (w.key ?? w.id) === th.name);
    if (ws.length === 0) ws = r.workloads.filter((w) => w.id === th.name);
  }
  return ws.filter((w) => th.params.every(([k, v]) => k in w.params && String(w.params[k]) === v));
}

function stepMatches(th: Threshold, s: StepResult): boolean {
  if (!th.step) return true;
  if (th.step.kind === 'closed') return s.load.kind === 'closed' && s.load.concurrency === th.step.concurrency;
  return s.load.kind === 'open' && Math.abs(s.load.ratePerSec - th.step.ratePerSec) < 1e-6;
}

function listSome(items: readonly string[], max = 8): string {
  const uniq = [...new Set(items)];
  return uniq.length <= max ? uniq.join(', ') : `${uniq.slice(0, max).join(', ')}, ... (${uniq.length} in all)`;
}

export interface GateOutcome {
  /** Each broken rule, one line. Non-empty -> exit 1. */
  failures: string[];
  /** Each threshold that held, one line (so a pass is visible too). */
  passed: string[];
  /** How many comparisons were made (thresholds x steps, regression checks, cases). */
  checks: number;
  /** Things the gate could not check (rows missing from a report), one line each. */
  notes: string[];
}

export function emptyOutcome(): GateOutcome {
  return { failures: [], passed: [], notes: [], checks: 0 };
}

/**
 * Checks every threshold on each candidate report (index >= 1, or the only one). Throws GateSpecError
 * when a threshold selects no workload or no step of a report.
 */
export function checkThresholds(thresholds: readonly Threshold[], reports: ReadonlyArray<LoadedReport<BenchReport>>, out: GateOutcome = emptyOutcome()): GateOutcome {
  const candidates = reports.length === 1 ? [0] : reports.map((_, i) => i).slice(1);
  for (const th of thresholds) {
    for (const i of candidates) {
      const { source, report } = reports[i]!;
      const who = columnLabel(i);
      const ws = selectWorkloads(th, report);
      if (ws.length === 0) {
        throw new GateSpecError(`--threshold '${th.text}': no workload ${selectorText(th)} in ${source} (it has: ${listSome(report.workloads.map((w) => w.key ?? w.id))})`);
      }
      const ran = ws.filter((w) => w.steps.length > 0);
      for (const w of ws.filter((x) => x.steps.length === 0)) {
        // A workload the user named explicitly must have run; '*' covers only what ran.
        const why = w.error ?? w.skipped ?? 'no steps';
        if (th.name === '*') out.notes.push(`${who} ${workloadLabel(w)}: did not run (${why}), not checked by '${th.text}'`);
        else out.failures.push(`${who} ${workloadLabel(w)}: did not run (${why}), so '${th.text}' cannot hold`);
      }
      const steps = ran.flatMap((w) => w.steps.filter((s) => stepMatches(th, s)).map((s) => ({ w, s })));
      if (ran.length > 0 && steps.length === 0) {
        const have = ran.flatMap((w) => w.steps.map((s) => loadLabel(s.load)));
        throw new GateSpecError(`--threshold '${th.text}': ${selectorText(th)} has no step @${th.step!.kind === 'closed' ? `c=${th.step!.concurrency}` : `rate=${th.step!.ratePerSec}/s`} in ${source} (steps: ${listSome(have)})`);
      }
      for (const { w, s } of steps) {
        out.checks++;
        if (s.operations === 0) {
          // Its zeros would pass a latency or error limit and fail a throughput one, all for nothing.
          out.failures.push(`${who} ${workloadLabel(w)} ${loadLabel(s.load)}: no data (no operation measured${s.notes?.length ? `: ${s.notes.join('; ')}` : ''}), so '${th.text}' cannot hold`);
          continue;
        }
        const v = measure(th, s);
        const line = `${who} ${workloadLabel(w)} ${loadLabel(s.load)}: ${th.metric} ${show(th, v)}, limit ${th.op} ${show(th, th.value)}`;
        (holds(th, v) ? out.passed : out.failures).push(line);
      }
    }
  }
  return out;
}

/** p99 up or ops/s down by more than `max` (a fraction) in any candidate against the baseline. */
export function checkRegressions(c: BenchComparison, max: number, out: GateOutcome = emptyOutcome()): GateOutcome {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  for (const row of c.rows) {
    const a = row.cells[0];
    for (let i = 1; i < c.columns.length; i++) {
      const b = row.cells[i];
      const who = `${c.columns[i]!.label} ${row.workload}${row.step ? ` ${row.step}` : ''}`;
      if (!a || 'skipped' in a) continue;
      if (!b || 'skipped' in b) {
        out.notes.push(`${who}: ${b ? `did not run (${b.skipped})` : 'not in this report'}, not checked for regressions`);
        continue;
      }
      // A step that measured nothing is no 100% drop: there is nothing to compare.
      const empty = a.operations === 0 ? { label: c.columns[0]!.label, cell: a } : b.operations === 0 ? { label: c.columns[i]!.label, cell: b } : undefined;
      if (empty) {
        out.notes.push(`${who}: no data in ${empty.label} (no operation measured${empty.cell.notes?.length ? `: ${empty.cell.notes.join('; ')}` : ''}), not checked for regressions`);
        continue;
      }
      if (a.p99 > 0) {
        out.checks++;
        const up = (b.p99 - a.p99) / a.p99;
        if (up > max) out.failures.push(`${who}: p99 up ${pct(up)} (${formatMs(a.p99)} -> ${formatMs(b.p99)} ms), more than ${pct(max)}`);
      }
      if (a.opsPerSec > 0) {
        out.checks++;
        const down = (a.opsPerSec - b.opsPerSec) / a.opsPerSec;
        if (down > max) out.failures.push(`${who}: ops/s down ${pct(down)} (${formatRate(a.opsPerSec)} -> ${formatRate(b.opsPerSec)}), more than ${pct(max)}`);
      }
    }
  }
  return out;
}

/** A case that passed in the baseline and fails (or errors) in a later report breaks the gate. */
export function checkConformance(c: ConformanceComparison, out: GateOutcome = emptyOutcome()): GateOutcome {
  for (const row of c.rows) {
    for (let i = 1; i < c.columns.length; i++) {
      out.checks++;
      if (row.changes[i] === 'newly-failing') out.failures.push(`${c.columns[i]!.label}: ${row.id} passed in A, now ${row.statuses[i]}`);
      if (row.changes[i] === 'removed' && row.statuses[0] === 'pass') out.notes.push(`${c.columns[i]!.label}: ${row.id} passed in A and is not in this report`);
    }
  }
  return out;
}
