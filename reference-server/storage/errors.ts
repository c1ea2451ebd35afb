// Failures of the storage itself (the filesystem), as opposed to bad requests: what the HTTP layer
// answers when a write could not be done. Storage cleans up before throwing, so after any of these
// nothing partial is visible and the request can simply be retried once the cause is gone.

/** A blob the caller saw a moment ago is gone (garbage collected in between): not linked, nothing stored. */
export class BlobGoneError extends Error {
  readonly digests: readonly string[];
  constructor(digests: readonly string[]) {
    super(`no longer in the repository (garbage collected): ${digests.join(', ')}`);
    this.name = 'BlobGoneError';
    this.digests = digests;
  }
}

export interface StorageFailure {
  /** 507 when the filesystem is full, 500 for any other I/O error. */
  status: 500 | 507;
  /** One sentence for the error body: what happened, that nothing was stored, what to do. */
  message: string;
  /** The errno code (ENOSPC, EIO, EROFS...). */
  errno: string;
}

const FULL = new Set(['ENOSPC', 'EDQUOT']);
const IO: Record<string, string> = {
  EIO: 'input/output error',
  EROFS: 'the storage filesystem is read-only',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EACCES: 'permission denied on the storage directory',
  EPERM: 'permission denied on the storage directory',
  EFBIG: 'file too large for the storage filesystem',
  ENOTDIR: 'the storage directory layout is damaged (a file where a directory belongs)',
  EISDIR: 'the storage directory layout is damaged (a directory where a file belongs)',
  ENAMETOOLONG: 'path too long for the storage filesystem',
  ESTALE: 'stale file handle on the storage filesystem',
};

/**
 * The answer for an error thrown by a filesystem call in storage; undefined for anything else
 * (a bug, or a client that went away: ECONNRESET/EPIPE are not in these lists). Only system errors
 * (with a `syscall`) qualify; a failed write carries no path, so the path cannot be required.
 */
export function storageFailure(err: unknown): StorageFailure | undefined {
  const e = err as NodeJS.ErrnoException | undefined;
  const code = e?.code;
  if (typeof code !== 'string' || typeof e?.syscall !== 'string') return undefined;
  if (FULL.has(code)) {
    return { status: 507, errno: code, message: `the registry's storage is full (${code}): nothing was stored; retry once space has been freed` };
  }
  const what = IO[code];
  if (what === undefined) return undefined;
  return { status: 500, errno: code, message: `the registry's storage failed (${code}: ${what}): nothing was stored; retry later` };
}
