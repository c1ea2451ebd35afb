// The storage seam of the reference server: the HTTP handlers see only this interface.
import type { Readable } from 'node:stream';
import type { DigestAlgorithm } from '../../src/oci/digest.js';
import type { ManifestRecord } from './manifest-info.js';
import type { UploadSession } from './uploads.js';

export type { ManifestRecord, UploadSession };

export interface ByteRange {
  /** Inclusive. */
  start: number;
  /** Inclusive. */
  end: number;
}

export type CommitResult = { ok: true; size: number } | { ok: false; actual: string };

export interface RecoveryReport {
  tempFilesRemoved: number;
  uploadsResumed: number;
  uploadsRemoved: number;
  repositories: number;
  blobLinksDropped: number;
  manifestsDropped: number;
  tagsDropped: number;
  corruptBlobsRemoved: number;
  strayFilesRemoved: number;
  /** Bytes held by the upload sessions removed (expired, broken or single-request). */
  uploadBytesRemoved: number;
}

export interface RegistryStorage {
  readonly root: string;
  readonly recovery: RecoveryReport;

  /** Repositories that exist (ever received content), sorted. */
  repositories(): string[];
  hasRepository(name: string): boolean;

  // Blobs: content-addressed, visible in a repository only through its link.
  hasBlob(name: string, digest: string): boolean;
  blobSize(digest: string): Promise<number | undefined>;
  openBlob(digest: string, range?: ByteRange): Readable;
  /** Some repository that links the blob (automatic mount by content). */
  repositoryWithBlob(digest: string): string | undefined;
  /** BlobGoneError when the blob was garbage collected since the caller looked. */
  linkBlob(name: string, digest: string): Promise<void>;
  unlinkBlob(name: string, digest: string): Promise<boolean>;

  // Upload sessions.
  /** `resumable: false` for a single-request upload (dropped, not resumed, after a restart). */
  createUpload(name: string, algorithm: DigestAlgorithm, resumable?: boolean): Promise<UploadSession>;
  getUpload(id: string): UploadSession | undefined;
  appendUpload(session: UploadSession, body: AsyncIterable<Uint8Array>, expectedLength?: number): Promise<number>;
  /** Verifies the digest; on success the data becomes the blob and is linked to the session's repository. */
  commitUpload(session: UploadSession, digest: string): Promise<CommitResult>;
  cancelUpload(session: UploadSession): Promise<void>;

  // Manifests and tags.
  manifest(name: string, digest: string): ManifestRecord | undefined;
  tagTarget(name: string, tag: string): string | undefined;
  readManifest(record: ManifestRecord): Promise<Buffer>;
  /**
   * Stores bytes + record, then points each tag at it (all atomic renames, manifest first).
   * `requires`: digests (blobs or manifests) that must still be in the repository when the manifest
   * becomes visible; BlobGoneError (nothing stored) when gc swept one since the caller checked.
   */
  putManifest(name: string, bytes: Buffer, record: ManifestRecord, tags: string[], requires?: readonly string[]): Promise<void>;
  /** Removes the manifest from the repository together with every tag pointing at it. */
  deleteManifest(name: string, digest: string): Promise<boolean>;
  deleteTag(name: string, tag: string): Promise<boolean>;
  /** Tags in ASCII order. */
  tags(name: string): readonly string[];
  /** Manifests of the repository whose subject is `digest`, in push order. */
  referrers(name: string, digest: string): ManifestRecord[];

  close(): Promise<void>;
}
