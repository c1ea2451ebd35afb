// Upload sessions: uploads/<id>/data (bytes so far) + uploads/<id>/state.json (repository, algorithm).
// The running digest is kept in memory so PATCH and PUT never re-read the data; a failed PATCH
// rolls back both the file (truncate) and the digest (Digester.copy() snapshot).
import { open, readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { Digester, type DigestAlgorithm, isSupportedAlgorithm } from '../../src/oci/digest.js';
import { isValidName } from '../../src/oci/names.js';
import { isUploadId, type Layout } from './layout.js';

export interface UploadSession {
  readonly id: string;
  readonly repository: string;
  readonly algorithm: DigestAlgorithm;
  readonly createdAt: number;
  /** Bytes received and kept. */
  offset: number;
  updatedAt: number;
  /** Running digest of bytes [0, offset); null after a restart until first needed. */
  digester: Digester | null;
  /** A request is writing to the session right now. */
  busy: boolean;
}

/** The body ended with a different length than announced (Content-Length / Content-Range). */
export class UploadSizeError extends Error {
  readonly expected: number;
  readonly received: number;
  constructor(expected: number, received: number) {
    super(`expected ${expected} bytes, received ${received === Infinity ? 'more' : received}`);
    this.expected = expected;
    this.received = received;
  }
}

/** Another request is already writing to this session. */
export class UploadBusyError extends Error {
  constructor() {
    super('another request is writing to this upload');
  }
}

interface StateFile {
  repository: string;
  algorithm: string;
  createdAt: number;
  /** false for a single-request upload: its client never learnt a Location, so it cannot resume. */
  resumable?: boolean;
}

export class UploadStore {
  private readonly layout: Layout;
  private readonly sessions = new Map<string, UploadSession>();

  constructor(layout: Layout) {
    this.layout = layout;
  }

  get size(): number {
    return this.sessions.size;
  }

  async create(repository: string, algorithm: DigestAlgorithm, resumable = true): Promise<UploadSession> {
    const id = randomUUID();
    const dir = this.layout.uploadDir(id);
    const now = Date.now();
    const state: StateFile = { repository, algorithm, createdAt: now, resumable };
    try {
      // Not recursive while uploads/ exists: a recursive mkdir on a read-only filesystem says ENOENT, not EROFS.
      await mkdir(dir).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
        await mkdir(dir, { recursive: true });
      });
      await writeFile(this.layout.uploadData(id), '');
      await writeFile(this.layout.uploadState(id), JSON.stringify(state));
    } catch (err) {
      // A full disk can fail the state file half-written: leave no session directory behind.
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      throw err;
    }
    const s: UploadSession = { id, repository, algorithm, createdAt: now, updatedAt: now, offset: 0, digester: new Digester(algorithm), busy: false };
    this.sessions.set(id, s);
    return s;
  }

  get(id: string): UploadSession | undefined {
    return isUploadId(id) ? this.sessions.get(id) : undefined;
  }

  dataPath(s: UploadSession): string {
    return this.layout.uploadData(s.id);
  }

  /**
   * Streams `src` to the end of the session's data. When `expected` is given the body must be
   * exactly that long. On any failure the session is rolled back to where it was.
   */
  async append(s: UploadSession, src: AsyncIterable<Uint8Array>, expected?: number): Promise<number> {
    if (s.busy) throw new UploadBusyError();
    s.busy = true;
    const start = s.offset;
    let fh;
    let snapshot: Digester | undefined;
    try {
      const digester = await this.digesterOf(s, s.algorithm);
      snapshot = digester.copy();
      fh = await open(this.layout.uploadData(s.id), 'r+');
      let pos = start;
      let received = 0;
      // Socket chunks are ~64 KiB: gather up to WRITE_BATCH and write them with one writev.
      let batch: Uint8Array[] = [];
      let batched = 0;
      // A failure (disk full) must not destroy the request: its answer still has to reach the client.
      const chunks = isReadable(src) ? src.iterator({ destroyOnReturn: false }) : src;
      for await (const chunk of chunks) {
        received += chunk.length;
        if (expected !== undefined && received > expected) throw new UploadSizeError(expected, Infinity);
        digester.update(chunk);
        batch.push(chunk);
        batched += chunk.length;
        if (batched >= WRITE_BATCH) {
          await writeAll(fh, batch, pos);
          pos += batched;
          batch = [];
          batched = 0;
        }
      }
      if (batched > 0) await writeAll(fh, batch, pos);
      pos += batched;
      if (expected !== undefined && received !== expected) throw new UploadSizeError(expected, received);
      s.offset = pos;
      s.updatedAt = Date.now();
      return pos - start;
    } catch (err) {
      if (fh) await fh.truncate(start).catch(() => undefined);
      if (snapshot) s.digester = snapshot;
      throw err;
    } finally {
      await fh?.close().catch(() => undefined);
      s.busy = false;
    }
  }

  /**
   * The digest of everything received, in `algorithm`. Uses the running state when the algorithm
   * matches; otherwise (or after a restart) hashes the data file once.
   */
  async digestOf(s: UploadSession, algorithm: DigestAlgorithm): Promise<string> {
    const d = await this.digesterOf(s, algorithm);
    return d.copy().digest();
  }

  private async digesterOf(s: UploadSession, algorithm: DigestAlgorithm): Promise<Digester> {
    if (algorithm === s.algorithm && s.digester) return s.digester;
    const d = new Digester(algorithm);
    if (s.offset > 0) {
      for await (const chunk of createReadStream(this.layout.uploadData(s.id), { start: 0, end: s.offset - 1 })) d.update(chunk as Buffer);
    }
    if (algorithm === s.algorithm) s.digester = d;
    return d;
  }

  /** Forgets the session and removes its files (cancel, or after the data was moved to a blob). */
  async remove(s: UploadSession): Promise<void> {
    this.sessions.delete(s.id);
    await rm(this.layout.uploadDir(s.id), { recursive: true, force: true });
  }

  /**
   * Start-up: sessions with a readable state resume (offset = data size); anything else in
   * uploads/ is a leftover and goes, as do single-request uploads and sessions idle for longer than `ttlMs`.
   */
  async recover(ttlMs: number, dryRun = false): Promise<{ resumed: number; removed: number; bytesRemoved: number }> {
    let resumed = 0;
    let removed = 0;
    let bytesRemoved = 0;
    let entries: string[] = [];
    try {
      entries = await readdir(this.layout.uploadsDir);
    } catch {
      /* no uploads dir yet */
    }
    const now = Date.now();
    for (const id of entries) {
      const s = isUploadId(id) ? await this.load(id) : null;
      if (s && now - s.updatedAt <= ttlMs) {
        this.sessions.set(id, s);
        resumed++;
      } else {
        bytesRemoved += await dirBytes(`${this.layout.uploadsDir}/${id}`);
        // dry run (`regprobe gc --dry-run`): count what would go, touch nothing
        if (!dryRun) await rm(`${this.layout.uploadsDir}/${id}`, { recursive: true, force: true });
        removed++;
      }
    }
    return { resumed, removed, bytesRemoved };
  }

  private async load(id: string): Promise<UploadSession | null> {
    try {
      const st = JSON.parse(await readFile(this.layout.uploadState(id), 'utf8')) as StateFile;
      if (!st || typeof st.repository !== 'string' || !isValidName(st.repository) || !isSupportedAlgorithm(st.algorithm)) return null;
      if (st.resumable === false) return null;
      const data = await stat(this.layout.uploadData(id));
      return {
        id,
        repository: st.repository,
        algorithm: st.algorithm,
        createdAt: typeof st.createdAt === 'number' ? st.createdAt : data.mtimeMs,
        updatedAt: data.mtimeMs,
        offset: data.size,
        digester: null,
        busy: false,
      };
    } catch {
      return null;
    }
  }

  /** Removes sessions idle for longer than `ttlMs` (spec: servers SHOULD time out unfinished uploads). */
  async expire(ttlMs: number, dryRun = false): Promise<{ expired: number; bytes: number }> {
    const now = Date.now();
    let expired = 0;
    let bytes = 0;
    for (const s of [...this.sessions.values()]) {
      if (!s.busy && now - s.updatedAt > ttlMs) {
        if (!dryRun) await this.remove(s);
        expired++;
        bytes += s.offset;
      }
    }
    return { expired, bytes };
  }
}

const WRITE_BATCH = 1024 * 1024;

function isReadable(src: AsyncIterable<Uint8Array>): src is AsyncIterable<Uint8Array> & Readable {
  return typeof (src as Partial<Readable>).iterator === 'function';
}

/** Bytes an upload session directory held (its data file; 0 for a stray entry without one). */
async function dirBytes(dir: string): Promise<number> {
  return (await stat(`${dir}/data`).catch(() => ({ size: 0 }))).size;
}

async function writeAll(fh: import('node:fs/promises').FileHandle, chunks: Uint8Array[], position: number): Promise<void> {
  let pending = chunks;
  let pos = position;
  while (pending.length > 0) {
    const { bytesWritten } = await fh.writev(pending, pos);
    pos += bytesWritten;
    // short write: drop what was written and retry the rest
    let skip = bytesWritten;
    const rest: Uint8Array[] = [];
    for (const c of pending) {
      if (skip >= c.length) skip -= c.length;
      else {
        rest.push(skip > 0 ? c.subarray(skip) : c);
        skip = 0;
      }
    }
    pending = rest;
  }
}
