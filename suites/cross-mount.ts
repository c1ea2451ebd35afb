// Cross-repository blob mount (end-11): with and without `from`, from a repository that does not hold
// the blob, a blob that exists nowhere, and the Location of a mounted blob. A registry that cannot or
// will not mount answers 202 with an upload session: legal, recorded, and the session must work.
import type { CaseContext, CaseDefinition, Requirement, Suite } from '../src/conformance/model.js';
import type { RegistryResponse } from '../src/client/registry-client.js';
import { startUpload, tryDelete, uploadBlobPostPut } from '../src/client/operations.js';
import { blobOf, uniqueBytes, type Blob } from '../src/conformance/fixtures.js';
import { expectHeader, expectStatus, expectThat, fail } from '../src/conformance/expect.js';
import { expectBytes, expectDigestHeaderMatches } from '../src/conformance/content-checks.js';
import { trackBlob } from './common/content.js';
import { setupState } from './common/setup-state.js';
import { MediaType } from '../src/oci/media-types.js';

const MOUNT_201: Requirement = {
  ref: 'end-11',
  level: 'MUST',
  text: 'The response to a successful mount MUST be 201 Created, and MUST contain the following header: Location: <blob-location>',
};
const MOUNT_FALLBACK: Requirement = {
  ref: 'end-11',
  level: 'SHOULD',
  text: 'If a registry does not support cross-repository mounting or is unable to mount the requested blob, it SHOULD return a 202. This indicates that the upload session has begun and that the client MAY proceed with the upload.',
};
const FROM_OPTIONAL: Requirement = {
  ref: 'end-11',
  level: 'MAY',
  text: 'The registry MAY treat the from parameter as optional, and it MAY cross-mount the blob if it can be found.',
};

interface MountFixtures {
  /** Repository that holds every blob below. */
  source: string;
  /** A repository that exists but holds none of them. */
  other: string;
  withFrom: Blob;
  location: Blob;
  withoutFrom: Blob;
  elsewhere: Blob;
}

const fixtures = setupState<MountFixtures>('cross-mount', 'cross-mount fixtures');

async function mount(ctx: CaseContext, target: string, digest: string, from?: string): Promise<RegistryResponse> {
  return ctx.client.request({
    method: 'POST',
    path: `/v2/${target}/blobs/uploads/`,
    query: from ? { mount: digest, from } : { mount: digest },
    headers: { 'content-length': '0' },
  });
}

/** A mount of `b` into a fresh repository (labelled `label`), whatever it answers. */
async function mountFresh(ctx: CaseContext, label: string, b: Blob, from?: string): Promise<{ target: string; res: RegistryResponse }> {
  const target = ctx.freshRepo(label);
  trackBlob(ctx, target, b.digest);
  return { target, res: await mount(ctx, target, b.digest, from) };
}

/** The blob must be served from `repo` with exactly its bytes. */
async function expectBlobIn(ctx: CaseContext, repo: string, b: Blob, what: string): Promise<void> {
  const res = await ctx.client.request({ method: 'GET', path: `/v2/${repo}/blobs/${b.digest}` });
  await expectStatus(res, 200, `${what}: GET the blob from ${repo}`);
  await expectBytes(res, b.bytes, `${what}: GET the blob from ${repo}`);
}

async function expectBlobNotIn(ctx: CaseContext, repo: string, digest: string, what: string): Promise<void> {
  const res = await ctx.client.request({ method: 'HEAD', path: `/v2/${repo}/blobs/${digest}` });
  await res.dump();
  expectThat(res.status === 404, `${what}: HEAD of the blob in ${repo} answers 404`, `status ${res.status}`, res);
}

/** A 201 to a mount: it carries a Location, and the blob is then in the target. */
async function expectMounted(ctx: CaseContext, target: string, res: RegistryResponse, b: Blob, what: string): Promise<void> {
  expectHeader(res, 'location', undefined, what);
  await res.dump();
  await expectBlobIn(ctx, target, b, what);
}

/** PUT of the whole blob to an upload session, closing it. */
function putToSession(ctx: CaseContext, location: string, b: Blob): Promise<RegistryResponse> {
  return ctx.client.request({
    method: 'PUT',
    path: location,
    query: { digest: b.digest },
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(b.size) },
    body: b.bytes,
  });
}

/** A 202 to a mount opens an upload session: its Location, cancelled at teardown if still open. */
async function sessionOf(ctx: CaseContext, res: RegistryResponse, what: string): Promise<string> {
  const location = expectHeader(res, 'location', undefined, `${what} answered 202: the upload session`);
  await res.dump();
  ctx.onCleanup(async () => {
    await tryDelete(ctx.client, location);
  });
  return location;
}

/** A PUT of the bytes to the session a mount answered with 202 must complete the upload (the spec's fallback). */
async function completeFallback(ctx: CaseContext, res: RegistryResponse, target: string, b: Blob, what: string): Promise<void> {
  const put = await putToSession(ctx, await sessionOf(ctx, res, what), b);
  await expectStatus(put, 201, `${what} answered 202: PUT of the blob to that session`);
  await put.dump();
  await expectBlobIn(ctx, target, b, `${what}, completed by upload`);
}

/**
 * Mounts `b` into a fresh repository: 201 (mounted) or 202 (the legal fallback), which is completed by
 * upload. Returns the 201, or undefined after a 202. `observe` names the observation and what it
 * records for a 202 (`mounted (201)` for a 201).
 */
async function mountOrUpload(
  ctx: CaseContext,
  ask: { label: string; blob: Blob; from: string | undefined; what: string; observe?: [key: string, fallback: string] },
): Promise<{ target: string; res: RegistryResponse } | undefined> {
  const m = await mountFresh(ctx, ask.label, ask.blob, ask.from);
  await expectStatus(m.res, [201, 202], `mount of ${ask.blob.digest} ${ask.from ? `from ${ask.from}` : 'without from'}`);
  if (ask.observe) ctx.observe(ask.observe[0], m.res.status === 202 ? ask.observe[1] : 'mounted (201)');
  if (m.res.status === 201) return m;
  await completeFallback(ctx, m.res, m.target, ask.blob, ask.what);
  return undefined;
}

/** A mount of `b` from the source that answered 201; a 202 (mount not offered) is completed by upload and skips the case. */
async function mountedOrSkip(ctx: CaseContext, b: Blob, label: string): Promise<{ target: string; res: RegistryResponse }> {
  const m = await mountOrUpload(ctx, { label, blob: b, from: fixtures.get(ctx).source, what: 'mount' });
  if (m) return m;
  ctx.skip('unsupported', 'cross-repository mount not offered: the mount answered 202 with an upload session');
}

const LOCATION_SERVES: Requirement = {
  ref: 'end-11',
  level: 'MUST',
  text: 'A successful mount MUST contain the header Location: <blob-location>; the Location header will contain the registry URL to access the accepted layer file.',
};

/**
 * Mounts of a blob the source holds, with and without `from`, one case each: mounted (201, Location,
 * the blob then in the target) or the fallback (202, and the session takes the upload); which one is recorded.
 */
const MOUNTS: ReadonlyArray<Pick<CaseDefinition, 'id' | 'title' | 'requirements'> & { label: string; blob: (f: MountFixtures) => Blob; from: (f: MountFixtures) => string | undefined; what: string; observe: [string, string] }> = [
  {
    id: 'cross-mount.mount.with-from',
    title: 'A mount from the repository that holds the blob answers 201 and the blob is then in the target, or answers 202 with a session that takes the upload.',
    requirements: [MOUNT_201, MOUNT_FALLBACK],
    label: 'mount-with-from', blob: (f) => f.withFrom, from: (f) => f.source, what: 'mount with from', observe: ['mount', 'fallback: upload session (202)'],
  },
  {
    id: 'cross-mount.mount.without-from',
    title: 'A mount without from either mounts the blob found elsewhere (201) or opens an upload session (202) that takes the upload.',
    requirements: [FROM_OPTIONAL, MOUNT_201, MOUNT_FALLBACK],
    label: 'mount-no-from', blob: (f) => f.withoutFrom, from: () => undefined, what: 'mount without from', observe: ['mount-without-from', 'upload session (202)'],
  },
];

function mountCase(row: (typeof MOUNTS)[number]): CaseDefinition {
  return {
    id: row.id,
    title: row.title,
    requirements: row.requirements,
    async run(ctx) {
      const f = fixtures.get(ctx);
      const b = row.blob(f);
      const m = await mountOrUpload(ctx, { label: row.label, blob: b, from: row.from(f), what: row.what, observe: row.observe });
      if (m) await expectMounted(ctx, m.target, m.res, b, `${row.what} answered 201`);
    },
  };
}

const cases: CaseDefinition[] = [
  mountCase(MOUNTS[0]!),
  {
    id: 'cross-mount.mount.location',
    title: 'The Location of a successful mount serves the mounted blob.',
    requirements: [MOUNT_201, LOCATION_SERVES],
    async run(ctx) {
      const f = fixtures.get(ctx);
      const { res } = await mountedOrSkip(ctx, f.location, 'mount-location');
      const location = expectHeader(res, 'location', undefined, 'successful mount');
      await res.dump();
      ctx.observe('location-form', /^https?:\/\//i.test(location) ? 'absolute' : 'relative');
      const get = await ctx.client.request({ method: 'GET', path: location });
      await expectStatus(get, 200, `GET of the mount's Location ${location}`);
      await expectBytes(get, f.location.bytes, "GET of the mount's Location");
    },
  },
  {
    id: 'cross-mount.mount.digest-header',
    title: 'A successful mount (201) names the mounted blob in Docker-Content-Digest when it sends one.',
    requirements: [
      {
        ref: 'end-11',
        level: 'SHOULD',
        text: 'The Docker-Content-Digest header returns the digest of the uploaded blob which MAY differ from the provided digest. Most clients MAY ignore the value but if it is used, the client SHOULD verify the value against the uploaded blob data.',
      },
    ],
    async run(ctx) {
      const f = fixtures.get(ctx);
      const { res } = await mountedOrSkip(ctx, f.location, 'mount-digest');
      const v = expectDigestHeaderMatches(res, f.location, 'successful mount');
      ctx.observe('docker-content-digest', v === undefined ? 'absent' : 'present');
      await res.dump();
    },
  },
  mountCase(MOUNTS[1]!),
  {
    id: 'cross-mount.mount.source-lacks-blob',
    title: 'A mount naming a repository that does not hold the blob opens an upload session (202), unless the registry treats from as optional and mounts the blob it finds elsewhere (201).',
    requirements: [MOUNT_FALLBACK, FROM_OPTIONAL, MOUNT_201],
    async run(ctx) {
      const f = fixtures.get(ctx);
      const { target, res } = await mountFresh(ctx, 'mount-wrong-from', f.elsewhere, f.other);
      await expectStatus(res, [201, 202], `mount of ${f.elsewhere.digest} from ${f.other}, which does not hold it`);
      if (res.status === 201) {
        // Legal only as "from treated as optional": the blob must really be there now.
        ctx.observe('mount-from-wrong-repo', 'mounted from elsewhere (201): from treated as optional');
        await expectMounted(ctx, target, res, f.elsewhere, 'mount from a repository that did not hold the blob answered 201');
        return;
      }
      ctx.observe('mount-from-wrong-repo', 'not mounted: upload session (202)');
      await sessionOf(ctx, res, 'mount');
      await expectBlobNotIn(ctx, target, f.elsewhere.digest, 'a mount that answered 202');
    },
  },
  {
    id: 'cross-mount.mount.blob-missing',
    title: 'A mount of a blob that exists nowhere does not answer 201: it opens an upload session (202) that takes the upload, or answers 404.',
    requirements: [
      MOUNT_FALLBACK,
      { ref: 'end-11', level: 'MUST', text: 'The response to a successful mount MUST be 201 Created ... The Location header will contain the registry URL to access the accepted layer file.' },
    ],
    async run(ctx) {
      const f = fixtures.get(ctx);
      const missing = blobOf(uniqueBytes(900));
      const { target, res } = await mountFresh(ctx, 'mount-missing', missing, f.source);
      if (res.status === 201) {
        await res.dump();
        fail(`mount of ${missing.digest}, which exists nowhere: 202 (upload session) or 404`, 'status 201 (a mount of a blob that does not exist)', res);
      }
      await expectStatus(res, [202, 404], `mount of ${missing.digest}, which exists nowhere`);
      ctx.observe('mount-missing', res.status);
      if (res.status === 404) {
        await res.dump();
        await expectBlobNotIn(ctx, target, missing.digest, 'a mount that answered 404');
        return;
      }
      await expectBlobNotIn(ctx, target, missing.digest, 'a mount of a missing blob, before any upload');
      await completeFallback(ctx, res, target, missing, 'mount of a missing blob');
    },
  },
  {
    id: 'cross-mount.mount.sha512',
    title: 'A blob the registry accepted under a sha512 digest, once mounted (201), is in the target under that digest and its Location serves it; 202 (not mounted) is also legal.',
    requirements: [MOUNT_201, LOCATION_SERVES, MOUNT_FALLBACK],
    async run(ctx) {
      const f = fixtures.get(ctx);
      const b = blobOf(uniqueBytes(1100), MediaType.ociLayerGzip, 'sha512');
      // Only an algorithm the registry accepts on push can be asked of a mount.
      const { location: session } = await startUpload(ctx.client, f.source, ctx.spec === 'draft' ? { 'digest-algorithm': 'sha512' } : undefined);
      ctx.onCleanup(async () => void (await tryDelete(ctx.client, session)));
      const put = await putToSession(ctx, session, b);
      if (put.status === 400) {
        await put.dump();
        ctx.skip('unsupported', 'sha512 blobs are not accepted on push (PUT ?digest=sha512:... answered 400), so none can be mounted');
      }
      await expectStatus(put, 201, 'PUT of a sha512 blob to the source repository');
      await put.dump();
      trackBlob(ctx, f.source, b.digest);
      const what = 'mount of a sha512 blob';
      const m = await mountOrUpload(ctx, { label: 'mount-sha512', blob: b, from: f.source, what, observe: ['mount-sha512', 'not mounted: upload session (202)'] });
      if (!m) return;
      const location = expectHeader(m.res, 'location', undefined, `${what} answered 201`);
      await m.res.dump();
      const get = await ctx.client.request({ method: 'GET', path: location });
      await expectStatus(get, 200, `GET of the Location ${location} of a sha512 mount that answered 201`);
      await expectBytes(get, b.bytes, 'GET of the Location of a sha512 mount');
      await expectBlobIn(ctx, m.target, b, `${what} answered 201`);
    },
  },
];

export const crossMountSuite: Suite = {
  workflow: 'cross-mount',
  title: 'Cross-repository blob mount',
  async setup(ctx) {
    const source = ctx.crossRepo;
    const other = ctx.freshRepo('other');
    const make = () => blobOf(uniqueBytes(1200));
    const f: MountFixtures = { source, other, withFrom: make(), location: make(), withoutFrom: make(), elsewhere: make() };
    for (const b of [f.withFrom, f.location, f.withoutFrom, f.elsewhere]) {
      trackBlob(ctx, source, b.digest);
      await uploadBlobPostPut(ctx.client, source, b.bytes);
    }
    // `other` exists (it holds a blob of its own) but none of the blobs above.
    const own = make();
    trackBlob(ctx, other, own.digest);
    await uploadBlobPostPut(ctx.client, other, own.bytes);
    fixtures.set(ctx, f);
  },
  cases,
};
