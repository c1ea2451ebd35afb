// A self-contained HTML page of a conformance report: no CDN, inline CSS and JS, a CSP that forbids
// loading anything, every value escaped. Rows are rendered here; the script only filters them by status
// and workflow.
import type { CaseResult, ConformanceReport } from '../conformance/model.js';
import { byWorkflow, clientMatrix, countStatuses, detailLines, formatSeconds, STATUSES, summaryLine, targetLine, verdict } from './conformance-view.js';
import { html } from './escape.js';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:1em 1.5em;color:#1f2328}
h1{font-size:1.4em;margin:.2em 0}.meta{color:#59636e}
.verdict{font-weight:600;padding:.4em .7em;border-radius:6px;display:inline-block;margin:.6em 0}
.ok{background:#dafbe1;color:#116329}.bad{background:#ffebe9;color:#a40e26}
table{border-collapse:collapse;width:100%;margin:.6em 0}th,td{border-bottom:1px solid #d1d9e0;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.n{text-align:right;font-variant-numeric:tabular-nums}
.badge{font-size:.8em;font-weight:600;padding:.1em .45em;border-radius:4px;white-space:nowrap}
.s-pass{background:#dafbe1;color:#116329}.s-fail{background:#ffebe9;color:#a40e26}
.s-skip{background:#fff8c5;color:#7d4e00}.s-error{background:#fbefff;color:#8250df}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em}
pre{background:#f6f8fa;padding:.5em;white-space:pre-wrap;word-break:break-all;margin:.2em 0}
.filters{display:flex;gap:1.2em;align-items:center;flex-wrap:wrap;margin:1em 0;padding:.6em;background:#f6f8fa;border-radius:6px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.15em .8em;margin:.3em 0}dt{color:#59636e}dd{margin:0}
table.workflows{width:auto;min-width:32em}table.cases{table-layout:fixed}
table.cases th:nth-child(1){width:9em}table.cases th:nth-child(3){width:5em}table.cases th:nth-child(4){width:11em}table.cases th:nth-child(5){width:5em}
td,dd,code{overflow-wrap:anywhere}
details>summary{cursor:pointer}tr.case[hidden],tr.detail[hidden]{display:none}
`;

// Filtering only: show the rows whose status box is checked and whose workflow is selected.
const JS = `
(function(){
  var boxes=[].slice.call(document.querySelectorAll('input[name=status]'));
  var wf=document.getElementById('workflow');
  var rows=[].slice.call(document.querySelectorAll('tr.case'));
  var shown=document.getElementById('shown');
  function apply(){
    var on={};boxes.forEach(function(b){on[b.value]=b.checked;});
    var n=0;
    rows.forEach(function(r){
      var v=on[r.dataset.status]&&(wf.value===''||wf.value===r.dataset.workflow);
      r.hidden=!v;var d=r.nextElementSibling;if(d&&d.classList.contains('detail'))d.hidden=!v;if(v)n++;
    });
    shown.textContent=String(n);
  }
  boxes.forEach(function(b){b.addEventListener('change',apply);});
  wf.addEventListener('change',apply);
  apply();
})();
`;

export function renderConformanceHtml(report: ConformanceReport): string {
  const v = verdict(report);
  const groups = byWorkflow(report);
  const total = countStatuses(report.results);
  const headers = Object.entries(report.target.serverHeaders);
  const parts: string[] = [];
  parts.push(
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width,initial-scale=1">',
    `<title>regprobe conformance: ${html(report.target.url)}</title>`,
    `<style>${CSS}</style></head><body>`,
    `<h1>Conformance of <code>${html(targetLine(report))}</code></h1>`,
    `<div class="meta">spec ${html(report.options.spec)}${report.options.readOnly ? ', read-only' : ''} &middot; ${total.total} cases in ${html(formatSeconds(report.durationMs))} &middot; ${html(report.startedAt)} &middot; regprobe ${html(report.tool.version)} on Node ${html(report.tool.node)}</div>`,
    `<div class="verdict ${v.ok ? 'ok' : 'bad'}">${v.ok ? 'PASS' : 'FAIL'}: ${html(v.text)}</div>`,
    `<div>${html(summaryLine(report))}</div>`,
  );
  if (headers.length > 0) parts.push(`<div class="meta">${headers.map(([k, val]) => `${html(k)}: <code>${html(val)}</code>`).join(' &middot; ')}</div>`);

  parts.push('<table class="workflows"><thead><tr><th>workflow</th><th>pass</th><th>fail</th><th>skip</th><th>error</th><th>total</th></tr></thead><tbody>');
  for (const g of groups) parts.push(countRow(html(g.workflow), g.counts));
  parts.push(countRow('<b>total</b>', total), '</tbody></table>');

  const clients = clientMatrix(report);
  if (clients.length > 0) {
    parts.push('<h2>Will my clients work?</h2>', '<table class="workflows clients"><thead><tr><th>client</th><th>verdict</th><th>flows</th><th>broken flows</th><th>skipped</th></tr></thead><tbody>');
    for (const c of clients) {
      const badge = c.verdict === 'works' ? 's-pass' : c.verdict === 'breaks' ? 's-fail' : 's-skip';
      const links = (flows: string[]) => flows.map((f) => `<a href="#case-${html(`clients.${c.client}.${f}`)}"><code>${html(f)}</code></a>`).join(', ');
      parts.push(`<tr><td>${html(c.client)}</td><td><span class="badge ${badge}">${html(c.verdict)}</span></td><td class="n">${c.passed}/${c.ran}</td><td>${links(c.broken)}</td><td>${links(c.skipped)}</td></tr>`);
    }
    parts.push('</tbody></table>');
  }

  parts.push('<div class="filters"><span>Show:</span>');
  for (const s of STATUSES) {
    parts.push(`<label><input type="checkbox" name="status" value="${s}" checked> <span class="badge s-${s}">${s}</span> ${total[s]}</label>`);
  }
  parts.push('<label>workflow <select id="workflow"><option value="">all</option>');
  for (const g of groups) parts.push(`<option value="${html(g.workflow)}">${html(g.workflow)}</option>`);
  parts.push(`</select></label><span><span id="shown">${total.total}</span> of ${total.total} cases shown</span></div>`);

  parts.push('<table class="cases"><thead><tr><th>status</th><th>case</th><th>level</th><th>requirements</th><th>ms</th></tr></thead><tbody>');
  for (const r of report.results) parts.push(...caseRows(r));
  parts.push('</tbody></table>', `<script>${JS}</script>`, '</body></html>');
  return parts.join('\n') + '\n';
}

function countRow(name: string, c: ReturnType<typeof countStatuses>): string {
  return `<tr><td>${name}</td><td class="n">${c.pass}</td><td class="n">${c.fail}</td><td class="n">${c.skip}</td><td class="n">${c.error}</td><td class="n">${c.total}</td></tr>`;
}

function caseRows(r: CaseResult): string[] {
  const attrs = `class="case" id="case-${html(r.id)}" data-status="${r.status}" data-workflow="${html(r.workflow)}"`;
  const rows = [
    `<tr ${attrs}><td><span class="badge s-${r.status}">${r.status}${r.skipKind ? ` (${html(r.skipKind)})` : ''}</span></td>` +
      `<td><code>${html(r.id)}</code><br>${html(r.title)}</td><td>${html(r.level)}</td>` +
      `<td>${[...new Set(r.requirements.map((q) => `<span${q.text ? ` title="${html(q.text)}"` : ''}>${html(q.ref)}</span> <small>${html(q.level)}</small>`))].join('<br>')}</td><td class="n">${r.durationMs}</td></tr>`,
  ];
  const extra: string[] = [];
  if (r.status === 'fail' || r.status === 'error') {
    extra.push('<dl>');
    for (const d of detailLines(r).filter((x) => x.label !== 'requirements' && x.label !== 'body')) {
      extra.push(`<dt>${html(d.label)}</dt><dd>${d.verbatim ? `<code>${html(d.value)}</code>` : html(d.value)}</dd>`);
    }
    extra.push('</dl>');
    if (r.exchange?.bodyStart) extra.push(`<pre>${html(r.exchange.bodyStart)}</pre>`);
  } else if (r.status === 'skip' && r.message) {
    extra.push(`<div>${html(r.message)}</div>`);
  }
  const obs = Object.entries(r.observations ?? {});
  if (obs.length > 0) {
    extra.push(`<details><summary>observed (${obs.length})</summary><dl>`);
    for (const [k, val] of obs) extra.push(`<dt>${html(k)}</dt><dd><code>${html(String(val))}</code></dd>`);
    extra.push('</dl></details>');
  }
  if (extra.length > 0) {
    rows.push(`<tr class="detail" data-status="${r.status}" data-workflow="${html(r.workflow)}"><td></td><td colspan="4">${extra.join('')}</td></tr>`);
  }
  return rows;
}
