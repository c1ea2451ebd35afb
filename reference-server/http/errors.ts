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
    const entry = (code: ServerErrorCode, message: string, detail: unknown) => (detail === undefined ? { code, message } : { code, message, detail });
    return JSON.stringify({ errors: [entry(this.code, this.message, this.detail), ...this.more.map((m) => entry(m.code, m.message, m.detail))] });
  }
}

export const nameInvalid = (name: string): RegistryError =>
  new RegistryError(400, 'NAME_INVALID', 'invalid repository name', { name, rule: 'repository names must match [a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)* and be at most 255 characters' });

export const tagInvalid = (tag: string): RegistryError =>
  new RegistryError(400, 'TAG_INVALID', 'invalid tag', { tag, rule: 'tags must match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}' });

export const deleteDisabled = (): RegistryError =>
  new RegistryError(405, 'UNSUPPORTED', 'deletes are disabled on this registry', undefined, { Allow: 'GET, HEAD' });
