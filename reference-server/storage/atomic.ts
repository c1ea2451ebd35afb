// Atomic file writes: a temp file inside the storage directory, fsync, then rename over the target.
// A reader (or a restart after kill -9) sees the old file or the whole new one, never a part.
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';

export class AtomicWriter {
  private readonly tmpDir: string;
  private readonly knownDirs = new Set<string>();

  constructor(tmpDir: string) {
    this.tmpDir = tmpDir;
  }

  tempPath(): string {
    return join(this.tmpDir, `${randomUUID()}.tmp`);
  }

  /** mkdir -p, remembered so hot paths do not repeat the syscall. */
  async ensureDir(dir: string): Promise<void> {
    if (this.knownDirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.knownDirs.add(dir);
  }

  /** Forget cached directories under a path that is being removed. */
  forgetDirs(prefix: string): void {
    for (const d of this.knownDirs) if (d === prefix || d.startsWith(prefix + '/')) this.knownDirs.delete(d);
  }

  async writeFile(target: string, data: string | Uint8Array, fsync = true): Promise<void> {
    await this.moveInto(await this.prepare(data, fsync), target);
  }

  /**
   * Writes `data` to a new temp file (fsynced) and returns its path, for moveInto() later. Several
   * prepared files make a group that is all-or-nothing: when the disk fills, a prepare fails (its
   * temp file removed) before anything was renamed, and discard() removes the others.
   */
  async prepare(data: string | Uint8Array, fsync = true): Promise<string> {
    const tmp = this.tempPath();
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      if (fsync) await fh.sync();
      await fh.close();
    } catch (err) {
      await fh.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    return tmp;
  }

  /** Removes prepared temp files that will not be moved into place. */
  async discard(temps: readonly string[]): Promise<void> {
    await Promise.all(temps.map((t) => unlink(t).catch(() => undefined)));
  }

  /** Renames a complete (already synced) file into place, creating the parent directory. */
  async moveInto(source: string, target: string): Promise<void> {
    try {
      await this.ensureDir(dirname(target));
      await rename(source, target);
    } catch (err) {
      // The directory may have been removed under a cached entry (repository deleted): retry once.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.forgetDirs(dirname(target));
        await this.ensureDir(dirname(target));
        try {
          await rename(source, target);
          return;
        } catch (err2) {
          await unlink(source).catch(() => undefined);
          throw err2;
        }
      }
      await unlink(source).catch(() => undefined);
      throw err;
    }
  }
}
