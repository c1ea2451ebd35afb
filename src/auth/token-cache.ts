// Bearer tokens cached per registry origin and scope set, refreshed ahead of expiry so that a long
// operation (a chunked upload of many PATCHes) never sends a token that expires on the way.
import { scopesCover } from './scope.js';

export interface CachedToken {
  token: string;
  /** The scopes it was requested for (what it may cover; the server may have granted less). */
  scopes: string[];
  obtainedAt: number;
  expiresAt: number;
}

/** How long before expiry a token is replaced: a quarter of its life, between 5 s and 60 s. */
export function refreshMargin(t: CachedToken): number {
  const life = t.expiresAt - t.obtainedAt;
  return Math.min(60_000, Math.max(5_000, life / 4));
}

export class TokenCache {
  private readonly entries = new Map<string, CachedToken>();
  /** Bounded: a long benchmark over many repositories must not grow without end. */
  constructor(private readonly maxEntries = 1024) {}

  private static k(origin: string, key: string): string {
    return `${origin} ${key}`;
  }

  get(origin: string, key: string): CachedToken | undefined {
    return this.entries.get(TokenCache.k(origin, key));
  }

  /** The exact entry, or any unexpired entry of this origin whose scopes cover `scopes`. */
  lookup(origin: string, key: string, scopes: readonly string[], now: number): CachedToken | undefined {
    const exact = this.get(origin, key);
    if (exact && exact.expiresAt > now) return exact;
    if (scopes.length === 0) return undefined;
    for (const [k, e] of this.entries) {
      if (k.startsWith(`${origin} `) && e.expiresAt - refreshMargin(e) > now && scopesCover(e.scopes, scopes)) return e;
    }
    return undefined;
  }

  set(origin: string, key: string, t: CachedToken): void {
    const k = TokenCache.k(origin, key);
    this.entries.delete(k);
    this.entries.set(k, t);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(origin: string, key: string): void {
    this.entries.delete(TokenCache.k(origin, key));
  }

  get size(): number {
    return this.entries.size;
  }
}

export function needsRefresh(t: CachedToken, now: number): boolean {
  return now >= t.expiresAt - refreshMargin(t);
}
