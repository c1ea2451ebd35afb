// The benchmark HTML page and the comparison page in a real browser (Debian's chromium, driven by
// playwright-core): every chart rendered with a size and data marks for each workload and step, the
// console stayed free of errors, and no request left the page.
import t, { type Test } from 'tap';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { renderBenchHtml } from '../../src/report/bench-html.js';
import { renderCompareHtml } from '../../src/report/compare-html.js';
import { compareBench } from '../../src/report/compare-model.js';
import { checkRegressions } from '../../src/report/compare-gate.js';
import { findBinary, requirePeers } from '../helpers/peers.js';
import { prng, report, sampleReport, simulateOps, stepFrom, workload } from '../helpers/bench-report.js';
import type { BenchReport } from '../../bench/model.js';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const SCREENSHOT = join(tmpdir(), 'regprobe-bench-html.png');

/** A report with three steps, an open-loop workload, a skipped one and hostile text in a title. */
function richReport(): BenchReport {
  const rand = prng(5);
  const d = 4000;
  const r = sampleReport(9);
  r.workloads.push(
    workload('push.monolithic', { size: 4194304 }, [1, 4, 16].map((c) => stepFrom({ kind: 'closed', concurrency: c }, simulateOps(rand, { count: 100 * c, durationMs: d, medianUs: 20_000 * Math.sqrt(c), bytes: 4194304 }), d)), '4MiB'),
    workload('manifest.head', { by: 'digest' }, [stepFrom({ kind: 'open', ratePerSec: 200, maxInFlight: 64 }, simulateOps(rand, { count: 800, durationMs: d, medianUs: 700 }), d)], 'by-digest'),
    { ...workload('referrers', {}, []), skipped: 'the registry has no referrers API (404)' },
  );
  r.workloads[0]!.title = 'GET manifest <script>alert(1)</script>';
  return r;
}

async function openPage(t: Test, file: string): Promise<{ page: Page; problems: string[] }> {
  const profile = await mkdtemp(join(tmpdir(), 'regprobe-chromium-'));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, { executablePath: findBinary('chromium')!, args: ARGS, headless: true, timeout: 60_000 });
  t.teardown(async () => {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  });
  const page = await context.newPage();
  const problems: string[] = [];
  const own = pathToFileURL(file).href;
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('request', (r) => {
    if (r.url() !== own) problems.push(`request: ${r.url()}`);
  });
  await page.goto(own, { waitUntil: 'load' });
  return { page, problems };
}

interface ChartInfo {
  chart: string;
  workload: string;
  metric: string;
  width: number;
  height: number;
  marks: number;
  /** Marks drawn with a size and inside the chart's box. */
  visibleMarks: number;
  series: string[];
}

function charts(page: Page): Promise<ChartInfo[]> {
  return page.$$eval('svg.chart', (svgs) =>
    svgs.map((svg) => {
      const box = svg.getBoundingClientRect();
      const marks = [...svg.querySelectorAll('.mark')];
      const visible = marks.filter((m) => {
        const b = m.getBoundingClientRect();
        return b.width > 0 && b.height > 0 && b.left >= box.left - 1 && b.right <= box.right + 1 && b.top >= box.top - 1 && b.bottom <= box.bottom + 1;
      });
      const series = [...svg.querySelectorAll('.series')].map((g) => g.getAttribute('data-series') ?? '');
      const bars = [...new Set(marks.map((m) => m.getAttribute('data-series')).filter((s): s is string => !!s))];
      return {
        chart: svg.getAttribute('data-chart') ?? '',
        workload: svg.getAttribute('data-workload') ?? '',
        metric: svg.getAttribute('data-metric') ?? '',
        width: box.width,
        height: box.height,
        marks: marks.length,
        visibleMarks: visible.length,
        series: series.length ? series : bars,
      };
    }),
  );
}

t.test('benchmark HTML: every chart rendered, no errors, no requests', async (t) => {
  if (!requirePeers(t, 'chromium')) return;
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-bench-html-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const r = richReport();
  const file = join(dir, 'bench.html');
  await writeFile(file, renderBenchHtml(r));
  const { page, problems } = await openPage(t, file);

  const found = await charts(page);
  const ran = r.workloads.filter((w) => w.steps.length > 0);
  t.equal(found.length, ran.length * 2, 'a latency and a throughput chart per workload that ran');
  for (const w of ran) {
    const key = w.key!;
    const steps = w.steps.map((s) => (s.load.kind === 'closed' ? `c=${s.load.concurrency}` : `rate=${s.load.ratePerSec}/s`));
    for (const kind of ['latency', 'throughput']) {
      const c = found.find((x) => x.chart === kind && x.workload === key);
      t.ok(c, `${kind} chart of ${key}`);
      if (!c) continue;
      t.ok(c.width > 200 && c.height > 100, `${kind} chart of ${key} has a size (${c.width}x${c.height})`);
      t.same(c.series, steps, `${kind} chart of ${key} has a line per step`);
      t.ok(c.marks >= steps.length * 3, `${kind} chart of ${key} has data marks (${c.marks})`);
      t.equal(c.visibleMarks, c.marks, `every mark of the ${kind} chart of ${key} is drawn inside the chart`);
    }
  }
  // Latency marks: one per percentile the sample supports, plus the maximum.
  const blob = found.find((x) => x.chart === 'latency' && x.workload === 'pull.blob.1MiB')!;
  t.equal(blob.marks, 9 + 1, '300 operations support p10..p99.5 (9 points) + max');
  t.equal(await page.locator('section[data-workload="referrers"] .note').textContent(), 'skipped: the registry has no referrers API (404)');
  t.equal(await page.locator('text=GET manifest <script>alert(1)</script>').count(), 1, 'report text is shown as text');
  t.equal(await page.locator('table.summary tbody tr').count(), 8, 'a summary row per step, one for the skipped workload');
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  t.same(problems, [], 'no console error, no page error, no request beyond the file');
});

t.test('comparison HTML: side-by-side bars for each metric', async (t) => {
  if (!requirePeers(t, 'chromium')) return;
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-compare-html-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const a = { source: 'reference.json', report: sampleReport(1) };
  const b = { source: 'distribution.json', report: sampleReport(2, 0.7) };
  const c = compareBench([a, b]);
  const file = join(dir, 'compare.html');
  await writeFile(file, renderCompareHtml(c, checkRegressions(c, 0.1), { noise: 0.1 }));
  const { page, problems } = await openPage(t, file);
  const found = await charts(page);
  t.same(found.map((x) => x.metric), ['ops/s', 'MB/s', 'p50 ms', 'p99 ms'], 'a bar chart per metric');
  for (const ch of found) {
    t.ok(ch.width > 200 && ch.height > 50, `${ch.metric} chart has a size`);
    t.equal(ch.marks, c.rows.length * 2, `${ch.metric}: a bar per report and row`);
    t.equal(ch.visibleMarks, ch.marks, `${ch.metric}: every bar drawn inside the chart`);
    t.same(ch.series, ['A (reference.json)', 'B (distribution.json)']);
  }
  // The bars are to scale: B's ops/s bar of a row is its share of A's.
  const widths = await page.$$eval('svg[data-metric="ops/s"] rect.mark', (rs) => rs.map((r) => r.getBoundingClientRect().width));
  const opsA = c.rows.map((row) => (row.cells[0] as { opsPerSec: number }).opsPerSec);
  const opsB = c.rows.map((row) => (row.cells[1] as { opsPerSec: number }).opsPerSec);
  for (let i = 0; i < c.rows.length; i++) t.ok(Math.abs(widths[2 * i + 1]! / widths[2 * i]! - opsB[i]! / opsA[i]!) < 0.02, `row ${i}: bar lengths in the ratio of the values`);
  t.match(await page.locator('section.gate h2').textContent(), /^Gate: FAIL/);
  t.same(problems, []);
});

t.test('an empty report renders without charts and without errors', async (t) => {
  if (!requirePeers(t, 'chromium')) return;
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-bench-html-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'empty.html');
  const zero = report([workload('ping', {}, [stepFrom({ kind: 'closed', concurrency: 1 }, [], 1000)])]);
  await writeFile(file, renderBenchHtml(zero));
  const { page, problems } = await openPage(t, file);
  const found = await charts(page);
  t.equal(found.length, 2, 'the charts are there (empty)');
  t.ok(found.every((c) => c.width > 0 && c.marks === 0), 'with no marks for no data');
  t.same(problems, []);
});
