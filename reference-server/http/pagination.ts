// `n` / `last` pagination with a `Link: <...>; rel="next"` header, shared by tags/list and _catalog.
import { RegistryError } from './errors.js';

/** A page size above this is served in pages of this size, with a Link to the rest. */
export const MAX_PAGE = 10_000;

export interface Page {
  items: string[];
  link?: string;
}

/** `sorted` must be in ASCII order (what `Array.prototype.sort()` gives for the names' grammar). */
export function paginate(sorted: readonly string[], query: URLSearchParams, path: string): Page {
  const nRaw = query.get('n');
  const last = query.get('last');
  let n: number | undefined;
  if (nRaw !== null && nRaw !== '') {
    if (!/^\d{1,9}$/.test(nRaw)) {
      throw new RegistryError(400, 'UNSUPPORTED', 'invalid pagination: n must be a non-negative integer', { n: nRaw });
    }
    n = Number(nRaw);
  }
  if (n === 0) return { items: [] };
  let from = 0;
  if (last !== null && last !== '') from = firstAfter(sorted, last);
  const size = Math.min(n ?? Infinity, MAX_PAGE);
  const limited = n !== undefined || sorted.length - from > MAX_PAGE;
  const items = sorted.slice(from, from + size);
  const more = from + items.length < sorted.length;
  if (!limited || !more || items.length === 0) return { items };
  const next = new URLSearchParams({ n: String(size), last: items[items.length - 1]! });
  return { items, link: `<${path}?${next.toString()}>; rel="next"` };
}

/** Index of the first element strictly greater than `key`. */
function firstAfter(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
