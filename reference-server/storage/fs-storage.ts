// The filesystem implementation of RegistryStorage. Disk is the truth; memory holds the small
// metadata (links, tags, manifest records, referrers) so reads never touch the disk for it.
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { checkDigest, digestOf, Digester, type DigestAlgorithm } from '../../src/oci/digest.js';
import { isValidName, isValidTag } from '../../src/oci/names.js';
import { AtomicWriter } from './atomic.js';
import { BlobGoneError } from './errors.js';
import { DEFAULT_GC_GRACE_MS, emptyGcReport, manifestReferences, type GcOptions, type GcReport } from './gc.js';
import { digestParts, Layout } from './layout.js';
import { referrerInfo, type ManifestRecord } from './manifest-info.js';
import { KeyedMutex } from './mutex.js';
import type { ByteRange, CommitResult, RecoveryReport, RegistryStorage } from './types.js';
import { UploadBusyError, UploadStore, type UploadSession } from './uploads.js';

export interface FsStorageOptions {
  root: string;
  /** Idle upload sessions older than this are removed (default 24 h). */
  uploadTtlMs?: number;
  /** Re-hash every blob file on start and remove the ones that do not match (slow on big stores). */
  verifyBlobs?: boolean;
  /**
   * Inspect only (`regprobe gc --dry-run`): start-up recovery counts what it would remove and removes
   * nothing, no expiry timer runs. Still takes the lock, so no server changes the store meanwhile.
   */
  readOnly?: boolean;
}

interface RepoState {
  blobs: Set<string>;
  manifests: Map<string, ManifestRecord>;
  tags: Map<string, string>;
  sortedTags: string[] | null;
  /** subject digest -> referrer digests, insertion ordered */
  referrers: Map<string, Set<string>>;
}

const MANIFEST_CACHE_BYTES = 64 * 1024 * 1024;
const MANIFEST_CACHE_MAX_ITEM = 1024 * 1024;

export class FsStorage implements RegistryStorage {
  readonly root: string;
  readonly layout: Layout;
  recovery: RecoveryReport = {
    tempFilesRemoved: 0, uploadsResumed: 0, uploadsRemoved: 0, repositories: 0, blobLinksDropped: 0,
    manifestsDropped: 0, tagsDropped: 0, corruptBlobsRemoved: 0, strayFilesRemoved: 0, uploadBytesRemoved: 0,
  };
  private readonly writer: AtomicWriter;
  private readonly uploads: UploadStore;
  private readonly repos = new Map<string, RepoState>();
  private readonly mutex = new KeyedMutex();
  private readonly blobSizes = new Map<string, number>();
  private readonly manifestCache = new Map<string, Buffer>();
  private manifestCacheBytes = 0;
  readonly uploadTtlMs: number;
  private readonly readOnly: boolean;
  private expiryTimer: NodeJS.Timeout | undefined;
  private gcRun: Promise<GcReport> | undefined;

  private constructor(opts: FsStorageOptions) {
    this.root = opts.root;
    this.layout = new Layout(opts.root);
    this.writer = new AtomicWriter(this.layout.tmpDir);
    this.uploads = new UploadStore(this.layout);
    this.uploadTtlMs = opts.uploadTtlMs ?? 24 * 3600 * 1000;
    this.readOnly = opts.readOnly ?? false;
  }

  /** Opens (creating if needed) a store and recovers it from whatever a crash left behind. */
  static async open(opts: FsStorageOptions): Promise<FsStorage> {
    const s = new FsStorage(opts);
    await mkdir(s.root, { recursive: true });
    await acquireLock(s.root);
    try {
      await s.recover(opts.verifyBlobs ?? false);
    } catch (err) {
      await releaseLock(s.root);
      throw err;
    }
    if (!s.readOnly) {
      // At least every minute, so a short --upload-ttl is honoured within a minute of its expiry.
      const every = Math.max(1000, Math.min(s.uploadTtlMs, 60 * 1000));
      s.expiryTimer = setInterval(() => void s.uploads.expire(s.uploadTtlMs).catch(() => undefined), every);
      s.expiryTimer.unref();
    }
    return s;
  }

  async close(): Promise<void> {
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    await this.gcRun?.catch(() => undefined);
    await releaseLock(this.root);
  }

  // ---- repositories

  repositories(): string[] {
    return [...this.repos.keys()].sort();
  }

  hasRepository(name: string): boolean {
    return this.repos.has(name);
  }

  private repo(name: string): RepoState {
    let r = this.repos.get(name);
    if (!r) {
      r = { blobs: new Set(), manifests: new Map(), tags: new Map(), sortedTags: null, referrers: new Map() };
      this.repos.set(name, r);
    }
    return r;
  }

  // ---- blobs

  hasBlob(name: string, digest: string): boolean {
    return this.repos.get(name)?.blobs.has(digest) ?? false;
  }

  async blobSize(digest: string): Promise<number | undefined> {
    const known = this.blobSizes.get(digest);
    if (known !== undefined) return known;
    try {
      const st = await stat(this.layout.blob(digest));
      this.blobSizes.set(digest, st.size);
      return st.size;
    } catch {
      return undefined;
    }
  }

  openBlob(digest: string, range?: ByteRange): Readable {
    // Big reads: fewer, larger chunks through the stream machinery (memory stays bounded by backpressure).
    return createReadStream(this.layout.blob(digest), { highWaterMark: 512 * 1024, ...(range ? { start: range.start, end: range.end } : {}) });
  }

  repositoryWithBlob(digest: string): string | undefined {
    for (const [name, r] of this.repos) if (r.blobs.has(digest)) return name;
    return undefined;
  }

  /** Throws BlobGoneError when the blob file is gone (garbage collected since the caller looked). */
  async linkBlob(name: string, digest: string): Promise<void> {
    await this.mutex.run(blobKey(digest), async () => {
      if ((await this.blobSize(digest)) === undefined) throw new BlobGoneError([digest]);
      await this.linkLocked(name, digest);
    });
  }

  /** Caller holds the blob's lock (so gc cannot remove the file meanwhile) and knows the file exists. */
  private async linkLocked(name: string, digest: string): Promise<void> {
    await this.mutex.run(name, async () => {
      const r = this.repos.get(name);
      if (r?.blobs.has(digest)) return;
      const link = this.layout.blobLink(name, digest);
      await this.writer.ensureDir(join(link, '..'));
      // An empty file: its existence is the whole fact, so creating it is already atomic.
      await writeFile(link, '');
      this.repo(name).blobs.add(digest);
    });
  }

  async unlinkBlob(name: string, digest: string): Promise<boolean> {
    return this.mutex.run(name, async () => {
      const r = this.repos.get(name);
      if (!r?.blobs.has(digest)) return false;
      await unlink(this.layout.blobLink(name, digest)).catch(ignoreEnoent);
      r.blobs.delete(digest);
      return true;
    });
  }

  // ---- uploads

  createUpload(name: string, algorithm: DigestAlgorithm, resumable = true): Promise<UploadSession> {
    return this.uploads.create(name, algorithm, resumable);
  }

  getUpload(id: string): UploadSession | undefined {
    return this.uploads.get(id);
  }

  appendUpload(session: UploadSession, body: AsyncIterable<Uint8Array>, expectedLength?: number): Promise<number> {
    return this.uploads.append(session, body, expectedLength);
  }

  async cancelUpload(session: UploadSession): Promise<void> {
    await this.uploads.remove(session);
  }

  async commitUpload(session: UploadSession, digest: string): Promise<CommitResult> {
    if (session.busy) throw new UploadBusyError();
    session.busy = true;
    try {
      const { algorithm } = digestParts(digest);
      const actual = await this.uploads.digestOf(session, algorithm as DigestAlgorithm);
      if (actual !== digest) {
        // Like distribution: a session that failed verification is gone; nothing was stored.
        await this.uploads.remove(session);
        return { ok: false, actual };
      }
      const data = this.uploads.dataPath(session);
      const fh = await open(data, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      // Under the blob's lock: gc cannot remove the file between the rename and the link.
      await this.mutex.run(blobKey(digest), async () => {
        // Same digest = same bytes: renaming over an existing blob (a concurrent push) is harmless.
        await this.writer.moveInto(data, this.layout.blob(digest));
        this.blobSizes.set(digest, session.offset);
        await this.uploads.remove(session);
        await this.linkLocked(session.repository, digest);
      });
      return { ok: true, size: session.offset };
    } finally {
      session.busy = false;
    }
  }

  // ---- manifests and tags

  manifest(name: string, digest: string): ManifestRecord | undefined {
    return this.repos.get(name)?.manifests.get(digest);
  }

  tagTarget(name: string, tag: string): string | undefined {
    return this.repos.get(name)?.tags.get(tag);
  }

  async readManifest(record: ManifestRecord): Promise<Buffer> {
    const cached = this.manifestCache.get(record.digest);
    if (cached) return cached;
    const bytes = await readFile(this.layout.blob(record.digest));
    this.cacheManifest(record.digest, bytes);
    return bytes;
  }

  private cacheManifest(digest: string, bytes: Buffer): void {
    if (bytes.length > MANIFEST_CACHE_MAX_ITEM || this.manifestCache.has(digest)) return;
    this.manifestCache.set(digest, bytes);
    this.manifestCacheBytes += bytes.length;
    for (const [k, v] of this.manifestCache) {
      if (this.manifestCacheBytes <= MANIFEST_CACHE_BYTES) break;
      this.manifestCache.delete(k);
      this.manifestCacheBytes -= v.length;
    }
  }

  async putManifest(name: string, bytes: Buffer, record: ManifestRecord, tags: string[], requires: readonly string[] = []): Promise<void> {
    // Under the manifest blob's lock: gc cannot remove the bytes before the revision link exists.
    await this.mutex.run(blobKey(record.digest), () => this.putManifestLocked(name, bytes, record, tags, requires));
  }

  private async putManifestLocked(name: string, bytes: Buffer, record: ManifestRecord, tags: string[], requires: readonly string[]): Promise<void> {
    const blobPath = this.layout.blob(record.digest);
    if (!(await exists(blobPath))) await this.writer.writeFile(blobPath, bytes);
    this.cacheManifest(record.digest, bytes);
    // Space for the revision link and every tag is taken before any of them becomes visible: on a
    // full disk the PUT fails whole (the bytes above stay invisible until gc sweeps them).
    const temps: string[] = [];
    try {
      temps.push(await this.writer.prepare(record.contentType));
      for (const tag of tags) temps.push(await this.writer.prepare(record.digest));
    } catch (err) {
      await this.writer.discard(temps);
      throw err;
    }
    await this.mutex.run(name, async () => {
      const current = this.repos.get(name);
      const gone = requires.filter((d) => !current?.blobs.has(d) && !current?.manifests.has(d));
      if (gone.length > 0) {
        // gc swept them after the handler checked: refuse rather than store a dangling manifest.
        await this.writer.discard(temps);
        throw new BlobGoneError(gone);
      }
      try {
        // Order matters for crash safety: bytes, then the repository's revision link, then tags.
        await this.writer.moveInto(temps[0]!, this.layout.revisionLink(name, record.digest));
        for (const [i, tag] of tags.entries()) await this.writer.moveInto(temps[i + 1]!, this.layout.tag(name, tag));
      } catch (err) {
        await this.writer.discard(temps); // the ones not moved yet
        throw err;
      }
      const r = this.repo(name);
      const previous = r.manifests.get(record.digest);
      if (previous?.subject) r.referrers.get(previous.subject)?.delete(record.digest);
      r.manifests.set(record.digest, record);
      if (record.subject) addReferrer(r, record.subject, record.digest);
      for (const tag of tags) {
        if (!r.tags.has(tag)) r.sortedTags = null;
        r.tags.set(tag, record.digest);
      }
    });
  }

  async deleteManifest(name: string, digest: string): Promise<boolean> {
    return this.mutex.run(name, async () => {
      const r = this.repos.get(name);
      const rec = r?.manifests.get(digest);
      if (!r || !rec) return false;
      // Tags first: a crash in between leaves an untagged manifest, never a dangling tag.
      for (const [tag, target] of [...r.tags]) {
        if (target !== digest) continue;
        await unlink(this.layout.tag(name, tag)).catch(ignoreEnoent);
        r.tags.delete(tag);
        r.sortedTags = null;
      }
      await unlink(this.layout.revisionLink(name, digest)).catch(ignoreEnoent);
      r.manifests.delete(digest);
      if (rec.subject) r.referrers.get(rec.subject)?.delete(digest);
      return true;
    });
  }

  async deleteTag(name: string, tag: string): Promise<boolean> {
    return this.mutex.run(name, async () => {
      const r = this.repos.get(name);
      if (!r?.tags.has(tag)) return false;
      await unlink(this.layout.tag(name, tag)).catch(ignoreEnoent);
      r.tags.delete(tag);
      r.sortedTags = null;
      return true;
    });
  }

  tags(name: string): readonly string[] {
    const r = this.repos.get(name);
    if (!r) return [];
    // Default JS sort compares UTF-16 code units: for the tag grammar (ASCII) that is Go's sort.Strings.
    r.sortedTags ??= [...r.tags.keys()].sort();
    return r.sortedTags;
  }

  referrers(name: string, digest: string): ManifestRecord[] {
    const r = this.repos.get(name);
    const set = r?.referrers.get(digest);
    if (!r || !set) return [];
    const out: ManifestRecord[] = [];
    for (const d of set) {
      const rec = r.manifests.get(d);
      if (rec) out.push(rec);
    }
    return out;
  }

  // ---- garbage collection (see gc.ts for what is kept and why)

  /** One run at a time: a call while one runs gets that run's report. */
  collectGarbage(opts: GcOptions = {}): Promise<GcReport> {
    this.gcRun ??= this.runGc(opts).finally(() => (this.gcRun = undefined));
    return this.gcRun;
  }

  private async runGc(opts: GcOptions): Promise<GcReport> {
    const started = Date.now();
    const dryRun = opts.dryRun ?? this.readOnly;
    const graceMs = opts.graceMs ?? DEFAULT_GC_GRACE_MS;
    const report = emptyGcReport(dryRun, graceMs, opts.uploadTtlMs ?? this.uploadTtlMs);
    // Anything linked or written after this instant is newer than the run: never swept by it.
    const cutoff = started - graceMs;

    const expired = await this.uploads.expire(report.uploadTtlMs, dryRun);
    report.uploadsExpired = expired.expired;
    report.uploadBytesFreed = expired.bytes;

    // Mark and sweep links, one repository at a time.
    const unlinked = new Map<string, Set<string>>(); // dry run: links that would go
    // Whatever any manifest references keeps its bytes, even where its link was deleted (DELETE blob).
    const referenced = new Set<string>();
    for (const [name, r] of [...this.repos]) {
      report.repositories++;
      const refs = new Set<string>();
      const seen = new Set<string>();
      await this.markManifests(r, refs, seen);
      for (const d of refs) referenced.add(d);
      const candidates: string[] = [];
      for (const digest of r.blobs) {
        if (refs.has(digest)) continue;
        if ((await mtimeOf(this.layout.blobLink(name, digest))) >= cutoff) report.recentKept++;
        else candidates.push(digest);
      }
      if (candidates.length === 0) continue;
      if (dryRun) {
        unlinked.set(name, new Set(candidates));
        report.linksRemoved += candidates.length;
        continue;
      }
      await this.mutex.run(name, async () => {
        // Manifests pushed since the mark may reference a candidate: mark them too.
        await this.markManifests(r, refs, seen);
        for (const digest of candidates) {
          if (refs.has(digest) || !r.blobs.has(digest)) continue;
          await unlink(this.layout.blobLink(name, digest)).catch(ignoreEnoent);
          r.blobs.delete(digest);
          report.linksRemoved++;
        }
      });
    }
    for (const r of this.repos.values()) report.manifests += r.manifests.size;

    // Sweep blob files nothing holds.
    const held = (digest: string) => {
      if (referenced.has(digest)) return true;
      for (const [name, r] of this.repos) {
        if (r.manifests.has(digest)) return true;
        if (r.blobs.has(digest) && !unlinked.get(name)?.has(digest)) return true;
      }
      return false;
    };
    for (const alg of await readdirSafe(this.layout.blobsDir)) {
      for (const prefix of await readdirSafe(join(this.layout.blobsDir, alg))) {
        for (const hex of await readdirSafe(join(this.layout.blobsDir, alg, prefix))) {
          const digest = `${alg}:${hex}`;
          if (!checkDigest(digest).ok) continue; // not ours to judge
          const path = join(this.layout.blobsDir, alg, prefix, hex);
          const st = await stat(path).catch(() => undefined);
          if (!st) continue;
          if (held(digest)) {
            report.blobsKept++;
            report.bytesKept += st.size;
            continue;
          }
          // ctime moves on rename: a blob committed during the run is recent even if its data is old.
          if (Math.max(st.mtimeMs, st.ctimeMs) >= cutoff) {
            report.recentKept++;
            report.blobsKept++;
            report.bytesKept += st.size;
            continue;
          }
          if (dryRun) {
            report.blobsRemoved++;
            report.bytesFreed += st.size;
            continue;
          }
          await this.mutex.run(blobKey(digest), async () => {
            // Commit, mount and manifest PUT link under this lock: re-check now that we hold it.
            if (held(digest)) {
              report.blobsKept++;
              report.bytesKept += st.size;
              return;
            }
            await rm(path, { force: true });
            this.blobSizes.delete(digest);
            this.uncacheManifest(digest);
            report.blobsRemoved++;
            report.bytesFreed += st.size;
          });
        }
      }
    }
    report.durationMs = Date.now() - started;
    return report;
  }

  /** Adds what every manifest of `r` not in `seen` references to `refs` (and the manifest itself). */
  private async markManifests(r: RepoState, refs: Set<string>, seen: Set<string>): Promise<void> {
    for (const rec of [...r.manifests.values()]) {
      if (seen.has(rec.digest)) continue;
      seen.add(rec.digest);
      refs.add(rec.digest);
      // A manifest that cannot be read stops the run (throws): its references are unknown.
      for (const d of manifestReferences(await this.readManifest(rec))) refs.add(d);
    }
  }

  private uncacheManifest(digest: string): void {
    const cached = this.manifestCache.get(digest);
    if (!cached) return;
    this.manifestCache.delete(digest);
    this.manifestCacheBytes -= cached.length;
  }

  /** Removes a file or directory found broken at start-up (counted by the caller), unless read-only. */
  private async drop(path: string): Promise<void> {
    if (!this.readOnly) await rm(path, { recursive: true, force: true });
  }

  // ---- start-up recovery

  private async recover(verifyBlobs: boolean): Promise<void> {
    const L = this.layout;
    for (const d of [L.root, L.blobsDir, L.uploadsDir, L.reposDir, L.tmpDir]) await mkdir(d, { recursive: true });
    // Temp files are writes that never reached their rename: by construction nobody saw them.
    for (const f of await readdir(L.tmpDir)) {
      await this.drop(join(L.tmpDir, f));
      this.recovery.tempFilesRemoved++;
    }
    const up = await this.uploads.recover(this.uploadTtlMs, this.readOnly);
    this.recovery.uploadsResumed = up.resumed;
    this.recovery.uploadsRemoved = up.removed;
    this.recovery.uploadBytesRemoved = up.bytesRemoved;
    if (verifyBlobs) await this.verifyBlobFiles();
    await this.scanRepositories(L.reposDir, []);
    this.recovery.repositories = this.repos.size;
  }

  private async verifyBlobFiles(): Promise<void> {
    for (const alg of await readdirSafe(this.layout.blobsDir)) {
      for (const prefix of await readdirSafe(join(this.layout.blobsDir, alg))) {
        for (const hex of await readdirSafe(join(this.layout.blobsDir, alg, prefix))) {
          const digest = `${alg}:${hex}`;
          const path = join(this.layout.blobsDir, alg, prefix, hex);
          const c = checkDigest(digest);
          if (!c.ok || !(await fileMatches(path, c.algorithm, digest))) {
            await this.drop(path);
            this.recovery.corruptBlobsRemoved++;
          }
        }
      }
    }
  }

  private async scanRepositories(dir: string, parts: string[]): Promise<void> {
    const entries = await readdirSafe(dir);
    const name = parts.join('/');
    if (parts.length > 0 && isValidName(name) && (entries.includes('_layers') || entries.includes('_manifests'))) {
      await this.loadRepository(name);
    }
    for (const e of entries) {
      if (e.startsWith('_')) continue;
      const child = [...parts, e];
      if (isValidName(child.join('/'))) await this.scanRepositories(join(dir, e), child);
    }
  }

  private async loadRepository(name: string): Promise<void> {
    const L = this.layout;
    const r = this.repo(name);
    for (const [digest, path] of await this.digestFiles(L.blobLinksDir(name))) {
      const size = await this.blobSize(digest);
      if (size === undefined) {
        await this.drop(path);
        this.recovery.blobLinksDropped++;
      } else r.blobs.add(digest);
    }
    for (const [digest, path] of await this.digestFiles(L.revisionsDir(name))) {
      const rec = await this.loadManifest(digest, path);
      if (!rec) {
        await this.drop(path);
        this.recovery.manifestsDropped++;
        continue;
      }
      r.manifests.set(digest, rec);
      if (rec.subject) addReferrer(r, rec.subject, digest);
    }
    for (const tag of await readdirSafe(L.tagsDir(name))) {
      const path = join(L.tagsDir(name), tag);
      const target = isValidTag(tag) ? (await readFile(path, 'utf8').catch(() => '')).trim() : '';
      if (!r.manifests.has(target)) {
        await this.drop(path);
        this.recovery.tagsDropped++;
      } else r.tags.set(tag, target);
    }
  }

  /** Reads a revision back and checks its bytes still hash to its digest. */
  private async loadManifest(digest: string, linkPath: string): Promise<ManifestRecord | null> {
    try {
      const contentType = (await readFile(linkPath, 'utf8')).trim();
      const bytes = await readFile(this.layout.blob(digest));
      const { algorithm } = digestParts(digest);
      if (!contentType || digestOf(bytes, algorithm as DigestAlgorithm) !== digest) return null;
      let doc: unknown = null;
      try {
        doc = JSON.parse(bytes.toString('utf8'));
      } catch {
        return null;
      }
      return { digest, size: bytes.length, contentType, ...referrerInfo(doc, contentType) };
    } catch {
      return null;
    }
  }

  /** `<dir>/<alg>/<encoded>` files as [digest, path]; anything that is not a digest is removed. */
  private async digestFiles(dir: string): Promise<Array<[string, string]>> {
    const out: Array<[string, string]> = [];
    for (const alg of await readdirSafe(dir)) {
      for (const enc of await readdirSafe(join(dir, alg))) {
        const digest = `${alg}:${enc}`;
        const path = join(dir, alg, enc);
        if (checkDigest(digest).ok) out.push([digest, path]);
        else {
          await this.drop(path);
          this.recovery.strayFilesRemoved++;
        }
      }
    }
    return out;
  }
}

// One server per storage directory: the metadata in memory would diverge otherwise.
const LOCK_FILE = 'registry.lock';
const lockedHere = new Set<string>();

/** Thrown when another live server (this process or another) already uses the directory. */
export class StorageLockedError extends Error {
  constructor(root: string, holder: string) {
    super(`storage directory ${root} is in use by ${holder} (remove ${join(root, LOCK_FILE)} if that process is gone)`);
    this.name = 'StorageLockedError';
  }
}

async function acquireLock(root: string): Promise<void> {
  if (lockedHere.has(root)) throw new StorageLockedError(root, 'another server in this process');
  const path = join(root, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, String(process.pid), { flag: 'wx' });
      lockedHere.add(root);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) throw new StorageLockedError(root, `process ${pid}`);
    // left by a process that is gone (kill -9): take it over
    await rm(path, { force: true });
  }
  throw new StorageLockedError(root, 'a process that keeps re-creating the lock');
}

async function releaseLock(root: string): Promise<void> {
  if (!lockedHere.delete(root)) return;
  await rm(join(root, LOCK_FILE), { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Lock key of a blob's file (repository names cannot contain ':', so no clash with them). */
function blobKey(digest: string): string {
  return `blob:${digest}`;
}

/** Last modification of a file in ms; 0 when it cannot be read (then it counts as old). */
async function mtimeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return 0;
  }
}

function addReferrer(r: RepoState, subject: string, digest: string): void {
  let set = r.referrers.get(subject);
  if (!set) r.referrers.set(subject, (set = new Set()));
  set.add(digest);
}

async function readdirSafe(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function fileMatches(path: string, algorithm: DigestAlgorithm, digest: string): Promise<boolean> {
  const d = new Digester(algorithm);
  for await (const chunk of createReadStream(path)) d.update(chunk as Buffer);
  return d.digest() === digest;
}

function ignoreEnoent(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err;
}
