import t from 'tap';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { HOSTILE_BODY, sampleReport } from '../helpers/sample-conformance-report.js';
import { renderConformanceJUnit } from '../../src/report/conformance-junit.js';
import { renderConformanceMarkdown } from '../../src/report/conformance-markdown.js';
import { renderConformanceHtml } from '../../src/report/conformance-html.js';
import { renderConformanceTable } from '../../src/report/conformance-table.js';
import { useColor } from '../../src/report/ansi.js';
import { appendStepSummary, writeConformanceFiles } from '../../src/report/conformance-outputs.js';
import { loadConformanceReport, parseConformanceReport, ReportLoadError } from '../../src/report/conformance-load.js';
import { writeFileAtomic } from '../../src/report/atomic-write.js';

const report = sampleReport();

t.test('summary counts of the sample', async (t) => {
  t.match(report.summary, { total: 7, passed: 1, failed: 2, errored: 1, skipped: 3, requiredFailed: 2, recommendedNotMet: 1, optionalNotOffered: 1 });
});

t.test('JUnit XML is well-formed and says what happened per case', async (t) => {
  const xml = renderConformanceJUnit(report);
  t.equal(XMLValidator.validate(xml), true, 'well-formed XML despite hostile text');
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name) }).parse(xml);
  const root = doc.testsuites;
  t.match(root, { tests: '7', failures: '2', errors: '1', skipped: '3' });
  t.same(root.testsuite.map((s: { name: string }) => s.name), ['pull', 'push', 'discovery', 'referrers'], 'one testsuite per workflow in run order');
  const cases = root.testsuite.flatMap((s: { testcase: unknown[] }) => s.testcase) as Array<Record<string, any>>;
  t.equal(cases.length, 7, 'one testcase per case');
  const byName = new Map(cases.map((c) => [c.name, c]));
  const failed = byName.get('pull.blob.missing-404')!;
  t.equal(failed.classname, 'pull');
  t.match(failed.failure.message, /^MUST: expected status 404/);
  t.match(failed.failure['#text'], /expected: status 404/);
  t.match(failed.failure['#text'], /got: status 500 & <b>bold<\/b>/, 'markup came back as text after parsing');
  t.match(failed.failure['#text'], /<script>alert\("x"\)<\/script> \]\]>/, 'body start survives escaping');
  t.notMatch(failed.failure['#text'], /\u001b/, 'control characters replaced');
  t.match(byName.get('push.blob.post-put')!.error.message, /timed out/);
  t.equal(byName.get('discovery.catalog.list')!.skipped.message, 'unsupported: catalog answers 404 | not offered');
  t.equal(byName.get('pull.manifest.by-tag')!.failure, undefined, 'a pass has no child elements');
  t.equal(failed.time, '0.002');
  const props = root.testsuite[0].properties.property as Array<{ name: string; value: string }>;
  t.ok(props.some((p) => p.name === 'header.server' && p.value === 'evil <server>'), 'server header recorded as a property');
});

t.test('Markdown: summary, failures, nothing active from the target', async (t) => {
  const md = renderConformanceMarkdown(report);
  t.match(md, /^## regprobe conformance: FAIL, 2 required \(MUST\) cases failed/);
  t.match(md, /\| pull \| 1 \| 1 \| 0 \| 0 \| 2 \|/);
  t.match(md, /Required \(MUST\) failed: \*\*2\*\*/);
  t.match(md, /Recommended \(SHOULD\) not met: \*\*1\*\*/);
  t.match(md, /Optional features not offered: \*\*1\*\*/);
  t.match(md, /#### FAIL \(MUST\) `pull\.blob\.missing-404`/);
  t.match(md, /#### ERROR \(MUST\) `push\.blob\.post-put`/);
  t.notMatch(md, /^#### .*catalog/m, 'skips are not detailed');
  // The hostile body is inside a fence longer than its own backtick run, so it cannot close it.
  const fence = /\n(`{4,})text\n([\s\S]*?)\n\1\n/.exec(md);
  t.ok(fence, 'body in a fenced block');
  t.ok(fence![2]!.includes('<script>'), 'inside the fence, verbatim');
  const outside = md.replace(/\n(`{3,})text\n[\s\S]*?\n\1\n/g, '').replace(/(`+)(?:(?!\1)[^\n])*\1/g, '');
  t.notMatch(outside, /<script|<b>|<server>/, 'no raw HTML outside code blocks and spans');
  t.match(md, /GET of a blob that does not exist answers 404 &lt;BLOB\\_UNKNOWN>\./, 'titles escaped');
  t.match(md, /- got: `status 500 & <b>bold<\/b>`/, 'target text in a code span');
  t.match(md, /\*\*total\*\* \| 1 \| 2 \| 3 \| 1 \| 7/);
});

t.test('Markdown keeps a step summary bounded', async (t) => {
  const many = sampleReport();
  const fail = many.results[1]!;
  many.results = Array.from({ length: 30 }, (_, i) => ({ ...fail, id: `pull.blob.f${i}` }));
  const md = renderConformanceMarkdown(many, { maxDetails: 5 });
  t.equal(md.match(/^#### FAIL/gm)?.length, 5);
  t.match(md, /And 25 more: `pull\.blob\.f5`, /);
});

t.test('HTML: self-contained, escaped, filterable rows', async (t) => {
  const page = renderConformanceHtml(report);
  t.equal(page.match(/<script>/g)?.length, 1, 'only the page\'s own script');
  t.notMatch(page, /<script>alert/, 'no injected script');
  t.notMatch(page, /<b>bold/, 'no injected markup');
  t.match(page, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;/);
  t.match(page, /evil &lt;server&gt;/);
  t.notMatch(page, /\b(src|href)=/, 'loads nothing');
  t.match(page, /Content-Security-Policy" content="default-src 'none'/);
  t.equal(page.match(/<tr class="case"/g)?.length, 7, 'one row per case');
  t.match(page, /data-status="fail" data-workflow="pull"/);
  t.match(page, /<option value="referrers">referrers<\/option>/, 'workflow filter lists every workflow');
  for (const s of ['pass', 'fail', 'skip', 'error']) t.match(page, new RegExp(`name="status" value="${s}" checked`));
  t.match(page, /content-type<\/dt><dd><code>application\/vnd\.oci\.image\.manifest\.v1\+json/, 'observations shown');
});

t.test('console table: counts per workflow, details, colour only when asked', async (t) => {
  const plain = renderConformanceTable(report, { color: false });
  t.notMatch(plain, /\u001b/, 'no escape codes at all without colour (also none from the target)');
  t.match(plain, /│ pull\s+│\s+1 │\s+1 │\s+0 │\s+0 │\s+2 │/);
  t.match(plain, /│ total\s+│\s+1 │\s+2 │\s+3 │\s+1 │\s+7 │/);
  t.match(plain, /FAIL 2 required \(MUST\) cases failed/);
  t.match(plain, /required \(MUST\) failed: 2 \| recommended \(SHOULD\) not met: 1 \| optional features not offered: 1/);
  t.match(plain, /FAIL MUST pull\.blob\.missing-404: GET of a blob/);
  t.match(plain, /expected\s+status 404/);
  t.match(plain, /got\s+status 500/);
  t.match(plain, /request\s+GET \/v2\/regprobe-conformance\/r1\/pull\/blobs\/sha256:abc\?a=1&b=<2> -> 500/);
  t.match(plain, /headers\s+content-type: text\/html/);
  t.match(plain, /body\s+<script>/);
  t.match(plain, /ERROR MUST push\.blob\.post-put/);
  t.match(plain, /Optional features not offered\n\s+discovery\.catalog\.list: catalog answers 404/);
  t.match(plain, /skipped: 1 unsupported, 1 dependency, 1 spec-version/);
  const coloured = renderConformanceTable(report, { color: true });
  t.match(coloured, /\u001b\[31m/, 'colour codes when enabled');
  t.notMatch(coloured, /\u001b\[31mred/, 'the target\'s own escape codes are neutralised');
});

t.test('colour decision: TTY and NO_COLOR', async (t) => {
  t.equal(useColor({ isTTY: true }, {}), true);
  t.equal(useColor({ isTTY: false }, {}), false);
  t.equal(useColor({}, {}), false);
  t.equal(useColor({ isTTY: true }, { NO_COLOR: '1' }), false);
  t.equal(useColor({ isTTY: true }, { NO_COLOR: '' }), true, 'an empty NO_COLOR does not count (no-color.org)');
});

t.test('files: written atomically, loaded back, step summary appended', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-report-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const out = join(dir, 'nested', 'reports');
  const paths = await writeConformanceFiles(report, out, ['table', 'json', 'junit', 'markdown', 'html']);
  t.same(paths.map((p) => p.slice(out.length + 1)), ['conformance.json', 'conformance.junit.xml', 'conformance.md', 'conformance.html']);
  t.same((await readdir(out)).sort(), ['conformance.html', 'conformance.json', 'conformance.junit.xml', 'conformance.md'], 'no temp files left');
  const back = await loadConformanceReport(join(out, 'conformance.json'));
  t.same(back, report, 'JSON round-trips');
  t.equal(renderConformanceHtml(back), await readFile(join(out, 'conformance.html'), 'utf8'), 're-rendered from JSON alone: same page');

  const summary = join(dir, 'step-summary.md');
  await writeFile(summary, '# earlier step\n');
  t.equal(await appendStepSummary(report, { GITHUB_STEP_SUMMARY: summary }), summary);
  await appendStepSummary(report, { GITHUB_STEP_SUMMARY: summary });
  const text = await readFile(summary, 'utf8');
  t.ok(text.startsWith('# earlier step\n'), 'appends, keeps what was there');
  t.equal(text.match(/## regprobe conformance/g)?.length, 2);
  t.equal(await appendStepSummary(report, {}), undefined, 'nothing without the variable');
});

t.test('atomic write leaves nothing behind when it fails', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-atomic-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'x.json'), 'old');
  await writeFileAtomic(join(dir, 'x.json'), 'new');
  t.equal(await readFile(join(dir, 'x.json'), 'utf8'), 'new');
  await t.rejects(writeFileAtomic(join(dir, 'x.json', 'inside'), 'data'), 'a file is in the way');
  await t.rejects(writeFileAtomic(dir, 'data'), 'a directory cannot be replaced by a file');
  t.same((await readdir(dir)).sort(), ['x.json'], 'no temp file left after failures');
});

t.test('loader refuses what is not a v1 conformance report, in one line', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-load-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await t.rejects(loadConformanceReport(join(dir, 'missing.json')), { name: 'ReportLoadError', message: /missing\.json: no such file/ });
  t.throws(() => parseConformanceReport('{nope', 'a.json'), { message: 'a.json is not JSON' });
  t.throws(() => parseConformanceReport('[]', 'a.json'), { message: /not a JSON object/ });
  t.throws(() => parseConformanceReport('{"schema":"regprobe.bench/v1"}', 'b.json'), { message: 'b.json is not a regprobe.conformance/v1 report: it has schema "regprobe.bench/v1"' });
  t.throws(() => parseConformanceReport('{"schema":"regprobe.conformance/v2"}', 'c.json'), { message: /newer regprobe/ });
  t.throws(() => parseConformanceReport('{}', 'd.json'), { message: /no "schema" field/ });
  const damaged = sampleReport() as unknown as { results: Array<Record<string, unknown>> };
  damaged.results[2]!['status'] = 'exploded';
  t.throws(() => parseConformanceReport(JSON.stringify(damaged), 'e.json'), { message: 'e.json is a damaged regprobe.conformance/v1 report: results[2] (push.blob.post-put) has status "exploded"' });
  const noSummary = { ...sampleReport(), summary: { total: 1 } };
  t.throws(() => parseConformanceReport(JSON.stringify(noSummary), 'f.json'), { message: /summary\.passed is not a number/ });
  for (const bad of ['{nope', '{}']) {
    try {
      parseConformanceReport(bad);
    } catch (err) {
      t.ok(err instanceof ReportLoadError && !err.message.includes('\n'), 'one line');
    }
  }
});
