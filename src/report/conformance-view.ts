// What every conformance rendering shows, independent of the format: counts per workflow, the cases
// worth a closer look, and the detail lines of a failure.
import type { CaseResult, CaseStatus, ConformanceReport, SkipKind } from '../conformance/model.js';

export type Counts = Record<CaseStatus, number> & { total: number };

export interface WorkflowGroup {
  workflow: string;
  results: CaseResult[];
  counts: Counts;
  durationMs: number;
}

export const STATUSES: readonly CaseStatus[] = ['pass', 'fail', 'skip', 'error'];

export function countStatuses(results: readonly CaseResult[]): Counts {
  const c: Counts = { pass: 0, fail: 0, skip: 0, error: 0, total: results.length };
  for (const r of results) c[r.status] += 1;
  return c;
}

/** Results grouped by workflow, in the order the workflows ran. */
export function byWorkflow(report: ConformanceReport): WorkflowGroup[] {
  const groups = new Map<string, CaseResult[]>();
  for (const r of report.results) {
    const g = groups.get(r.workflow);
    if (g) g.push(r);
    else groups.set(r.workflow, [r]);
  }
  return [...groups].map(([workflow, results]) => ({
    workflow,
    results,
    counts: countStatuses(results),
    durationMs: results.reduce((n, r) => n + r.durationMs, 0),
  }));
}

/** Failed and errored cases, the ones a report details. */
export function problems(report: ConformanceReport): CaseResult[] {
  return report.results.filter((r) => r.status === 'fail' || r.status === 'error');
}

/** Skips counted by kind, e.g. `{ unsupported: 2, dependency: 1 }`. */
export function skipKinds(report: ConformanceReport): Partial<Record<SkipKind, number>> {
  const out: Partial<Record<SkipKind, number>> = {};
  for (const r of report.results) if (r.status === 'skip' && r.skipKind) out[r.skipKind] = (out[r.skipKind] ?? 0) + 1;
  return out;
}

export function requirementsLine(r: CaseResult): string {
  return [...new Set(r.requirements.map((q) => `${q.ref} (${q.level})`))].join(', ');
}

export interface DetailLine {
  label: string;
  value: string;
  /** Target-supplied text best shown verbatim (monospace). */
  verbatim?: boolean;
}

/** The labelled lines that explain a failed or errored case. */
export function detailLines(r: CaseResult): DetailLine[] {
  const lines: DetailLine[] = [{ label: 'requirements', value: requirementsLine(r) || '(none)' }];
  if (r.status === 'fail') {
    if (r.expected !== undefined) lines.push({ label: 'expected', value: r.expected });
    if (r.actual !== undefined) lines.push({ label: 'got', value: r.actual });
  } else if (r.message !== undefined) {
    lines.push({ label: r.status === 'skip' ? 'reason' : 'error', value: r.message });
  }
  const ex = r.exchange;
  if (ex) {
    lines.push({ label: 'request', value: ex.status !== undefined ? `${ex.request} -> ${ex.status}` : ex.request, verbatim: true });
    const headers = Object.entries(ex.headers ?? {});
    if (headers.length > 0) lines.push({ label: 'headers', value: headers.map(([k, v]) => `${k}: ${v}`).join('; '), verbatim: true });
    if (ex.bodyStart?.trim()) lines.push({ label: 'body', value: ex.bodyStart.trimEnd(), verbatim: true });
  }
  return lines;
}

/** One line for the target: URL and what it says it is. */
export function targetLine(report: ConformanceReport): string {
  const h = report.target.serverHeaders;
  const what = [h['server'] && `Server: ${h['server']}`, h['docker-distribution-api-version'] && `API: ${h['docker-distribution-api-version']}`]
    .filter(Boolean)
    .join(', ');
  return `${report.target.url}${report.target.reference ? ' (bundled reference registry)' : ''}${what ? ` [${what}]` : ''}`;
}

export function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** The headline verdict, shared by every format. */
export function verdict(report: ConformanceReport): { ok: boolean; text: string } {
  const s = report.summary;
  if (s.requiredFailed > 0) return { ok: false, text: `${s.requiredFailed} required (MUST) case${s.requiredFailed === 1 ? '' : 's'} failed` };
  return { ok: true, text: 'every required (MUST) case passed' };
}

export function summaryLine(report: ConformanceReport): string {
  const s = report.summary;
  return `required (MUST) failed: ${s.requiredFailed} | recommended (SHOULD) not met: ${s.recommendedNotMet} | optional features not offered: ${s.optionalNotOffered}`;
}

/**
 * Keeps a value on one line and makes control characters harmless (a target's body must not be able to
 * send escape sequences to the user's terminal).
 */
export function flatten(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\r?\n/g, ' \u21b5 ').replace(/\t/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '\ufffd');
}

export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}\u2026`;
}

/** One row of "Will my clients work?": the replayed flows (clients.<client>.<flow>) of one client. */
export interface ClientRow {
  client: string;
  /** works: every flow run passed; breaks: a flow failed or errored; not run: every flow skipped. */
  verdict: 'works' | 'breaks' | 'not run';
  passed: number;
  /** Flows that ran (not skipped). */
  ran: number;
  /** Flows that failed or errored, by their last id segment. */
  broken: string[];
  /** Flows skipped, by their last id segment. */
  skipped: string[];
}

/** The client matrix of a report, in the order the flows ran; empty when no clients.* case is in it. */
export function clientMatrix(report: ConformanceReport): ClientRow[] {
  const rows = new Map<string, ClientRow>();
  for (const r of report.results) {
    const m = /^clients\.([^.]+)\.(.+)$/.exec(r.id);
    if (!m || (r.status === 'skip' && r.skipKind === 'disabled')) continue;
    const row = rows.get(m[1]!) ?? { client: m[1]!, verdict: 'not run', passed: 0, ran: 0, broken: [], skipped: [] };
    rows.set(m[1]!, row);
    if (r.status === 'skip') row.skipped.push(m[2]!);
    else {
      row.ran++;
      if (r.status === 'pass') row.passed++;
      else row.broken.push(m[2]!);
    }
  }
  for (const row of rows.values()) row.verdict = row.broken.length > 0 ? 'breaks' : row.ran > 0 ? 'works' : 'not run';
  return [...rows.values()];
}
