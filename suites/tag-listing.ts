// Tag listing (spec "Listing Tags", end-8a/end-8b): the full list, its order, `n`, `last`, paging by
// Link, `n=0`, the `name` field, and a deleted tag leaving the list.
// Setup pushes one small image under TAGS; read-only runs list the repository named by --tag/--digest.
import type { CaseContext, CaseDefinition, Suite } from '../src/conformance/model.js';
import type { Query } from '../src/client/registry-client.js';
import { expectThat, fail } from '../src/conformance/expect.js';
import { makeImage } from '../src/conformance/fixtures.js';
import { fetchPage, duplicates, ordersOf, show, sortBy, walkLinks, type Order, type Page } from './common/pages.js';
import { pushImage, tagImage } from './common/content.js';
import { ACCEPT_MANIFESTS } from '../src/client/operations.js';
import { cites } from './common/spec-section.js';
import { uniqueArtifact } from './common/unique-content.js';

/**
 * Tags chosen so that ASCII order and case-insensitive order differ (upper case, `_`, digits, dots):
 * both orders are legal, and paging must follow whichever the registry uses.
 */
export const TAGS: readonly string[] = ['a1', 'B2', 'c3', 'D4', '_e5', 'latest', 'v1.0', 'v1.10', 'v1.9'];
const DELETE_TAG = 'zz-delete-me';
/** Pages read while walking a listing, at most. */
const MAX_PAGES = 40;

const END_8A = { ref: 'end-8a', level: 'MUST', text: 'GET /v2/<name>/tags/list: assuming a repository is found, MUST return 200 with {"name": "<name>", "tags": [...]}' } as const;
const ORDER = { ref: 'listing-tags', level: 'MUST', text: 'If the list is not empty, the tags MUST be in lexical (case-insensitive alphanumeric) or "ASCIIbetical" order (draft wording; v1.1.1 says lexical)' } as const;
const end8b = cites('end-8b', 'MUST');
const N_RULE = end8b('with n, the response MAY return fewer than n results only when the total is less than n or a Link header is provided; otherwise it MUST include n results, from the start of the list');
const LAST_RULE = end8b('with last, up to n tags after <tagname> are returned, not including <tagname>, in lexical order; n is OPTIONAL with last');
const LINK_RULE = end8b('A Link header MAY be included when more tags are available; if included it MUST be RFC 5988 with rel="next"');

interface Target {
  repo: string;
  /** The exact tag set, when this run pushed it. */
  tags?: readonly string[];
}

function target(ctx: CaseContext): Target {
  if (!ctx.readOnly) return { repo: ctx.repo, tags: TAGS };
  if (!ctx.existing) ctx.skip('read-only', 'in --read-only mode this case lists the repository named by --tag/--digest; none was given');
  return { repo: ctx.existing.repo };
}

/** The tags of a tags/list page, after checking the body's shape and name. */
function readTags(repo: string) {
  return (body: unknown, res: Page<string>['res'], text: string): string[] => {
    if (body === null || typeof body !== 'object') fail('a JSON object {"name", "tags"}', 'JSON that is not an object', res, text);
    const { name, tags } = body as { name?: unknown; tags?: unknown };
    if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) fail('"tags": an array of strings', `"tags": ${JSON.stringify(tags)?.slice(0, 100)}`, res, text);
    if (name !== repo) fail(`"name": ${JSON.stringify(repo)}`, `"name": ${JSON.stringify(name)}`, res, text);
    return tags as string[];
  };
}

function listPath(repo: string): string {
  return `/v2/${repo}/tags/list`;
}

/** One page of the target's tag list, its body checked. */
function listPage(ctx: CaseContext, t: Target, query?: Query): Promise<Page<string>> {
  return fetchPage(ctx.client, listPath(t.repo), query, readTags(t.repo));
}

/** Every tag, following Link pages if the registry pages even without `n` (bounded). */
async function fullList(ctx: CaseContext, repo: string): Promise<{ tags: string[]; pages: number }> {
  const walk = await walkLinks(ctx.client, listPath(repo), undefined, readTags(repo), MAX_PAGES);
  if (!walk.complete) fail(`the tag list within ${MAX_PAGES} pages`, `still a Link after ${MAX_PAGES} pages`, walk.pages.at(-1)!.res);
  return { tags: walk.items, pages: walk.pages.length };
}

/**
 * The list in the order the registry must page in: our tags (or the registry's full list in read-only
 * mode) sorted by the legal order the registry's full list is in (ASCII when it is in neither).
 */
async function expectedOrder(ctx: CaseContext, t: Target): Promise<{ list: string[]; order: Order }> {
  const { tags } = await fullList(ctx, t.repo);
  const orders = ordersOf(tags);
  const order: Order = orders.length === 1 ? orders[0]! : 'ascii';
  ctx.observe('order', orders.length === 2 ? 'ascii = case-insensitive' : orders[0] ?? 'unsorted');
  return { list: sortBy(order, t.tags ?? tags), order };
}

/**
 * A row of the paging family: `check` gets the target and its tags in the order the registry pages in.
 */
interface PagingRow extends Omit<CaseDefinition, 'run' | 'readOnly'> {
  check(ctx: CaseContext, t: Target, list: string[]): Promise<void>;
}

/** A paging case that needs `min` tags (with fewer it is skipped: there is nothing to page through). */
function pagingCase(min: number, row: PagingRow): CaseDefinition {
  const { check, ...meta } = row;
  return {
    ...meta,
    readOnly: true,
    async run(ctx) {
      const t = target(ctx);
      const { list } = await expectedOrder(ctx, t);
      if (list.length < min) ctx.skip('unsupported', list.length === 0 ? 'the repository has no tags' : `the repository has ${list.length} tags; this case needs at least ${min}`);
      await check(ctx, t, list);
    },
  };
}

/** Checks a page with `n` (and optionally `last`): at most n, a run of `expected` from `start`, n unless Link or end. */
function checkPage(page: Page<string>, n: number, expected: readonly string[], start: number, what: string): void {
  const got = page.items;
  const want = expected.slice(start, start + n);
  if (got.length > n) fail(`${what}: at most n=${n} tags`, `${got.length} tags ${show(got)}`, page.res, page.text);
  if (got.length < want.length && page.next === undefined) {
    fail(`${what}: ${want.length} tags ${show(want)} (fewer only with a Link header)`, `${got.length} tags ${show(got)} and no Link`, page.res, page.text);
  }
  const prefix = want.slice(0, got.length);
  if (got.some((x, i) => x !== prefix[i])) fail(`${what}: ${show(prefix)}`, show(got), page.res, page.text);
}

const cases: CaseDefinition[] = [
  {
    id: 'tag-listing.list.full',
    title: 'GET /v2/<name>/tags/list answers 200 with every tag of the repository, each once.',
    requirements: [END_8A],
    readOnly: true,
    async run(ctx) {
      const t = target(ctx);
      const { tags, pages } = await fullList(ctx, t.repo);
      ctx.observe('pages-without-n', pages);
      const dup = duplicates(tags);
      expectThat(dup.length === 0, 'each tag once', `duplicates ${show(dup)}`);
      if (t.tags) {
        const missing = t.tags.filter((x) => !tags.includes(x));
        const extra = tags.filter((x) => !t.tags!.includes(x));
        expectThat(missing.length === 0 && extra.length === 0, `exactly the tags pushed ${show(t.tags)}`, `${show(tags)}${missing.length ? `; missing ${show(missing)}` : ''}${extra.length ? `; unexpected ${show(extra)}` : ''}`);
      } else if (ctx.existing?.tag) {
        expectThat(tags.includes(ctx.existing.tag), `the list to contain --tag ${ctx.existing.tag}`, show(tags));
      }
    },
  },
  {
    id: 'tag-listing.list.name-field',
    title: 'The tag list body has "name" equal to the repository name and "tags" as an array of strings.',
    requirements: [END_8A],
    readOnly: true,
    async run(ctx) {
      // readTags checks both fields.
      await listPage(ctx, target(ctx));
    },
  },
  {
    id: 'tag-listing.list.sorted',
    title: 'The tags are listed in lexical (case-insensitive) or ASCII order.',
    requirements: [ORDER],
    readOnly: true,
    async run(ctx) {
      const t = target(ctx);
      const { tags } = await fullList(ctx, t.repo);
      const orders = ordersOf(tags);
      ctx.observe('order', orders.length === 2 ? 'ascii = case-insensitive' : orders[0] ?? 'unsorted');
      expectThat(orders.length > 0, `case-insensitive ${show(sortBy('case-insensitive', tags))} or ASCII ${show(sortBy('ascii', tags))} order`, show(tags));
    },
  },
  pagingCase(4, {
    id: 'tag-listing.paginate.n',
    title: 'With ?n=3 the list starts at the first tag and holds exactly 3 tags (fewer only with a Link header).',
    requirements: [N_RULE, LINK_RULE],
    async check(ctx, t, list) {
      const page = await listPage(ctx, t, { n: 3 });
      checkPage(page, 3, list, 0, 'GET ?n=3');
      ctx.observe('link', page.next !== undefined);
    },
  }),
  pagingCase(5, {
    id: 'tag-listing.paginate.last',
    title: 'With ?n=3&last=<tag> the list holds the 3 tags after <tag>, without <tag> itself.',
    requirements: [LAST_RULE, N_RULE],
    async check(ctx, t, list) {
      const last = list[1]!;
      const page = await listPage(ctx, t, { n: 3, last });
      expectThat(!page.items.includes(last), `no ${JSON.stringify(last)} (last is exclusive)`, show(page.items), page.res, page.text);
      checkPage(page, 3, list, 2, `GET ?n=3&last=${last}`);
    },
  }),
  pagingCase(3, {
    id: 'tag-listing.paginate.last-without-n',
    title: 'With ?last=<tag> and no n the list holds every tag after <tag> (following Link pages if given).',
    requirements: [LAST_RULE],
    async check(ctx, t, list) {
      const i = Math.floor(list.length / 2);
      const last = list[i]!;
      const walk = await walkLinks(ctx.client, listPath(t.repo), { last }, readTags(t.repo), MAX_PAGES);
      const want = list.slice(i + 1);
      const got = walk.items;
      expectThat(got.length === want.length && got.every((x, k) => x === want[k]), `the tags after ${JSON.stringify(last)}: ${show(want)}`, show(got), walk.pages[0]!.res, walk.pages[0]!.text);
    },
  }),
  pagingCase(1, {
    id: 'tag-listing.paginate.last-at-end',
    title: 'With ?n=3&last=<the last tag> the list is empty.',
    requirements: [LAST_RULE],
    async check(ctx, t, list) {
      const last = list.at(-1)!;
      const page = await listPage(ctx, t, { n: 3, last });
      expectThat(page.items.length === 0, `no tags after the last one (${JSON.stringify(last)})`, show(page.items), page.res, page.text);
    },
  }),
  pagingCase(3, {
    id: 'tag-listing.paginate.link-walk',
    title: 'Paging with ?n=2 by Link rel="next" (or by last= where no Link is given) visits every tag once, in order.',
    requirements: [LINK_RULE, N_RULE, LAST_RULE],
    async check(ctx, t, list) {
      const n = Math.max(2, Math.ceil(list.length / 8));
      const maxPages = Math.ceil(list.length / n) + 2;
      const seen: string[] = [];
      const via = new Set<string>();
      let page = await listPage(ctx, t, { n });
      for (let pages = 1; ; pages++) {
        checkPage(page, n, list, seen.length, `page ${pages} (${page.res.requestLine})`);
        seen.push(...page.items);
        if (page.next !== undefined) {
          via.add('link');
        } else if (page.items.length === n) {
          // No Link but a full page: a client continues with last= (spec "Implementers note").
          via.add('last');
        } else {
          break;
        }
        if (pages >= maxPages) fail(`${list.length} tags in at most ${maxPages} pages of ${n}`, `still more after ${pages} pages`, page.res);
        page = page.next !== undefined
          ? await fetchPage(ctx.client, page.next, undefined, readTags(t.repo))
          : await listPage(ctx, t, { n, last: page.items.at(-1)! });
        if (page.items.length === 0 && page.next === undefined) break;
      }
      ctx.observe('continued-by', [...via].join('+') || 'single page');
      const dup = duplicates(seen);
      expectThat(dup.length === 0, 'each tag on exactly one page', `repeated ${show(dup)}`);
      expectThat(seen.length === list.length && seen.every((x, k) => x === list[k]), `all pages together: ${show(list)}`, show(seen));
    },
  }),
  pagingCase(1, {
    id: 'tag-listing.paginate.no-link-at-end',
    title: 'A page that holds the rest of the list (?n= at least the number of tags) has no Link header.',
    requirements: [
      { ref: 'end-8b', level: 'SHOULD', text: 'A Link header MAY be included in the response when additional tags are available (none are after the last page: a Link there sends clients to an empty page)' },
      N_RULE,
    ],
    async check(ctx, t, list) {
      for (const n of [list.length, list.length + 5]) {
        const page = await listPage(ctx, t, { n });
        checkPage(page, n, list, 0, `GET ?n=${n}`);
        if (page.items.length === list.length) {
          expectThat(page.res.header('link') === undefined, `GET ?n=${n} with all ${list.length} tags: no Link header`, `Link: ${page.res.header('link')}`, page.res);
        }
      }
      // The last page of a walk in pages of half the list, by last=.
      const half = Math.max(1, Math.ceil(list.length / 2));
      const tail = await listPage(ctx, t, { n: half, last: list[list.length - half - 1] ?? '' });
      if (list.length > half && tail.items.length === half) {
        expectThat(tail.res.header('link') === undefined, `the page ending at the last tag ${JSON.stringify(list.at(-1))}: no Link header`, `Link: ${tail.res.header('link')}`, tail.res);
      }
    },
  }),
  pagingCase(0, {
    id: 'tag-listing.paginate.last-past-end',
    title: 'With ?last= a value that sorts after every tag (and names none) the list is empty.',
    requirements: [LAST_RULE],
    async check(ctx, t, list) {
      // Lower-case letters sort after every other character of the tag grammar in both legal orders.
      const last = 'z'.repeat(128);
      if (list.includes(last)) ctx.skip('unsupported', 'the repository has a tag of 128 "z"s: no tag sorts after it');
      const res = await ctx.client.request({ method: 'GET', path: listPath(t.repo), query: { n: 3, last } });
      await res.dump();
      if (res.status === 400) {
        ctx.observe('last-not-a-tag', 'refused (400)');
        return;
      }
      for (const q of [{ n: '3', last }, { last }] as Record<string, string>[]) {
        const page = await listPage(ctx, t, q);
        const what = `GET ?${new URLSearchParams(q).toString()}`;
        expectThat(page.items.length === 0, `${what}: no tags after ${JSON.stringify(last)}`, show(page.items), page.res, page.text);
        expectThat(page.next === undefined, `${what}: no Link (nothing follows)`, `Link: ${page.res.header('link')}`, page.res);
      }
      ctx.observe('last-not-a-tag', 'accepted');
    },
  }),
  {
    id: 'tag-listing.paginate.n-zero',
    title: 'With ?n=0 the list is empty and there is no Link header.',
    requirements: [{ ref: 'end-8b', level: 'MUST', text: 'When n is zero, this endpoint MUST return an empty list, and MUST NOT include a Link header' }],
    readOnly: true,
    async run(ctx) {
      const page = await listPage(ctx, target(ctx), { n: 0 });
      expectThat(page.items.length === 0, '"tags": []', show(page.items), page.res, page.text);
      expectThat(page.res.header('link') === undefined, 'no Link header', `Link: ${page.res.header('link')}`, page.res);
    },
  },
  {
    id: 'tag-listing.delete.tag-disappears',
    title: 'A deleted tag is no longer listed (deleted by tag, or by manifest where tag deletion is disabled).',
    requirements: [
      { ref: 'end-9', level: 'MUST', text: 'DELETE /v2/<name>/manifests/<tag>: upon success MUST respond 202; if disabled MUST respond 400 or 405' },
      END_8A,
    ],
    async run(ctx) {
      // Its own manifest, so deleting the manifest (the fallback) touches no other tag.
      const m = uniqueArtifact();
      await pushImage(ctx, ctx.repo, m, DELETE_TAG);
      const before = await fullList(ctx, ctx.repo);
      expectThat(before.tags.includes(DELETE_TAG), `the new tag ${DELETE_TAG} listed`, show(before.tags));

      const del = await ctx.client.request({ method: 'DELETE', path: `/v2/${ctx.repo}/manifests/${DELETE_TAG}` });
      await del.dump();
      if (del.status === 202) ctx.observe('deleted-by', 'tag');
      else if (del.status === 400 || del.status === 405) {
        // Tag deletion disabled (legal): delete the manifest, which removes every tag pointing to it.
        const byDigest = await ctx.client.request({ method: 'DELETE', path: `/v2/${ctx.repo}/manifests/${m.digest}` });
        await byDigest.dump();
        if (byDigest.status === 400 || byDigest.status === 405) ctx.skip('unsupported', `deletion is disabled (DELETE by tag ${del.status}, by digest ${byDigest.status})`);
        if (byDigest.status !== 202) fail('DELETE by digest: 202 (or 400/405 when disabled)', `status ${byDigest.status}`, byDigest);
        ctx.observe('deleted-by', `manifest (tag delete answered ${del.status})`);
      } else fail('DELETE by tag: 202, or 400/405 when tag deletion is disabled', `status ${del.status}`, del);

      const get = await ctx.client.request({ method: 'GET', path: `/v2/${ctx.repo}/manifests/${DELETE_TAG}`, headers: { accept: ACCEPT_MANIFESTS } });
      await get.dump();
      expectThat(get.status === 404, `GET of the deleted tag: 404`, `status ${get.status}`, get);
      const after = await fullList(ctx, ctx.repo);
      expectThat(!after.tags.includes(DELETE_TAG), `${DELETE_TAG} gone from the list`, show(after.tags));
    },
  },
];

export const tagListingSuite: Suite = {
  workflow: 'tag-listing',
  title: 'Tag listing',
  async setup(ctx) {
    if (ctx.readOnly) return;
    const image = makeImage({ layerSizes: [256] });
    await pushImage(ctx, ctx.repo, image);
    for (const tag of TAGS) await tagImage(ctx, ctx.repo, image, tag);
  },
  cases,
};

export default tagListingSuite;
