// Reads a saved conformance report back for re-rendering or `compare`: the schema field decides
// whether it is one, and the shape is checked so renderers can trust it.
import { readFile } from 'node:fs/promises';
import type { ConformanceReport } from '../conformance/model.js';

export const CONFORMANCE_SCHEMA = 'regprobe.conformance/v1';

/** The file is not a report this version can read; the message is one line for the user. */
export class ReportLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportLoadError';
  }
}

export async function loadConformanceReport(path: string): Promise<ConformanceReport> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new ReportLoadError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message}`);
  }
  return parseConformanceReport(text, path);
}

export function parseConformanceReport(text: string, source = 'the report'): ConformanceReport {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ReportLoadError(`${source} is not JSON`);
  }
  if (!isObject(doc)) throw new ReportLoadError(`${source} is not a regprobe report (not a JSON object)`);
  const schema = doc['schema'];
  if (schema !== CONFORMANCE_SCHEMA) {
    const what = typeof schema === 'string' ? `schema "${schema}"` : 'no "schema" field';
    const hint = typeof schema === 'string' && schema.startsWith('regprobe.conformance/') ? ' (written by a newer regprobe?)' : '';
    throw new ReportLoadError(`${source} is not a ${CONFORMANCE_SCHEMA} report: it has ${what}${hint}`);
  }
  const problem = shapeProblem(doc);
  if (problem) throw new ReportLoadError(`${source} is a damaged ${CONFORMANCE_SCHEMA} report: ${problem}`);
  return doc as unknown as ConformanceReport;
}

const STATUSES = new Set(['pass', 'fail', 'skip', 'error']);
const LEVELS = new Set(['MUST', 'SHOULD', 'MAY']);
const SUMMARY_FIELDS = ['total', 'passed', 'failed', 'errored', 'skipped', 'requiredFailed', 'recommendedNotMet', 'optionalNotOffered'];

function shapeProblem(doc: Record<string, unknown>): string | undefined {
  const target = doc['target'];
  if (!isObject(target) || typeof target['url'] !== 'string' || !isObject(target['serverHeaders'])) return 'target is missing or incomplete';
  const options = doc['options'];
  if (!isObject(options) || typeof options['spec'] !== 'string') return 'options are missing';
  if (!isObject(doc['tool'])) return 'tool is missing';
  if (typeof doc['startedAt'] !== 'string' || typeof doc['durationMs'] !== 'number') return 'startedAt or durationMs is missing';
  const summary = doc['summary'];
  if (!isObject(summary)) return 'summary is missing';
  for (const f of SUMMARY_FIELDS) if (typeof summary[f] !== 'number') return `summary.${f} is not a number`;
  const results = doc['results'];
  if (!Array.isArray(results)) return 'results is not a list';
  for (const [i, r] of results.entries()) {
    if (!isObject(r)) return `results[${i}] is not an object`;
    for (const f of ['id', 'workflow', 'title']) if (typeof r[f] !== 'string') return `results[${i}].${f} is not a string`;
    if (!STATUSES.has(r['status'] as string)) return `results[${i}] (${String(r['id'])}) has status ${JSON.stringify(r['status'])}`;
    if (!LEVELS.has(r['level'] as string)) return `results[${i}] (${String(r['id'])}) has level ${JSON.stringify(r['level'])}`;
    if (!Array.isArray(r['requirements'])) return `results[${i}] (${String(r['id'])}) has no requirements list`;
    if (typeof r['durationMs'] !== 'number') return `results[${i}] (${String(r['id'])}) has no durationMs`;
  }
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
