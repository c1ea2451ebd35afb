// The console view of `compare`: a legend of the reports, then one table per metric (workload x
// step rows, a column per report and its ratio to the baseline), or for conformance reports the
// status counts and the cases whose status changed; then the gate.
import Table from 'cli-table3';
import { paint, type Paint } from './ansi.js';
import type { BenchComparison, Comparison, ConformanceComparison, ReportColumn } from './compare-model.js';
import { changedRows } from './compare-model.js';
import type { GateOutcome } from './compare-gate.js';
import { BENCH_METRICS, CHANGE_WORDS, isCell, missingCell, ratioCell, rowChange } from './compare-view.js';
import { flatten, truncate } from './conformance-view.js';

export interface CompareTableOptions {
  color: boolean;
  /** Ratio changes within this fraction are not coloured. */
  noise: number;
  /** Conformance: list every case, not only changed ones. */
  all?: boolean;
}

export function renderCompareTable(c: Comparison, gate: GateOutcome | undefined, opts: CompareTableOptions): string {
  const p = paint(opts.color);
  const out = [...legend(c.kind === 'bench' ? 'benchmark' : 'conformance', c.columns, p), ''];
  out.push(...(c.kind === 'bench' ? benchTables(c, p, opts) : conformanceTables(c, p, opts)));
  if (gate) out.push('', ...gateLines(gate, p));
  return out.join('\n') + '\n';
}

function legend(what: string, cols: readonly ReportColumn[], p: Paint): string[] {
  const lines = [p.bold(`Comparing ${cols.length} ${what} report${cols.length === 1 ? '' : 's'}${cols.length > 1 ? ' (ratios: each against A)' : ''}`)];
  for (const col of cols) lines.push(`  ${p.bold(col.label)}  ${flatten(col.source)}: ${flatten(col.target)}, ${col.startedAt}`, p.dim(`     ${flatten(col.about)}`));
  return lines;
}

function style(color: boolean) {
  return { head: color ? ['bold'] : [], border: color ? ['grey'] : [] };
}

/** No rule between body rows: long comparisons stay readable. */
const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

function benchTables(c: BenchComparison, p: Paint, opts: CompareTableOptions): string[] {
  const out: string[] = [];
  for (const m of BENCH_METRICS) {
    const head = ['workload', 'step'];
    const aligns: Array<'left' | 'right'> = ['left', 'left'];
    c.columns.forEach((col, i) => {
      head.push(col.label);
      aligns.push('right');
      if (i > 0 && m.better !== 'none') {
        head.push(`${col.label}/A`);
        aligns.push('right');
      }
    });
    const table = new Table({ head, colAligns: aligns, style: style(opts.color), chars: COMPACT });
    for (const row of c.rows) {
      const cells: string[] = [truncate(flatten(row.workload), 48), row.step];
      const a = row.cells[0];
      row.cells.forEach((cell, i) => {
        cells.push(isCell(cell) ? m.format(cell) : p.dim(missingCell(cell)));
        if (i === 0 || m.better === 'none') return;
        if (!isCell(a) || !isCell(cell)) return void cells.push('');
        const r = ratioCell(m, a, cell, opts.noise);
        cells.push(r.tone === 'better' ? p.green(r.text) : r.tone === 'worse' ? p.red(r.text) : r.text);
      });
      table.push(cells);
    }
    if (out.length > 0) out.push('');
    out.push(p.bold(`${m.name}${m.better === 'none' ? '' : m.better === 'higher' ? ' (higher is better)' : ' (lower is better)'}`), table.toString());
  }
  return out;
}

function conformanceTables(c: ConformanceComparison, p: Paint, opts: CompareTableOptions): string[] {
  const summary = new Table({ head: ['', ...c.columns.map((col) => col.label)], colAligns: ['left', ...c.columns.map(() => 'right' as const)], style: style(opts.color), chars: COMPACT });
  const fields: Array<[string, keyof ConformanceComparison['summaries'][number]]> = [
    ['passed', 'passed'],
    ['failed', 'failed'],
    ['errored', 'errored'],
    ['skipped', 'skipped'],
    ['required (MUST) failed', 'requiredFailed'],
    ['recommended (SHOULD) not met', 'recommendedNotMet'],
    ['total', 'total'],
  ];
  for (const [name, f] of fields) summary.push([name, ...c.summaries.map((s) => String(s[f]))]);
  const out = [summary.toString(), ''];
  const rows = opts.all ? c.rows : changedRows(c);
  if (rows.length === 0) {
    out.push(c.columns.length > 1 ? 'No case changed status.' : 'No cases.');
    return out;
  }
  out.push(p.bold(opts.all ? `All cases (${rows.length})` : `Cases whose status changed (${rows.length} of ${c.rows.length})`));
  const table = new Table({ head: ['case', 'level', ...c.columns.map((col) => col.label), 'change'], style: style(opts.color), chars: COMPACT });
  for (const row of rows) {
    const change = rowChange(row.changes);
    const word = CHANGE_WORDS[change];
    const painted = change === 'newly-failing' ? p.red(word) : change === 'newly-passing' ? p.green(word) : word;
    table.push([row.id, row.level, ...row.statuses.map((s) => s ?? p.dim('-')), painted]);
  }
  out.push(table.toString());
  return out;
}

export function gateLines(gate: GateOutcome, p: Paint): string[] {
  const out: string[] = [];
  const verdict = gate.failures.length === 0 ? p.green('PASS') : p.red('FAIL');
  out.push(`${verdict} gate: ${gate.failures.length} of ${gate.checks} check${gate.checks === 1 ? '' : 's'} failed`);
  for (const f of gate.failures) out.push(`  ${p.red('FAIL')} ${flatten(f)}`);
  for (const s of gate.passed) out.push(`  ${p.green('ok')}   ${flatten(s)}`);
  for (const n of gate.notes) out.push(`  ${p.dim('note')} ${flatten(n)}`);
  return out;
}
