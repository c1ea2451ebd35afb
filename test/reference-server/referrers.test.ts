// end-12a/12b: the referrers API.
import t from 'tap';
import type { RegistryClient } from '../../src/client/registry-client.js';
import { digestOf } from '../../src/oci/digest.js';
import { EMPTY_JSON, MediaType } from '../../src/oci/media-types.js';
import { errorCodes, pushBlob, pushImage, putManifest, startRegistry } from './harness.js';

interface Index {
  schemaVersion: number;
  mediaType: string;
  manifests: Array<{ mediaType: string; digest: string; size: number; artifactType?: string; annotations?: Record<string, string> }>;
}

async function referrers(client: RegistryClient, repo: string, digest: string, artifactType?: string) {
  const res = await client.request({ method: 'GET', path: `/v2/${repo}/referrers/${digest}`, query: artifactType ? { artifactType } : undefined });
  return { res, index: res.status === 200 ? ((await res.json()) as Index) : undefined };
}

function byDigest<T extends { digest: string }>(list: T[]): T[] {
  return [...list].sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
}

t.test('referrers lists every manifest whose subject is the digest, with artifactType and annotations', async (t) => {
  const { client } = await startRegistry(t);
  const subject = await pushImage(client, 'app', 'v1');
  const subj = { mediaType: MediaType.ociManifest, digest: subject.digest, size: subject.bytes.length };
  const sbom = await pushImage(client, 'app', undefined, ['sbom'], { artifactType: 'application/vnd.example.sbom', subject: subj, annotations: { 'org.example.kind': 'sbom' } });
  // no artifactType: the config media type stands in for it
  const cfg = await pushBlob(client, 'app', '{"sig":true}');
  const sigDoc = { schemaVersion: 2, mediaType: MediaType.ociManifest, config: { mediaType: 'application/vnd.example.sig.config', digest: cfg, size: 12 }, layers: [], subject: subj };
  const sig = await putManifest(client, 'app', digestOf(JSON.stringify(sigDoc)), sigDoc);
  // an index referrer without artifactType: artifactType omitted
  const idxDoc = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [], subject: subj, annotations: { a: 'b' } };
  const idx = await putManifest(client, 'app', digestOf(JSON.stringify(idxDoc)), idxDoc);
  // same subject in another repository: not listed here
  await pushImage(client, 'other', undefined, ['x'], { subject: subj, artifactType: 'application/vnd.example.sbom' });

  const { res, index } = await referrers(client, 'app', subject.digest);
  t.equal(res.status, 200);
  t.equal(res.header('content-type'), MediaType.ociIndex);
  t.equal(res.header('oci-filters-applied'), undefined);
  t.equal(index!.schemaVersion, 2);
  t.equal(index!.mediaType, MediaType.ociIndex);
  // In digest order (the order pages are cut in).
  t.same(index!.manifests, byDigest([
    { mediaType: MediaType.ociManifest, digest: sbom.digest, size: sbom.bytes.length, artifactType: 'application/vnd.example.sbom', annotations: { 'org.example.kind': 'sbom' } },
    { mediaType: MediaType.ociManifest, digest: sig.digest, size: sig.bytes.length, artifactType: 'application/vnd.example.sig.config' },
    { mediaType: MediaType.ociIndex, digest: idx.digest, size: idx.bytes.length, annotations: { a: 'b' } },
  ]));
});

t.test('artifactType filter answers OCI-Filters-Applied', async (t) => {
  const { client } = await startRegistry(t);
  const subject = digestOf('subject never pushed');
  const subj = { mediaType: MediaType.ociManifest, digest: subject, size: 10 };
  const a = await pushImage(client, 'f', undefined, ['1'], { artifactType: 'application/vnd.a', subject: subj });
  await pushImage(client, 'f', undefined, ['2'], { artifactType: 'application/vnd.b', subject: subj });
  const { res, index } = await referrers(client, 'f', subject, 'application/vnd.a');
  t.equal(res.status, 200, 'a subject that was never pushed still has referrers');
  t.equal(res.header('oci-filters-applied'), 'artifactType');
  t.same(index!.manifests.map((m) => m.digest), [a.digest]);
  const none = await referrers(client, 'f', subject, 'application/vnd.none');
  t.same(none.index!.manifests, []);
  t.equal(none.res.header('oci-filters-applied'), 'artifactType');
});

t.test('no referrers is an empty index, never 404; a bad digest is 400', async (t) => {
  const { client } = await startRegistry(t);
  await pushBlob(client, 'e', EMPTY_JSON);
  for (const repo of ['e', 'never-pushed']) {
    const { res, index } = await referrers(client, repo, digestOf('nothing refers to me'));
    t.equal(res.status, 200, repo);
    t.same(index, { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] }, repo);
  }
  const bad = await client.request({ method: 'GET', path: '/v2/e/referrers/sha256:xyz' });
  t.equal(bad.status, 400);
  t.same(await errorCodes(bad), ['DIGEST_INVALID']);
});

t.test('a deleted referrer disappears from the list', async (t) => {
  const { client } = await startRegistry(t);
  const subject = await pushImage(client, 'd', 'v1');
  const subj = { mediaType: MediaType.ociManifest, digest: subject.digest, size: subject.bytes.length };
  const r1 = await pushImage(client, 'd', undefined, ['r1'], { artifactType: 'application/vnd.x', subject: subj });
  const r2 = await pushImage(client, 'd', undefined, ['r2'], { artifactType: 'application/vnd.x', subject: subj });
  t.same((await referrers(client, 'd', subject.digest)).index!.manifests.map((m) => m.digest), [r1.digest, r2.digest].sort());
  const del = await client.request({ method: 'DELETE', path: `/v2/d/manifests/${r1.digest}` });
  t.equal(del.status, 202);
  await del.dump();
  t.same((await referrers(client, 'd', subject.digest)).index!.manifests.map((m) => m.digest), [r2.digest]);
});

t.test('a list longer than --referrers-page-size comes in pages linked by Link rel="next", each referrer once', async (t) => {
  const { client } = await startRegistry(t, { referrersPageSize: 2 });
  const subject = await pushImage(client, 'p', 'v1');
  const subj = { mediaType: MediaType.ociManifest, digest: subject.digest, size: subject.bytes.length };
  const pushed: string[] = [];
  for (let i = 0; i < 5; i++) {
    const at = i % 2 === 0 ? 'application/vnd.even' : 'application/vnd.odd';
    pushed.push((await pushImage(client, 'p', undefined, [`r${i}`], { artifactType: at, subject: subj })).digest);
  }
  const seen: string[] = [];
  const links: string[] = [];
  let path: string | undefined = `/v2/p/referrers/${subject.digest}`;
  for (let pages = 0; path !== undefined && pages < 10; pages++) {
    const res = await client.request({ method: 'GET', path });
    t.equal(res.status, 200);
    const index = (await res.json()) as Index;
    t.ok(index.manifests.length <= 2, 'at most a page');
    seen.push(...index.manifests.map((m) => m.digest));
    const link = res.header('link');
    if (link !== undefined) links.push(link);
    path = link === undefined ? undefined : /^<([^>]+)>; rel="next"$/.exec(link)?.[1];
    if (link !== undefined) t.ok(path, `Link in RFC 5988 form: ${link}`);
  }
  t.same(seen, [...pushed].sort(), 'every referrer once, in digest order');
  t.equal(links.length, 2, 'a Link on the first two pages, none on the last');

  // A filter is kept across pages.
  const even: string[] = [];
  path = `/v2/p/referrers/${subject.digest}?artifactType=application%2Fvnd.even`;
  for (let pages = 0; path !== undefined && pages < 10; pages++) {
    const res = await client.request({ method: 'GET', path });
    t.equal(res.header('oci-filters-applied'), 'artifactType');
    even.push(...((await res.json()) as Index).manifests.map((m) => m.digest));
    path = /^<([^>]+)>/.exec(res.header('link') ?? '')?.[1];
  }
  t.same(even, [pushed[0], pushed[2], pushed[4]].sort(), 'the filtered list, paginated');

  // Exactly a page: no Link.
  const { client: c2 } = await startRegistry(t, { referrersPageSize: 5 });
  const s2 = await pushImage(c2, 'q', 'v1');
  for (let i = 0; i < 5; i++) await pushImage(c2, 'q', undefined, [`q${i}`], { subject: { mediaType: MediaType.ociManifest, digest: s2.digest, size: s2.bytes.length } });
  const full = await c2.request({ method: 'GET', path: `/v2/q/referrers/${s2.digest}` });
  t.equal(((await full.json()) as Index).manifests.length, 5);
  t.equal(full.header('link'), undefined, 'no Link when the list fits one response');
});
