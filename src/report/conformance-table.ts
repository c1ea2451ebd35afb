// The console view of a conformance report: a table of counts per workflow, the verdict, then the
// details of every failed or errored case (and which optional features the target does not offer).
import Table from 'cli-table3';
import type { CaseResult, ConformanceReport } from '../conformance/model.js';
import { paint, type Paint } from './ansi.js';
import {
  byWorkflow, clientMatrix, countStatuses, detailLines, flatten, formatSeconds, problems, skipKinds, summaryLine, targetLine, truncate, verdict,
} from './conformance-view.js';

export interface TableOptions {
  color: boolean;
  /** Most failures detailed; the rest are counted (the files have them all). */
  maxDetails?: number;
}

export function renderConformanceTable(report: ConformanceReport, opts: TableOptions): string {
  const p = paint(opts.color);
  const out: string[] = [];
  out.push(`${p.bold('Conformance')} of ${targetLine(report)}`);
  out.push(p.dim(`spec ${report.options.spec}${report.options.readOnly ? ', read-only' : ''}, ${report.summary.total} cases in ${formatSeconds(report.durationMs)}, ${report.startedAt}`));

  const table = new Table({
    head: ['workflow', 'pass', 'fail', 'skip', 'error', 'total'],
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right'],
    style: { head: opts.color ? ['bold'] : [], border: opts.color ? ['grey'] : [], compact: true },
  });
  const row = (name: string, c: ReturnType<typeof countStatuses>) => [
    name,
    c.pass > 0 ? p.green(String(c.pass)) : '0',
    c.fail > 0 ? p.red(String(c.fail)) : '0',
    c.skip > 0 ? p.yellow(String(c.skip)) : '0',
    c.error > 0 ? p.magenta(String(c.error)) : '0',
    String(c.total),
  ];
  for (const g of byWorkflow(report)) table.push(row(g.workflow, g.counts));
  table.push(row(p.bold('total'), countStatuses(report.results)));
  out.push(table.toString());

  const v = verdict(report);
  out.push(`${v.ok ? p.green('PASS') : p.red('FAIL')} ${v.text}`);
  out.push(summaryLine(report));
  const kinds = Object.entries(skipKinds(report));
  if (kinds.length > 0) out.push(p.dim(`skipped: ${kinds.map(([k, n]) => `${n} ${k}`).join(', ')}`));

  const clients = clientMatrix(report);
  if (clients.length > 0) {
    out.push('', p.bold('Will my clients work? (replayed client flows)'));
    const ct = new Table({
      head: ['client', 'verdict', 'flows', 'broken flows', 'skipped'],
      colAligns: ['left', 'left', 'right', 'left', 'left'],
      style: { head: opts.color ? ['bold'] : [], border: opts.color ? ['grey'] : [], compact: true },
    });
    for (const c of clients) {
      const v = c.verdict === 'works' ? p.green(c.verdict) : c.verdict === 'breaks' ? p.red(c.verdict) : p.yellow(c.verdict);
      ct.push([c.client, v, `${c.passed}/${c.ran}`, c.broken.join(', '), c.skipped.join(', ')]);
    }
    out.push(ct.toString());
  }

  const unsupported = report.results.filter((r) => r.status === 'skip' && r.skipKind === 'unsupported');
  if (unsupported.length > 0) {
    out.push('', p.bold('Optional features not offered'));
    for (const r of unsupported) out.push(`  ${r.id}: ${flatten(r.message ?? '')}`);
  }

  const bad = problems(report);
  if (bad.length > 0) {
    const max = opts.maxDetails ?? 50;
    out.push('', p.bold(`Failures and errors (${bad.length})`));
    for (const r of bad.slice(0, max)) out.push(...details(r, p));
    if (bad.length > max) out.push('', `... and ${bad.length - max} more: see the JSON, HTML or Markdown report`);
  }
  return out.join('\n') + '\n';
}

function details(r: CaseResult, p: Paint): string[] {
  const badge = r.status === 'fail' ? p.red(`FAIL ${r.level}`) : p.magenta(`ERROR ${r.level}`);
  const lines = ['', `${badge} ${p.bold(r.id)}: ${flatten(r.title)}`];
  for (const d of detailLines(r)) lines.push(`    ${p.dim(d.label.padEnd(12))} ${truncate(flatten(d.value), d.label === 'body' ? 200 : 400)}`);
  return lines;
}
