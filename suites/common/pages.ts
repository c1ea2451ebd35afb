// Paginated listings (tags/list, _catalog, referrers): RFC 5988 `Link: <url>; rel="next"` parsing and a
// bounded walk over every page, shared by the tag-listing, discovery and referrers suites.
import type { RegistryClient, RegistryResponse, Query } from '../../src/client/registry-client.js';
import { expectStatus, fail } from '../../src/conformance/expect.js';

export interface LinkValue {
  uri: string;
  rels: string[];
}

/** Parses an RFC 5988 Link header into its link-values; null when it does not follow the grammar. */
export function parseLinkHeader(value: string): LinkValue[] | null {
  const out: LinkValue[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < value.length && /[\s]/.test(value[i]!)) i++;
  };
  while (i < value.length) {
    skipSpace();
    if (value[i] === ',') {
      i++;
      continue;
    }
    if (i >= value.length) break;
    if (value[i] !== '<') return null;
    const close = value.indexOf('>', i);
    if (close < 0) return null;
    const uri = value.slice(i + 1, close).trim();
    i = close + 1;
    const params: Record<string, string> = {};
    for (;;) {
      skipSpace();
      if (value[i] !== ';') break;
      i++;
      skipSpace();
      const m = /^[A-Za-z0-9!#$&+.^_`|~*-]+/.exec(value.slice(i));
      if (!m) return null;
      const name = m[0].toLowerCase();
      i += m[0].length;
      skipSpace();
      let param = '';
      if (value[i] === '=') {
        i++;
        skipSpace();
        if (value[i] === '"') {
          const end = value.indexOf('"', i + 1);
          if (end < 0) return null;
          param = value.slice(i + 1, end);
          i = end + 1;
        } else {
          const t = /^[^;,\s]*/.exec(value.slice(i))![0];
          param = t;
          i += t.length;
        }
      }
      if (!(name in params)) params[name] = param;
    }
    skipSpace();
    if (i < value.length && value[i] !== ',') return null;
    out.push({ uri, rels: (params.rel ?? '').toLowerCase().split(/\s+/).filter(Boolean) });
  }
  return out.length > 0 ? out : null;
}

/**
 * The absolute URL of the rel="next" link of a response, or undefined without a Link header. A Link
 * header that is not RFC 5988 or has no rel="next" link fails the case (the spec: "If included, the
 * Link header MUST be set according to RFC5988 with the Relation Type rel=\"next\"").
 */
export function nextLink(res: RegistryResponse): string | undefined {
  const header = res.header('link');
  if (header === undefined) return undefined;
  const links = parseLinkHeader(header);
  const next = links?.find((l) => l.rels.includes('next'));
  if (!next) fail('a Link header per RFC 5988 with rel="next"', `Link: ${header}`, res);
  try {
    return new URL(next.uri, res.url).toString();
  } catch {
    fail('a Link rel="next" with a valid URI reference', `Link: ${header}`, res);
  }
}

export interface Page<T> {
  res: RegistryResponse;
  text: string;
  items: T[];
  /** Absolute URL of the next page (Link rel="next"), if the registry gave one. */
  next?: string;
}

/**
 * Reads a listing page that must be 200 with a JSON body; `read` checks the body's shape (failing the
 * case) and returns the page's entries.
 */
export async function fetchPage<T>(
  client: RegistryClient,
  path: string,
  query: Query | undefined,
  read: (body: unknown, res: RegistryResponse, text: string) => T[],
  headers?: Record<string, string>,
): Promise<Page<T>> {
  const res = await client.request({ method: 'GET', path, ...(query ? { query } : {}), ...(headers ? { headers } : {}) });
  await expectStatus(res, 200);
  const text = await res.text(4 * 1024 * 1024);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    fail('a JSON body', 'a body that is not JSON', res, text);
  }
  const items = read(body, res, text);
  const next = nextLink(res);
  return { res, text, items, ...(next !== undefined ? { next } : {}) };
}

export interface Walk<T> {
  pages: Page<T>[];
  items: T[];
  /** False when `maxPages` pages were read and the registry still offered a next one. */
  complete: boolean;
}

/**
 * Follows Link rel="next" from a first page, at most `maxPages` pages. A next link that points at a
 * page already read fails the case (a client following it would never finish).
 */
export async function walkLinks<T>(
  client: RegistryClient,
  path: string,
  query: Query | undefined,
  read: (body: unknown, res: RegistryResponse, text: string) => T[],
  maxPages: number,
  headers?: Record<string, string>,
): Promise<Walk<T>> {
  const pages: Page<T>[] = [];
  const seen = new Set<string>();
  let page = await fetchPage(client, path, query, read, headers);
  for (;;) {
    pages.push(page);
    seen.add(page.res.url);
    if (page.next === undefined) return { pages, items: pages.flatMap((p) => p.items), complete: true };
    if (pages.length >= maxPages) return { pages, items: pages.flatMap((p) => p.items), complete: false };
    if (seen.has(page.next)) fail('a Link rel="next" to a page not yet read', `Link to ${page.next} again`, page.res);
    page = await fetchPage(client, page.next, undefined, read, headers);
  }
}

/** Entries that occur more than once, for failure messages. */
export function duplicates(items: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const x of items) (seen.has(x) ? dup : seen).add(x);
  return [...dup];
}

export type Order = 'ascii' | 'case-insensitive';

function compare(order: Order, a: string, b: string): number {
  const x = order === 'ascii' ? a : a.toLowerCase();
  const y = order === 'ascii' ? b : b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

export function isSortedBy(order: Order, list: readonly string[]): boolean {
  for (let i = 1; i < list.length; i++) if (compare(order, list[i - 1]!, list[i]!) > 0) return false;
  return true;
}

/**
 * The legal orders a list is in (the draft spec allows case-insensitive lexical or ASCII order): both
 * when they coincide, none when it is unsorted.
 */
export function ordersOf(list: readonly string[]): Order[] {
  return (['ascii', 'case-insensitive'] as const).filter((o) => isSortedBy(o, list));
}

export function sortBy(order: Order, list: readonly string[]): string[] {
  return [...list].sort((a, b) => compare(order, a, b));
}

/** A short rendering of a list for failure messages. */
export function show(list: readonly string[], max = 12): string {
  const head = list.slice(0, max).map((s) => JSON.stringify(s)).join(', ');
  return `[${head}${list.length > max ? `, ... (${list.length} in all)` : ''}]`;
}
