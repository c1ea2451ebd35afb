// JUnit XML of a conformance report, the format GitLab, GitHub and Jenkins read: one <testsuite> per
// workflow, one <testcase> per case (classname = workflow, name = the stable id).
import type { CaseResult, ConformanceReport } from '../conformance/model.js';
import { byWorkflow, countStatuses, detailLines } from './conformance-view.js';
import { xmlAttr, xmlText } from './escape.js';

export function renderConformanceJUnit(report: ConformanceReport): string {
  const total = countStatuses(report.results);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(
    `<testsuites name="regprobe conformance" tests="${total.total}" failures="${total.fail}" errors="${total.error}" skipped="${total.skip}" time="${sec(report.durationMs)}" timestamp="${xmlAttr(report.startedAt)}">`,
  );
  for (const g of byWorkflow(report)) {
    out.push(
      `  <testsuite name="${xmlAttr(g.workflow)}" tests="${g.counts.total}" failures="${g.counts.fail}" errors="${g.counts.error}" skipped="${g.counts.skip}" time="${sec(g.durationMs)}" timestamp="${xmlAttr(report.startedAt)}">`,
    );
    out.push('    <properties>');
    for (const [k, v] of properties(report)) out.push(`      <property name="${xmlAttr(k)}" value="${xmlAttr(v)}"/>`);
    out.push('    </properties>');
    for (const r of g.results) out.push(...testcase(r));
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

function testcase(r: CaseResult): string[] {
  const open = `    <testcase classname="${xmlAttr(r.workflow)}" name="${xmlAttr(r.id)}" time="${sec(r.durationMs)}"`;
  const body = `${r.title}\n${detailLines(r).map((d) => `${d.label}: ${d.value}`).join('\n')}`;
  switch (r.status) {
    case 'pass':
      return [`${open}/>`];
    case 'skip':
      return [`${open}>`, `      <skipped message="${xmlAttr(`${r.skipKind ?? 'skipped'}: ${r.message ?? ''}`)}"/>`, '    </testcase>'];
    case 'fail':
      return [
        `${open}>`,
        `      <failure message="${xmlAttr(`${r.level}: ${r.message ?? 'failed'}`)}" type="${xmlAttr(r.level)}">${xmlText(body)}</failure>`,
        '    </testcase>',
      ];
    case 'error':
      return [
        `${open}>`,
        `      <error message="${xmlAttr(r.message ?? 'error')}" type="${xmlAttr(r.level)}">${xmlText(body)}</error>`,
        '    </testcase>',
      ];
  }
}

function properties(report: ConformanceReport): Array<[string, string]> {
  const props: Array<[string, string]> = [
    ['target', report.target.url],
    ['spec', report.options.spec],
    ['readOnly', String(report.options.readOnly)],
    ['regprobe', report.tool.version],
  ];
  for (const [k, v] of Object.entries(report.target.serverHeaders)) props.push([`header.${k}`, v]);
  return props;
}

function sec(ms: number): string {
  return (ms / 1000).toFixed(3);
}
