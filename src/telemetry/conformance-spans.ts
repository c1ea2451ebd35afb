// What a conformance span says: the attributes of a workflow and a case, and a case's verdict as
// the span's status (fail and error are ERROR with an exception event; pass and skip are not).
import type { Attributes, Span } from '@opentelemetry/api';
import type { CaseDefinition, CaseResult, ConformanceReport, Suite } from '../conformance/model.js';
import { recordFailure } from './spans.js';

export function workflowAttributes(suite: Suite): Attributes {
  return { 'regprobe.workflow': suite.workflow, 'regprobe.workflow.title': suite.title };
}

export function caseAttributes(suite: Suite, c: CaseDefinition): Attributes {
  return {
    'regprobe.workflow': suite.workflow,
    'regprobe.case.id': c.id,
    'regprobe.case.title': c.title,
    'regprobe.case.requirements': c.requirements.map((r) => `${r.ref} ${r.level}`),
  };
}

/** Records the case's result on its span. */
export function markCase(span: Span, r: CaseResult): void {
  span.setAttributes({ 'regprobe.case.status': r.status, 'regprobe.case.level': r.level });
  if (r.status === 'skip') {
    span.setAttributes({ ...(r.skipKind ? { 'regprobe.case.skip_kind': r.skipKind } : {}), ...(r.message ? { 'regprobe.case.skip_reason': r.message } : {}) });
  } else if (r.status === 'fail' || r.status === 'error') {
    recordFailure(span, r.status === 'fail' ? 'CaseFailure' : 'CaseError', r.message ?? r.status, {
      ...(r.expected !== undefined ? { 'regprobe.case.expected': r.expected } : {}),
      ...(r.actual !== undefined ? { 'regprobe.case.actual': r.actual } : {}),
      ...(r.exchange ? { 'regprobe.case.request': r.exchange.request } : {}),
    });
  }
}

/** A phase (setup, teardown) that did not pass: skip is not an error, anything else is. */
export function markPhase(span: Span, outcome: { status: string; message?: string }): void {
  span.setAttribute('regprobe.phase.status', outcome.status);
  if (outcome.status === 'fail' || outcome.status === 'error') recordFailure(span, 'PhaseError', outcome.message ?? outcome.status);
}

export function markRun(span: Span, report: ConformanceReport): void {
  const s = report.summary;
  span.setAttributes({
    'regprobe.conformance.total': s.total,
    'regprobe.conformance.passed': s.passed,
    'regprobe.conformance.failed': s.failed,
    'regprobe.conformance.errored': s.errored,
    'regprobe.conformance.skipped': s.skipped,
    'regprobe.conformance.required_failed': s.requiredFailed,
  });
}
