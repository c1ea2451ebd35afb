// Error codes of the OCI distribution spec (code-1 .. code-14) with the spec's messages.

export const ErrorCodes = {
  BLOB_UNKNOWN: { id: 'code-1', message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { id: 'code-2', message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { id: 'code-3', message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { id: 'code-4', message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: { id: 'code-5', message: 'manifest references a manifest or blob unknown to registry' },
  MANIFEST_INVALID: { id: 'code-6', message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { id: 'code-7', message: 'manifest unknown to registry' },
  NAME_INVALID: { id: 'code-8', message: 'invalid repository name' },
  NAME_UNKNOWN: { id: 'code-9', message: 'repository name not known to registry' },
  SIZE_INVALID: { id: 'code-10', message: 'provided length did not match content length' },
  UNAUTHORIZED: { id: 'code-11', message: 'authentication required' },
  DENIED: { id: 'code-12', message: 'requested access to the resource is denied' },
  UNSUPPORTED: { id: 'code-13', message: 'the operation is unsupported' },
  TOOMANYREQUESTS: { id: 'code-14', message: 'too many requests' },
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export interface OciErrorEntry {
  code: string;
  message?: string;
  detail?: unknown;
}

export interface OciErrorBody {
  errors: OciErrorEntry[];
}

/** Parses an error body leniently; null when it is not the spec's shape. */
export function parseErrorBody(text: string): OciErrorBody | null {
  try {
    const v: unknown = JSON.parse(text);
    if (!v || typeof v !== 'object' || !Array.isArray((v as OciErrorBody).errors)) return null;
    const errors = (v as OciErrorBody).errors;
    if (!errors.every((e) => e && typeof e === 'object' && typeof e.code === 'string')) return null;
    return { errors };
  } catch {
    return null;
  }
}
