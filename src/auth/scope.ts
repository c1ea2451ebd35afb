// Resource scopes (distribution-auth-scope.md): `type[(class)]:name:action[,action]*`. The name may
// hold one `:` (a host:port prefix), so type is up to the first `:` and actions after the last one.

export interface ResourceScope {
  type: string;
  name: string;
  actions: string[];
}

/** Parses one resource scope; null when it has fewer than three parts. */
export function parseScope(s: string): ResourceScope | null {
  const first = s.indexOf(':');
  const last = s.lastIndexOf(':');
  if (first <= 0 || last <= first + 1) return null;
  const type = s.slice(0, first);
  const name = s.slice(first + 1, last);
  const actions = s
    .slice(last + 1)
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a.length > 0);
  return { type, name, actions };
}

export function formatScope(r: ResourceScope): string {
  return `${r.type}:${r.name}:${r.actions.join(',')}`;
}

/**
 * Merges scope lists: one entry per resource, actions united and sorted, entries sorted. Unparsable
 * entries are kept verbatim (the token server decides what they mean).
 */
export function mergeScopes(...lists: ReadonlyArray<readonly string[]>): string[] {
  const byResource = new Map<string, ResourceScope>();
  const verbatim = new Set<string>();
  for (const list of lists) {
    for (const raw of list) {
      for (const s of raw.split(/\s+/)) {
        if (!s) continue;
        const r = parseScope(s);
        if (!r) {
          verbatim.add(s);
          continue;
        }
        const key = `${r.type}:${r.name}`;
        const cur = byResource.get(key);
        if (cur) cur.actions = [...new Set([...cur.actions, ...r.actions])];
        else byResource.set(key, { ...r, actions: [...new Set(r.actions)] });
      }
    }
  }
  const out = [...byResource.values()].map((r) => formatScope({ ...r, actions: [...r.actions].sort() }));
  return [...out, ...verbatim].sort();
}

/** A stable key for a scope set (order and duplicates do not matter). */
export function scopeKey(scopes: readonly string[]): string {
  return mergeScopes(scopes).join(' ');
}

/** True when every action of every resource in `wanted` is present (or `*`) in `have`. */
export function scopesCover(have: readonly string[], wanted: readonly string[]): boolean {
  const index = new Map<string, Set<string>>();
  for (const s of mergeScopes(have)) {
    const r = parseScope(s);
    if (r) index.set(`${r.type}:${r.name}`, new Set(r.actions));
  }
  for (const s of mergeScopes(wanted)) {
    const r = parseScope(s);
    if (!r) return false;
    const acts = index.get(`${r.type}:${r.name}`);
    if (!acts) return false;
    if (!acts.has('*') && !r.actions.every((a) => acts.has(a))) return false;
  }
  return true;
}
