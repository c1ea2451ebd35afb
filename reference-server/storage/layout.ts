// Where every piece of state lives under the storage directory (see index.ts for the picture).
// Paths are built only from values that passed the name/tag/digest grammar, checked again here,
// so nothing can ever resolve outside the storage directory.
import { join } from 'node:path';
import { checkDigest } from '../../src/oci/digest.js';
import { isValidName, isValidTag } from '../../src/oci/names.js';

const UPLOAD_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUploadId(id: string): boolean {
  return UPLOAD_ID_RE.test(id);
}

/** algorithm and encoded part of a digest that passed checkDigest; throws otherwise (a bug upstream). */
export function digestParts(digest: string): { algorithm: string; encoded: string } {
  const c = checkDigest(digest);
  if (!c.ok) throw new Error(`internal: unchecked digest reached storage: ${JSON.stringify(digest)}`);
  return { algorithm: c.algorithm, encoded: c.encoded };
}

function checkedName(name: string): string {
  if (!isValidName(name)) throw new Error(`internal: unchecked repository name reached storage: ${JSON.stringify(name)}`);
  return name;
}

export class Layout {
  readonly root: string;
  readonly blobsDir: string;
  readonly uploadsDir: string;
  readonly reposDir: string;
  readonly tmpDir: string;

  constructor(root: string) {
    this.root = root;
    this.blobsDir = join(root, 'blobs');
    this.uploadsDir = join(root, 'uploads');
    this.reposDir = join(root, 'repositories');
    this.tmpDir = join(root, 'tmp');
  }

  blob(digest: string): string {
    const { algorithm, encoded } = digestParts(digest);
    return join(this.blobsDir, algorithm, encoded.slice(0, 2), encoded);
  }

  uploadDir(id: string): string {
    if (!isUploadId(id)) throw new Error(`internal: bad upload id ${JSON.stringify(id)}`);
    return join(this.uploadsDir, id);
  }
  uploadData(id: string): string {
    return join(this.uploadDir(id), 'data');
  }
  uploadState(id: string): string {
    return join(this.uploadDir(id), 'state.json');
  }

  repo(name: string): string {
    return join(this.reposDir, ...checkedName(name).split('/'));
  }
  blobLinksDir(name: string): string {
    return join(this.repo(name), '_layers');
  }
  blobLink(name: string, digest: string): string {
    const { algorithm, encoded } = digestParts(digest);
    return join(this.blobLinksDir(name), algorithm, encoded);
  }
  revisionsDir(name: string): string {
    return join(this.repo(name), '_manifests', 'revisions');
  }
  revisionLink(name: string, digest: string): string {
    const { algorithm, encoded } = digestParts(digest);
    return join(this.revisionsDir(name), algorithm, encoded);
  }
  tagsDir(name: string): string {
    return join(this.repo(name), '_manifests', 'tags');
  }
  tag(name: string, tag: string): string {
    if (!isValidTag(tag)) throw new Error(`internal: unchecked tag reached storage: ${JSON.stringify(tag)}`);
    return join(this.tagsDir(name), tag);
  }
}
