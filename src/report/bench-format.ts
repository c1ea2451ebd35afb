// Number formats of the benchmark renderings (tables, Markdown, HTML): short, with the precision a
// reader can use, and the same in every format.

/** Milliseconds: 0.412, 3.18, 41.7, 1234. */
export function formatMs(ms: number): string {
  const a = Math.abs(ms);
  if (a === 0) return '0';
  if (a < 1) return ms.toFixed(3);
  if (a < 10) return ms.toFixed(2);
  if (a < 100) return ms.toFixed(1);
  return Math.round(ms).toString();
}

/** Operations per second: 0.85, 12.4, 1,234. */
export function formatRate(perSec: number): string {
  const a = Math.abs(perSec);
  if (a === 0) return '0';
  if (a < 10) return perSec.toFixed(2);
  if (a < 100) return perSec.toFixed(1);
  return Math.round(perSec).toLocaleString('en-US');
}

/** Bytes per second as MB/s (10^6). */
export function formatMBps(bytesPerSec: number): string {
  return bytesPerSec === 0 ? '0' : formatRate(bytesPerSec / 1e6);
}

/** `b / a` as `1.23x`; '-' when there is nothing to divide by. */
export function formatRatio(a: number, b: number): string {
  if (!(a > 0) || !Number.isFinite(b)) return '-';
  const r = b / a;
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}x`;
}

/** `12 (0.4%)`: failed operations and their share. */
export function formatErrors(errors: number, operations: number): string {
  if (errors === 0) return '0';
  const pct = operations > 0 ? (100 * errors) / operations : 0;
  return `${errors} (${pct < 0.1 ? pct.toFixed(2) : pct.toFixed(1)}%)`;
}
