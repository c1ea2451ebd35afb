// OCI error bodies (spec "Error Codes"): every failure a handler signals is a RegistryError,
// turned into `{"errors":[{code,message,detail}]}` in exactly one place (respond.ts).
import { ErrorCodes, type ErrorCode } from '../../src/oci/errors.js';

/** The spec's codes, plus TAG_INVALID (spec v1.1.1 "Overview": a code clients may meet, from Docker's API). */
export type ServerErrorCode = ErrorCode | 'TAG_INVALID';

export class RegistryError extends Error {
  readonly status: number;
  readonly code: ServerErrorCode;
  readonly detail: unknown;
  /** Extra response headers (Range on a 416, Allow on a 405, WWW-Authenticate on a 401...). */
  readonly headers: Record<string, string | string[]>;
  /** More entries for the same response (several missing blobs). */
  readonly more: Array<{ code: ServerErrorCode; message: string; detail?: unknown }>;

  constructor(status: number, code: ServerErrorCode, message?: string, detail?: unknown, headers: Record<string, string | string[]> = {}) {
    super(message ?? (code === 'TAG_INVALID' ? 'invalid tag' : ErrorCodes[code].message));
    this.name = 'RegistryError';
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.headers = headers;
    this.more = [];
  }

  body(): string {
    // Details may carry request input: only a bounded summary of it is ever rendered.
    const entry = (code: ServerErrorCode, message: string, detail: unknown) =>
      detail === undefined ? { code, message: clip(message, 1024) } : { code, message: clip(message, 1024), detail: boundedDetail(detail) };
    return JSON.stringify({ errors: [entry(this.code, this.message, this.detail), ...this.more.slice(0, 100).map((m) => entry(m.code, m.message, m.detail))] });
  }
}

/** A string cut to `max` characters (marked when cut). */
export function clip(s: string, max = 256): string {
  return s.length <= max ? s : `${s.slice(0, max)}... (${s.length} characters)`;
}

/**
 * A copy of `v` that is small and shallow whatever `v` is: strings clipped, at most 16 entries per
 * array or object, nothing below `depth` levels (summarized instead), no cycles, BigInts as strings.
 */
export function boundedDetail(v: unknown, depth = 3): unknown {
  if (typeof v === 'string') return clip(v);
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v !== 'object') return typeof v === 'bigint' ? String(v) : typeof v;
  if (depth <= 0) return summarizeValue(v);
  if (Array.isArray(v)) {
    const out: unknown[] = v.slice(0, 16).map((x) => boundedDetail(x, depth - 1));
    if (v.length > 16) out.push(`... ${v.length - 16} more`);
    return out;
  }
  const keys = Object.keys(v);
  const out: Record<string, unknown> = {};
  for (const k of keys.slice(0, 16)) out[clip(k, 64)] = boundedDetail((v as Record<string, unknown>)[k], depth - 1);
  if (keys.length > 16) out['...'] = `${keys.length - 16} more keys`;
  return out;
}

/** What a value is, in a few words, for error details about a field of the wrong type. */
export function summarizeValue(v: unknown): unknown {
  if (Array.isArray(v)) return `an array of ${v.length} item${v.length === 1 ? '' : 's'}`;
  if (v !== null && typeof v === 'object') return `an object with ${Object.keys(v).length} key${Object.keys(v).length === 1 ? '' : 's'}`;
  if (typeof v === 'string') return clip(v);
  if (v === undefined) return 'absent';
  return v;
}

export const nameInvalid = (name: string): RegistryError =>
  new RegistryError(400, 'NAME_INVALID', 'invalid repository name', { name, rule: 'repository names must match [a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)* and be at most 255 characters' });

export const tagInvalid = (tag: string): RegistryError =>
  new RegistryError(400, 'TAG_INVALID', 'invalid tag', { tag, rule: 'tags must match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}' });

export const deleteDisabled = (): RegistryError =>
  new RegistryError(405, 'UNSUPPORTED', 'deletes are disabled on this registry', undefined, { Allow: 'GET, HEAD' });
