// What makes a pushed manifest acceptable: JSON, a manifest media type we serve, schemaVersion 2,
// well-formed descriptors; and which referenced content must already be in the repository
// (image manifest: config + layers, except non-distributable ones; index: its manifests; never the subject).
import { checkDigest, digestOf } from '../../src/oci/digest.js';
import { INDEX_MEDIA_TYPES, MANIFEST_MEDIA_TYPES, MediaType } from '../../src/oci/media-types.js';
import { clip, RegistryError, summarizeValue } from './errors.js';
import { parseJsonBody } from './json-body.js';

export interface Requirement {
  digest: string;
  /** Where it is referenced, for the error detail: `config`, `layers[2]`, `manifests[0]`. */
  field: string;
  /** An index entry may name a manifest or (artifact indexes) a blob. */
  kind: 'blob' | 'manifest';
}

export interface ValidManifest {
  contentType: string;
  doc: Record<string, unknown>;
  requirements: Requirement[];
  subject?: string;
}

const invalid = (message: string, detail?: unknown) => new RegistryError(400, 'MANIFEST_INVALID', `manifest invalid: ${message}`, detail);

/** Media type without parameters, lower-cased; undefined when absent. */
export function bareMediaType(contentType: string | undefined): string | undefined {
  const t = contentType?.split(';')[0]?.trim().toLowerCase();
  return t ? t : undefined;
}

export function validateManifest(bytes: Buffer, headerContentType: string | undefined): ValidManifest {
  const json = parseJsonBody(bytes.toString('utf8'));
  if (!json.ok) throw invalid(json.reason);
  const parsed = json.value;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid('not a JSON object');
  const doc = parsed as Record<string, unknown>;
  const header = bareMediaType(headerContentType);
  const headerIsManifest = header !== undefined && MANIFEST_MEDIA_TYPES.includes(header);
  let type: string;
  if (doc.mediaType !== undefined) {
    if (typeof doc.mediaType !== 'string') throw invalid('mediaType must be a string');
    type = doc.mediaType;
    if (headerIsManifest && header !== type) {
      throw invalid(`Content-Type ${clip(header)} does not match the manifest's mediaType ${clip(type)}`, { contentType: header, mediaType: type });
    }
  } else if (headerIsManifest) {
    type = header!;
  } else if (Array.isArray(doc.manifests)) {
    type = MediaType.ociIndex;
  } else if (doc.config !== undefined) {
    type = MediaType.ociManifest;
  } else {
    throw invalid('no mediaType field and no manifest Content-Type');
  }
  if (!MANIFEST_MEDIA_TYPES.includes(type)) {
    throw invalid(`unsupported manifest media type ${clip(type)}`, { mediaType: clip(type), supported: MANIFEST_MEDIA_TYPES });
  }
  if (doc.schemaVersion !== 2) throw invalid('schemaVersion must be 2', { schemaVersion: summarizeValue(doc.schemaVersion) });
  if (doc.artifactType !== undefined && typeof doc.artifactType !== 'string') throw invalid('artifactType must be a string');
  if (doc.annotations !== undefined) checkAnnotations(doc.annotations, 'annotations');

  const requirements: Requirement[] = [];
  if (INDEX_MEDIA_TYPES.includes(type)) {
    if (!Array.isArray(doc.manifests)) throw invalid('an index needs a manifests array');
    doc.manifests.forEach((d, i) => {
      const field = `manifests[${i}]`;
      if (checkDescriptor(d, field)) requirements.push({ digest: (d as { digest: string }).digest, field, kind: 'manifest' });
    });
  } else {
    if (doc.config === undefined) throw invalid('an image manifest needs a config descriptor');
    if (checkDescriptor(doc.config, 'config')) requirements.push({ digest: (doc.config as { digest: string }).digest, field: 'config', kind: 'blob' });
    if (doc.layers !== undefined && !Array.isArray(doc.layers)) throw invalid('layers must be an array');
    ((doc.layers as unknown[] | undefined) ?? []).forEach((d, i) => {
      const field = `layers[${i}]`;
      const needed = checkDescriptor(d, field);
      if (needed && !isNonDistributable((d as { mediaType: string }).mediaType)) {
        requirements.push({ digest: (d as { digest: string }).digest, field, kind: 'blob' });
      }
    });
  }
  let subject: string | undefined;
  if (doc.subject !== undefined) {
    checkDescriptor(doc.subject, 'subject');
    subject = (doc.subject as { digest: string }).digest;
  }
  return { contentType: type, doc, requirements, subject };
}

/** Non-distributable (OCI) and foreign (Docker) layers may live elsewhere: never required here. */
function isNonDistributable(mediaType: string): boolean {
  return mediaType.includes('.nondistributable.') || mediaType === 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip';
}

/**
 * Checks a descriptor's shape; returns whether its content must exist in the registry
 * (false when it embeds its bytes in a `data` field that matches digest and size).
 */
function checkDescriptor(d: unknown, field: string): boolean {
  if (!d || typeof d !== 'object' || Array.isArray(d)) throw invalid(`${field} is not a descriptor object`);
  const desc = d as Record<string, unknown>;
  if (typeof desc.mediaType !== 'string' || desc.mediaType === '') throw invalid(`${field}.mediaType must be a non-empty string`);
  // A well-formed digest of an algorithm we do not implement is not invalid, just content we cannot hold.
  const dc = typeof desc.digest === 'string' ? checkDigest(desc.digest) : null;
  if (!dc || (!dc.ok && dc.reason === 'malformed')) throw invalid(`${field}.digest is not a valid digest`, { field, digest: summarizeValue(desc.digest) });
  if (typeof desc.size !== 'number' || !Number.isSafeInteger(desc.size) || desc.size < 0) throw invalid(`${field}.size must be a non-negative integer`, { field, size: summarizeValue(desc.size) });
  if (desc.annotations !== undefined) checkAnnotations(desc.annotations, `${field}.annotations`);
  if (desc.urls !== undefined && (!Array.isArray(desc.urls) || !desc.urls.every((u) => typeof u === 'string'))) throw invalid(`${field}.urls must be an array of strings`);
  if (desc.data !== undefined) {
    if (typeof desc.data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(desc.data)) throw invalid(`${field}.data must be base64`);
    const bytes = Buffer.from(desc.data, 'base64');
    if (bytes.length !== desc.size) throw invalid(`${field}.data is ${bytes.length} bytes but size says ${desc.size}`);
    if (dc.ok) {
      if (digestOf(bytes, dc.algorithm) !== desc.digest) throw invalid(`${field}.data does not match ${field}.digest`);
      return false;
    }
  }
  return true;
}

function checkAnnotations(a: unknown, field: string): void {
  if (!a || typeof a !== 'object' || Array.isArray(a) || !Object.values(a).every((v) => typeof v === 'string')) {
    throw invalid(`${field} must be a map of strings`);
  }
}
