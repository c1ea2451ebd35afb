// Pull: manifests and blobs by tag and digest, GET and HEAD, the headers a pull relies on, 404s,
// content negotiation. Setup pushes an image, an index and a Docker schema 2 manifest; with
// --read-only it uses the content named by --tag/--digest instead and pushes nothing.
import { randomBytes } from 'node:crypto';
import type { CaseContext, CaseDefinition, Level, Requirement, Suite } from '../src/conformance/model.js';
import type { RegistryResponse } from '../src/client/registry-client.js';
import { ACCEPT_MANIFESTS } from '../src/client/operations.js';
import { makeImage, makeIndex } from '../src/conformance/fixtures.js';
import { pushImage } from './common/content.js';
import { checkErrorBody } from './common/error-body.js';
import { fixturesSetup, setupState } from './common/setup-state.js';
import { expectStatus, expectThat, fail } from '../src/conformance/expect.js';
import {
  expectBodyDigest,
  expectBytes,
  expectContentLengthIfPresent,
  expectDigestHeaderMatches,
  expectDigestHeaderNames,
} from '../src/conformance/content-checks.js';
import { digestOf } from '../src/oci/digest.js';
import { MANIFEST_MEDIA_TYPES } from '../src/oci/media-types.js';
import type { ErrorCode } from '../src/oci/errors.js';

interface ManifestFixture {
  /** What it is, for messages: `image`, `index`, `docker schema 2`, `existing`. */
  label: string;
  tag?: string;
  digest: string;
  bytes: Buffer;
  mediaType: string;
}

interface BlobFixture {
  digest: string;
  size: number;
  /** Held when small; otherwise the body is checked by streaming its digest. */
  bytes?: Buffer;
}

interface PullFixtures {
  repo: string;
  manifests: ManifestFixture[];
  blob: BlobFixture;
}

const fixtures = setupState<PullFixtures>('pull', 'pull fixtures');

function tagged(ctx: CaseContext, f: PullFixtures): ManifestFixture[] {
  const list = f.manifests.filter((m) => m.tag !== undefined);
  if (list.length === 0) ctx.skip('read-only', 'the existing content was named by digest only (give --tag to check pulls by tag)');
  return list;
}

/** Accept header naming the manifest's own type first, then every other manifest type. */
function acceptFor(m: ManifestFixture): string {
  return [m.mediaType, ...MANIFEST_MEDIA_TYPES.filter((t) => t !== m.mediaType)].join(', ');
}

function manifestPath(repo: string, ref: string): string {
  return `/v2/${repo}/manifests/${ref}`;
}

async function request(ctx: CaseContext, method: 'GET' | 'HEAD', path: string, headers?: Record<string, string>): Promise<RegistryResponse> {
  return ctx.client.request({ method, path, ...(headers ? { headers } : {}) });
}

/** A name in the run's namespace no one has pushed to. */
function absentTag(): string {
  return `regprobe-absent-${randomBytes(6).toString('hex')}`;
}

function absentDigest(): string {
  return digestOf(randomBytes(32));
}

// Requirements, worded as the spec words them.
const req = (ref: string, level: Level, text: string): Requirement => ({ ref, level, text });
/** The code the spec's table gives a condition: SHOULD, as the MUST is only that a code is one of the table. */
const tableCode = (ref: string, code: ErrorCode, meaning: string): Requirement =>
  req(ref, 'SHOULD', `${code}: ${meaning} (the table's code; the MUST is only that a code is one of the table)`);
const END3_GET = req('end-3', 'MUST', 'A GET request to an existing manifest URL MUST provide the expected manifest, with a response code that MUST be 200 OK.');
const END3_HEAD = req('end-3', 'MUST', 'A HEAD request to an existing blob or manifest URL MUST return 200 OK.');
const END2_GET = req('end-2', 'MUST', 'A GET request to an existing blob URL MUST provide the expected blob, with a response code that MUST be 200 OK.');
const END2_HEAD = req('end-2', 'MUST', 'A HEAD request to an existing blob or manifest URL MUST return 200 OK.');
const BLOB_DIGEST_VALUE = req('Pulling blobs', 'MUST', 'If present, the value of this header [Docker-Content-Digest] MUST be a digest matching that of the response body.');

/** v1.1.1 words the pull headers as SHOULD; the draft makes them MUST (checked by the *-required twin). */
function headersCase(kind: 'manifest' | 'blob', required: boolean): CaseDefinition {
  const level = required ? 'MUST' : 'SHOULD';
  const what = kind === 'manifest' ? 'manifest' : 'blob';
  const requirements: Requirement[] = [
    {
      ref: kind === 'manifest' ? 'end-3 (Pulling manifests)' : 'end-2 (Pulling blobs)',
      level,
      text: `A successful response ${level} contain the digest of the uploaded blob in the header Docker-Content-Digest.${required ? '' : ' (v1.1.1; MUST in the draft)'}`,
    },
    {
      ref: 'Checking if content exists in the registry',
      level,
      text: `A successful response ${level} contain the digest ... in the header Docker-Content-Digest. A successful response ${level} contain the size in bytes ... in the header Content-Length.`,
    },
  ];
  return {
    id: `pull.${kind}.headers${required ? '-required' : ''}`,
    title: `GET and HEAD of a ${what}${kind === 'manifest' ? ' (by digest and by tag)' : ''} carry a Docker-Content-Digest naming its content, and HEAD carries Content-Length${required ? ' (required by the draft)' : ''}.`,
    requirements,
    readOnly: true,
    ...(required ? { since: 'draft' as const } : {}),
    async run(ctx) {
      if (!required && ctx.spec === 'draft') {
        ctx.skip('spec-version', `the draft makes these headers MUST: pull.${kind}.headers-required checks them`);
      }
      const f = fixtures.get(ctx);
      // By digest and by tag: the header must name the content (recomputed from its bytes when it is
      // in another algorithm than the digest we know), whichever reference was asked for.
      type Target = { path: string; label: string; digest: string; size: number; bytes?: Buffer; accept?: string };
      const targets: Target[] =
        kind === 'manifest'
          ? f.manifests.flatMap((m) => [
              { path: manifestPath(f.repo, m.digest), label: `${m.label} manifest by digest`, digest: m.digest, size: m.bytes.length, bytes: m.bytes, accept: acceptFor(m) },
              ...(m.tag !== undefined ? [{ path: manifestPath(f.repo, m.tag), label: `${m.label} manifest by tag`, digest: m.digest, size: m.bytes.length, bytes: m.bytes, accept: acceptFor(m) }] : []),
            ])
          : [{ path: `/v2/${f.repo}/blobs/${f.blob.digest}`, label: 'blob', digest: f.blob.digest, size: f.blob.size, ...(f.blob.bytes ? { bytes: f.blob.bytes } : {}) }];
      for (const t of targets) {
        for (const method of ['GET', 'HEAD'] as const) {
          const res = await request(ctx, method, t.path, t.accept ? { accept: t.accept } : undefined);
          await expectStatus(res, 200, `${method} of an existing ${what}`);
          await res.dump();
          if (res.header('docker-content-digest') === undefined) {
            fail(`${method} of an existing ${what}: a Docker-Content-Digest header`, 'no Docker-Content-Digest header', res);
          }
          await expectDigestHeaderNames(res, t, `${method} ${t.label}`, () => request(ctx, 'GET', t.path, t.accept ? { accept: t.accept } : undefined));
          if (method === 'HEAD' && !expectContentLengthIfPresent(res, t.size, `HEAD ${what}`)) {
            fail(`HEAD of an existing ${what}: Content-Length ${t.size}`, 'no Content-Length header', res);
          }
        }
      }
    },
  };
}

type CaseMeta = Pick<CaseDefinition, 'id' | 'title' | 'requirements' | 'since'>;

/** A read-only case on the pushed (or, with --read-only, named) fixtures. */
function pullCase(meta: CaseMeta, run: (ctx: CaseContext, f: PullFixtures) => Promise<void>): CaseDefinition {
  return {
    id: meta.id,
    title: meta.title,
    requirements: meta.requirements,
    ...(meta.since ? { since: meta.since } : {}),
    readOnly: true,
    run: (ctx) => run(ctx, fixtures.get(ctx)),
  };
}

/**
 * GET and HEAD of every manifest by tag and by digest, one case each: 200 and its size; a GET carries
 * exactly the pushed bytes. A HEAD's Docker-Content-Digest is checked by pull.manifest.headers (SHOULD
 * in 1.1) and headers-required (MUST in the draft).
 */
const MANIFEST_FETCHES: ReadonlyArray<CaseMeta & { method: 'GET' | 'HEAD'; by: 'tag' | 'digest' }> = [
  { id: 'pull.manifest.get-by-tag', title: 'GET of a manifest by tag answers 200 with exactly the bytes that were pushed.', requirements: [END3_GET], method: 'GET', by: 'tag' },
  { id: 'pull.manifest.get-by-digest', title: 'GET of a manifest by digest answers 200 with exactly the bytes that were pushed.', requirements: [END3_GET], method: 'GET', by: 'digest' },
  { id: 'pull.manifest.head-by-tag', title: 'HEAD of a manifest by tag answers 200 with no body.', requirements: [END3_HEAD], method: 'HEAD', by: 'tag' },
  { id: 'pull.manifest.head-by-digest', title: 'HEAD of a manifest by digest answers 200 with no body.', requirements: [END3_HEAD], method: 'HEAD', by: 'digest' },
];

function manifestFetchCase(row: (typeof MANIFEST_FETCHES)[number]): CaseDefinition {
  return pullCase(row, async (ctx, f) => {
    for (const m of row.by === 'tag' ? tagged(ctx, f) : f.manifests) {
      const what = `${row.method} ${m.label} manifest by ${row.by}`;
      const res = await request(ctx, row.method, manifestPath(f.repo, row.by === 'tag' ? m.tag! : m.digest), { accept: acceptFor(m) });
      await expectStatus(res, 200, what);
      expectContentLengthIfPresent(res, m.bytes.length, what);
      if (row.method === 'GET') await expectBytes(res, m.bytes, what);
      else await res.dump();
    }
  });
}

/** A GET of every manifest by digest with another Accept than a client's usual list: 200 with the stored bytes. */
const ACCEPT_VARIANTS: ReadonlyArray<CaseMeta & { accept: (m: ManifestFixture) => string | undefined }> = [
  {
    id: 'pull.manifest.accept-list',
    title: 'A GET whose Accept header lists several manifest types, the stored one among them, answers 200 with the stored manifest.',
    requirements: [END3_GET, req('Pulling manifests', 'SHOULD', 'The client SHOULD include an Accept header indicating which manifest content types it supports.')],
    // Stored type last and weighted, as clients that prefer another type send it.
    accept: (m) => [...MANIFEST_MEDIA_TYPES.filter((t) => t !== m.mediaType), `${m.mediaType};q=0.5`].join(', '),
  },
  {
    id: 'pull.manifest.no-accept',
    title: 'A GET of a manifest by digest without an Accept header answers 200 with the stored manifest.',
    requirements: [
      req(
        'API (RFC 9110 section 12.5.1)',
        'SHOULD',
        'Where this specification does not define specific behavior, implementations SHOULD follow the HTTP semantics defined in RFC 9110 (a request without Accept accepts any media type).',
      ),
    ],
    since: 'draft',
    accept: () => undefined,
  },
];

function acceptVariantCase(row: (typeof ACCEPT_VARIANTS)[number]): CaseDefinition {
  return pullCase(row, async (ctx, f) => {
    for (const m of f.manifests) {
      const accept = row.accept(m);
      const what = `GET ${m.label} manifest by digest ${accept === undefined ? 'without Accept' : `with Accept: ${accept}`}`;
      const res = await request(ctx, 'GET', manifestPath(f.repo, m.digest), accept === undefined ? undefined : { accept });
      await expectStatus(res, 200, what);
      await expectBytes(res, m.bytes, what);
    }
  });
}

const END3_404 = req('end-3', 'MUST', 'If the manifest is not found in the repository, the response code MUST be 404 Not Found.');
const MANIFEST_UNKNOWN = tableCode('code-7', 'MANIFEST_UNKNOWN', 'manifest unknown to registry');

/**
 * GET and HEAD of something that is not there, one case each: the statuses allowed, and the code a
 * JSON body of the GET should carry (none: any code of the table, recorded).
 */
interface NotFoundRow extends CaseMeta {
  kind: 'manifests' | 'blobs';
  /** The reference asked for, and how messages name it. */
  ref: () => string;
  what: string;
  statuses: readonly number[];
  codes: ErrorCode[];
  /** Records the HEAD and GET statuses as `<observe>-head` and `<observe>-get`. */
  observe?: string;
}

const MANIFEST_NOT_FOUND: readonly NotFoundRow[] = [
  {
    id: 'pull.manifest.unknown-tag',
    title: 'GET and HEAD of a tag that does not exist answer 404 (MANIFEST_UNKNOWN when the body is JSON).',
    requirements: [END3_404, MANIFEST_UNKNOWN],
    kind: 'manifests', ref: absentTag, what: 'an unknown tag', statuses: [404], codes: ['MANIFEST_UNKNOWN'],
  },
  {
    id: 'pull.manifest.invalid-tag',
    title: 'GET and HEAD of a tag outside the tag grammar (.INVALID_MANIFEST_NAME) answer 404 (not found) or 400 (invalid); which one is recorded.',
    requirements: [req('end-3', 'MUST', 'If the manifest is not found in the repository, the response code MUST be 404 Not Found (400 is accepted too: the <tag-or-digest> MUST NOT be in any other format than a digest or a tag).')],
    kind: 'manifests', ref: () => '.INVALID_MANIFEST_NAME', what: 'the tag .INVALID_MANIFEST_NAME, outside the tag grammar', statuses: [404, 400], codes: [], observe: 'invalid-tag',
  },
  {
    id: 'pull.manifest.unknown-digest',
    title: 'GET and HEAD of a manifest digest that does not exist answer 404 (MANIFEST_UNKNOWN when the body is JSON).',
    requirements: [END3_404, MANIFEST_UNKNOWN],
    kind: 'manifests', ref: absentDigest, what: 'an unknown manifest digest', statuses: [404], codes: ['MANIFEST_UNKNOWN'],
  },
];

const BLOB_NOT_FOUND: NotFoundRow = {
  id: 'pull.blob.unknown',
  title: 'GET and HEAD of a blob that does not exist answer 404 (BLOB_UNKNOWN when the body is JSON).',
  requirements: [req('end-2', 'MUST', 'If the blob is not found in the repository, the response code MUST be 404 Not Found.'), tableCode('code-1', 'BLOB_UNKNOWN', 'blob unknown to registry')],
  kind: 'blobs', ref: absentDigest, what: 'an unknown blob', statuses: [404], codes: ['BLOB_UNKNOWN'],
};

/** Manifests are asked for with the usual Accept list, blobs without Accept. */
function acceptOf(kind: 'manifests' | 'blobs'): Record<string, string> | undefined {
  return kind === 'manifests' ? { accept: ACCEPT_MANIFESTS } : undefined;
}

function notFoundCase(row: NotFoundRow): CaseDefinition {
  return pullCase(row, async (ctx, f) => {
    const path = `/v2/${f.repo}/${row.kind}/${row.ref()}`;
    for (const method of ['HEAD', 'GET'] as const) {
      const res = await request(ctx, method, path, acceptOf(row.kind));
      if (row.observe !== undefined) ctx.observe(`${row.observe}-${method.toLowerCase()}`, res.status);
      await expectStatus(res, row.statuses, `${method} of ${row.what}`);
      if (method === 'HEAD') await res.dump();
      else await checkErrorBody(ctx, res, row.codes, { allowNonJson: true });
    }
  });
}

/**
 * GET and HEAD of the blob: 200 and its size; a GET carries exactly its bytes and a Docker-Content-Digest,
 * when present, that is their digest. A HEAD has no body for BLOB_DIGEST_VALUE's MUST: its
 * Docker-Content-Digest is checked by pull.blob.headers (SHOULD in 1.1) and headers-required (MUST in the draft).
 */
const BLOB_FETCHES: ReadonlyArray<CaseMeta & { method: 'GET' | 'HEAD' }> = [
  { id: 'pull.blob.get', title: 'GET of a blob answers 200 with exactly its bytes, and a Docker-Content-Digest header, when present, is their digest.', requirements: [END2_GET, BLOB_DIGEST_VALUE], method: 'GET' },
  { id: 'pull.blob.head', title: 'HEAD of a blob answers 200 with no body, its size in Content-Length when present.', requirements: [END2_HEAD], method: 'HEAD' },
];

function blobFetchCase(row: (typeof BLOB_FETCHES)[number]): CaseDefinition {
  return pullCase(row, async (ctx, f) => {
    const b = f.blob;
    const res = await request(ctx, row.method, `/v2/${f.repo}/blobs/${b.digest}`);
    await expectStatus(res, 200, `${row.method} of an existing blob`);
    expectContentLengthIfPresent(res, b.size, `${row.method} blob`);
    if (row.method === 'HEAD') return res.dump();
    expectDigestHeaderMatches(res, b, 'GET blob');
    if (b.bytes) await expectBytes(res, b.bytes, 'GET blob');
    else await expectBodyDigest(res, b.digest, b.size, 'GET blob');
  });
}

// What the cases below cite.
const CONTENT_TYPE_AS_PUSHED = req('Pulling manifests', 'SHOULD', "The Content-Type header SHOULD match what the client pushed as the manifest's Content-Type.");
const CONTENT_TYPE_NO_PARAMETERS = req('Pulling manifests', 'SHOULD', 'The registry SHOULD NOT include parameters on the Content-Type header.');
const MALFORMED_NOT_FOUND = req('end-2, end-3', 'MUST', 'If the blob or manifest is not found in the repository, the response code MUST be 404 Not Found (nothing can be found under a malformed digest; 400 is accepted too, see below).');
const DIGEST_INVALID_400 = req('Pushing blobs / API', 'SHOULD', 'If the client provided digest is invalid or uses an unsupported algorithm, the registry SHOULD respond with a response code 400 Bad Request.');
const REPOSITORY_404 = req('Pushing Manifests', 'MUST', 'An attempt to pull a nonexistent repository MUST return response code 404 Not Found.');
const NAME_UNKNOWN = tableCode('code-9', 'NAME_UNKNOWN', 'repository name not known to registry');

// Upper-case hex is forbidden for sha256; the other two break the encoding's length and alphabet.
const MALFORMED_DIGESTS = [`sha256:${'A'.repeat(64)}`, 'sha256:abc', `sha256:${'z'.repeat(64)}`];

const cases: CaseDefinition[] = [
  ...MANIFEST_FETCHES.map(manifestFetchCase),
  headersCase('manifest', false),
  headersCase('manifest', true),
  pullCase(
    {
      id: 'pull.manifest.content-type',
      title: 'A pulled manifest comes with the Content-Type it was pushed with, without parameters.',
      requirements: [CONTENT_TYPE_AS_PUSHED, CONTENT_TYPE_NO_PARAMETERS],
    },
    async (ctx, f) => {
      for (const m of f.manifests) {
        for (const method of ['GET', 'HEAD'] as const) {
          const res = await request(ctx, method, manifestPath(f.repo, m.digest), { accept: acceptFor(m) });
          await expectStatus(res, 200, `${method} ${m.label} manifest`);
          await res.dump();
          const ct = res.header('content-type');
          if (ct === undefined) fail(`${method} ${m.label} manifest: Content-Type ${m.mediaType}`, 'no Content-Type header', res);
          const [type, ...params] = ct.split(';').map((s) => s.trim());
          expectThat(type === m.mediaType, `${method} ${m.label} manifest: Content-Type ${m.mediaType}`, `Content-Type: ${ct}`, res);
          expectThat(params.length === 0, `${method} ${m.label} manifest: Content-Type without parameters`, `Content-Type: ${ct}`, res);
        }
      }
    },
  ),
  ...ACCEPT_VARIANTS.map(acceptVariantCase),
  ...MANIFEST_NOT_FOUND.map(notFoundCase),
  ...BLOB_FETCHES.map(blobFetchCase),
  headersCase('blob', false),
  headersCase('blob', true),
  notFoundCase(BLOB_NOT_FOUND),
  pullCase(
    {
      id: 'pull.digest.malformed',
      title: 'GET and HEAD of a manifest or blob by a malformed digest answer a client error (400 or 404), never a server error.',
      requirements: [MALFORMED_NOT_FOUND, DIGEST_INVALID_400],
    },
    async (ctx, f) => {
      for (const d of MALFORMED_DIGESTS) {
        for (const kind of ['manifests', 'blobs'] as const) {
          for (const method of ['GET', 'HEAD'] as const) {
            const res = await request(ctx, method, `/v2/${f.repo}/${kind}/${d}`, acceptOf(kind));
            await expectStatus(res, [400, 404], `${method} ${kind} by the malformed digest ${d}`);
            await res.dump();
          }
        }
      }
    },
  ),
  pullCase(
    {
      id: 'pull.repository.unknown',
      title: 'Pulling a manifest or a blob from a repository that never existed answers 404.',
      requirements: [REPOSITORY_404, NAME_UNKNOWN],
    },
    async (ctx, f) => {
      const repo = ctx.freshRepo('never-pushed');
      const m = f.manifests[0]!;
      // Each request, and the codes a JSON body of a GET may carry (HEADs have no body).
      const attempts: Array<{ method: 'GET' | 'HEAD'; path: string; codes: ErrorCode[] }> = [
        { method: 'GET', path: manifestPath(repo, 'latest'), codes: ['NAME_UNKNOWN', 'MANIFEST_UNKNOWN'] },
        { method: 'GET', path: manifestPath(repo, m.digest), codes: ['NAME_UNKNOWN', 'MANIFEST_UNKNOWN'] },
        { method: 'HEAD', path: manifestPath(repo, m.digest), codes: [] },
        { method: 'GET', path: `/v2/${repo}/blobs/${f.blob.digest}`, codes: ['NAME_UNKNOWN', 'BLOB_UNKNOWN'] },
        { method: 'HEAD', path: `/v2/${repo}/blobs/${f.blob.digest}`, codes: [] },
      ];
      for (const a of attempts) {
        const res = await request(ctx, a.method, a.path, { accept: ACCEPT_MANIFESTS });
        await expectStatus(res, 404, `${a.method} in a repository that never existed`);
        if (a.codes.length > 0) await checkErrorBody(ctx, res, a.codes, { allowNonJson: true });
        else await res.dump();
      }
    },
  ),
];

/** Pushes the fixtures (normal mode). */
async function pushFixtures(ctx: CaseContext): Promise<PullFixtures> {
  const repo = ctx.repo;
  const image = makeImage({ layerSizes: [2048, 700] });
  const sibling = makeImage({ layerSizes: [512] });
  const index = makeIndex([image, sibling]);
  const docker = makeImage({ format: 'docker', layerSizes: [1024] });
  await pushImage(ctx, repo, image, 'image');
  await pushImage(ctx, repo, sibling);
  await pushImage(ctx, repo, index, 'index');
  await pushImage(ctx, repo, docker, 'docker');
  const layer = image.blobs[1]!;
  const fx = (label: string, tag: string, m: typeof image): ManifestFixture => ({ label, tag, digest: m.digest, bytes: m.bytes, mediaType: m.mediaType });
  return {
    repo,
    manifests: [fx('image', 'image', image), fx('index', 'index', index), fx('docker schema 2', 'docker', docker)],
    blob: { digest: layer.digest, size: layer.size, bytes: layer.bytes },
  };
}

export const pullSuite: Suite = {
  workflow: 'pull',
  title: 'Pull manifests and blobs',
  setup: fixturesSetup(fixtures, (_ctx, ex) => ({ repo: ex.repo, manifests: [{ label: 'existing', ...ex.manifest }], blob: ex.blob }), pushFixtures),
  cases,
};
