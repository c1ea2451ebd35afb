// Referrers (spec 1.1 "Listing Referrers", end-12a/end-12b, "Pushing Manifests with Subject", and the
// referrers tag schema of "Backwards Compatibility"). The referrers API is a 1.1 content-discovery
// feature: a registry answering 404 does not offer it (its cases are skipped as "not offered"), and
// clients then maintain a `<alg>-<hex>` tag themselves, which any registry must store and serve.
import type { CaseContext, CaseDefinition, RegistryResponse, Suite } from '../src/conformance/model.js';
import { expectHeader, expectStatus, expectThat, fail } from '../src/conformance/expect.js';
import { blobOf, makeArtifact, makeImage, makeIndex, manifestDescriptor, manifestOf, uniqueBytes, type Descriptor, type Manifest } from '../src/conformance/fixtures.js';
import { MediaType } from '../src/oci/media-types.js';
import { pushBlobs, pushImage, sendManifest, trackManifest, unknownDigest } from './common/content.js';
import { duplicates, show, walkLinks } from './common/pages.js';
import { cites } from './common/spec-section.js';
import { nonce } from './common/unique-content.js';

const SBOM = 'application/vnd.regprobe.sbom.v1';
const SIGNATURE = 'application/vnd.regprobe.signature.v1';
const BUNDLE = 'application/vnd.regprobe.bundle.v1';
const MAX_PAGES = 20;
/** Referrers pushed for the pagination case: more than one page on a registry paging in tens. */
const PAGINATE_COUNT = 12;

const END_12A = { ref: 'end-12a', level: 'MUST', text: 'GET /v2/<name>/referrers/<digest>: assuming a repository is found, MUST return 200; a registry that supports the referrers API MUST NOT return 404' } as const;
const listing = cites('listing-referrers', 'MUST');
const INDEX_BODY = listing('the response MUST be a JSON body with an image index containing a list of descriptors; the Content-Type header MUST be application/vnd.oci.image.index.v1+json');
const DESCRIPTORS = listing('each descriptor is of an image manifest or index in the same <name> with a subject field that specifies <digest>; after the API is enabled registries MUST include all newly pushed manifests with a valid subject');
const ARTIFACT_TYPE = listing('descriptors MUST include artifactType from the manifest or index if present; else for an image manifest MUST be the config mediaType; for an index MUST be omitted');
const ANNOTATIONS = listing('The descriptors MUST include annotations from the image manifest or index');
const EMPTY = listing('If a query results in no matching referrers, an empty manifest list MUST be returned');
const LINK = listing('A Link header (RFC 5988, rel="next") MUST be included when the descriptor list cannot be returned in a single manifest');
const FILTER_SUPPORT = { ref: 'end-12b', level: 'SHOULD', text: 'The registry SHOULD support filtering on artifactType' } as const;
const FILTERS_APPLIED = { ref: 'end-12b', level: 'MUST', text: 'If filtering is requested and applied, the response MUST include a header OCI-Filters-Applied: artifactType' } as const;

interface Fixtures {
  subject: Manifest;
  /** Every referrer of `subject`, with what its descriptor must say. */
  referrers: Array<{ m: Manifest; artifactType: string | undefined; annotations: Record<string, string> }>;
  /** Image manifests pushed with a subject, and the OCI-Subject header each PUT answered. */
  subjectHeaders: Array<{ digest: string; subject: string; header: string | undefined }>;
  /** Status of GET referrers of `subject` right after setup. */
  apiStatus: number;
  /** An image with no referrers, used as the subject of cases that add and remove one. */
  spare: Manifest;
}

function fixtures(ctx: CaseContext): Fixtures {
  const f = ctx.state.get('fixtures') as Fixtures | undefined;
  if (!f) ctx.skip('read-only', 'the referrers cases push their own subject and referrers; not run with --read-only');
  return f;
}

/** Skips the case when the registry does not offer the referrers API (404 after setup). */
function requireApi(ctx: CaseContext): Fixtures {
  const f = fixtures(ctx);
  if (f.apiStatus === 404) {
    ctx.skip('unsupported', 'GET /v2/<name>/referrers/<digest> answered 404: the referrers API (spec 1.1) is not offered; clients fall back to the referrers tag schema');
  }
  return f;
}

function annotationsOf(m: Manifest): Record<string, string> {
  return (m.json.annotations as Record<string, string> | undefined) ?? {};
}

function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Reads one referrers page: Content-Type and index shape are checked on every page. */
function readIndex(body: unknown, res: RegistryResponse, text: string): Descriptor[] {
  const ct = res.header('content-type');
  if (mediaTypeOf(ct) !== MediaType.ociIndex) fail(`Content-Type: ${MediaType.ociIndex}`, `Content-Type: ${ct ?? '(none)'}`, res, text);
  if (body === null || typeof body !== 'object') fail('an image index (JSON object)', 'JSON that is not an object', res, text);
  const idx = body as { schemaVersion?: unknown; mediaType?: unknown; manifests?: unknown };
  if (idx.schemaVersion !== 2) fail('an image index with "schemaVersion": 2', `"schemaVersion": ${JSON.stringify(idx.schemaVersion)}`, res, text);
  if (idx.mediaType !== undefined && idx.mediaType !== MediaType.ociIndex) fail(`"mediaType": "${MediaType.ociIndex}" (when present)`, `"mediaType": ${JSON.stringify(idx.mediaType)}`, res, text);
  if (!Array.isArray(idx.manifests)) fail('"manifests": an array of descriptors', `"manifests": ${JSON.stringify(idx.manifests)?.slice(0, 80)}`, res, text);
  for (const d of idx.manifests as unknown[]) {
    const ok = d !== null && typeof d === 'object' && typeof (d as Descriptor).digest === 'string' && typeof (d as Descriptor).mediaType === 'string' && typeof (d as Descriptor).size === 'number';
    if (!ok) fail('descriptors with mediaType, digest and size', JSON.stringify(d).slice(0, 160), res, text);
  }
  return idx.manifests as Descriptor[];
}

interface Listing {
  first: RegistryResponse;
  firstText: string;
  descriptors: Descriptor[];
  pages: number;
}

/** Every referrer of `digest` (following Link pages, bounded); fails on a non-200 or a bad page. */
async function listReferrers(ctx: CaseContext, repo: string, digest: string, query?: Record<string, string>): Promise<Listing> {
  const walk = await walkLinks(ctx.client, `/v2/${repo}/referrers/${digest}`, query, readIndex, MAX_PAGES, { accept: MediaType.ociIndex });
  if (!walk.complete) fail(`the referrers within ${MAX_PAGES} pages`, `still a Link after ${MAX_PAGES} pages`, walk.pages.at(-1)!.res);
  if (walk.pages.length > 1) ctx.observe('pages', walk.pages.length);
  return { first: walk.pages[0]!.res, firstText: walk.pages[0]!.text, descriptors: walk.items, pages: walk.pages.length };
}

/** The referrers of the setup's subject (skipped where the API is not offered). */
async function subjectReferrers(ctx: CaseContext, query?: Record<string, string>): Promise<{ f: Fixtures; l: Listing }> {
  const f = requireApi(ctx);
  return { f, l: await listReferrers(ctx, ctx.repo, f.subject.digest, query) };
}

type Referrer = Fixtures['referrers'][number];

/**
 * A row of the descriptor checks: `check` runs for each referrer the setup pushed, with its descriptor
 * in the listing of the subject. A referrer without one fails the row that says `missingFails`; the
 * others pass over it (referrers.list.all-referrers reports it).
 */
interface DescriptorRow extends Omit<CaseDefinition, 'run' | 'since'> {
  missingFails?: boolean;
  check(r: Referrer, d: Descriptor, l: Listing): void;
}

function descriptorCase(row: DescriptorRow): CaseDefinition {
  const { check, missingFails, ...meta } = row;
  return {
    ...meta,
    since: '1.1',
    async run(ctx) {
      const { f, l } = await subjectReferrers(ctx);
      for (const r of f.referrers) {
        const d = l.descriptors.find((x) => x.digest === r.m.digest);
        if (d) check(r, d, l);
        else if (missingFails) fail(`a descriptor for ${r.m.digest}`, show(digests(l.descriptors)), l.first, l.firstText);
      }
    },
  };
}

/** PUT of a manifest that must answer 201 (a check of the case, not a precondition); deleted at cleanup. */
async function putAccepted(ctx: CaseContext, r: Manifest, what: string): Promise<void> {
  const res = await sendManifest(ctx, ctx.repo, r.digest, r.bytes, r.mediaType);
  await expectStatus(res, 201, what);
  await res.dump();
  trackManifest(ctx, ctx.repo, r.digest);
}

/** The "manifests" of an image index's JSON text; undefined when the text is not JSON. */
function manifestsIn(text: string): unknown {
  try {
    return (JSON.parse(text) as { manifests?: unknown }).manifests;
  } catch {
    return undefined;
  }
}

function digests(ds: readonly Descriptor[]): string[] {
  return ds.map((d) => d.digest);
}

/** The referrer set must be exactly `want` (by digest), each once. */
function expectExactly(l: Listing, want: readonly string[], what: string): void {
  const got = digests(l.descriptors);
  const dup = duplicates(got);
  expectThat(dup.length === 0, `${what}: each referrer once`, `repeated ${show(dup)}`, l.first, l.firstText);
  const missing = want.filter((d) => !got.includes(d));
  const extra = got.filter((d) => !want.includes(d));
  expectThat(
    missing.length === 0 && extra.length === 0,
    `${what}: exactly ${show(want)}`,
    `${show(got)}${missing.length ? `; missing ${show(missing)}` : ''}${extra.length ? `; not referrers ${show(extra)}` : ''}`,
    l.first,
    l.firstText,
  );
}

/** The referrers tag of a digest (spec "Referrers Tag Schema"): `<alg>-<encoded>`, truncated. */
export function referrersTag(digest: string): string {
  const [alg, enc] = digest.split(':') as [string, string];
  return `${alg.slice(0, 32)}-${enc.slice(0, 64)}`.replace(/[^a-zA-Z0-9._-]/g, '-');
}

const cases: CaseDefinition[] = [
  {
    id: 'referrers.api.available',
    title: 'GET /v2/<name>/referrers/<digest> answers 200 (404 means the 1.1 referrers API is not offered).',
    requirements: [END_12A],
    since: '1.1',
    async run(ctx) {
      const f = requireApi(ctx);
      const res = await ctx.client.request({ method: 'GET', path: `/v2/${ctx.repo}/referrers/${f.subject.digest}` });
      await expectStatus(res, 200);
      await res.dump();
    },
  },
  {
    id: 'referrers.list.index-shape',
    title: 'The referrers response is an image index (schemaVersion 2, manifests) with Content-Type application/vnd.oci.image.index.v1+json.',
    requirements: [INDEX_BODY, LINK],
    since: '1.1',
    async run(ctx) {
      const { l } = await subjectReferrers(ctx);
      const ct = l.first.header('content-type')!;
      if (ct !== MediaType.ociIndex) ctx.observe('content-type-parameters', ct);
    },
  },
  {
    id: 'referrers.list.all-referrers',
    title: 'The referrers of a subject are exactly the manifests and indexes pushed with that subject, each once.',
    requirements: [DESCRIPTORS],
    since: '1.1',
    async run(ctx) {
      const { f, l } = await subjectReferrers(ctx);
      expectExactly(l, f.referrers.map((r) => r.m.digest), `referrers of ${f.subject.digest}`);
    },
  },
  descriptorCase({
    id: 'referrers.list.descriptor-fields',
    title: 'Each referrer descriptor carries the mediaType, digest and size of the pushed manifest.',
    requirements: [DESCRIPTORS, { ref: 'image-spec descriptor', level: 'MUST', text: 'mediaType, digest and size are REQUIRED properties of a descriptor and describe the targeted content' }],
    missingFails: true,
    check(r, d, l) {
      expectThat(d.mediaType === r.m.mediaType, `${r.m.digest}: "mediaType": "${r.m.mediaType}"`, `"mediaType": ${JSON.stringify(d.mediaType)}`, l.first, l.firstText);
      expectThat(d.size === r.m.bytes.length, `${r.m.digest}: "size": ${r.m.bytes.length}`, `"size": ${JSON.stringify(d.size)}`, l.first, l.firstText);
    },
  }),
  descriptorCase({
    id: 'referrers.list.artifact-type',
    title: 'A descriptor\'s artifactType is the manifest\'s artifactType, else an image manifest\'s config mediaType, and is absent for an index without one.',
    requirements: [ARTIFACT_TYPE],
    check(r, d, l) {
      const want = r.artifactType === undefined ? 'no artifactType' : `"artifactType": "${r.artifactType}"`;
      expectThat(d.artifactType === r.artifactType, `${r.m.digest} (${r.m.mediaType}): ${want}`, `"artifactType": ${JSON.stringify(d.artifactType)}`, l.first, l.firstText);
    },
  }),
  descriptorCase({
    id: 'referrers.list.annotations',
    title: 'Each referrer descriptor includes every annotation of the pushed manifest or index.',
    requirements: [ANNOTATIONS],
    check(r, d, l) {
      for (const [k, v] of Object.entries(r.annotations)) {
        expectThat(d.annotations?.[k] === v, `${r.m.digest}: annotation ${k}=${JSON.stringify(v)}`, `annotations ${JSON.stringify(d.annotations ?? null)}`, l.first, l.firstText);
      }
    },
  }),
  {
    id: 'referrers.filter.artifact-type',
    title: 'With ?artifactType=, a filtered answer says OCI-Filters-Applied: artifactType and holds only that type; an unfiltered answer has no such header and holds every referrer.',
    requirements: [FILTER_SUPPORT, FILTERS_APPLIED],
    since: '1.1',
    async run(ctx) {
      const { f, l } = await subjectReferrers(ctx, { artifactType: SBOM });
      const header = l.first.header('oci-filters-applied');
      const applied = (header ?? '').split(',').map((s) => s.trim()).includes('artifactType');
      ctx.observe('artifactType-filter', applied ? 'applied' : header === undefined ? 'not applied (no OCI-Filters-Applied)' : `not applied (OCI-Filters-Applied: ${header})`);
      if (applied) {
        expectExactly(l, f.referrers.filter((r) => r.artifactType === SBOM).map((r) => r.m.digest), `referrers filtered to ${SBOM}`);
      } else {
        // Not filtered (legal: filtering is a SHOULD): the client filters, so it needs the whole list.
        expectExactly(l, f.referrers.map((r) => r.m.digest), 'an unfiltered answer (no OCI-Filters-Applied: artifactType)');
      }
    },
  },
  {
    id: 'referrers.list.empty',
    title: 'The referrers of a digest nothing refers to are an empty image index with status 200.',
    requirements: [EMPTY, END_12A, INDEX_BODY],
    since: '1.1',
    async run(ctx) {
      requireApi(ctx);
      const l = await listReferrers(ctx, ctx.repo, unknownDigest());
      expectExactly(l, [], 'referrers of an unreferenced digest');
    },
  },
  {
    id: 'referrers.list.empty-repository',
    title: 'The referrers of a digest in a repository that holds no manifest (never pushed to) are an empty image index with status 200, not 404; what came back is recorded.',
    requirements: [
      { ref: 'end-12a', level: 'SHOULD', text: 'If the registry supports the referrers API, the registry MUST NOT return a 404 Not Found to a referrers API requests; yet end-12a says 200 "assuming a repository is found", so for a repository without manifests this is a SHOULD' },
      { ref: 'listing-referrers', level: 'SHOULD', text: 'If a query results in no matching referrers, an empty manifest list MUST be returned (here: a repository that may not be "found")' },
    ],
    since: '1.1',
    async run(ctx) {
      requireApi(ctx);
      const repo = ctx.freshRepo('no-manifest');
      const res = await ctx.client.request({ method: 'GET', path: `/v2/${repo}/referrers/${unknownDigest()}`, headers: { accept: MediaType.ociIndex } });
      const text = await res.text(1024 * 1024).catch(() => '');
      const code = /"code"\s*:\s*"([A-Z_]+)"/.exec(text)?.[1];
      ctx.observe('referrers-without-manifests', `${res.status}${code ? ` ${code}` : ''}`);
      expectThat(res.status === 200, `GET referrers of a digest in ${repo}, which holds no manifest: 200 with an empty index (a registry with the API MUST NOT answer 404)`, `status ${res.status}${code ? ` ${code}` : ''}`, res, text);
      expectThat(mediaTypeOf(res.header('content-type')) === MediaType.ociIndex, `Content-Type ${MediaType.ociIndex}`, `Content-Type ${res.header('content-type') ?? '(none)'}`, res, text);
      const manifests = manifestsIn(text);
      expectThat(Array.isArray(manifests) && manifests.length === 0, 'an image index with an empty "manifests" list', text.slice(0, 120) || 'an empty body', res, text);
    },
  },
  {
    id: 'referrers.list.missing-subject',
    title: 'A manifest whose subject was never pushed is accepted and listed among the referrers of that digest.',
    requirements: [
      { ref: 'push', level: 'MUST', text: 'A registry MUST initially accept an otherwise valid manifest with a subject field that references a manifest that does not exist in the repository' },
      DESCRIPTORS,
    ],
    since: '1.1',
    async run(ctx) {
      requireApi(ctx);
      const missing = { mediaType: MediaType.ociManifest, digest: unknownDigest(), size: 1234 };
      const r = makeArtifact({ artifactType: SBOM, subject: missing, annotations: nonce() });
      await pushBlobs(ctx, ctx.repo, r);
      await putAccepted(ctx, r, 'PUT of a manifest whose subject does not exist');
      const l = await listReferrers(ctx, ctx.repo, missing.digest);
      expectExactly(l, [r.digest], `referrers of the never-pushed subject ${missing.digest}`);
    },
  },
  {
    id: 'referrers.paginate.link-walk',
    title: `A subject with ${PAGINATE_COUNT} referrers: walking Link rel="next" from the first page lists each of them exactly once (one page is fine when the registry does not paginate).`,
    requirements: [LINK, DESCRIPTORS],
    since: '1.1',
    async run(ctx) {
      requireApi(ctx);
      const subject = makeImage({ layerSizes: [16], annotations: nonce() });
      await pushImage(ctx, ctx.repo, subject);
      const sd = manifestDescriptor(subject);
      const pushed: string[] = [];
      for (let i = 0; i < PAGINATE_COUNT; i++) {
        const r = makeArtifact({ artifactType: i % 2 ? SBOM : SIGNATURE, subject: sd, annotations: nonce() });
        // The artifacts share their only blob (the empty config): push it once.
        if (i === 0) await pushBlobs(ctx, ctx.repo, r);
        await putAccepted(ctx, r, `PUT of referrer ${i + 1} of ${PAGINATE_COUNT}`);
        pushed.push(r.digest);
      }
      // listReferrers walks every Link (each must be RFC 5988 with rel="next", never to a page already
      // read); a page cut short without a Link shows up here as missing referrers.
      const l = await listReferrers(ctx, ctx.repo, subject.digest);
      ctx.observe('pages', l.pages === 1 ? `1 (all ${PAGINATE_COUNT} in one response)` : l.pages);
      expectExactly(l, pushed, `referrers of ${subject.digest} over ${l.pages} page(s)`);
    },
  },
  {
    id: 'referrers.list.invalid-digest',
    title: 'GET /v2/<name>/referrers/<digest> with a malformed digest answers 400.',
    requirements: [{ ref: 'end-12a', level: 'MUST', text: 'If the request is invalid, such as a <digest> with an invalid syntax, a 400 Bad Request MUST be returned' }],
    since: '1.1',
    async run(ctx) {
      requireApi(ctx);
      const res = await ctx.client.request({ method: 'GET', path: `/v2/${ctx.repo}/referrers/sha256:${'z'.repeat(64)}` });
      await expectStatus(res, 400, 'a malformed digest');
      await res.dump();
    },
  },
  {
    id: 'referrers.push.oci-subject',
    title: 'PUT of an image manifest with a subject answers OCI-Subject: <subject digest>.',
    requirements: [{ ref: 'pushing-manifests-with-subject', level: 'MUST', text: 'a registry that supports the referrers API MUST respond with the response header OCI-Subject: <subject digest>' }],
    since: '1.1',
    async run(ctx) {
      const f = fixtures(ctx);
      const seen = f.subjectHeaders.map((h) => h.header);
      if (f.apiStatus === 404) {
        ctx.observe('oci-subject', seen.some((h) => h !== undefined) ? 'sent' : 'absent');
        ctx.skip('unsupported', `the referrers API answers 404, so OCI-Subject is not required (it was ${seen.every((h) => h === undefined) ? 'absent' : 'sent'}); clients use the referrers tag schema`);
      }
      for (const h of f.subjectHeaders) {
        expectThat(h.header === h.subject, `PUT of ${h.digest}: OCI-Subject: ${h.subject}`, h.header === undefined ? 'no OCI-Subject header' : `OCI-Subject: ${h.header}`);
      }
      // And once more on a fresh push, so the exchange is in the report if it fails.
      const r = makeArtifact({ artifactType: SIGNATURE, subject: manifestDescriptor(f.subject), annotations: nonce() });
      const res = await pushImage(ctx, ctx.repo, r);
      expectHeader(res, 'oci-subject', f.subject.digest);
    },
  },
  {
    id: 'referrers.delete.referrer-removed',
    title: 'After a referrer manifest is deleted it is no longer listed among its subject\'s referrers.',
    requirements: [DESCRIPTORS, { ref: 'end-9', level: 'MUST', text: 'DELETE /v2/<name>/manifests/<digest>: upon success MUST respond 202; if disabled MUST respond 400 or 405' }],
    since: '1.1',
    async run(ctx) {
      const f = requireApi(ctx);
      const r = makeArtifact({ artifactType: SBOM, subject: manifestDescriptor(f.spare), annotations: nonce() });
      await pushImage(ctx, ctx.repo, r);
      expectExactly(await listReferrers(ctx, ctx.repo, f.spare.digest), [r.digest], 'referrers before the delete');
      const del = await ctx.client.request({ method: 'DELETE', path: `/v2/${ctx.repo}/manifests/${r.digest}` });
      await del.dump();
      if (del.status === 400 || del.status === 405) ctx.skip('unsupported', `manifest deletion is disabled (${del.status}, legal)`);
      expectThat(del.status === 202, 'DELETE of the referrer: 202', `status ${del.status}`, del);
      expectExactly(await listReferrers(ctx, ctx.repo, f.spare.digest), [], 'referrers after the referrer was deleted');
    },
  },
  {
    id: 'referrers.tag-schema.fallback-push',
    title: 'A referrers index pushed by a client to the <alg>-<hex> tag of its subject is stored and served back byte for byte as an image index.',
    requirements: [
      { ref: 'referrers-tag-schema', level: 'MUST', text: 'a client pushing a manifest with subject when OCI-Subject is absent MUST pull the <alg>-<ref> tag (404: begin with an empty index), append a descriptor, and push the index to that tag' },
      { ref: 'end-7', level: 'MUST', text: 'The registry MUST store the manifest in the exact byte representation provided by the client' },
      { ref: 'end-3', level: 'MUST', text: 'A GET request to an existing manifest URL MUST provide the expected manifest, with a response code that MUST be 200 OK' },
    ],
    since: '1.1',
    async run(ctx) {
      fixtures(ctx);
      // A subject of its own, so this index does not meet the other cases' lists.
      const subject = makeArtifact({ artifactType: 'application/vnd.regprobe.subject.v1', annotations: nonce() });
      await pushImage(ctx, ctx.repo, subject);
      const annotations = { 'org.regprobe.role': 'tag-schema', ...nonce() };
      const r = makeArtifact({ artifactType: SBOM, subject: manifestDescriptor(subject), annotations });
      await pushImage(ctx, ctx.repo, r);
      const tag = referrersTag(subject.digest);
      // The client's procedure: pull the tag; a 404 means start from an empty index.
      const before = await ctx.client.request({ method: 'GET', path: `/v2/${ctx.repo}/manifests/${tag}`, headers: { accept: MediaType.ociIndex } });
      const existing = before.status === 200 ? await before.text(1024 * 1024) : (await before.dump(), undefined);
      expectThat(before.status === 200 || before.status === 404, `GET of the referrers tag ${tag}: 404 (nothing there yet) or 200`, `status ${before.status}`, before);
      let listed: Descriptor[] = [];
      if (existing !== undefined) {
        // Nothing was pushed to this tag: a registry that maintains it itself must serve a valid index.
        ctx.observe('referrers-tag-before-push', 'present');
        const manifests = manifestsIn(existing);
        expectThat(Array.isArray(manifests), `the referrers tag ${tag}: 404 or an image index`, 'a body that is not an image index', before, existing);
        listed = (manifests as Descriptor[]).filter((d) => d.digest !== r.digest);
      }
      const descriptor: Descriptor = { mediaType: r.mediaType, digest: r.digest, size: r.bytes.length, artifactType: SBOM, annotations: annotationsOf(r) };
      const index = manifestOf({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [...listed, descriptor] }, []);
      const put = await sendManifest(ctx, ctx.repo, tag, index.bytes, MediaType.ociIndex);
      await expectStatus(put, 201, `PUT of the referrers index to tag ${tag}`);
      await put.dump();
      trackManifest(ctx, ctx.repo, index.digest);
      const get = await ctx.client.request({ method: 'GET', path: `/v2/${ctx.repo}/manifests/${tag}`, headers: { accept: MediaType.ociIndex } });
      await expectStatus(get, 200, `GET of the referrers tag ${tag}`);
      expectThat(mediaTypeOf(get.header('content-type')) === MediaType.ociIndex, `Content-Type: ${MediaType.ociIndex}`, `Content-Type: ${get.header('content-type') ?? '(none)'}`, get);
      const bytes = await get.bytes(1024 * 1024);
      expectThat(bytes.equals(index.bytes), 'the exact bytes pushed', `${bytes.length} bytes that differ from the ${index.bytes.length} pushed`, get, bytes.toString('utf8'));
      ctx.state.set('tag-schema', { subject: subject.digest, referrer: r.digest });
    },
  },
  {
    id: 'referrers.tag-schema.listed-in-api',
    title: 'A manifest with a subject that is listed in a referrers tag-schema index appears in the referrers API answer, and the index itself does not.',
    requirements: [
      { ref: 'enabling-the-referrers-api', level: 'MUST', text: 'Registries MUST include preexisting image manifests that are listed in an image index tagged with the referrers tag schema and have a valid subject field in the referrers API response' },
      DESCRIPTORS,
    ],
    since: '1.1',
    dependsOn: ['referrers.tag-schema.fallback-push'],
    async run(ctx) {
      requireApi(ctx);
      const ts = ctx.state.get('tag-schema') as { subject: string; referrer: string };
      expectExactly(await listReferrers(ctx, ctx.repo, ts.subject), [ts.referrer], `referrers of ${ts.subject}`);
    },
  },
];

export const referrersSuite: Suite = {
  workflow: 'referrers',
  title: 'Referrers (1.1)',
  async setup(ctx) {
    if (ctx.readOnly || ctx.spec === '1.0') return;
    const subject = makeImage({ layerSizes: [256] });
    await pushImage(ctx, ctx.repo, subject);
    const sd = manifestDescriptor(subject);
    const subjectHeaders: Fixtures['subjectHeaders'] = [];
    const referrers: Fixtures['referrers'] = [];
    const push = async (m: Manifest, artifactType: string | undefined) => {
      const res = await pushImage(ctx, ctx.repo, m);
      if (m.mediaType === MediaType.ociManifest) subjectHeaders.push({ digest: m.digest, subject: subject.digest, header: res.header('oci-subject') });
      referrers.push({ m, artifactType, annotations: annotationsOf(m) });
    };
    // An artifact with a layer, one without (the empty descriptor as its layer), an image manifest
    // without artifactType (its config mediaType stands in), and indexes with and without artifactType.
    const layer = blobOf(uniqueBytes(64), 'application/vnd.regprobe.sbom.layer.v1+json');
    await push(makeArtifact({ artifactType: SBOM, subject: sd, layers: [layer], annotations: { 'org.regprobe.role': 'sbom', ...nonce() } }), SBOM);
    await push(makeArtifact({ artifactType: SIGNATURE, subject: sd, annotations: { 'org.regprobe.role': 'signature', ...nonce() } }), SIGNATURE);
    await push(makeImage({ layerSizes: [32], subject: sd, annotations: { 'org.regprobe.role': 'image', ...nonce() } }), MediaType.ociConfig);
    const child = makeImage({ layerSizes: [32] });
    await pushImage(ctx, ctx.repo, child);
    await push(makeIndex([child], 'oci', { subject: sd, annotations: { 'org.regprobe.role': 'index', ...nonce() } }), undefined);
    await push(makeIndex([child], 'oci', { artifactType: BUNDLE, subject: sd, annotations: { 'org.regprobe.role': 'bundle', ...nonce() } }), BUNDLE);

    const probe = await ctx.client.request({ method: 'GET', path: `/v2/${ctx.repo}/referrers/${subject.digest}`, headers: { accept: MediaType.ociIndex } });
    await probe.dump();
    ctx.observe('referrers-api', probe.status === 404 ? 'absent (404)' : `status ${probe.status}`);
    const fx: Fixtures = { subject, referrers, subjectHeaders, apiStatus: probe.status, spare: child };
    ctx.state.set('fixtures', fx);
  },
  cases,
};

export default referrersSuite;
