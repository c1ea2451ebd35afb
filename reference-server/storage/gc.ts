// Garbage collection of the store: what is kept, what is swept, and the report of one run.
//
// Roots (kept): every manifest revision of every repository (tagged or not: a manifest goes only
// when it is deleted), referrers included (they are manifests); whatever those manifests reference
// (config, layers, index children); open upload sessions (their data lives apart from blobs and
// goes only when idle for longer than the upload TTL).
// Swept: (1) a repository's link to a blob none of its manifests references, once the link is older
// than the grace period (a client pushes layers before the manifest that references them);
// (2) a blob file no repository links or holds as a manifest, once older than the grace period.
// Safety against concurrent pushes (online gc): links are removed under the repository's lock after
// re-reading manifests pushed since the mark; a blob file is removed under the blob's lock after
// re-checking every repository, and commit/mount/manifest PUT take the same lock. A manifest PUT
// whose blob was swept in between is refused (nothing acknowledged is ever lost).

/** Default grace period: a push rarely takes longer between its first blob and its manifest. */
export const DEFAULT_GC_GRACE_MS = 3600 * 1000;

export interface GcOptions {
  /** Count what would go; remove nothing. */
  dryRun?: boolean;
  /** Unreferenced links and blobs younger than this stay (default 1 h). 0 = no grace. */
  graceMs?: number;
  /** Upload sessions idle for longer than this expire (default: the store's upload TTL). */
  uploadTtlMs?: number;
}

/** What one run found and freed (or, with dryRun, would free). Plain data: src/report/ renders it. */
export interface GcReport {
  dryRun: boolean;
  graceMs: number;
  uploadTtlMs: number;
  durationMs: number;
  repositories: number;
  /** Manifests kept (every revision of every repository). */
  manifests: number;
  /** Repository links to blobs no manifest of that repository references. */
  linksRemoved: number;
  /** Blob files no repository links any more, and their bytes. */
  blobsRemoved: number;
  bytesFreed: number;
  /** Blob files still in use, and their bytes. */
  blobsKept: number;
  bytesKept: number;
  /** Unreferenced links and blobs left alone because they are younger than the grace period. */
  recentKept: number;
  /** Upload sessions idle for longer than the TTL, and the bytes they held. */
  uploadsExpired: number;
  uploadBytesFreed: number;
}

export function emptyGcReport(dryRun: boolean, graceMs: number, uploadTtlMs: number): GcReport {
  return {
    dryRun, graceMs, uploadTtlMs, durationMs: 0, repositories: 0, manifests: 0, linksRemoved: 0, blobsRemoved: 0,
    bytesFreed: 0, blobsKept: 0, bytesKept: 0, recentKept: 0, uploadsExpired: 0, uploadBytesFreed: 0,
  };
}

/**
 * Digests a stored manifest references: config, layers, index children, and `blobs` (the draft
 * artifact manifest). Not `subject`: a referrer does not keep its subject alive. Bytes that do not
 * parse reference nothing (the store only holds manifests that passed validation).
 */
export function manifestReferences(bytes: Buffer): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    return [];
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return [];
  const m = doc as Record<string, unknown>;
  const out: string[] = [];
  const add = (d: unknown) => {
    const digest = d && typeof d === 'object' ? (d as { digest?: unknown }).digest : undefined;
    if (typeof digest === 'string') out.push(digest);
  };
  add(m.config);
  for (const key of ['layers', 'manifests', 'blobs']) {
    const list = m[key];
    if (Array.isArray(list)) list.forEach(add);
  }
  return out;
}
