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
  t.same(index!.manifests, [
    { mediaType: MediaType.ociManifest, digest: sbom.digest, size: sbom.bytes.length, artifactType: 'application/vnd.example.sbom', annotations: { 'org.example.kind': 'sbom' } },
    { mediaType: MediaType.ociManifest, digest: sig.digest, size: sig.bytes.length, artifactType: 'application/vnd.example.sig.config' },
    { mediaType: MediaType.ociIndex, digest: idx.digest, size: idx.bytes.length, annotations: { a: 'b' } },
  ]);
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
  t.same((await referrers(client, 'd', subject.digest)).index!.manifests.map((m) => m.digest), [r1.digest, r2.digest]);
  const del = await client.request({ method: 'DELETE', path: `/v2/d/manifests/${r1.digest}` });
  t.equal(del.status, 202);
  await del.dump();
  t.same((await referrers(client, 'd', subject.digest)).index!.manifests.map((m) => m.digest), [r2.digest]);
});
