// Markdown of a conformance report: the verdict, counts per workflow and the failures, for a PR comment
// or a GitHub job summary ($GITHUB_STEP_SUMMARY). Target-supplied text is in code spans or blocks.
import type { CaseResult, ConformanceReport } from '../conformance/model.js';
import { byWorkflow, clientMatrix, countStatuses, detailLines, formatSeconds, problems, skipKinds, targetLine, verdict } from './conformance-view.js';
import { mdBlock, mdCode, mdText } from './escape.js';

export interface MarkdownOptions {
  /** Most failures detailed (GitHub caps a step summary at 1 MiB); the rest are listed by id. */
  maxDetails?: number;
}

export function renderConformanceMarkdown(report: ConformanceReport, opts: MarkdownOptions = {}): string {
  const v = verdict(report);
  const s = report.summary;
  const out: string[] = [];
  out.push(`## regprobe conformance: ${v.ok ? 'PASS' : 'FAIL'}, ${mdText(v.text)}`, '');
  out.push(`Target ${mdCode(targetLine(report))}, spec ${mdText(report.options.spec)}${report.options.readOnly ? ', read-only' : ''}, ${s.total} cases in ${formatSeconds(report.durationMs)} (${mdText(report.startedAt)}).`, '');
  out.push('| Workflow | Pass | Fail | Skip | Error | Total |', '| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const g of byWorkflow(report)) out.push(row(mdText(g.workflow), g.counts));
  out.push(row('**total**', countStatuses(report.results)), '');
  out.push(`- Required (MUST) failed: **${s.requiredFailed}**`);
  out.push(`- Recommended (SHOULD) not met: **${s.recommendedNotMet}**`);
  out.push(`- Optional features not offered: **${s.optionalNotOffered}**`);
  const kinds = Object.entries(skipKinds(report));
  if (kinds.length > 0) out.push(`- Skipped: ${kinds.map(([k, n]) => `${n} ${mdText(k)}`).join(', ')}`);

  const clients = clientMatrix(report);
  if (clients.length > 0) {
    out.push('', '### Will my clients work?', '', '| Client | Verdict | Flows | Broken flows | Skipped |', '| --- | --- | ---: | --- | --- |');
    for (const c of clients) out.push(`| ${mdText(c.client)} | ${c.verdict === 'works' ? 'works' : c.verdict === 'breaks' ? '**breaks**' : 'not run'} | ${c.passed}/${c.ran} | ${c.broken.map((x) => mdCode(x, true)).join(', ')} | ${c.skipped.map((x) => mdCode(x, true)).join(', ')} |`);
  }

  const bad = problems(report);
  if (bad.length > 0) {
    const max = opts.maxDetails ?? 100;
    out.push('', `### Failures and errors (${bad.length})`);
    for (const r of bad.slice(0, max)) out.push('', ...details(r));
    if (bad.length > max) out.push('', `And ${bad.length - max} more: ${bad.slice(max).map((r) => mdCode(r.id)).join(', ')}`);
  }
  return out.join('\n') + '\n';
}

function row(name: string, c: ReturnType<typeof countStatuses>): string {
  return `| ${name} | ${c.pass} | ${c.fail} | ${c.skip} | ${c.error} | ${c.total} |`;
}

function details(r: CaseResult): string[] {
  const lines = [`#### ${r.status === 'fail' ? 'FAIL' : 'ERROR'} (${r.level}) ${mdCode(r.id)}: ${mdText(r.title)}`, ''];
  let body: string | undefined;
  for (const d of detailLines(r)) {
    if (d.label === 'body') body = d.value;
    else lines.push(`- ${d.label}: ${d.verbatim || d.label === 'expected' || d.label === 'got' || d.label === 'error' ? mdCode(d.value) : mdText(d.value)}`);
  }
  if (body !== undefined) lines.push('', mdBlock(body));
  return lines;
}
