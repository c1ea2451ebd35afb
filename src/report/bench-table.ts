// The console view of a benchmark report: one row per workload and load step (throughput, goodput,
// latency percentiles, errors), skipped workloads with their reason, steps that measured nothing with
// theirs, error details, cleanup; and the --list view of workloads and profiles.
import Table from 'cli-table3';
import type { BenchReport, ErrorCounts, StepResult } from '../../bench/model.js';
import { paint, type Paint } from './ansi.js';

export interface BenchTableOptions {
  color: boolean;
}

/** `c=8` or `12/s` (open loop). */
export function loadText(s: Pick<StepResult, 'load'>): string {
  return s.load.kind === 'closed' ? `c=${s.load.concurrency}` : `${s.load.ratePerSec}/s`;
}

export function formatRate(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString('en-US');
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** Bytes per second as MB/s (10^6, like wrk and most load tools). */
export function formatMBps(bytesPerSec: number): string {
  const mb = bytesPerSec / 1e6;
  if (mb === 0) return '-';
  return mb >= 100 ? Math.round(mb).toLocaleString('en-US') : mb >= 1 ? mb.toFixed(1) : mb.toFixed(2);
}

/** Milliseconds without a unit (the column says ms): `0.42`, `12.5`, `310`, `1,260`. */
export function formatMs(ms: number): string {
  if (ms >= 100) return Math.round(ms).toLocaleString('en-US');
  if (ms >= 10) return ms.toFixed(1);
  return ms.toFixed(2);
}

/** `3 (1.2%): 2x 500, 1x RESET` */
function errorText(s: StepResult, p: Paint): string {
  if (s.errors === 0) return '0';
  const pct = s.operations ? ` (${((100 * s.errors) / s.operations).toFixed(1)}%)` : '';
  return p.red(`${s.errors}${pct}`) + (s.errorDetail.digestMismatches ? p.red(' digest!') : '');
}

export function errorBreakdown(e: ErrorCounts): string {
  const parts: string[] = [];
  for (const [k, n] of Object.entries(e.byStatus)) parts.push(`${n}x HTTP ${k}`);
  for (const [k, n] of Object.entries(e.byCode)) parts.push(`${n}x ${k}`);
  for (const [k, n] of Object.entries(e.byConnection)) parts.push(`${n}x ${k}`);
  for (const [k, n] of Object.entries(e.other ?? {})) parts.push(`${n}x ${k}`);
  if (e.digestMismatches) parts.push(`${e.digestMismatches}x digest mismatch`);
  return parts.join(', ');
}

export function renderBenchTable(report: BenchReport, opts: BenchTableOptions): string {
  const p = paint(opts.color);
  const out: string[] = [];
  const server = report.environment.targetHeaders['server'];
  out.push(`${p.bold('Benchmark')} of ${report.target.url}${report.target.reference ? ' (bundled reference registry)' : ''}${server ? `, server ${server}` : ''}`);
  const e = report.environment;
  out.push(
    p.dim(
      `${report.profile ? `profile ${report.profile}, ` : ''}${report.workers ? `${report.workers} load threads, ` : ''}${(report.durationMs / 1000).toFixed(1)} s, ${report.startedAt}; ${e.cpuModel} x${e.cores}, ${(e.memoryBytes / 1024 ** 3).toFixed(0)} GiB, Node ${e.node}`,
    ),
  );
  const table = new Table({
    head: ['workload', 'load', 'ops/s', 'MB/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'errors'],
    colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    style: { head: opts.color ? ['bold'] : [], border: opts.color ? ['grey'] : [], compact: true },
  });
  const notes: string[] = [];
  for (const w of report.workloads) {
    const key = w.key ?? w.id;
    if (w.skipped || w.error) {
      table.push([key, { colSpan: 8, content: w.error ? p.red(`error: ${w.error}`) : p.yellow(`skipped: ${w.skipped}`) }]);
      continue;
    }
    for (const s of w.steps) {
      // No operation measured: its zeros are no figures, so the row says so instead of showing them.
      if (s.operations === 0) table.push([key, loadText(s), { colSpan: 7, hAlign: 'left', content: p.yellow(`no operation measured${s.notes?.length ? ' (see Details)' : ''}`) }]);
      else table.push([key, loadText(s), formatRate(s.opsPerSec), formatMBps(s.bytesPerSec), formatMs(s.latency.p50), formatMs(s.latency.p90), formatMs(s.latency.p99), formatMs(s.latency.max), errorText(s, p)]);
      for (const n of s.notes ?? []) notes.push(p.yellow(`${key} ${loadText(s)}: ${n}`));
      if (s.errors) {
        notes.push(`${key} ${loadText(s)}: ${errorBreakdown(s.errorDetail)}`);
        for (const line of s.errorDetail.samples ?? []) notes.push(`    ${line}`);
      }
      const counters = Object.entries(s.counters ?? {});
      if (counters.length) notes.push(p.dim(`${key} ${loadText(s)}: ${counters.map(([k, n]) => `${k} ${n}`).join(', ')}`));
    }
  }
  out.push(table.toString());
  out.push(p.dim('ops/s: successful operations per second (an image operation moves a whole image); MB/s: payload goodput, 10^6 bytes.'));
  if (report.workloads.some((w) => w.steps.some((s) => s.load.kind === 'open'))) {
    out.push(p.dim('open loop: latency counts from each operation\'s scheduled start, queueing included.'));
  }
  if (notes.length) out.push('', p.bold('Details'), ...notes.map((n) => `  ${n}`));
  return out.join('\n') + '\n';
}

export interface WorkloadListing {
  id: string;
  title: string;
  family: string;
  writes: boolean;
  defaults: Record<string, string | number | boolean>;
  paramHelp?: Record<string, string>;
}

export interface ProfileListing {
  name: string;
  description: string;
}

/** `regprobe bench --list`: one line per workload id, then the profiles; `verbose` adds parameters. */
export function renderWorkloadList(workloads: readonly WorkloadListing[], profiles: readonly ProfileListing[], verbose = false): string {
  const width = Math.max(...workloads.map((w) => w.id.length));
  const out: string[] = [];
  for (const w of workloads) {
    out.push(`${w.id.padEnd(width)}  ${w.title}${w.writes ? ' [writes]' : ''}`);
    if (verbose) {
      for (const [k, v] of Object.entries(w.defaults)) out.push(`${''.padEnd(width)}    ${k}=${String(v)}${w.paramHelp?.[k] ? `  ${w.paramHelp[k]}` : ''}`);
    }
  }
  out.push('', 'profiles:');
  const pw = Math.max(...profiles.map((p) => p.name.length));
  for (const p of profiles) out.push(`${p.name.padEnd(pw)}  ${p.description}`);
  return out.join('\n') + '\n';
}
