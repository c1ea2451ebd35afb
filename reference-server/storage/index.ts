// Storage of the reference registry. Layout of the storage directory:
//
//   blobs/<alg>/<first 2 hex>/<hex>     content-addressed bytes of every blob AND manifest; a file appears
//                                       only by rename after its digest was verified and it was fsynced
//   repositories/<name>/_layers/<alg>/<hex>                 empty file: the blob is visible in <name>
//   repositories/<name>/_manifests/revisions/<alg>/<hex>    the manifest is in <name>; content = its Content-Type
//   repositories/<name>/_manifests/tags/<tag>               content = the manifest digest the tag points to
//   uploads/<uuid>/data, uploads/<uuid>/state.json          an upload session (bytes so far, repository, algorithm)
//   tmp/                                                    temp files of atomic writes (temp + fsync + rename)
//   registry.lock                                           pid of the server using the directory (one at a time)
//
// On start tmp/ is emptied, broken or expired upload sessions are removed, and every link, revision and
// tag is checked (revisions re-hashed) so that nothing dangling or half-written is ever visible.
// Metadata (links, tags, manifest records, referrers by subject) is held in memory and rebuilt on start.
export type { RegistryStorage, RecoveryReport, ByteRange, CommitResult, ManifestRecord, UploadSession } from './types.js';
export { FsStorage, StorageLockedError, type FsStorageOptions } from './fs-storage.js';
export { UploadBusyError, UploadSizeError } from './uploads.js';
export { BlobGoneError, storageFailure, type StorageFailure } from './errors.js';
export { DEFAULT_GC_GRACE_MS, type GcOptions, type GcReport } from './gc.js';
export { referrerInfo } from './manifest-info.js';
