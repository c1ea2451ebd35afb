// What a benchmark created, so it can be deleted afterwards (manifests first, then blobs, then open
// upload sessions). Best effort, bounded in time; a registry that forbids deletes is noted, not fought.
import { performance } from 'node:perf_hooks';
import type { RegistryClient } from '../src/client/registry-client.js';
import { tryDelete } from '../src/client/operations.js';

export interface CleanupResult {
  deleted: number;
  failed: number;
  /** Not attempted: the time limit passed or the registry refused deletes of that kind. */
  left: number;
  /** One line when something was left behind, e.g. `registry answered 405 to DELETE blob`. */
  note?: string;
}

type Kind = 'manifest' | 'blob' | 'upload';

/** Bounded memory: past this many items a long push benchmark's leftovers are only counted. */
const MAX_ITEMS = 500_000;

export class Cleanup {
  private readonly items: Record<Kind, string[]> = { manifest: [], blob: [], upload: [] };
  private readonly seen = new Set<string>();
  private overflow = 0;

  /** `enabled` false: nothing is recorded (a throw-away reference server, or --read-only). */
  constructor(readonly enabled: boolean) {}

  manifest(repo: string, digest: string): void {
    this.add('manifest', `/v2/${repo}/manifests/${digest}`);
  }

  blob(repo: string, digest: string): void {
    this.add('blob', `/v2/${repo}/blobs/${digest}`);
  }

  /** An upload session left open (a mount the registry answered with a session). */
  upload(location: string): void {
    this.add('upload', location);
  }

  get size(): number {
    return this.items.manifest.length + this.items.blob.length + this.items.upload.length + this.overflow;
  }

  private add(kind: Kind, path: string): void {
    if (!this.enabled || this.seen.has(path)) return;
    if (this.seen.size >= MAX_ITEMS) {
      this.overflow++;
      return;
    }
    this.seen.add(path);
    this.items[kind].push(path);
  }

  async run(client: RegistryClient, opts: { concurrency?: number; timeoutMs?: number } = {}): Promise<CleanupResult> {
    const deadline = performance.now() + (opts.timeoutMs ?? 60_000);
    const out: CleanupResult = { deleted: 0, failed: 0, left: 0 };
    const notes: string[] = [];
    for (const kind of ['manifest', 'blob', 'upload'] as const) {
      const paths = this.items[kind];
      let next = 0;
      let refused = 0;
      let deletedHere = 0;
      const worker = async () => {
        while (next < paths.length && performance.now() < deadline) {
          // A registry that answers 405/401/403 to the first deletes will answer so to all of them.
          if (refused >= 3 && deletedHere === 0) break;
          const status = await tryDelete(client, paths[next++]!);
          if (status === 202 || status === 200 || status === 204 || status === 404) {
            out.deleted++;
            deletedHere++;
          }
          else {
            out.failed++;
            if (status === 405 || status === 401 || status === 403) {
              refused++;
              if (refused === 3) notes.push(`registry answered ${status} to DELETE ${kind}`);
            }
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 8, paths.length) }, worker));
      out.left += paths.length - next;
      paths.length = 0;
    }
    if (out.left > 0 && performance.now() >= deadline) notes.push('cleanup time limit reached');
    if (this.overflow > 0) {
      out.left += this.overflow;
      notes.push(`${this.overflow} more items were not tracked (over ${MAX_ITEMS}): delete the namespace by hand`);
      this.overflow = 0;
    }
    if (notes.length) out.note = notes.join('; ');
    this.seen.clear();
    return out;
  }
}
