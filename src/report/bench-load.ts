// Reads a saved benchmark report back for `merge`, `compare` and re-rendering: the schema field
// decides whether it is one, and the shape is checked (histograms included) so the rest can trust it.
import { readFile } from 'node:fs/promises';
import type { BenchReport } from '../../bench/model.js';
import { decodeHistogram } from '../../bench/histogram.js';
import { ReportLoadError } from './conformance-load.js';

export const BENCH_SCHEMA = 'regprobe.bench/v1';

export { ReportLoadError };

/** The file's text, or a ReportLoadError naming it. */
export async function readReportText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new ReportLoadError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message}`);
  }
}

export async function loadBenchReport(path: string): Promise<BenchReport> {
  return parseBenchReport(await readReportText(path), path);
}

export function parseBenchReport(text: string, source = 'the report'): BenchReport {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ReportLoadError(`${source} is not JSON`);
  }
  return checkBenchReport(doc, source);
}

/** `doc` parsed from JSON: the report, or a ReportLoadError saying what is wrong with it. */
export function checkBenchReport(doc: unknown, source: string): BenchReport {
  if (!isObject(doc)) throw new ReportLoadError(`${source} is not a regprobe report (not a JSON object)`);
  const schema = doc['schema'];
  if (schema !== BENCH_SCHEMA) {
    const what = typeof schema === 'string' ? `schema "${schema}"` : 'no "schema" field';
    const hint = typeof schema === 'string' && schema.startsWith('regprobe.bench/') ? ' (written by a newer regprobe?)' : '';
    throw new ReportLoadError(`${source} is not a ${BENCH_SCHEMA} report: it has ${what}${hint}`);
  }
  const problem = shapeProblem(doc);
  if (problem) throw new ReportLoadError(`${source} is a damaged ${BENCH_SCHEMA} report: ${problem}`);
  return doc as unknown as BenchReport;
}

const STEP_NUMBERS = ['durationMs', 'warmupMs', 'operations', 'ok', 'errors', 'opsPerSec', 'bytesPerSec'];
const LATENCY_NUMBERS = ['min', 'mean', 'p50', 'p90', 'p95', 'p99', 'p999', 'max'];

function shapeProblem(doc: Record<string, unknown>): string | undefined {
  const target = doc['target'];
  if (!isObject(target) || typeof target['url'] !== 'string') return 'target is missing or incomplete';
  if (typeof doc['startedAt'] !== 'string' || typeof doc['durationMs'] !== 'number') return 'startedAt or durationMs is missing';
  const env = doc['environment'];
  if (!isObject(env) || typeof env['cores'] !== 'number' || !isObject(env['targetHeaders'])) return 'environment is missing or incomplete';
  const shard = doc['shard'];
  if (shard !== undefined) {
    const ok = isObject(shard) && (typeof shard['merged'] === 'number' || (typeof shard['index'] === 'number' && typeof shard['count'] === 'number'));
    if (!ok) return 'shard is neither {index, count} nor {merged}';
  }
  const workloads = doc['workloads'];
  if (!Array.isArray(workloads)) return 'workloads is not a list';
  for (const [i, w] of workloads.entries()) {
    if (!isObject(w) || typeof w['id'] !== 'string') return `workloads[${i}] has no id`;
    const name = `workload ${String(w['key'] ?? w['id'])}`;
    if (!isObject(w['params'])) return `${name} has no params`;
    if (!Array.isArray(w['steps'])) return `${name} has no steps list`;
    for (const [k, s] of (w['steps'] as unknown[]).entries()) {
      const where = `${name} step ${k + 1}`;
      if (!isObject(s)) return `${where} is not an object`;
      const load = s['load'];
      if (!isObject(load)) return `${where} has no load`;
      if (load['kind'] === 'closed' ? typeof load['concurrency'] !== 'number' : load['kind'] !== 'open' || typeof load['ratePerSec'] !== 'number') {
        return `${where} has an unknown load ${JSON.stringify(load)}`;
      }
      for (const f of STEP_NUMBERS) if (typeof s[f] !== 'number') return `${where}: ${f} is not a number`;
      const latency = s['latency'];
      if (!isObject(latency)) return `${where} has no latency`;
      for (const f of LATENCY_NUMBERS) if (typeof latency[f] !== 'number') return `${where}: latency.${f} is not a number`;
      if (!isObject(s['errorDetail'])) return `${where} has no errorDetail`;
      if (!Array.isArray(s['timeline'])) return `${where} has no timeline`;
      if (s['notes'] !== undefined && !(Array.isArray(s['notes']) && s['notes'].every((n) => typeof n === 'string'))) return `${where}: notes is not a list of strings`;
      for (const h of ['histogram', 'ttfbHistogram']) {
        if (h === 'ttfbHistogram' && s[h] === undefined) continue;
        if (typeof s[h] !== 'string') return `${where}: ${h} is not a string`;
        try {
          decodeHistogram(s[h] as string);
        } catch {
          return `${where}: ${h} is not an encoded HDR histogram`;
        }
      }
    }
  }
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
