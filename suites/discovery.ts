// Discovery: the API version check (end-1) and the repository catalog. GET /v2/_catalog is not part of
// the OCI spec; it comes from the Docker Registry HTTP API V2 that the spec is based on (apdx-1), so it
// is an optional feature: a registry without it is skipped as "not offered", never failed.
import type { CaseContext, CaseDefinition, RegistryResponse, Suite } from '../src/conformance/model.js';
import { expectStatus, expectThat, fail } from '../src/conformance/expect.js';
import { pushImage } from './common/content.js';
import { uniqueArtifact } from './common/unique-content.js';
import { duplicates, fetchPage, isSortedBy, show, walkLinks, type Page } from './common/pages.js';

const CATALOG = { ref: 'apdx-1 listing-repositories', level: 'SHOULD', text: 'Docker Registry HTTP API V2 (the spec\'s apdx-1), GET /v2/_catalog: {"repositories": [...]} in lexical order; optional in OCI' } as const;
const CATALOG_PAGES = { ref: 'apdx-1 catalog-pagination', level: 'SHOULD', text: 'Docker Registry HTTP API V2: ?n= limits the entries, ?last= continues after a name, a Link rel="next" header points at the next page' } as const;
/** Pages read while walking the catalog, at most. */
const MAX_PAGES = 20;

function readRepositories(body: unknown, res: RegistryResponse, text: string): string[] {
  const repos = body !== null && typeof body === 'object' ? (body as { repositories?: unknown }).repositories : undefined;
  if (!Array.isArray(repos) || !repos.every((r) => typeof r === 'string')) {
    fail('{"repositories": [...strings]}', `"repositories": ${JSON.stringify(repos)?.slice(0, 100)}`, res, text);
  }
  return repos as string[];
}

/** Skips the case when the registry does not offer the catalog (it is optional). */
async function requireCatalog(ctx: CaseContext): Promise<void> {
  const res = await ctx.client.request({ method: 'GET', path: '/v2/_catalog', query: { n: 1 } });
  await res.dump();
  if ([401, 403, 404, 405, 501].includes(res.status)) {
    ctx.observe('catalog', `not offered (${res.status})`);
    ctx.skip('unsupported', `GET /v2/_catalog answered ${res.status}: the catalog (optional, not in the OCI spec) is not offered`);
  }
  ctx.observe('catalog', 'offered');
}

/** Our repositories, in ASCII order (names are lower case, so lexical and ASCII order agree). */
function ours(ctx: CaseContext): string[] {
  const repos = ctx.state.get('repos') as string[] | undefined;
  if (!repos) ctx.skip('read-only', 'this case looks for repositories this run pushed; not run with --read-only');
  return repos;
}

/** A `last` value just before our repositories: their common prefix minus its final character. */
function cursorBefore(repos: readonly string[]): string {
  return repos[0]!.slice(0, -1);
}

const cases: CaseDefinition[] = [
  {
    id: 'discovery.base.api-version',
    title: 'GET /v2/ answers 200, saying the registry implements the specification.',
    requirements: [{ ref: 'end-1', level: 'MUST', text: 'GET /v2/: if the response is 200 OK, then the registry implements this specification' }],
    readOnly: true,
    async run(ctx) {
      const res = await ctx.client.request({ method: 'GET', path: '/v2/' });
      await expectStatus(res, 200);
      await res.dump();
      const v = res.header('docker-distribution-api-version');
      if (v !== undefined) ctx.observe('docker-distribution-api-version', v);
    },
  },
  {
    id: 'discovery.catalog.lists-repositories',
    title: 'GET /v2/_catalog answers {"repositories": [...]} listing the repositories this run pushed to.',
    requirements: [CATALOG],
    readOnly: true,
    async run(ctx) {
      await requireCatalog(ctx);
      if (ctx.readOnly) {
        const page = await fetchPage(ctx.client, '/v2/_catalog', { n: 100 }, readRepositories);
        if (ctx.existing) ctx.observe('existing-repo-on-first-page', page.items.includes(ctx.existing.repo));
        return;
      }
      const repos = ours(ctx);
      // Start just before our names so a large catalog need not be read from its beginning.
      const walk = await walkLinks(ctx.client, '/v2/_catalog', { n: 100, last: cursorBefore(repos) }, readRepositories, MAX_PAGES);
      const missing = repos.filter((r) => !walk.items.includes(r));
      if (missing.length > 0) {
        // A registry that ignores `last` (or pages from the start) still has to list them somewhere.
        const all = await walkLinks(ctx.client, '/v2/_catalog', undefined, readRepositories, MAX_PAGES);
        const still = repos.filter((r) => !all.items.includes(r));
        if (still.length > 0 && !all.complete) throw new Error(`the catalog has more than ${MAX_PAGES} pages; ${show(still)} not found in them`);
        expectThat(still.length === 0, `the catalog to list ${show(repos)}`, `missing ${show(still)} from ${show(all.items)}`, all.pages[0]!.res);
        ctx.observe('last-honoured', false);
      }
    },
  },
  {
    id: 'discovery.catalog.paginate-n',
    title: 'GET /v2/_catalog?n=1 answers one repository when there are several (fewer only with a Link header).',
    requirements: [CATALOG_PAGES],
    readOnly: true,
    async run(ctx) {
      await requireCatalog(ctx);
      const page = await fetchPage(ctx.client, '/v2/_catalog', { n: 1 }, readRepositories);
      expectThat(page.items.length <= 1, 'at most 1 repository with n=1', `${page.items.length}: ${show(page.items)}`, page.res, page.text);
      // Fewer than n is allowed only with a Link to the rest (as for tags/list).
      if (!ctx.readOnly && page.next === undefined) expectThat(page.items.length === 1, '1 repository with n=1 (the registry has several), or a Link to them', 'none and no Link', page.res, page.text);
      ctx.observe('link', page.next !== undefined);
    },
  },
  {
    id: 'discovery.catalog.paginate-walk',
    title: 'Paging the catalog with ?n=2 from a last= cursor (by Link, or by last= without one) lists each repository once, in order.',
    requirements: [CATALOG_PAGES, CATALOG],
    async run(ctx) {
      await requireCatalog(ctx);
      const repos = ours(ctx);
      const n = 2;
      const seen: string[] = [];
      const via = new Set<string>();
      let page: Page<string> = await fetchPage(ctx.client, '/v2/_catalog', { n, last: cursorBefore(repos) }, readRepositories);
      for (let pages = 1; ; pages++) {
        expectThat(page.items.length <= n, `page ${pages}: at most n=${n} repositories`, `${page.items.length}: ${show(page.items)}`, page.res, page.text);
        seen.push(...page.items);
        // Done once we are past our names (the catalog may go on with other repositories).
        if (page.items.some((r) => r > repos.at(-1)!) || page.items.length === 0) break;
        if (page.next !== undefined) via.add('link');
        else if (page.items.length === n) via.add('last');
        else break;
        if (pages >= MAX_PAGES) fail(`our ${repos.length} repositories within ${MAX_PAGES} pages`, `still more after ${pages} pages`, page.res);
        page = page.next !== undefined
          ? await fetchPage(ctx.client, page.next, undefined, readRepositories)
          : await fetchPage(ctx.client, '/v2/_catalog', { n, last: page.items.at(-1)! }, readRepositories);
      }
      ctx.observe('continued-by', [...via].join('+') || 'single page');
      const dup = duplicates(seen);
      expectThat(dup.length === 0, 'each repository on exactly one page', `repeated ${show(dup)}`);
      expectThat(isSortedBy('ascii', seen), 'the pages in lexical order', show(seen));
      const got = seen.filter((r) => repos.includes(r));
      expectThat(got.length === repos.length && got.every((r, i) => r === repos[i]), `our repositories ${show(repos)} in order`, show(seen));
    },
  },
];

export const discoverySuite: Suite = {
  workflow: 'discovery',
  title: 'Discovery (API version, catalog)',
  async setup(ctx) {
    if (ctx.readOnly) return;
    // Three repositories under one run-unique prefix, each holding a small artifact.
    const repos = [ctx.repo, ctx.freshRepo('a'), ctx.freshRepo('b')].sort();
    for (const repo of repos) {
      await pushImage(ctx, repo, uniqueArtifact(), 'discovery');
    }
    ctx.state.set('repos', repos);
  },
  cases,
};

export default discoverySuite;
