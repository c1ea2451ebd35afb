// What every rendering of a comparison shares: the metric columns of a benchmark comparison, how a
// ratio reads (better / worse), and the words for conformance status changes.
import type { BenchCell, BenchRow, StatusChange } from './compare-model.js';
import { formatErrors, formatMBps, formatMs, formatRate, formatRatio } from './bench-format.js';

export interface MetricColumn {
  /** Column heading. */
  name: string;
  value(c: BenchCell): number;
  format(c: BenchCell): string;
  /** Which way is good; 'none' gets no ratio column. */
  better: 'higher' | 'lower' | 'none';
}

/** How a step that measured no operation reads: its ops/s cell, and every ratio against it. */
export const NO_DATA = 'no data';

/**
 * A step with no measured operation has no figures: its 0 ops/s is not a throughput nor its 0 ms a
 * latency. The first column says so, the others show '-'.
 */
const measured = (name: string, get: (c: BenchCell) => number, format: (n: number, c: BenchCell) => string, better: MetricColumn['better'], empty = '-'): MetricColumn => ({
  name,
  value: get,
  format: (c) => (c.operations > 0 ? format(get(c), c) : empty),
  better,
});

export const BENCH_METRICS: readonly MetricColumn[] = [
  measured('ops/s', (c) => c.opsPerSec, formatRate, 'higher', NO_DATA),
  measured('MB/s', (c) => c.bytesPerSec, formatMBps, 'higher'),
  measured('p50 ms', (c) => c.p50, formatMs, 'lower'),
  measured('p99 ms', (c) => c.p99, formatMs, 'lower'),
  measured('errors', (c) => c.errors, (n, c) => formatErrors(n, c.operations), 'none'),
];

export type Tone = 'better' | 'worse' | 'same';

/** How B reads against A for this metric; changes within `noise` (a fraction) read as the same. */
export function tone(m: MetricColumn, a: number, b: number, noise: number): Tone {
  if (m.better === 'none' || !(a > 0)) return 'same';
  const change = (b - a) / a;
  if (Math.abs(change) <= noise) return 'same';
  return (change > 0) === (m.better === 'higher') ? 'better' : 'worse';
}

/**
 * The ratio cell of B against A: its text and how it reads. Either side without a measured operation
 * has no figure to divide: 'no data', never a 0x or a 100% drop.
 */
export function ratioCell(m: MetricColumn, a: BenchCell, b: BenchCell, noise: number): { text: string; tone: Tone } {
  if (a.operations === 0 || b.operations === 0) return { text: NO_DATA, tone: 'same' };
  return { text: formatRatio(m.value(a), m.value(b)), tone: tone(m, m.value(a), m.value(b), noise) };
}

export function isCell(c: BenchRow['cells'][number]): c is BenchCell {
  return c !== undefined && !('skipped' in c);
}

/**
 * Text of a cell that has no figures: '-' for a row the report does not have, 'did not run' for a
 * workload that was skipped or failed. `first`: only the first metric column of a wide table says
 * so; the others stay empty.
 */
export function missingCell(c: BenchRow['cells'][number], first = true): string {
  if (c === undefined) return '-';
  return 'skipped' in c && first ? 'did not run' : '';
}

export const CHANGE_WORDS: Record<StatusChange, string> = {
  same: '',
  'newly-failing': 'newly failing',
  'newly-passing': 'newly passing',
  changed: 'changed',
  added: 'new case',
  removed: 'not run',
};

/** The most telling change of a row across the candidates (newly failing first). */
export function rowChange(changes: readonly StatusChange[]): StatusChange {
  const order: StatusChange[] = ['newly-failing', 'newly-passing', 'changed', 'removed', 'added'];
  return order.find((o) => changes.includes(o)) ?? 'same';
}
