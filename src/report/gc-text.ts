// Text of a garbage collection run (`regprobe gc`): what was freed, in counts and bytes, then what
// was kept. The run itself (reference-server/storage/gc.ts) returns plain data; only this renders it.
import type { GcReport } from '../../reference-server/storage/index.js';

/** Bytes with an exact count and, from 1 KiB, a rounded binary unit: `3145728 bytes (3.0 MiB)`. */
export function bytesText(n: number): string {
  const units: [string, number][] = [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]];
  const unit = units.find(([, size]) => n >= size);
  return unit ? `${n} bytes (${(n / unit[1]).toFixed(1)} ${unit[0]})` : `${n} byte${n === 1 ? '' : 's'}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `24 h`, `30 min`, `90 s`, `250 ms`, `0`: the largest unit that states it exactly. */
function durationText(ms: number): string {
  if (ms === 0) return '0';
  for (const [unit, n] of [['d', 86_400_000], ['h', 3_600_000], ['min', 60_000], ['s', 1000]] as const) {
    if (ms % n === 0) return `${ms / n} ${unit}`;
  }
  return `${ms} ms`;
}

/** The lines `regprobe gc` prints (no trailing newline on each). */
export function gcReportLines(r: GcReport, storage: string): string[] {
  const verb = r.dryRun ? 'would free' : 'freed';
  const removed = r.dryRun ? 'would remove' : 'removed';
  return [
    `${r.dryRun ? 'dry run: nothing removed; ' : ''}garbage collection of ${storage}: ${verb} ${bytesText(r.bytesFreed + r.uploadBytesFreed)}`,
    `  blobs:           ${removed} ${plural(r.blobsRemoved, 'blob')}, ${bytesText(r.bytesFreed)}; ${plural(r.linksRemoved, 'repository link')} to unreferenced blobs`,
    `  upload sessions: ${r.dryRun ? 'would expire' : 'expired'} ${plural(r.uploadsExpired, 'session')}, ${bytesText(r.uploadBytesFreed)}`,
    `  kept:            ${plural(r.blobsKept, 'blob')}, ${bytesText(r.bytesKept)}; ${plural(r.manifests, 'manifest')} in ${plural(r.repositories, 'repository', 'repositories')}` +
      (r.recentKept > 0 ? `; ${plural(r.recentKept, 'unreferenced blob or link', 'unreferenced blobs and links')} younger than the grace period left for now` : ''),
    `  took ${r.durationMs} ms (grace period ${durationText(r.graceMs)}, upload TTL ${durationText(r.uploadTtlMs)})`,
  ];
}
