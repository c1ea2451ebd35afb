// bench/histogram.ts: encoded histograms decode to the same counts, merges are exact (the merge of
// parts equals the histogram of all values), and summaries are in milliseconds.
import t from 'tap';
import { decodeHistogram, encodeHistogram, mergeHistograms, newHistogram, recordMs, summarize } from '../../bench/histogram.js';

/** Deterministic values spanning µs to minutes (a long tail), no Math.random. */
function values(n: number, seed: number): number[] {
  const out: number[] = [];
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const r = x / 2147483648;
    out.push(Math.max(1, Math.round(50 * Math.exp(r * 14))));
  }
  return out;
}

const PERCENTILES = [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100];

t.test('encode then decode keeps every count and percentile', async (t) => {
  const h = newHistogram();
  const vs = values(5000, 7);
  for (const v of vs) h.recordValue(v);
  const d = decodeHistogram(encodeHistogram(h));
  t.equal(d.totalCount, 5000);
  t.same(summarize(d), summarize(h));
  for (const p of PERCENTILES) t.equal(d.getValueAtPercentile(p), h.getValueAtPercentile(p), `p${p}`);
  t.equal(encodeHistogram(d), encodeHistogram(h), 'a decoded histogram encodes to the same text');
});

t.test('the merge of parts is exactly the histogram of all values', async (t) => {
  const parts = [values(3000, 1), values(10, 2), values(7000, 3)];
  const whole = newHistogram();
  const encoded = parts.map((vs) => {
    const h = newHistogram();
    for (const v of vs) {
      h.recordValue(v);
      whole.recordValue(v);
    }
    return encodeHistogram(h);
  });
  const merged = mergeHistograms(encoded);
  t.equal(merged.totalCount, 10_010);
  for (const p of PERCENTILES) t.equal(merged.getValueAtPercentile(p), whole.getValueAtPercentile(p), `p${p}`);
  t.same(summarize(merged), summarize(whole));
  // Merging live and encoded parts gives the same result.
  const live = newHistogram();
  for (const v of parts[0]!) live.recordValue(v);
  t.same(summarize(mergeHistograms([live, encoded[1]!, encoded[2]!])), summarize(whole));
});

t.test('summaries are milliseconds from microsecond records; empty is all zeros', async (t) => {
  const h = newHistogram();
  for (const ms of [1, 2, 3, 4, 1000]) recordMs(h, ms);
  const s = summarize(h);
  t.equal(s.min, 1);
  t.ok(Math.abs(s.p50 - 3) <= 0.003, `p50 ${s.p50}`);
  // HDR with 3 significant digits: 1000 ms is kept within 0.1 %.
  t.ok(Math.abs(s.max - 1000) <= 1, `max ${s.max}`);
  t.ok(Math.abs(s.mean - 202) < 0.5, `mean ${s.mean}`);
  recordMs(h, 0.0001);
  t.equal(decodeHistogram(encodeHistogram(h)).minNonZeroValue, 1, 'sub-µs durations count as 1 µs, never dropped');
  t.same(summarize(newHistogram()), { min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 });
});

t.test('values far above the initial range are kept (the histogram grows)', async (t) => {
  const h = newHistogram();
  recordMs(h, 5 * 3600 * 1000);
  const d = decodeHistogram(encodeHistogram(h));
  t.equal(d.totalCount, 1);
  t.ok(Math.abs(summarize(d).max - 5 * 3600 * 1000) / (5 * 3600 * 1000) < 0.001);
});
