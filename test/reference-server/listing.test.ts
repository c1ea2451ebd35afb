// end-8a/8b (tags/list with n, last, Link) and /v2/_catalog with the same pagination.
import t from 'tap';
import type { RegistryClient } from '../../src/client/registry-client.js';
import { MediaType } from '../../src/oci/media-types.js';
import { errorCodes, pushImage, putManifest, startRegistry } from './harness.js';

async function list(client: RegistryClient, path: string): Promise<{ status: number; items: string[]; link?: string }> {
  const res = await client.request({ method: 'GET', path });
  const body = (await res.json()) as { tags?: string[]; repositories?: string[] };
  return { status: res.status, items: body.tags ?? body.repositories ?? [], link: res.header('link') };
}

t.test('tags/list: ASCII order, n, last, Link rel=next, n=0', async (t) => {
  const { client } = await startRegistry(t);
  const img = await pushImage(client, 'tags', undefined);
  const tags = ['v10', 'v2', 'B', 'a', 'latest', '_x', 'v1.0', 'V3'];
  for (const tag of tags) await putManifest(client, 'tags', tag, img.bytes.toString(), MediaType.ociManifest);
  const sorted = [...tags].sort();
  t.same(sorted, ['B', 'V3', '_x', 'a', 'latest', 'v1.0', 'v10', 'v2'], 'Go sort.Strings order');

  const all = await client.request({ method: 'GET', path: '/v2/tags/tags/list' });
  t.equal(all.status, 200);
  t.equal(all.header('content-type'), 'application/json');
  t.equal(all.header('link'), undefined, 'no Link without n');
  t.same(await all.json(), { name: 'tags', tags: sorted });

  // walk the pages by following Link
  const seen: string[] = [];
  let next: string | undefined = '/v2/tags/tags/list?n=3';
  let pages = 0;
  while (next && pages < 10) {
    const page = await list(client, next);
    t.equal(page.status, 200);
    t.ok(page.items.length <= 3);
    seen.push(...page.items);
    pages++;
    next = page.link ? /^<([^>]+)>;\s*rel="next"$/.exec(page.link)?.[1] : undefined;
    if (page.link) t.ok(next, `Link is RFC 5988 with rel="next": ${page.link}`);
  }
  t.same(seen, sorted, 'pages in order, nothing lost or repeated');
  t.equal(pages, 3);

  const after = await list(client, '/v2/tags/tags/list?n=2&last=latest');
  t.same(after.items, ['v1.0', 'v10']);
  t.match(after.link, /last=v10/);
  const lastOnly = await list(client, '/v2/tags/tags/list?last=v10');
  t.same(lastOnly.items, ['v2'], 'last without n');
  const beyond = await list(client, '/v2/tags/tags/list?n=5&last=zzz');
  t.same(beyond.items, []);
  t.equal(beyond.link, undefined);
  const exact = await list(client, '/v2/tags/tags/list?n=8');
  t.equal(exact.items.length, 8);
  t.equal(exact.link, undefined, 'no Link when nothing remains');
  const zero = await list(client, '/v2/tags/tags/list?n=0');
  t.same(zero.items, [], 'n=0 is an empty list');
  t.equal(zero.link, undefined, 'and no Link');
  const bad = await client.request({ method: 'GET', path: '/v2/tags/tags/list?n=-1' });
  t.equal(bad.status, 400, 'n must be a number');
  await bad.dump();
});

t.test('tags/list of a repository that never existed is 404 NAME_UNKNOWN; an emptied one is 200 []', async (t) => {
  const { client } = await startRegistry(t);
  const res = await client.request({ method: 'GET', path: '/v2/nope/tags/list' });
  t.equal(res.status, 404);
  t.same(await errorCodes(res), ['NAME_UNKNOWN']);
  await pushImage(client, 'was', 'gone');
  const del = await client.request({ method: 'DELETE', path: '/v2/was/manifests/gone' });
  await del.dump();
  const empty = await list(client, '/v2/was/tags/list');
  t.equal(empty.status, 200);
  t.same(empty.items, []);
});

t.test('_catalog lists repositories in order with the same pagination', async (t) => {
  const { client } = await startRegistry(t);
  const empty = await list(client, '/v2/_catalog');
  t.equal(empty.status, 200);
  t.same(empty.items, [], 'empty registry');
  const repos = ['zeta', 'alpha/one', 'alpha', 'alpha/two', 'mid-dle'];
  for (const r of repos) await pushImage(client, r, 'x');
  const all = await list(client, '/v2/_catalog');
  t.same(all.items, [...repos].sort());
  const p1 = await list(client, '/v2/_catalog?n=2');
  t.same(p1.items, ['alpha', 'alpha/one']);
  t.equal(p1.link, '</v2/_catalog?n=2&last=alpha%2Fone>; rel="next"');
  const p2 = await list(client, '/v2/_catalog?n=2&last=alpha%2Fone');
  t.same(p2.items, ['alpha/two', 'mid-dle']);
  const p3 = await list(client, '/v2/_catalog?n=2&last=mid-dle');
  t.same(p3.items, ['zeta']);
  t.equal(p3.link, undefined);
  t.same((await list(client, '/v2/_catalog?n=0')).items, []);
});
