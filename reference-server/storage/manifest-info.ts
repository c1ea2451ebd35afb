// What the store remembers about a manifest besides its bytes: enough to answer HEAD and the
// referrers API from memory.
import { INDEX_MEDIA_TYPES } from '../../src/oci/media-types.js';

export interface ManifestRecord {
  digest: string;
  size: number;
  /** Content-Type served on GET/HEAD: the manifest's mediaType, or the Content-Type it was pushed with. */
  contentType: string;
  /** subject.digest, when the manifest has a subject. */
  subject?: string;
  /** artifactType for the referrers API (artifactType, else config.mediaType for image manifests). */
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** Referrer-relevant facts of a parsed manifest (already validated, or read back from the store). */
export function referrerInfo(doc: unknown, contentType: string): Pick<ManifestRecord, 'subject' | 'artifactType' | 'annotations'> {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return {};
  const m = doc as Record<string, unknown>;
  const out: Pick<ManifestRecord, 'subject' | 'artifactType' | 'annotations'> = {};
  const subject = m.subject as Record<string, unknown> | undefined;
  if (subject && typeof subject === 'object' && typeof subject.digest === 'string') out.subject = subject.digest;
  if (typeof m.artifactType === 'string' && m.artifactType !== '') out.artifactType = m.artifactType;
  else if (!INDEX_MEDIA_TYPES.includes(contentType)) {
    const config = m.config as Record<string, unknown> | undefined;
    if (config && typeof config === 'object' && typeof config.mediaType === 'string') out.artifactType = config.mediaType;
  }
  if (m.annotations && typeof m.annotations === 'object' && !Array.isArray(m.annotations)) {
    const ann: Record<string, string> = {};
    for (const [k, v] of Object.entries(m.annotations as Record<string, unknown>)) if (typeof v === 'string') ann[k] = v;
    out.annotations = ann;
  }
  return out;
}
