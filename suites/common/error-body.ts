// Checks of an error response body against the spec's "Error Codes" section: a 4XX body MAY be in
// any format, but a JSON body MUST be `{"errors":[{"code","message","detail"}]}`, each code MUST be
// upper-case letters and underscores and one of the table (Docker's schema1 codes are allowed too).
import type { CaseContext, Level, RegistryResponse } from '../../src/conformance/model.js';
import { fail, failAt } from '../../src/conformance/expect.js';
import { ErrorCodes, type ErrorCode } from '../../src/oci/errors.js';

/** Codes the spec's "Legacy Docker support error codes" says a client MAY encounter. */
const LEGACY_CODES = ['TAG_INVALID', 'MANIFEST_UNVERIFIED'];
const CODE_RE = /^[A-Z_]+$/;

export const ERROR_CODES_SECTION = {
  ref: 'error-codes',
  level: 'MUST',
  text: 'If the response body is in JSON format, it MUST have the format {"errors":[{"code","message","detail"}]}; the code field MUST be one of the table',
} as const;

export interface ErrorBodyCheck {
  /** Codes of the entries, as sent. */
  codes: string[];
  /** False when the body was not JSON (legal for a 4XX unless the caller requires a code). */
  json: boolean;
}

/**
 * Reads the body of an error response and checks its shape (a MUST: JSON of the spec's format, each
 * code from the table). With `expected`, one entry must carry one of those codes: the spec's MUST is
 * only that a code comes from the table, so a different table code fails at `codeLevel` (SHOULD
 * unless the spec names the code with a MUST, as for MANIFEST_BLOB_UNKNOWN); an empty `expected`
 * accepts any table code (where the spec assigns none) and only records it. A body that is not JSON
 * is allowed by the spec: then, unless `requireJson`, the case is skipped (the code cannot be seen)
 * or, with `allowNonJson`, the check returns `json: false`.
 */
export async function checkErrorBody(
  ctx: CaseContext,
  res: RegistryResponse,
  expected: readonly ErrorCode[],
  opts: { requireJson?: boolean; allowNonJson?: boolean; codeLevel?: Level } = {},
): Promise<ErrorBodyCheck> {
  const text = await res.text(1024 * 1024).catch(() => '');
  const contentType = res.header('content-type') ?? '';
  let body: unknown;
  let json = true;
  try {
    body = JSON.parse(text);
  } catch {
    json = false;
  }
  if (!json) {
    // A body announced as JSON that does not parse is a JSON body of the wrong format.
    if (/json/i.test(contentType)) fail('a JSON error body {"errors":[...]}', `Content-Type ${contentType} with a body that is not JSON`, res, text);
    ctx.observe('error-body', text ? `not JSON (${contentType || 'no Content-Type'})` : 'empty');
    if (opts.requireJson) fail(`an error body {"errors":[{"code":"${expected.join('" or "')}"}]}`, text ? 'a body that is not JSON' : 'an empty body', res, text);
    if (opts.allowNonJson) return { codes: [], json: false };
    ctx.skip('unsupported', `the ${res.status} body is not JSON (a 4XX body MAY be in any format), so its error code cannot be checked`);
  }
  const errors = body !== null && typeof body === 'object' ? (body as { errors?: unknown }).errors : undefined;
  if (!Array.isArray(errors)) fail('a JSON error body with an "errors" array', 'JSON without an "errors" array', res, text);
  const codes: string[] = [];
  for (const e of errors) {
    if (e === null || typeof e !== 'object') fail('each entry of "errors" an object with a "code"', `an entry ${JSON.stringify(e)}`, res, text);
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code !== 'string') fail('each error entry with a string "code"', `an entry ${JSON.stringify(e).slice(0, 120)}`, res, text);
    if (!CODE_RE.test(code)) fail('an error code of upper-case letters and underscores', `code ${JSON.stringify(code)}`, res, text);
    if (!(code in ErrorCodes) && !LEGACY_CODES.includes(code)) fail('an error code from the spec\'s table (code-1 .. code-14)', `code ${code}`, res, text);
    if (message !== undefined && typeof message !== 'string') fail('an error "message" that is a string when present', `message ${JSON.stringify(message)}`, res, text);
    codes.push(code);
  }
  ctx.observe('error-codes', codes.join(',') || '(none)');
  if (expected.length > 0 && !codes.some((c) => (expected as readonly string[]).includes(c))) {
    if (codes.length === 0) fail(`error code ${expected.join(' or ')}`, 'an empty "errors" array', res, text);
    failAt(opts.codeLevel ?? 'SHOULD', `error code ${expected.join(' or ')}`, `code ${codes.join(', ')}`, res, text);
  }
  return { codes, json: true };
}

/**
 * The requirement entry for the code the table gives a condition: SHOULD, as the spec's MUST is only
 * that the code is one of the table (ERROR_CODES_SECTION); checkErrorBody fails a different table code
 * at this level.
 */
export function codeRequirement(code: ErrorCode): { ref: string; level: 'SHOULD'; text: string } {
  return { ref: ErrorCodes[code].id, level: 'SHOULD', text: `${code}: ${ErrorCodes[code].message} (the table's code for this condition; the MUST is only that the code is one of the table)` };
}
