// Latency histograms: HDR (hdr-histogram-js) in whole microseconds, 3 significant digits, encoded as
// compressed base64 in reports so shards merge exactly and any percentile can be recomputed later.
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import type { LatencySummary } from './model.js';

export type { Histogram };

/** One hour in µs: the initial range; the histogram grows past it (autoResize) rather than dropping a value. */
const INITIAL_HIGHEST_US = 3_600_000_000;

export function newHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: INITIAL_HIGHEST_US, numberOfSignificantValueDigits: 3, bitBucketSize: 32, autoResize: true });
}

/** A small histogram (2 significant digits, ~10 KB) for per-second timeline samples. */
export function newCoarseHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000, numberOfSignificantValueDigits: 2, bitBucketSize: 32, autoResize: true });
}

/** Records a duration given in milliseconds (fractional) as whole microseconds (at least 1). */
export function recordMs(h: Histogram, ms: number): void {
  h.recordValue(Math.max(1, Math.round(ms * 1000)));
}

export function encodeHistogram(h: Histogram): string {
  return encodeIntoCompressedBase64(h);
}

export function decodeHistogram(base64: string): Histogram {
  const h = decodeFromCompressedBase64(base64, 32, false);
  h.autoResize = true;
  return h;
}

/** Sum of histograms (encoded or live); counts add exactly, bucket by bucket. */
export function mergeHistograms(parts: ReadonlyArray<Histogram | string>): Histogram {
  const out = newHistogram();
  for (const p of parts) out.add(typeof p === 'string' ? decodeHistogram(p) : p);
  return out;
}

const US_PER_MS = 1000;

function ms(us: number): number {
  // Three decimals of a millisecond = microsecond resolution; keeps JSON short and stable.
  return Math.round(us) / US_PER_MS;
}

/**
 * Percentiles in milliseconds; all zeros for an empty histogram. min and max are bucket values
 * (p0, p100: within 0.1 % of the recorded extremes) so a live histogram and its decoded copy, or a
 * merge, always give the same summary.
 */
export function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
  return {
    min: ms(h.getValueAtPercentile(0)),
    mean: ms(h.mean),
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p95: ms(h.getValueAtPercentile(95)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.getValueAtPercentile(100)),
  };
}
