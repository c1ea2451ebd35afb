// Assertions for suites: each failure says what was expected, what came back and which request it was.
import type { RegistryResponse } from '../client/registry-client.js';
import { parseErrorBody, type ErrorCode, type OciErrorBody } from '../oci/errors.js';
import { CaseFailure, type ExchangeSummary, type Level } from './model.js';

const HEADERS_SHOWN = [
  'content-type', 'content-length', 'docker-content-digest', 'location', 'range', 'content-range',
  'www-authenticate', 'oci-subject', 'oci-filters-applied', 'link', 'docker-upload-uuid', 'oci-chunk-min-length',
];

/** The summary of an exchange for a report; pass the body text when it was already read. */
export function summarize(res: RegistryResponse, bodyText?: string): ExchangeSummary {
  const headers: Record<string, string> = {};
  for (const h of HEADERS_SHOWN) if (res.headers[h] !== undefined) headers[h] = res.headers[h]!;
  return {
    request: res.requestLine,
    status: res.status,
    headers,
    ...(bodyText !== undefined ? { bodyStart: bodyText.slice(0, 300) } : {}),
  };
}

/** Reads up to 300 characters of a body for a failure message, never throwing. */
async function bodyStart(res: RegistryResponse): Promise<string | undefined> {
  try {
    return (await res.text(1024 * 1024)).slice(0, 300);
  } catch {
    return undefined;
  }
}

/** Throws a CaseFailure about this exchange. */
export function fail(expected: string, actual: string, res?: RegistryResponse, bodyText?: string): never {
  throw new CaseFailure(expected, actual, res ? summarize(res, bodyText) : undefined);
}

/**
 * Throws a CaseFailure that counts at `level` (when weaker than the case's strongest requirement):
 * for a check whose cited sentence says SHOULD inside a case that also checks a MUST.
 */
export function failAt(level: Level, expected: string, actual: string, res?: RegistryResponse, bodyText?: string): never {
  throw new CaseFailure(expected, actual, res ? summarize(res, bodyText) : undefined, level);
}

/**
 * The status must be one of `expected`; on mismatch the body start goes into the failure, which counts
 * at `level` when given (a status the spec gives only in its endpoint table, say, inside a MUST case).
 */
export async function expectStatus(res: RegistryResponse, expected: number | readonly number[], what?: string, level?: Level): Promise<void> {
  const list = typeof expected === 'number' ? [expected] : expected;
  if (list.includes(res.status)) return;
  const body = await bodyStart(res);
  throw new CaseFailure(`${what ? what + ': ' : ''}status ${list.join(' or ')}`, `status ${res.status}`, summarize(res, body), level);
}

/**
 * The header must be present and, when `check` is given, match it (exact string, RegExp or predicate).
 * Returns the value.
 */
export function expectHeader(
  res: RegistryResponse,
  name: string,
  check?: string | RegExp | ((value: string) => boolean),
  what?: string,
): string {
  const v = res.header(name);
  const label = `${what ? what + ': ' : ''}header ${name}`;
  if (v === undefined) fail(`${label}${check !== undefined ? ` = ${String(check)}` : ' present'}`, `no ${name} header`, res);
  if (check === undefined) return v;
  const ok = typeof check === 'string' ? v === check : check instanceof RegExp ? check.test(v) : check(v);
  if (!ok) fail(`${label} ${typeof check === 'function' ? 'to satisfy the rule' : `= ${String(check)}`}`, `${name}: ${v}`, res);
  return v;
}

/** Reads the body and checks it is the spec's error shape with one of `codes` among its errors. */
export async function expectErrorCode(res: RegistryResponse, codes: ErrorCode | readonly ErrorCode[]): Promise<OciErrorBody> {
  const list = typeof codes === 'string' ? [codes] : codes;
  const text = await res.text(1024 * 1024).catch(() => '');
  const body = parseErrorBody(text);
  if (!body) fail(`an error body {"errors":[{"code":...}]} with code ${list.join(' or ')}`, text ? 'a body of another shape' : 'an empty body', res, text);
  if (!body.errors.some((e) => (list as readonly string[]).includes(e.code))) {
    fail(`error code ${list.join(' or ')}`, `code ${body.errors.map((e) => e.code).join(', ') || '(none)'}`, res, text);
  }
  return body;
}

/** A plain boolean expectation not tied to a header or status. */
export function expectThat(ok: boolean, expected: string, actual: string, res?: RegistryResponse, bodyText?: string): void {
  if (!ok) fail(expected, actual, res, bodyText);
}
