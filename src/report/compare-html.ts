// The HTML page of `compare --format html`: the reports, the gate, and for benchmarks side-by-side
// bars per metric (a group per workload and step, a bar per report) over the table of figures; for
// conformance reports the counts and the cases whose status changed, highlighted.
import type { BenchComparison, Comparison, ConformanceComparison } from './compare-model.js';
import { changedRows } from './compare-model.js';
import type { GateOutcome } from './compare-gate.js';
import { BENCH_METRICS, CHANGE_WORDS, isCell, missingCell, ratioCell, rowChange } from './compare-view.js';
import { formatMs, formatRate } from './bench-format.js';
import { html } from './escape.js';
import { page } from './bench-html.js';
import { barChart, colorOf } from './svg-chart.js';

export interface CompareHtmlOptions {
  noise: number;
  all?: boolean;
}

export function renderCompareHtml(c: Comparison, gate: GateOutcome | undefined, opts: CompareHtmlOptions): string {
  const body: string[] = [];
  body.push(`<h1>regprobe compare: ${c.kind === 'bench' ? 'benchmark' : 'conformance'} reports</h1>`);
  body.push('<table class="legend"><tbody>');
  for (const col of c.columns) {
    body.push(`<tr><th class="name">${html(col.label)}</th><td class="name"><code>${html(col.source)}</code></td><td class="name">${html(col.target)}</td><td class="name">${html(col.startedAt)}</td><td class="name">${html(col.about)}</td></tr>`);
  }
  body.push('</tbody></table>');
  if (gate) body.push(gateHtml(gate));
  body.push(c.kind === 'bench' ? benchBody(c, opts) : conformanceBody(c, opts));
  return page(`regprobe compare (${c.columns.map((col) => col.source).join(', ')})`, body.join('\n'));
}

function gateHtml(gate: GateOutcome): string {
  const ok = gate.failures.length === 0;
  const items = [
    ...gate.failures.map((f) => `<li class="fail">FAIL ${html(f)}</li>`),
    ...gate.passed.map((s) => `<li class="pass">ok ${html(s)}</li>`),
    ...gate.notes.map((n) => `<li class="note">note: ${html(n)}</li>`),
  ];
  return `<section class="gate"><h2 class="${ok ? 'pass' : 'fail'}">Gate: ${ok ? 'PASS' : 'FAIL'} (${gate.failures.length} of ${gate.checks} checks failed)</h2><ul>${items.join('')}</ul></section>`;
}

function benchBody(c: BenchComparison, opts: CompareHtmlOptions): string {
  const out: string[] = [];
  const measured = c.rows.filter((r) => r.cells.some(isCell));
  const categories = measured.map((r) => `${r.workload}${r.step ? ` ${r.step}` : ''}`);
  out.push('<div class="charts">');
  for (const m of BENCH_METRICS.filter((x) => x.better !== 'none')) {
    const series = c.columns.map((col, i) => ({
      name: `${col.label} (${col.source})`,
      color: colorOf(i),
      values: measured.map((r) => {
        const cell = r.cells[i];
        return isCell(cell) && cell.operations > 0 ? m.value(cell) / (m.name === 'MB/s' ? 1e6 : 1) : undefined;
      }),
    }));
    if (m.name === 'MB/s' && series.every((s) => s.values.every((v) => !v))) continue;
    out.push(
      barChart({
        kind: 'compare',
        data: { metric: m.name },
        title: `${m.name} (${m.better === 'higher' ? 'higher' : 'lower'} is better)`,
        unit: m.name.endsWith(' ms') ? 'ms' : m.name,
        categories,
        series,
        format: m.name.endsWith(' ms') ? formatMs : formatRate,
      }),
    );
  }
  out.push('</div>');

  const head = ['<th class="name">workload</th><th class="name">step</th>'];
  for (const m of BENCH_METRICS) {
    c.columns.forEach((col, i) => {
      head.push(`<th>${html(`${m.name} ${col.label}`)}</th>`);
      if (i > 0 && m.better !== 'none') head.push(`<th>${html(`${col.label}/A`)}</th>`);
    });
  }
  const rows = c.rows.map((row) => {
    const cells = [`<td class="name">${html(row.workload)}</td><td class="name">${html(row.step)}</td>`];
    const a = row.cells[0];
    for (const [mi, m] of BENCH_METRICS.entries()) {
      row.cells.forEach((cell, i) => {
        cells.push(`<td>${html(isCell(cell) ? m.format(cell) : missingCell(cell, mi === 0))}</td>`);
        if (i === 0 || m.better === 'none') return;
        if (!isCell(a) || !isCell(cell)) return void cells.push('<td></td>');
        const r = ratioCell(m, a, cell, opts.noise);
        cells.push(`<td class="${r.tone === 'same' ? '' : r.tone}">${r.text}</td>`);
      });
    }
    return `<tr>${cells.join('')}</tr>`;
  });
  out.push(`<table class="compare"><thead><tr>${head.join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`);
  return out.join('\n');
}

function conformanceBody(c: ConformanceComparison, opts: CompareHtmlOptions): string {
  const fields: Array<[string, keyof ConformanceComparison['summaries'][number]]> = [
    ['passed', 'passed'],
    ['failed', 'failed'],
    ['errored', 'errored'],
    ['skipped', 'skipped'],
    ['required (MUST) failed', 'requiredFailed'],
    ['recommended (SHOULD) not met', 'recommendedNotMet'],
    ['total', 'total'],
  ];
  const out: string[] = [];
  out.push(`<table class="summary"><thead><tr><th></th>${c.columns.map((col) => `<th>${html(col.label)}</th>`).join('')}</tr></thead><tbody>`);
  for (const [name, f] of fields) out.push(`<tr><td class="name">${html(name)}</td>${c.summaries.map((s) => `<td>${s[f]}</td>`).join('')}</tr>`);
  out.push('</tbody></table>');
  const rows = opts.all ? c.rows : changedRows(c);
  if (rows.length === 0) {
    out.push(`<p>${c.columns.length > 1 ? 'No case changed status.' : 'No cases.'}</p>`);
    return out.join('\n');
  }
  out.push(`<h2>${opts.all ? `All cases (${rows.length})` : `Cases whose status changed (${rows.length} of ${c.rows.length})`}</h2>`);
  out.push(`<table class="cases"><thead><tr><th class="name">case</th><th class="name">level</th>${c.columns.map((col) => `<th>${html(col.label)}</th>`).join('')}<th class="name">change</th></tr></thead><tbody>`);
  for (const row of rows) {
    const change = rowChange(row.changes);
    const cls = change === 'newly-failing' ? 'fail' : change === 'newly-passing' ? 'pass' : '';
    out.push(
      `<tr data-change="${change}"><td class="name"><code>${html(row.id)}</code></td><td class="name">${row.level}</td>${row.statuses.map((s) => `<td>${s ?? '-'}</td>`).join('')}<td class="name ${cls}">${html(CHANGE_WORDS[change])}</td></tr>`,
    );
  }
  out.push('</tbody></table>');
  return out.join('\n');
}
