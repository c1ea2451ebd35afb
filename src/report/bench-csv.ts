// CSV time series of a benchmark report: one row per workload, load step and second of the measured
// window (RFC 4180), for spreadsheets and plotting tools. `covered_s` is 1 except for a last,
// partial second, so rates are ops / covered_s.
import type { BenchReport } from '../../bench/model.js';
import { loadLabel, workloadLabel } from '../../bench/labels.js';

const HEADER = ['workload', 'id', 'step', 'concurrency', 'rate_per_s', 'second', 'covered_s', 'ops', 'errors', 'bytes', 'p99_ms', 'rss_bytes'];

export function csvField(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderBenchCsv(report: BenchReport): string {
  const lines = [HEADER.join(',')];
  for (const w of report.workloads) {
    for (const s of w.steps) {
      const seconds = s.durationMs / 1000;
      for (const p of s.timeline) {
        const covered = Math.max(0, Math.min(1, seconds - p.t));
        lines.push(
          [
            workloadLabel(w),
            w.id,
            loadLabel(s.load),
            s.load.kind === 'closed' ? s.load.concurrency : '',
            s.load.kind === 'open' ? s.load.ratePerSec : '',
            p.t,
            Number(covered.toFixed(3)),
            p.ops,
            p.errors,
            p.bytes,
            p.p99,
            p.rss ?? '',
          ]
            .map(csvField)
            .join(','),
        );
      }
    }
  }
  return lines.join('\r\n') + '\r\n';
}
