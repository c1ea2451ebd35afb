// Markdown of a comparison, for a PR comment, a job summary or the README: a legend, one wide table
// (each metric: a column per report and its ratio to A), or for conformance reports the counts and
// the changed cases; then the gate. Report-supplied text is escaped.
import type { BenchComparison, Comparison, ConformanceComparison } from './compare-model.js';
import { changedRows } from './compare-model.js';
import type { GateOutcome } from './compare-gate.js';
import { BENCH_METRICS, CHANGE_WORDS, isCell, missingCell, ratioCell, rowChange } from './compare-view.js';
import { mdCode, mdText } from './escape.js';

export interface CompareMarkdownOptions {
  noise: number;
  all?: boolean;
}

export function renderCompareMarkdown(c: Comparison, gate: GateOutcome | undefined, opts: CompareMarkdownOptions): string {
  const out: string[] = [];
  out.push(`## regprobe compare: ${c.kind === 'bench' ? 'benchmark' : 'conformance'}${gate ? `, gate ${gate.failures.length === 0 ? 'PASS' : 'FAIL'}` : ''}`, '');
  for (const col of c.columns) out.push(`- **${col.label}**: ${mdCode(col.source)}, ${mdCode(col.target)}, ${mdText(col.startedAt)}; ${mdText(col.about)}`);
  out.push('');
  out.push(...(c.kind === 'bench' ? benchTable(c, opts) : conformanceTables(c, opts)));
  if (gate) {
    out.push('', `### Gate: ${gate.failures.length === 0 ? 'PASS' : 'FAIL'} (${gate.failures.length} of ${gate.checks} checks failed)`, '');
    for (const f of gate.failures) out.push(`- FAIL ${mdText(f)}`);
    for (const s of gate.passed) out.push(`- ok ${mdText(s)}`);
    for (const n of gate.notes) out.push(`- note: ${mdText(n)}`);
  }
  return out.join('\n') + '\n';
}

function benchTable(c: BenchComparison, opts: CompareMarkdownOptions): string[] {
  const head = ['Workload', 'Step'];
  const align = ['---', '---'];
  for (const m of BENCH_METRICS) {
    c.columns.forEach((col, i) => {
      head.push(`${m.name} ${col.label}`);
      align.push('---:');
      if (i > 0 && m.better !== 'none') {
        head.push(`${col.label}/A`);
        align.push('---:');
      }
    });
  }
  const lines = [`| ${head.join(' | ')} |`, `| ${align.join(' | ')} |`];
  for (const row of c.rows) {
    const cells = [mdCode(row.workload, true), mdText(row.step)];
    const a = row.cells[0];
    for (const [mi, m] of BENCH_METRICS.entries()) {
      row.cells.forEach((cell, i) => {
        cells.push(isCell(cell) ? m.format(cell) : mdText(missingCell(cell, mi === 0)));
        if (i === 0 || m.better === 'none') return;
        if (!isCell(a) || !isCell(cell)) return void cells.push('');
        const r = ratioCell(m, a, cell, opts.noise);
        // Bold marks a change beyond the noise level; the direction is in the heading of the metric.
        cells.push(r.tone === 'same' ? r.text : `**${r.text}**`);
      });
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  lines.push('', `ops/s and MB/s: higher is better; latency in ms, lower is better. Ratios are against A; bold: a change of more than ${Math.round(opts.noise * 100)}%.`);
  return lines;
}

function conformanceTables(c: ConformanceComparison, opts: CompareMarkdownOptions): string[] {
  const out = [`| | ${c.columns.map((col) => col.label).join(' | ')} |`, `| --- | ${c.columns.map(() => '---:').join(' | ')} |`];
  const fields: Array<[string, keyof ConformanceComparison['summaries'][number]]> = [
    ['Passed', 'passed'],
    ['Failed', 'failed'],
    ['Errored', 'errored'],
    ['Skipped', 'skipped'],
    ['Required (MUST) failed', 'requiredFailed'],
    ['Recommended (SHOULD) not met', 'recommendedNotMet'],
    ['Total', 'total'],
  ];
  for (const [name, f] of fields) out.push(`| ${name} | ${c.summaries.map((s) => String(s[f])).join(' | ')} |`);
  const rows = opts.all ? c.rows : changedRows(c);
  out.push('');
  if (rows.length === 0) {
    out.push(c.columns.length > 1 ? 'No case changed status.' : 'No cases.');
    return out;
  }
  out.push(`### ${opts.all ? `All cases (${rows.length})` : `Cases whose status changed (${rows.length} of ${c.rows.length})`}`, '');
  out.push(`| Case | Level | ${c.columns.map((col) => col.label).join(' | ')} | Change |`, `| --- | --- | ${c.columns.map(() => '---').join(' | ')} | --- |`);
  for (const row of rows) {
    const change = rowChange(row.changes);
    const word = CHANGE_WORDS[change];
    out.push(`| ${mdCode(row.id, true)} | ${row.level} | ${row.statuses.map((s) => s ?? '-').join(' | ')} | ${change === 'newly-failing' || change === 'newly-passing' ? `**${word}**` : word} |`);
  }
  return out;
}
