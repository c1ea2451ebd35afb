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
    const tmp = this.tempPath();
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      if (fsync) await fh.sync();
    } catch (err) {
      await fh.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await fh.close();
    await this.moveInto(tmp, target);
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
