// Error codes (spec "Error Codes", code-1 .. code-14): each code is provoked where a client can provoke
// it, and the answer's status and body checked. A 4XX body MAY be in any format: when it is not JSON the
// code cannot be seen and the case is skipped; a JSON body MUST have the spec's shape and codes.
// UNAUTHORIZED is provoked only on a registry that asks for credentials; DENIED and TOOMANYREQUESTS
// cannot be provoked safely by one identity without load, so they are skipped with the reason.
import { randomBytes } from 'node:crypto';
import type { CaseContext, CaseDefinition, Requirement, Suite } from '../src/conformance/model.js';
import { expectHeader, expectStatus, expectThat } from '../src/conformance/expect.js';
import { makeArtifact, makeImage, uniqueBytes, type Manifest } from '../src/conformance/fixtures.js';
import { ACCEPT_MANIFESTS, startUpload, uploadBlobPostPut } from '../src/client/operations.js';
import { digestOf } from '../src/oci/digest.js';
import { MediaType } from '../src/oci/media-types.js';
import type { ErrorCode } from '../src/oci/errors.js';
import { checkErrorBody, codeRequirement, ERROR_CODES_SECTION } from './common/error-body.js';
import { pushBlobs, pushImage, sendManifest, trackBlob, trackManifest, unknownDigest } from './common/content.js';
import { expectClientError } from './common/refusal.js';
import { cancelIfOpened, cancelLater, patchChunk, putBlob } from './common/upload-requests.js';

// The spec's sentences the cases cite, named once (the code entries come from codeRequirement).
const NOT_FOUND_BLOB: Requirement = { ref: 'end-2', level: 'MUST', text: 'If the blob is not found in the repository, the response code MUST be 404 Not Found' };
const NOT_FOUND_MANIFEST: Requirement = { ref: 'end-3', level: 'MUST', text: 'If the manifest is not found in the repository, the response code MUST be 404 Not Found' };
const OUT_OF_ORDER_416: Requirement = { ref: 'end-5', level: 'MUST', text: 'If a chunk is uploaded out of order, the registry MUST respond with a 416 Requested Range Not Satisfiable code' };
const OUT_OF_ORDER_ANY_CODE: Requirement = { ref: 'code-2', level: 'MAY', text: 'BLOB_UPLOAD_INVALID: blob upload invalid. The spec assigns no code to an out-of-order chunk, so any code of the table is legal' };
const FINISHED_SESSION_404: Requirement = { ref: 'end-13', level: 'SHOULD', text: 'GET <location>: 204 for an active upload; the endpoint table lists 404 as its failure (a table, not a MUST sentence)' };
const BLOB_PUT_DIGEST: Requirement = { ref: 'end-6', level: 'MUST', text: 'PUT <location>?digest=<digest>: 201 on success, 400 on failure; the <digest> MUST match the blob\'s digest' };
const MANIFEST_PUT_DIGEST: Requirement = { ref: 'end-7', level: 'MUST', text: 'the Docker-Content-Digest of an uploaded manifest MUST be equal to the client provided digest' };
const MISSING_BLOB_MAY_REJECT: Requirement = { ref: 'push', level: 'MAY', text: 'A registry MAY reject a manifest ... with descriptors ... that reference a manifest or blob that does not exist in the registry' };
const MISSING_BLOB_CODE: Requirement = { ref: 'code-5', level: 'MUST', text: 'When a manifest is rejected for this reason, it MUST result in one or more MANIFEST_BLOB_UNKNOWN errors' };
const UNPARSABLE_CODE: Requirement = { ref: 'code-6', level: 'SHOULD', text: 'MANIFEST_INVALID: manifest invalid. The spec lists the code but no sentence requires refusing an unparsable manifest' };
const UNPARSABLE_4XX: Requirement = { ref: 'end-7', level: 'SHOULD', text: 'PUT /v2/<name>/manifests/<reference>: failure 4XX (the endpoint table)' };
const NAME_GRAMMAR: Requirement = { ref: 'pulling-manifests', level: 'SHOULD', text: '<name> MUST match [a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(\\/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)* (a rule for names, not a requirement to refuse others)' };
const TAGS_LIST_404: Requirement = { ref: 'end-8a', level: 'SHOULD', text: 'GET /v2/<name>/tags/list: 200 assuming a repository is found; the endpoint table lists 404 as its failure (a table, not a MUST sentence)' };
const CHUNK_LENGTH_SHOULD: Requirement = { ref: 'end-5', level: 'SHOULD', text: 'The <range> refers to the byte range of the chunk ... The <length> is the content-length, in bytes, of the current chunk (no MUST requires the check)' };
const PING_401: Requirement = { ref: 'end-1', level: 'MUST', text: 'GET /v2/ failure: 404/401; this endpoint MAY be used for authentication/authorization' };
const UNSUPPORTED_ANY_CODE: Requirement = { ref: 'code-13', level: 'MAY', text: 'UNSUPPORTED: the operation is unsupported. The spec asks for 400 or 405 here, not a particular code' };
const WWW_AUTHENTICATE_401: Requirement = { ref: 'RFC 7235 3.1', level: 'MUST', text: 'a 401 response MUST send a WWW-Authenticate header' };

interface Target {
  repo: string;
}

/** The repository reads go to: this run's (setup pushed an image) or, read-only, --tag/--digest's. */
function readTarget(ctx: CaseContext): Target {
  if (!ctx.readOnly) return { repo: ctx.repo };
  if (!ctx.existing) ctx.skip('read-only', 'in --read-only mode this case reads the repository named by --tag/--digest; none was given');
  return { repo: ctx.existing.repo };
}

/** Opens an upload session and registers its cancellation (draft end-14; best effort). */
async function openSession(ctx: CaseContext, repo: string): Promise<string> {
  const { location } = await startUpload(ctx.client, repo);
  cancelLater(ctx, location);
  return location;
}

function nonceTag(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A GET of something the repository lacks: 404 and the error body's `code` (the requirements: notFound, the code's entry, the error-codes MUST). */
interface NotFoundRow {
  id: string;
  title: string;
  notFound: Requirement;
  code: ErrorCode;
  /** The path of the GET, in `repo`. */
  path: (repo: string) => string;
  /** Sends the manifest Accept list. */
  manifest?: true;
  /** Reads a repository that never existed (also read-only) instead of readTarget's; the 404 is only the endpoint table's (SHOULD), for `what`. */
  neverPushed?: { what: string };
}

function notFoundCase(row: NotFoundRow): CaseDefinition {
  return {
    id: row.id,
    title: row.title,
    requirements: [row.notFound, codeRequirement(row.code), ERROR_CODES_SECTION],
    readOnly: true,
    async run(ctx) {
      const repo = row.neverPushed ? ctx.freshRepo('never-pushed') : readTarget(ctx).repo;
      const res = await ctx.client.request({ method: 'GET', path: row.path(repo), ...(row.manifest ? { headers: { accept: ACCEPT_MANIFESTS } } : {}) });
      await expectStatus(res, 404, row.neverPushed?.what, row.neverPushed ? 'SHOULD' : undefined);
      await checkErrorBody(ctx, res, [row.code]);
    },
  };
}

/** Where deleting a tag (end-9) or a blob (end-10) is disabled: 400 or 405, any table code (recorded). `create` pushes one and returns its path. */
function refusedDeleteCase(kind: 'tag' | 'blob', ref: string, create: (ctx: CaseContext) => Promise<string>): CaseDefinition {
  return {
    id: `errors.unsupported.${kind}-delete-refused`,
    title: `Where deleting a ${kind} is refused, it is with 400 or 405, and a JSON body carries a code from the spec's table (recorded; UNSUPPORTED fits, none is prescribed).`,
    requirements: [
      { ref, level: 'MUST', text: `If ${kind} deletion is disabled, the registry MUST respond with either a 400 Bad Request or a 405 Method Not Allowed` },
      UNSUPPORTED_ANY_CODE,
      ERROR_CODES_SECTION,
    ],
    async run(ctx) {
      const res = await ctx.client.request({ method: 'DELETE', path: await create(ctx) });
      if (res.status === 202) {
        await res.dump();
        ctx.observe(`${kind}-delete`, 'enabled');
        ctx.skip('unsupported', `${kind} deletion is enabled (202), so UNSUPPORTED cannot be provoked this way`);
      }
      await expectStatus(res, [400, 405], `DELETE of a ${kind}`);
      ctx.observe('status', res.status);
      await checkErrorBody(ctx, res, [], { allowNonJson: true });
    },
  };
}

/** A code one identity cannot provoke safely: the case is listed, and skipped saying `why`. */
function unprovokedCase(id: string, title: string, code: ErrorCode, why: string): CaseDefinition {
  return {
    id,
    title,
    requirements: [codeRequirement(code), ERROR_CODES_SECTION],
    readOnly: true,
    async run(ctx) {
      ctx.skip('unsupported', why);
    },
  };
}

const cases: CaseDefinition[] = [
  notFoundCase({ id: 'errors.blob-unknown.get', title: 'GET of a blob the repository does not have answers 404 with code BLOB_UNKNOWN.', notFound: NOT_FOUND_BLOB, code: 'BLOB_UNKNOWN', path: (repo) => `/v2/${repo}/blobs/${unknownDigest()}` }),
  {
    id: 'errors.blob-upload-invalid.out-of-order',
    title: 'A PATCH chunk that does not start where the upload ends answers 416; a JSON body carries a code from the spec\'s table (recorded; BLOB_UPLOAD_INVALID fits, none is prescribed).',
    requirements: [OUT_OF_ORDER_416, OUT_OF_ORDER_ANY_CODE, ERROR_CODES_SECTION],
    async run(ctx) {
      const location = await openSession(ctx, ctx.repo);
      const first = await patchChunk(ctx, location, '0-9', uniqueBytes(10));
      await expectStatus(first, 202, 'first chunk 0-9');
      await first.dump();
      const res = await patchChunk(ctx, first.header('location') ?? location, '20-29', uniqueBytes(10));
      await expectStatus(res, 416, 'chunk 20-29 after 0-9');
      // No code is prescribed here: any code of the table passes and is recorded (error-codes).
      await checkErrorBody(ctx, res, [], { allowNonJson: true });
    },
  },
  {
    id: 'errors.blob-upload-unknown.finished-session',
    title: 'GET of an upload session that was already completed answers 404 with code BLOB_UPLOAD_UNKNOWN.',
    requirements: [FINISHED_SESSION_404, codeRequirement('BLOB_UPLOAD_UNKNOWN'), ERROR_CODES_SECTION],
    async run(ctx) {
      const data = uniqueBytes(32);
      const digest = digestOf(data);
      const { location } = await startUpload(ctx.client, ctx.repo);
      const put = await putBlob(ctx, location, digest, data);
      await expectStatus(put, 201, 'completing the upload');
      await put.dump();
      trackBlob(ctx, ctx.repo, digest);
      const res = await ctx.client.request({ method: 'GET', path: location });
      await expectStatus(res, 404, 'GET of the completed session', 'SHOULD');
      await checkErrorBody(ctx, res, ['BLOB_UPLOAD_UNKNOWN']);
    },
  },
  {
    id: 'errors.digest-invalid.blob-put',
    title: 'Completing an upload with a digest that does not match the bytes answers 400 with code DIGEST_INVALID and stores nothing under that digest.',
    requirements: [BLOB_PUT_DIGEST, codeRequirement('DIGEST_INVALID'), ERROR_CODES_SECTION],
    async run(ctx) {
      const data = uniqueBytes(48);
      const claimed = digestOf(uniqueBytes(48));
      const res = await putBlob(ctx, await openSession(ctx, ctx.repo), claimed, data);
      if (res.status === 201) trackBlob(ctx, ctx.repo, claimed);
      await expectStatus(res, 400, 'a digest that does not match the uploaded bytes');
      await checkErrorBody(ctx, res, ['DIGEST_INVALID'], { allowNonJson: true });
      await expectNothingAt(ctx, `/v2/${ctx.repo}/blobs/${claimed}`, 'HEAD of the claimed digest: 404 (nothing stored)');
    },
  },
  {
    id: 'errors.digest-invalid.manifest-put',
    title: 'PUT of a manifest to a digest that is not the digest of its bytes is refused with code DIGEST_INVALID.',
    requirements: [MANIFEST_PUT_DIGEST, codeRequirement('DIGEST_INVALID'), ERROR_CODES_SECTION],
    async run(ctx) {
      const m = makeImage({ layerSizes: [32] });
      await pushBlobs(ctx, ctx.repo, m);
      const wrong = digestOf(Buffer.concat([m.bytes, Buffer.from(' ')]));
      const res = await sendManifest(ctx, ctx.repo, wrong, m.bytes, m.mediaType);
      if (res.status < 300) {
        trackManifest(ctx, ctx.repo, wrong);
        trackManifest(ctx, ctx.repo, m.digest);
      }
      await expectClientError(ctx, res, 'a 4XX refusal (400)', ['DIGEST_INVALID'], { allowNonJson: true });
      await expectNothingAt(ctx, `/v2/${ctx.repo}/manifests/${wrong}`, 'HEAD of the wrong digest: 404 (nothing stored)', { accept: ACCEPT_MANIFESTS });
    },
  },
  {
    id: 'errors.manifest-blob-unknown.missing-layer',
    title: 'A manifest refused because a layer blob is missing carries code MANIFEST_BLOB_UNKNOWN (accepting it is also legal).',
    requirements: [MISSING_BLOB_MAY_REJECT, MISSING_BLOB_CODE, ERROR_CODES_SECTION],
    async run(ctx) {
      const m = makeImage({ layerSizes: [64] });
      // Push the config only; the layer is never uploaded.
      const config = m.blobs[0]!;
      await uploadBlobPostPut(ctx.client, ctx.repo, config.bytes);
      trackBlob(ctx, ctx.repo, config.digest);
      const res = await sendManifest(ctx, ctx.repo, nonceTag('missing-layer'), m.bytes, m.mediaType);
      if (res.status === 201) {
        await res.dump();
        trackManifest(ctx, ctx.repo, m.digest);
        ctx.observe('missing-blobs', 'accepted');
        ctx.skip('unsupported', 'the registry accepted a manifest whose layer is missing (it MAY), so MANIFEST_BLOB_UNKNOWN was not provoked');
      }
      await expectClientError(ctx, res, 'a 4XX refusal or 201', ['MANIFEST_BLOB_UNKNOWN'], { requireJson: true, codeLevel: 'MUST' });
    },
  },
  {
    id: 'errors.manifest-invalid.unparsable',
    title: 'PUT of a manifest body that is not valid JSON is refused with a 4XX and code MANIFEST_INVALID.',
    // No MUST requires refusing an unparsable manifest (push.manifest.invalid is SHOULD for the same reason).
    requirements: [UNPARSABLE_CODE, UNPARSABLE_4XX],
    async run(ctx) {
      const bytes = Buffer.from('{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": ');
      const res = await sendManifest(ctx, ctx.repo, nonceTag('invalid'), bytes, MediaType.ociManifest);
      if (res.status < 300) trackManifest(ctx, ctx.repo, digestOf(bytes));
      await expectClientError(ctx, res, 'a 4XX refusal (400)', ['MANIFEST_INVALID']);
    },
  },
  notFoundCase({ id: 'errors.manifest-unknown.tag', title: 'GET of a tag the repository does not have answers 404 with code MANIFEST_UNKNOWN.', notFound: NOT_FOUND_MANIFEST, code: 'MANIFEST_UNKNOWN', manifest: true, path: (repo) => `/v2/${repo}/manifests/${nonceTag('no-such-tag')}` }),
  notFoundCase({ id: 'errors.manifest-unknown.digest', title: 'GET of a manifest digest the repository does not have answers 404 with code MANIFEST_UNKNOWN.', notFound: NOT_FOUND_MANIFEST, code: 'MANIFEST_UNKNOWN', manifest: true, path: (repo) => `/v2/${repo}/manifests/${unknownDigest()}` }),
  {
    id: 'errors.name-invalid.upload',
    title: 'Opening an upload in a repository whose name breaks the name grammar is refused (400 NAME_INVALID, or 404).',
    // "<name> MUST match" constrains the names of the protocol; no MUST requires a registry to refuse
    // one that does not, so refusing it is SHOULD.
    requirements: [NAME_GRAMMAR, codeRequirement('NAME_INVALID')],
    async run(ctx) {
      const repo = `${ctx.repo}/Invalid_UPPER`;
      const res = await ctx.client.request({ method: 'POST', path: `/v2/${repo}/blobs/uploads/`, headers: { 'content-length': '0' } });
      cancelIfOpened(ctx, res);
      if (res.status === 401 || res.status === 403) {
        await res.dump();
        ctx.skip('unsupported', `the registry refused the upload at the auth layer (${res.status}) before looking at the name, so NAME_INVALID was not provoked`);
      }
      await expectStatus(res, [400, 404], `an upload to the invalid name ${repo}`);
      ctx.observe('status', res.status);
      // A 404 from routing (the name never matched a route) is a legal way to refuse it.
      await checkErrorBody(ctx, res, res.status === 400 ? ['NAME_INVALID'] : ['NAME_INVALID', 'NAME_UNKNOWN'], { allowNonJson: res.status === 404 });
    },
  },
  notFoundCase({
    id: 'errors.name-unknown.tags-list',
    title: 'GET of the tag list of a repository that never existed answers 404 with code NAME_UNKNOWN.',
    notFound: TAGS_LIST_404,
    code: 'NAME_UNKNOWN',
    neverPushed: { what: 'the tag list of a repository that never existed' },
    path: (repo) => `/v2/${repo}/tags/list`,
  }),
  {
    id: 'errors.size-invalid.chunk-length',
    title: 'A PATCH whose Content-Length differs from the length its Content-Range states is refused with SIZE_INVALID (or BLOB_UPLOAD_INVALID).',
    requirements: [CHUNK_LENGTH_SHOULD, codeRequirement('SIZE_INVALID'), ERROR_CODES_SECTION],
    async run(ctx) {
      const res = await patchChunk(ctx, await openSession(ctx, ctx.repo), '0-19', uniqueBytes(10));
      if (res.status === 202) {
        await res.dump();
        ctx.observe('range-length-mismatch', 'accepted');
        ctx.skip('unsupported', 'the registry accepted a chunk whose Content-Range (20 bytes) and Content-Length (10) disagree; the spec does not say it must check, so SIZE_INVALID was not provoked');
      }
      await expectStatus(res, [400, 416], 'Content-Range 0-19 with a 10-byte body', 'SHOULD');
      ctx.observe('status', res.status);
      await checkErrorBody(ctx, res, ['SIZE_INVALID', 'BLOB_UPLOAD_INVALID']);
    },
  },
  {
    id: 'errors.unauthorized.anonymous',
    title: 'On a registry that requires credentials, a request without them answers 401 with WWW-Authenticate and code UNAUTHORIZED.',
    requirements: [PING_401, WWW_AUTHENTICATE_401, codeRequirement('UNAUTHORIZED'), ERROR_CODES_SECTION],
    readOnly: true,
    async run(ctx) {
      let res = await ctx.client.request({ method: 'GET', path: '/v2/', anonymous: true });
      if (res.status === 200 && !ctx.readOnly) {
        // Anonymous reads may be open while writes are not: try opening an upload.
        await res.dump();
        res = await ctx.client.request({ method: 'POST', path: `/v2/${ctx.repo}/blobs/uploads/`, headers: { 'content-length': '0' }, anonymous: true });
        cancelIfOpened(ctx, res);
      }
      if (res.status !== 401) {
        await res.dump();
        ctx.observe('anonymous', `allowed (${res.requestLine} answered ${res.status})`);
        ctx.skip('unsupported', `the registry does not ask for credentials (${res.requestLine} without them answered ${res.status}), so UNAUTHORIZED cannot be provoked`);
      }
      expectHeader(res, 'www-authenticate');
      await checkErrorBody(ctx, res, ['UNAUTHORIZED']);
    },
  },
  unprovokedCase(
    'errors.denied.forbidden',
    'A request the credentials may not make answers 403 with code DENIED.',
    'DENIED',
    'DENIED needs an identity that is refused a resource: auth.second-identity.* check it when --second-username/--second-password name one',
  ),
  refusedDeleteCase('tag', 'end-9', async (ctx) => {
    const tag = nonceTag('refuse-delete');
    await pushImage(ctx, ctx.repo, makeArtifact({ artifactType: 'application/vnd.regprobe.test.v1', annotations: { 'org.regprobe.nonce': tag } }), tag);
    return `/v2/${ctx.repo}/manifests/${tag}`;
  }),
  refusedDeleteCase('blob', 'end-10', async (ctx) => {
    const blob = await uploadBlobPostPut(ctx.client, ctx.repo, uniqueBytes(24));
    trackBlob(ctx, ctx.repo, blob.digest);
    return `/v2/${ctx.repo}/blobs/${blob.digest}`;
  }),
  unprovokedCase(
    'errors.toomanyrequests.rate-limit',
    'A client over the registry\'s rate limit is answered 429 with code TOOMANYREQUESTS.',
    'TOOMANYREQUESTS',
    'provoking a rate limit needs load beyond a conformance run; measure it with `regprobe bench` instead',
  ),
];

/** HEAD of `path` must answer 404: nothing was stored there. */
async function expectNothingAt(ctx: CaseContext, path: string, expected: string, headers?: Record<string, string>): Promise<void> {
  const head = await ctx.client.request({ method: 'HEAD', path, ...(headers ? { headers } : {}) });
  await head.dump();
  expectThat(head.status === 404, expected, `status ${head.status}`, head);
}

export const errorsSuite: Suite = {
  workflow: 'errors',
  title: 'Error codes',
  async setup(ctx) {
    if (ctx.readOnly) return;
    // The repository exists, so "unknown" answers are about the blob or manifest, not the name.
    const m: Manifest = makeImage({ layerSizes: [64] });
    await pushImage(ctx, ctx.repo, m, 'exists');
  },
  cases,
};

export default errorsSuite;
