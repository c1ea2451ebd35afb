// A self-contained HTML page of a benchmark report: summary table, and per workload a chart of
// latency by percentile (from the HDR histogram, one line per load step) and of throughput over
// time (from the per-second timeline). Charts are SVG drawn here; the page has no script, and its
// Content-Security-Policy forbids every fetch, so it opens offline and leaks nothing.
import type { BenchReport, StepResult, WorkloadResult } from '../../bench/model.js';
import { decodeHistogram } from '../../bench/histogram.js';
import { loadLabel, paramsLabel, workloadLabel } from '../../bench/labels.js';
import { html } from './escape.js';
import { formatErrors, formatMBps, formatMs, formatRate } from './bench-format.js';
import { colorOf, lineChart, type Point, type Series, type Tick } from './svg-chart.js';

export const PAGE_CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;margin:0 auto;padding:16px 24px;max-width:1400px}
h1{font-size:22px;margin:4px 0 2px}h2{font-size:17px;margin:28px 0 4px;border-bottom:1px solid #ddd;padding-bottom:3px}
.meta{color:#555;font-size:13px;margin:2px 0}
table{border-collapse:collapse;margin:10px 0;font-size:13px}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right;white-space:nowrap}
th{background:#f3f3f3}td.name,th.name{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:12px}
.note{color:#8a5a00}.fail{color:#b00020;font-weight:bold}.pass{color:#1b7f2a;font-weight:bold}
.better{color:#1b7f2a}.worse{color:#b00020}
code{font-size:12px;background:#f4f4f4;padding:0 3px}
svg.chart{background:#fff;border:1px solid #eee}
`;

/** The page shell: strict CSP (no fetch of any kind), inline style only. */
export function page(title: string, body: string): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${html(title)}</title>`,
    `<style>${PAGE_CSS}</style>`,
    '</head><body>',
    body,
    '</body></html>',
    '',
  ].join('\n');
}

const PERCENTILES = [10, 25, 50, 75, 90, 95, 97.5, 99, 99.5, 99.9, 99.95, 99.99, 99.995, 99.999];

/** "Nines" axis: 50% -> 0.3, 90% -> 1, 99% -> 2, 99.9% -> 3. */
function nines(p: number): number {
  return -Math.log10(1 - p / 100);
}

const NINES_TICKS: Tick[] = [
  { value: 0, label: '0%' },
  { value: nines(50), label: '50%' },
  { value: 1, label: '90%' },
  { value: 2, label: '99%' },
  { value: 3, label: '99.9%' },
  { value: 4, label: '99.99%' },
  { value: 5, label: '99.999%' },
];

/**
 * Latency at percentiles, from the step's histogram, up to the percentile the sample size supports;
 * the last point is the maximum.
 */
export function percentilePoints(s: StepResult): Point[] {
  if (s.operations === 0) return [];
  const h = decodeHistogram(s.histogram);
  const n = h.totalCount;
  if (n === 0) return [];
  const points: Point[] = [];
  for (const p of PERCENTILES) {
    if ((1 - p / 100) * n < 1) break;
    // Bucket upper bounds can pass the exact maximum the report keeps; a curve must not.
    const ms = Math.min(h.getValueAtPercentile(p) / 1000, s.latency.max);
    points.push({ x: nines(p), y: ms, label: `p${p} ${formatMs(ms)} ms` });
  }
  // The maximum sits at 1 - 1/N, or a little right of the last percentile when that is as far out.
  const last = points[points.length - 1];
  const x = Math.max(n > 1 ? Math.log10(n) : 0, last ? last.x + 0.2 : 0);
  points.push({ x, y: s.latency.max, label: `max ${formatMs(s.latency.max)} ms (of ${n})` });
  return points;
}

/** Payload-heavy workloads are charted in MB/s, the others in ops/s. */
export function throughputUnit(w: WorkloadResult): 'MB/s' | 'ops/s' {
  const ops = w.steps.reduce((n, s) => n + s.opsPerSec, 0);
  const bytes = w.steps.reduce((n, s) => n + s.bytesPerSec, 0);
  return ops > 0 && bytes / ops >= 64 * 1024 ? 'MB/s' : 'ops/s';
}

/** Per-second throughput of the steps one after another; a short last second is scaled or dropped. */
export function throughputSeries(w: WorkloadResult, unit: 'MB/s' | 'ops/s'): { series: Series[]; rules: Tick[]; end: number } {
  const series: Series[] = [];
  const rules: Tick[] = [];
  let offset = 0;
  w.steps.forEach((s, k) => {
    const name = loadLabel(s.load);
    const seconds = s.durationMs / 1000;
    rules.push({ value: offset, label: name });
    const points: Point[] = [];
    for (const p of s.timeline) {
      const covered = Math.min(1, seconds - p.t);
      if (covered < 0.25) continue;
      const y = (unit === 'MB/s' ? p.bytes / 1e6 : p.ops) / covered;
      const label = `${p.t}s: ${unit === 'MB/s' ? `${y.toFixed(2)} MB/s` : `${formatRate(y)} ops/s`}, p99 ${formatMs(p.p99)} ms${p.errors ? `, ${p.errors} errors` : ''}`;
      points.push({ x: offset + p.t + covered, y, label });
    }
    series.push({ name, color: colorOf(k), points });
    offset += Math.max(1, Math.ceil(seconds));
  });
  return { series, rules, end: offset };
}

function latencyChart(w: WorkloadResult): string {
  const series = w.steps.map((s, k) => ({ name: loadLabel(s.load), color: colorOf(k), points: percentilePoints(s) })).filter((s) => s.points.length > 0);
  const xMax = Math.max(2, Math.ceil(Math.max(...series.flatMap((s) => s.points.map((p) => p.x)))));
  return lineChart({
    kind: 'latency',
    data: { workload: workloadLabel(w) },
    title: `${workloadLabel(w)}: latency by percentile`,
    xLabel: 'percentile',
    yLabel: 'latency (ms)',
    series,
    xTicks: NINES_TICKS.filter((t) => t.value <= xMax),
    xMin: 0,
    xMax,
    formatY: formatMs,
  });
}

function throughputChart(w: WorkloadResult): string {
  const unit = throughputUnit(w);
  const { series, rules, end } = throughputSeries(w, unit);
  return lineChart({
    kind: 'throughput',
    data: { workload: workloadLabel(w), unit },
    title: `${workloadLabel(w)}: ${unit} over time`,
    xLabel: 'seconds (load steps one after another)',
    yLabel: unit,
    series,
    rules,
    xMin: 0,
    xMax: end,
  });
}

/** The load generator's resident memory over the steps' seconds (one series per step), in MiB. */
export function memorySeries(w: WorkloadResult): { series: Series[]; end: number } {
  const series: Series[] = [];
  let offset = 0;
  w.steps.forEach((s, k) => {
    const points: Point[] = s.timeline
      .filter((p) => p.rss !== undefined)
      .map((p) => ({ x: offset + p.t, y: p.rss! / 2 ** 20, label: `${p.t}s: ${(p.rss! / 2 ** 20).toFixed(1)} MiB` }));
    if (points.length > 0) series.push({ name: loadLabel(s.load), color: colorOf(k), points });
    offset += Math.max(1, Math.ceil(s.durationMs / 1000));
  });
  return { series, end: offset };
}

function memoryChart(w: WorkloadResult): string {
  const { series, end } = memorySeries(w);
  if (series.length === 0) return '';
  return lineChart({
    kind: 'memory',
    data: { workload: workloadLabel(w) },
    title: `${workloadLabel(w)}: load generator memory (RSS)`,
    xLabel: 'seconds (load steps one after another)',
    yLabel: 'MiB',
    series,
    xMin: 0,
    xMax: end,
  });
}

/** Per-minute latency of steps longer than a minute (a soak): a registry that slows down shows here. */
function minuteTable(w: WorkloadResult): string {
  const rows = w.steps.flatMap((s) =>
    (s.minutes ?? []).map(
      (m) =>
        `<tr><td class="name">${html(loadLabel(s.load))}</td><td>${m.t + 1}</td><td>${m.ok}</td><td${m.errors ? ' class="fail"' : ''}>${m.errors}</td>` +
        `<td>${formatMs(m.latency.p50)}</td><td>${formatMs(m.latency.p99)}</td><td>${formatMs(m.latency.max)}</td></tr>`,
    ),
  );
  if (rows.length === 0) return '';
  return (
    '<table class="minutes"><caption>per minute</caption><thead><tr><th class="name">step</th><th>minute</th><th>ok</th><th>errors</th><th>p50 ms</th><th>p99 ms</th><th>max ms</th></tr></thead><tbody>' +
    rows.join('') +
    '</tbody></table>'
  );
}

function summaryTable(r: BenchReport): string {
  const rows: string[] = [];
  for (const w of r.workloads) {
    if (w.steps.length === 0) {
      rows.push(`<tr><td class="name">${html(workloadLabel(w))}</td><td class="name" colspan="10"><span class="${w.error ? 'fail' : 'note'}">${html(w.error ? `failed: ${w.error}` : `skipped: ${w.skipped ?? ''}`)}</span></td></tr>`);
      continue;
    }
    for (const s of w.steps) {
      if (s.operations === 0) {
        // Zeros of a step that measured nothing are no figures: the row says why instead.
        const why = s.notes?.length ? `: ${s.notes.join('; ')}` : '';
        rows.push(`<tr><td class="name">${html(workloadLabel(w))}</td><td class="name">${html(loadLabel(s.load))}</td><td class="name" colspan="9"><span class="note">${html(`no operation measured${why}`)}</span></td></tr>`);
        continue;
      }
      const l = s.latency;
      rows.push(
        `<tr><td class="name">${html(workloadLabel(w))}</td><td class="name">${html(loadLabel(s.load))}</td><td>${formatRate(s.opsPerSec)}</td><td>${formatMBps(s.bytesPerSec)}</td>` +
          `<td>${formatMs(l.p50)}</td><td>${formatMs(l.p90)}</td><td>${formatMs(l.p99)}</td><td>${formatMs(l.p999)}</td><td>${formatMs(l.max)}</td>` +
          `<td>${s.ttfb ? formatMs(s.ttfb.p50) : '-'}</td><td${s.errors ? ' class="fail"' : ''}>${html(formatErrors(s.errors, s.operations))}</td></tr>`,
      );
    }
  }
  return (
    '<table class="summary"><thead><tr><th class="name">workload</th><th class="name">step</th><th>ops/s</th><th>MB/s</th>' +
    '<th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th><th>TTFB p50 ms</th><th>errors</th></tr></thead><tbody>' +
    rows.join('') +
    '</tbody></table>'
  );
}

function stepNotes(w: WorkloadResult): string {
  const lines = w.steps.flatMap((s) => (s.notes ?? []).map((n) => `<li class="note">${html(`${loadLabel(s.load)}: ${n}`)}</li>`));
  return lines.length ? `<ul class="notes">${lines.join('')}</ul>` : '';
}

function errorDetails(w: WorkloadResult): string {
  const lines: string[] = [];
  for (const s of w.steps) {
    if (s.errors === 0 && s.errorDetail.digestMismatches === 0) continue;
    const e = s.errorDetail;
    const parts = [
      ...Object.entries(e.byStatus).map(([k, n]) => `HTTP ${k}: ${n}`),
      ...Object.entries(e.byCode).map(([k, n]) => `${k}: ${n}`),
      ...Object.entries(e.byConnection).map(([k, n]) => `${k}: ${n}`),
      ...Object.entries(e.other ?? {}).map(([k, n]) => `${k}: ${n}`),
      ...(e.digestMismatches ? [`digest mismatches: ${e.digestMismatches}`] : []),
    ];
    lines.push(`<li>${html(loadLabel(s.load))}: ${html(parts.join(', '))}${(e.samples ?? []).map((x) => `<br><code>${html(x)}</code>`).join('')}</li>`);
  }
  return lines.length ? `<ul class="errors">${lines.join('')}</ul>` : '';
}

export function environmentLine(r: BenchReport): string {
  const e = r.environment;
  const server = Object.entries(e.targetHeaders)
    .map(([k, v]) => `${k}: ${v}`)
    .join('; ');
  return `${e.tool} ${e.version}, Node ${e.node}, ${e.platform}, ${e.cpuModel} (${e.cores} cores, ${(e.memoryBytes / 2 ** 30).toFixed(1)} GiB)${e.hostname ? `, host ${e.hostname}` : ''}${server ? `; target says ${server}` : ''}`;
}

export function renderBenchHtml(r: BenchReport): string {
  const shard = (r.shard ? ('merged' in r.shard ? `, merge of ${r.shard.merged} reports` : `, shard ${r.shard.index}/${r.shard.count}`) : '') + (r.workers ? `, ${r.workers} load threads` : '');
  const body: string[] = [];
  body.push(`<h1>regprobe benchmark: ${html(r.target.url)}${r.target.reference ? ' (bundled reference registry)' : ''}</h1>`);
  body.push(`<p class="meta">${html(`${r.profile ? `profile ${r.profile}, ` : ''}started ${r.startedAt}, ${(r.durationMs / 1000).toFixed(1)} s${shard}`)}</p>`);
  body.push(`<p class="meta">${html(environmentLine(r))}</p>`);
  body.push(summaryTable(r));
  for (const w of r.workloads) {
    body.push(`<section class="workload" data-workload="${html(workloadLabel(w))}">`);
    body.push(`<h2>${html(workloadLabel(w))}</h2><p class="meta">${html(w.title)}${Object.keys(w.params).length ? ` <code>${html(paramsLabel(w.params))}</code>` : ''}</p>`);
    if (w.steps.length === 0) {
      body.push(`<p class="${w.error ? 'fail' : 'note'}">${html(w.error ? `failed: ${w.error}` : `skipped: ${w.skipped ?? ''}`)}</p>`);
    } else {
      body.push(`<div class="charts">${latencyChart(w)}${throughputChart(w)}${memoryChart(w)}</div>`);
      body.push(minuteTable(w));
      body.push(stepNotes(w));
      body.push(errorDetails(w));
    }
    body.push('</section>');
  }
  return page(`regprobe benchmark: ${r.target.url}`, body.join('\n'));
}
