// The conformance HTML page in a real browser (Debian's chromium via playwright-core): it loads with no
// errors, runs no script from the report's data, and filters rows by status and by workflow.
import t from 'tap';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { renderConformanceHtml } from '../../src/report/conformance-html.js';
import { findBinary, requirePeers } from '../helpers/peers.js';
import { sampleReport } from '../helpers/sample-conformance-report.js';

t.test('HTML report in chromium', async (t) => {
  if (!requirePeers(t, 'chromium')) return;
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-html-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'conformance.html');
  await writeFile(file, renderConformanceHtml(sampleReport()));

  const browser = await chromium.launch({ executablePath: findBinary('chromium')!, args: ['--no-sandbox'], timeout: 60_000 });
  t.teardown(() => browser.close());
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) problems.push(`request: ${r.url()}`);
  });
  await page.goto(pathToFileURL(file).href);

  const visible = () => page.$$eval('tr.case', (rows) => rows.filter((r) => !(r as HTMLElement).hidden).map((r) => (r as HTMLElement).dataset.status + ':' + (r as HTMLElement).dataset.workflow));
  const shown = () => page.textContent('#shown');
  t.equal((await visible()).length, 7, 'every case shown at first');
  t.equal(await shown(), '7');

  await page.uncheck('input[name=status][value=pass]');
  await page.uncheck('input[name=status][value=skip]');
  t.same(await visible(), ['fail:pull', 'error:push', 'fail:push'], 'only failures and errors');
  t.equal(await shown(), '3');
  t.equal(await page.isVisible('tr.detail[data-status=fail][data-workflow=pull]'), true, 'the detail row follows its case');

  await page.selectOption('#workflow', 'push');
  t.same(await visible(), ['error:push', 'fail:push'], 'and only the push workflow');
  t.equal(await page.isVisible('tr.detail[data-workflow=pull]'), false, 'details of hidden cases are hidden too');

  await page.check('input[name=status][value=pass]');
  await page.check('input[name=status][value=skip]');
  await page.selectOption('#workflow', '');
  t.equal((await visible()).length, 7, 'back to everything');

  t.equal(await page.locator('text=<script>alert("x")</script>').count() > 0, true, 'the hostile body is shown as text');
  t.same(problems, [], 'no dialog, no error, no request beyond the file');
});
