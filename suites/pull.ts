// Pull: manifests and blobs by tag and digest, GET and HEAD, the headers a pull relies on, 404s,
// content negotiation. Setup pushes an image, an index and a Docker schema 2 manifest; with
// --read-only it uses the content named by --tag/--digest instead and pushes nothing.
import { randomBytes } from 'node:crypto';
import type { CaseContext, CaseDefinition, Requirement, Suite } from '../src/conformance/model.js';
import type { RegistryResponse } from '../src/client/registry-client.js';
import { ACCEPT_MANIFESTS } from '../src/client/operations.js';
import { makeImage, makeIndex } from '../src/conformance/fixtures.js';
import { pushImage } from './common/content.js';
import { checkErrorBody } from './common/error-body.js';
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
import { loadExistingContent } from '../src/conformance/existing-content.js';

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

const KEY = 'pull';

function fixtures(ctx: CaseContext): PullFixtures {
  const f = ctx.state.get(KEY) as PullFixtures | undefined;
  if (!f) throw new Error('pull fixtures missing: suite setup did not run');
  return f;
}

function tagged(ctx: CaseContext): ManifestFixture[] {
  const list = fixtures(ctx).manifests.filter((m) => m.tag !== undefined);
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
const END3_GET: Requirement = {
  ref: 'end-3',
  level: 'MUST',
  text: 'A GET request to an existing manifest URL MUST provide the expected manifest, with a response code that MUST be 200 OK.',
};
const END3_HEAD: Requirement = { ref: 'end-3', level: 'MUST', text: 'A HEAD request to an existing blob or manifest URL MUST return 200 OK.' };
const END2_GET: Requirement = {
  ref: 'end-2',
  level: 'MUST',
  text: 'A GET request to an existing blob URL MUST provide the expected blob, with a response code that MUST be 200 OK.',
};
const END2_HEAD: Requirement = { ref: 'end-2', level: 'MUST', text: 'A HEAD request to an existing blob or manifest URL MUST return 200 OK.' };
const BLOB_DIGEST_VALUE: Requirement = {
  ref: 'Pulling blobs',
  level: 'MUST',
  text: 'If present, the value of this header [Docker-Content-Digest] MUST be a digest matching that of the response body.',
};

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
      const f = fixtures(ctx);
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

const cases: CaseDefinition[] = [
  {
    id: 'pull.manifest.get-by-tag',
    title: 'GET of a manifest by tag answers 200 with exactly the bytes that were pushed.',
    requirements: [END3_GET],
    readOnly: true,
    async run(ctx) {
      const f = fixtures(ctx);
      for (const m of tagged(ctx)) {
        const res = await request(ctx, 'GET', manifestPath(f.repo, m.tag!), { accept: acceptFor(m) });
        await expectStatus(res, 200, `GET ${m.label} manifest by tag`);
        expectContentLengthIfPresent(res, m.bytes.length, `GET ${m.label} manifest by tag`);
        await expectBytes(res, m.bytes, `GET ${m.label} manifest by tag`);
      }
    },
  },
  {
    id: 'pull.manifest.get-by-digest',
    title: 'GET of a manifest by digest answers 200 with exactly the bytes that were pushed.',
    requirements: [END3_GET],
    readOnly: true,
    async run(ctx) {
      const f = fixtures(ctx);
      for (const m of f.manifests) {
        const res = await request(ctx, 'GET', manifestPath(f.repo, m.digest), { accept: acceptFor(m) });
        await expectStatus(res, 200, `GET ${m.label} manifest by digest`);
        expectContentLengthIfPresent(res, m.bytes.length, `GET ${m.label} manifest by digest`);
        await expectBytes(res, m.bytes, `GET ${m.label} manifest by digest`);
      }
    },
  },
  {
    id: 'pull.manifest.head-by-tag',
    title: 'HEAD of a manifest by tag answers 200 with no body.',
    requirements: [END3_HEAD],
    readOnly: true,
    async run(ctx) {
      const f = fixtures(ctx);
      for (const m of tagged(ctx)) {
        const res = await request(ctx, 'HEAD', manifestPath(f.repo, m.tag!), { accept: acceptFor(m) });
        await expectStatus(res, 200, `HEAD ${m.label} manifest by tag`);
        expectContentLengthIfPresent(res, m.bytes.length, `HEAD ${m.label} manifest by tag`);
        // Its Docker-Content-Digest: pull.manifest.headers (SHOULD in 1.1), headers-required (MUST in the draft).
        await res.dump();
      }
    },
  },
  {
    id: 'pull.manifest.head-by-digest',
    title: 'HEAD of a manifest by digest answers 200 with no body.',
    requirements: [END3_HEAD],
    readOnly: true,
    async run(ctx) {
      const f = fixtures(ctx);
      for (const m of f.manifests) {
        const res = await request(ctx, 'HEAD', manifestPath(f.repo, m.digest), { accept: acceptFor(m) });
        await expectStatus(res, 200, `HEAD ${m.label} manifest by digest`);
        expectContentLengthIfPresent(res, m.bytes.length, `HEAD ${m.label} manifest by digest`);
        // Its Docker-Content-Digest: pull.manifest.headers (SHOULD in 1.1), headers-required (MUST in the draft).
        await res.dump();
      }
    },
  },
  headersCase('manifest', false),
  headersCase('manifest', true),
  {
    id: 'pull.manifest.content-type',
    title: 'A pulled manifest comes with the Content-Type it was pushed with, without parameters.',
    requirements: [
      { ref: 'Pulling manifests', level: 'SHOULD', text: "The Content-Type header SHOULD match what the client pushed as the manifest's Content-Type." },
      { ref: 'Pulling manifests', level: 'SHOULD', text: 'The registry SHOULD NOT include parameters on the Content-Type header.' },
    ],
    readOnly: true,
    async run(ctx) {
      const f = fixtures(ctx);
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
  },
  {
    id: 'pull.manifest.accept-list',
    title: 'A GET whose Accept header lists several manifest types, the stored one among them, answers 200 with the stored manifest.',
    requirements: [
      END3_GET,
      { ref: 'Pulling manifests', level: 'SHOULD', text: 'The client SHOULD include an Accept header indicating which manifest content types it supports.' },
    ],
    readOnly: true,
    async run(ctx) {
      const f = fixtures(ctx);
      for (const m of f.manifests) {
        // Stored type last and weighted, as clients that prefer another type send it.
        const others = MANIFEST_MEDIA_TYPES.filter((t) => t !== m.mediaType);
        const accept = [...others, `${m.mediaType};q=0.5`].join(', ');
        const res = await request(ctx, 'GET', manifestPath(f.repo, m.digest), { accept });
        await expectStatus(res, 200, `GET ${m.label} manifest with Accept: ${accept}`);
        await expectBytes(res, m.bytes, `GET ${m.label} manifest with a list of accepted types`);
      }
    },
  },
  {
    id: 'pull.manifest.no-accept',
    title: 'A GET of a manifest by digest without an Accept header answers 200 with the stored manifest.',
    requirements: [
      {
        ref: 'API (RFC 9110 section 12.5.1)',
        level: 'SHOULD',
        text: 'Where this specification does not define specific behavior, implementations SHOULD follow the HTTP semantics defined in RFC 9110 (a request without Accept accepts any media type).',
      },
    ],
    since: 'draft',
    readOnly: true,
    async run(ctx) {
      const f = fixtures(ctx);
      for (const m of f.manifests) {
        const res = await request(ctx, 'GET', manifestPath(f.repo, m.digest));
        await expectStatus(res, 200, `GET ${m.label} manifest by digest without Accept`);
        await expectBytes(res, m.bytes, `GET ${m.label} manifest without Accept`);
      }
    },
  },
  {
    id: 'pull.manifest.unknown-tag',
    title: 'GET and HEAD of a tag that does not exist answer 404 (MANIFEST_UNKNOWN when the body is JSON).',
    requirements: [
      { ref: 'end-3', level: 'MUST', text: 'If the manifest is not found in the repository, the response code MUST be 404 Not Found.' },
      { ref: 'code-7', level: 'SHOULD', text: 'MANIFEST_UNKNOWN: manifest unknown to registry (the table\'s code; the MUST is only that a code is one of the table)' },
    ],
    readOnly: true,
    async run(ctx) {
      const f = fixtures(ctx);
      const path = manifestPath(f.repo, absentTag());
      const head = await request(ctx, 'HEAD', path, { accept: ACCEPT_MANIFESTS });
      await expectStatus(head, 404, 'HEAD of an unknown tag');
      await head.dump();
      const get = await request(ctx, 'GET', path, { accept: ACCEPT_MANIFESTS });
      await expectStatus(get, 404, 'GET of an unknown tag');
      await checkErrorBody(ctx, get, ['MANIFEST_UNKNOWN'], { allowNonJson: true });
    },
  },
  {
    id: 'pull.manifest.invalid-tag',
    title: 'GET and HEAD of a tag outside the tag grammar (.INVALID_MANIFEST_NAME) answer 404 (not found) or 400 (invalid); which one is recorded.',
    requirements: [
      { ref: 'end-3', level: 'MUST', text: 'If the manifest is not found in the repository, the response code MUST be 404 Not Found (400 is accepted too: the <tag-or-digest> MUST NOT be in any other format than a digest or a tag).' },
    ],
    readOnly: true,
    async run(ctx) {
      const f = fixtures(ctx);
      const path = manifestPath(f.repo, '.INVALID_MANIFEST_NAME');
      const head = await request(ctx, 'HEAD', path, { accept: ACCEPT_MANIFESTS });
      await head.dump();
      ctx.observe('invalid-tag-head', head.status);
      await expectStatus(head, [404, 400], 'HEAD of the tag .INVALID_MANIFEST_NAME, outside the tag grammar');
      const get = await request(ctx, 'GET', path, { accept: ACCEPT_MANIFESTS });
      ctx.observe('invalid-tag-get', get.status);
      await expectStatus(get, [404, 400], 'GET of the tag .INVALID_MANIFEST_NAME, outside the tag grammar');
      await checkErrorBody(ctx, get, [], { allowNonJson: true });
    },
  },
  {
    id: 'pull.manifest.unknown-digest',
    title: 'GET and HEAD of a manifest digest that does not exist answer 404 (MANIFEST_UNKNOWN when the body is JSON).',
    requirements: [
      { ref: 'end-3', level: 'MUST', text: 'If the manifest is not found in the repository, the response code MUST be 404 Not Found.' },
      { ref: 'code-7', level: 'SHOULD', text: 'MANIFEST_UNKNOWN: manifest unknown to registry (the table\'s code; the MUST is only that a code is one of the table)' },
    ],
    readOnly: true,
    async run(ctx) {
      const f = fixtures(ctx);
      const path = manifestPath(f.repo, absentDigest());
      const head = await request(ctx, 'HEAD', path, { accept: ACCEPT_MANIFESTS });
      await expectStatus(head, 404, 'HEAD of an unknown manifest digest');
      await head.dump();
      const get = await request(ctx, 'GET', path, { accept: ACCEPT_MANIFESTS });
      await expectStatus(get, 404, 'GET of an unknown manifest digest');
      await checkErrorBody(ctx, get, ['MANIFEST_UNKNOWN'], { allowNonJson: true });
    },
  },
  {
    id: 'pull.blob.get',
    title: 'GET of a blob answers 200 with exactly its bytes, and a Docker-Content-Digest header, when present, is their digest.',
    requirements: [END2_GET, BLOB_DIGEST_VALUE],
    readOnly: true,
    async run(ctx) {
      const f = fixtures(ctx);
      const b = f.blob;
      const res = await request(ctx, 'GET', `/v2/${f.repo}/blobs/${b.digest}`);
      await expectStatus(res, 200, 'GET of an existing blob');
      expectContentLengthIfPresent(res, b.size, 'GET blob');
      expectDigestHeaderMatches(res, b, 'GET blob');
      if (b.bytes) await expectBytes(res, b.bytes, 'GET blob');
      else await expectBodyDigest(res, b.digest, b.size, 'GET blob');
    },
  },
  {
    id: 'pull.blob.head',
    title: 'HEAD of a blob answers 200 with no body, its size in Content-Length when present.',
    requirements: [END2_HEAD],
    readOnly: true,
    async run(ctx) {
      const f = fixtures(ctx);
      const res = await request(ctx, 'HEAD', `/v2/${f.repo}/blobs/${f.blob.digest}`);
      await expectStatus(res, 200, 'HEAD of an existing blob');
      expectContentLengthIfPresent(res, f.blob.size, 'HEAD blob');
      // A HEAD has no body for BLOB_DIGEST_VALUE's MUST: its Docker-Content-Digest is checked by
      // pull.blob.headers (SHOULD in 1.1) and headers-required (MUST in the draft).
      await res.dump();
    },
  },
  headersCase('blob', false),
  headersCase('blob', true),
  {
    id: 'pull.blob.unknown',
    title: 'GET and HEAD of a blob that does not exist answer 404 (BLOB_UNKNOWN when the body is JSON).',
    requirements: [
      { ref: 'end-2', level: 'MUST', text: 'If the blob is not found in the repository, the response code MUST be 404 Not Found.' },
      { ref: 'code-1', level: 'SHOULD', text: 'BLOB_UNKNOWN: blob unknown to registry (the table\'s code; the MUST is only that a code is one of the table)' },
    ],
    readOnly: true,
    async run(ctx) {
      const f = fixtures(ctx);
      const path = `/v2/${f.repo}/blobs/${absentDigest()}`;
      const head = await request(ctx, 'HEAD', path);
      await expectStatus(head, 404, 'HEAD of an unknown blob');
      await head.dump();
      const get = await request(ctx, 'GET', path);
      await expectStatus(get, 404, 'GET of an unknown blob');
      await checkErrorBody(ctx, get, ['BLOB_UNKNOWN'], { allowNonJson: true });
    },
  },
  {
    id: 'pull.digest.malformed',
    title: 'GET and HEAD of a manifest or blob by a malformed digest answer a client error (400 or 404), never a server error.',
    requirements: [
      {
        ref: 'end-2, end-3',
        level: 'MUST',
        text: 'If the blob or manifest is not found in the repository, the response code MUST be 404 Not Found (nothing can be found under a malformed digest; 400 is accepted too, see below).',
      },
      {
        ref: 'Pushing blobs / API',
        level: 'SHOULD',
        text: 'If the client provided digest is invalid or uses an unsupported algorithm, the registry SHOULD respond with a response code 400 Bad Request.',
      },
    ],
    readOnly: true,
    async run(ctx) {
      const f = fixtures(ctx);
      // Upper-case hex is forbidden for sha256; the other two break the encoding's length and alphabet.
      const malformed = [`sha256:${'A'.repeat(64)}`, 'sha256:abc', `sha256:${'z'.repeat(64)}`];
      for (const d of malformed) {
        for (const kind of ['manifests', 'blobs'] as const) {
          for (const method of ['GET', 'HEAD'] as const) {
            const res = await request(ctx, method, `/v2/${f.repo}/${kind}/${d}`, kind === 'manifests' ? { accept: ACCEPT_MANIFESTS } : undefined);
            await expectStatus(res, [400, 404], `${method} ${kind} by the malformed digest ${d}`);
            await res.dump();
          }
        }
      }
    },
  },
  {
    id: 'pull.repository.unknown',
    title: 'Pulling a manifest or a blob from a repository that never existed answers 404.',
    requirements: [
      { ref: 'Pushing Manifests', level: 'MUST', text: 'An attempt to pull a nonexistent repository MUST return response code 404 Not Found.' },
      { ref: 'code-9', level: 'SHOULD', text: 'NAME_UNKNOWN: repository name not known to registry (the table\'s code; the MUST is only that a code is one of the table)' },
    ],
    readOnly: true,
    async run(ctx) {
      const f = fixtures(ctx);
      const repo = ctx.freshRepo('never-pushed');
      const m = f.manifests[0]!;
      const attempts: Array<{ method: 'GET' | 'HEAD'; path: string; codes: Array<'NAME_UNKNOWN' | 'MANIFEST_UNKNOWN' | 'BLOB_UNKNOWN'> }> = [
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
  },
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
  async setup(ctx) {
    if (ctx.readOnly) {
      const ex = await loadExistingContent(ctx);
      ctx.state.set(KEY, { repo: ex.repo, manifests: [{ label: 'existing', ...ex.manifest }], blob: ex.blob } satisfies PullFixtures);
    } else ctx.state.set(KEY, await pushFixtures(ctx));
  },
  cases,
};
