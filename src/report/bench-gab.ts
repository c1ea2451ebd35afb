// github-action-benchmark input (https://github.com/benchmark-action/github-action-benchmark, tools
// `customSmallerIsBetter` and `customBiggerIsBetter`): one entry per workload, step and metric, with
// names stable across runs so the action can chart them and alert on regressions.
import type { BenchReport } from '../../bench/model.js';
import { loadLabel, workloadLabel } from '../../bench/labels.js';

export interface GabEntry {
  name: string;
  unit: string;
  value: number;
  extra?: string;
}

export function gabEntries(report: BenchReport): { smaller: GabEntry[]; bigger: GabEntry[] } {
  const smaller: GabEntry[] = [];
  const bigger: GabEntry[] = [];
  for (const w of report.workloads) {
    for (const s of w.steps) {
      // A step that measured nothing has no figures: 0 ms would chart as a latency improvement.
      if (s.operations === 0) continue;
      const name = `${workloadLabel(w)} ${loadLabel(s.load)}`;
      const extra = `${s.operations} operations, ${s.errors} errors, ${(s.durationMs / 1000).toFixed(1)} s; target ${report.target.url}`;
      smaller.push({ name: `${name} p50`, unit: 'ms', value: s.latency.p50, extra });
      smaller.push({ name: `${name} p99`, unit: 'ms', value: s.latency.p99, extra });
      bigger.push({ name: `${name} ops/s`, unit: 'ops/s', value: s.opsPerSec, extra });
      if (s.bytesPerSec > 0) bigger.push({ name: `${name} MB/s`, unit: 'MB/s', value: Math.round(s.bytesPerSec / 1e4) / 100, extra });
    }
  }
  return { smaller, bigger };
}

export function renderGabSmaller(report: BenchReport): string {
  return JSON.stringify(gabEntries(report).smaller, null, 2) + '\n';
}

export function renderGabBigger(report: BenchReport): string {
  return JSON.stringify(gabEntries(report).bigger, null, 2) + '\n';
}
