// Push: every way to upload a blob (POST+PUT, single POST, streamed PATCH), edge blobs (empty, `{}`,
// sha512), bad digests on every path, and manifests of every kind, size and flaw. Each case pushes
// its own unique content, so cases never depend on each other's side effects.
import { randomBytes } from 'node:crypto';
import type { CaseContext, CaseDefinition, Requirement, Suite } from '../src/conformance/model.js';
import type { RegistryResponse } from '../src/client/registry-client.js';
import { ACCEPT_MANIFESTS } from '../src/client/operations.js';
import {
  blobOf,
  descriptorOf,
  emptyConfig,
  makeArtifact,
  makeImage,
  makeIndex,
  manifestDescriptor,
  manifestOf,
  uniqueBytes,
  type Manifest,
} from '../src/conformance/fixtures.js';
import { pushBlobs, pushImage, sendManifest, trackBlob, trackManifest } from './common/content.js';
import { checkErrorBody } from './common/error-body.js';
import { expectClientError } from './common/refusal.js';
import { cancelIfOpened, cancelLater, closeUpload, patchChunk, patchStreamed, postBlob, putBlob } from './common/upload-requests.js';
import { expectHeader, expectStatus, expectThat, fail } from '../src/conformance/expect.js';
import { expectBytes, expectDigestHeaderMatches } from '../src/conformance/content-checks.js';
import { digestOf } from '../src/oci/digest.js';
import { EMPTY_JSON, MediaType } from '../src/oci/media-types.js';

// ---- requirements, worded as the spec words them ----
const POST_SESSION: Requirement = {
  ref: 'end-4a',
  level: 'MUST',
  text: 'Upon success, the response MUST have a code of 202 Accepted, and MUST include the following header: Location: <blob-push-location>',
};
const PUT_COMPLETE: Requirement = {
  ref: 'end-6',
  level: 'MUST',
  text: 'Upon successful completion of the request, the response MUST have code 201 Created and MUST have the following header: Location: <blob-location>',
};
const BLOB_PULLABLE: Requirement = {
  ref: 'end-2',
  level: 'MUST',
  text: 'A GET request to an existing blob URL MUST provide the expected blob, with a response code that MUST be 200 OK.',
};
const MANIFEST_PUT: Requirement = {
  ref: 'end-7',
  level: 'MUST',
  text: 'Upon a successful upload, the registry MUST return response code 201 Created, and MUST have the following header: Location: <location>',
};
const MANIFEST_EXACT: Requirement = {
  ref: 'Pushing Manifests',
  level: 'MUST',
  text: 'The registry MUST store the manifest in the exact byte representation provided by the client.',
};
const MANIFEST_DIGEST_HEADER: Requirement = {
  ref: 'Pushing Manifests',
  level: 'MUST',
  text: 'The Docker-Content-Digest header returns the digest of the uploaded blob, and MUST be equal to the client provided digest.',
};
const BLOB_DIGEST_HEADER: Requirement = {
  ref: 'Pushing blobs (end-4b, end-6)',
  level: 'SHOULD',
  text: 'The spec names no Docker-Content-Digest for the request that closes an upload, but clients "MAY encounter Docker-specific headers, such as Docker-Content-Digest" and act on it: when sent, it "returns the digest of the uploaded blob" (as for a mount) and a client "SHOULD verify the value against the uploaded blob data".',
};
const BAD_DIGEST_400: Requirement = {
  ref: 'Pushing blobs',
  level: 'SHOULD',
  text: 'If the client provided digest is invalid or uses an unsupported algorithm, the registry SHOULD respond with a response code 400 Bad Request.',
};
const SIZE_INVALID_CODE: Requirement = {
  ref: 'code-10',
  level: 'SHOULD',
  text: 'SIZE_INVALID: provided length did not match content length (the table\'s code; the MUST is only that a code is one of the table)',
};
const SINGLE_POST_201: Requirement = {
  ref: 'end-4b',
  level: 'MUST',
  text: 'Successful completion of the request MUST return a 201 Created and MUST include the following header: Location: <blob-location>',
};
const SINGLE_POST_ELSE_202: Requirement = {
  ref: 'end-4b',
  level: 'SHOULD',
  text: 'Registries that do not support single request monolithic uploads SHOULD return a 202 Accepted status code and Location header.',
};
const CHUNK_202_RANGE: Requirement = {
  ref: 'end-5',
  level: 'MUST',
  text: 'The response for each successful chunk upload MUST be 202 Accepted, and MUST have the following headers: ... Range: 0-<end-of-range>',
};
const RANGE_END_RECEIVED: Requirement = {
  ref: 'end-5',
  level: 'MUST',
  text: 'The 202 MUST have the header Range: 0-<end-of-range>, and the <end-of-range> value is the position of the last uploaded byte of the blob.',
};
const TAG_OR_DIGEST_ONLY: Requirement = {
  ref: 'end-7',
  level: 'MUST',
  text: 'the <tag-or-digest> MUST be either a) a digest or b) a tag. The <tag-or-digest> MUST NOT be in any other format.',
};
const SHA512_MAY: Requirement = {
  ref: 'image-spec descriptor: SHA-512',
  level: 'MAY',
  text: 'Implementations MAY implement SHA-512 digest verification for use in descriptors.',
};

const BAD_DIGEST_400_API: Requirement = { ...BAD_DIGEST_400, ref: 'Pushing blobs / API' };
const DIGEST_INVALID_CODE: Requirement = { ref: 'code-4', level: 'SHOULD', text: 'DIGEST_INVALID: provided digest did not match uploaded content' };
const SINGLE_POST_MAY: Requirement = { ref: 'end-4b', level: 'MAY', text: 'Registries MAY support pushing blobs using a single POST request.' };
const TAG_OR_DIGEST: Requirement = { ref: 'end-7', level: 'MUST', text: '<tag-or-digest> MUST be either a) a digest or b) a tag.' };

// ---- small request helpers; each returns the response for the case to judge ----

async function openSession(ctx: CaseContext, repo: string, query?: Record<string, string>): Promise<string> {
  const res = await ctx.client.request({ method: 'POST', path: `/v2/${repo}/blobs/uploads/`, ...(query ? { query } : {}), headers: { 'content-length': '0' } });
  await expectStatus(res, 202, 'POST to open an upload session');
  const location = expectHeader(res, 'location', undefined, 'POST to open an upload session');
  await res.dump();
  return location;
}

/** A session for a request the case expects refused: cancelled at cleanup. */
async function openCancelledLater(ctx: CaseContext, repo: string): Promise<string> {
  const location = await openSession(ctx, repo);
  cancelLater(ctx, location);
  return location;
}

/** A PATCH that must be taken (202 with the Location to go on with); returns that Location. */
async function acceptedPatch(res: RegistryResponse, what: string): Promise<string> {
  await expectStatus(res, 202, what);
  const next = expectHeader(res, 'location', undefined, what);
  await res.dump();
  return next;
}

/** Unique bytes of `size`, their digest tracked for cleanup in this run's repository. */
function trackedBytes(ctx: CaseContext, size: number): { bytes: Buffer; digest: string } {
  const bytes = uniqueBytes(size);
  const digest = digestOf(bytes);
  trackBlob(ctx, ctx.repo, digest);
  return { bytes, digest };
}

/** A 400 to a sha512 digest means sha512 is not supported (it MAY not be): skip, saying `what` answered 400 and why. */
async function skipIfSha512Refused(ctx: CaseContext, res: RegistryResponse, what: string): Promise<void> {
  if (res.status !== 400) return;
  const text = await res.text(64 * 1024).catch(() => '');
  ctx.skip('unsupported', `${what} answered 400${text ? ` (${text.slice(0, 120)})` : ''}`);
}

/** GET a blob and check it is exactly `bytes`. */
async function expectBlobStored(ctx: CaseContext, repo: string, digest: string, bytes: Uint8Array, what: string): Promise<void> {
  const res = await ctx.client.request({ method: 'GET', path: `/v2/${repo}/blobs/${digest}` });
  await expectStatus(res, 200, `${what}: GET the blob after the upload`);
  await expectBytes(res, bytes, `${what}: GET the blob after the upload`);
}

/** Nothing may be served under `digest` (HEAD answers 404). */
async function expectBlobAbsent(ctx: CaseContext, repo: string, digest: string, what: string): Promise<void> {
  const res = await ctx.client.request({ method: 'HEAD', path: `/v2/${repo}/blobs/${digest}` });
  await res.dump();
  expectThat(res.status === 404, `${what}: HEAD of ${digest} answers 404 (nothing stored)`, `status ${res.status}`, res);
}

async function expectManifestAbsent(ctx: CaseContext, repo: string, reference: string, what: string): Promise<void> {
  const res = await ctx.client.request({ method: 'HEAD', path: `/v2/${repo}/manifests/${reference}`, headers: { accept: ACCEPT_MANIFESTS } });
  await res.dump();
  expectThat(res.status === 404, `${what}: HEAD of manifest ${reference} answers 404 (nothing stored)`, `status ${res.status}`, res);
}

/** The Location of a 201 must lead to the blob. */
async function expectLocationServesBlob(ctx: CaseContext, res: RegistryResponse, bytes: Uint8Array, what: string): Promise<void> {
  const location = expectHeader(res, 'location', undefined, what);
  await res.dump();
  const got = await ctx.client.request({ method: 'GET', path: location });
  await expectStatus(got, 200, `${what}: GET of the Location ${location}`);
  await expectBytes(got, bytes, `${what}: GET of the Location`);
}

/** Push a manifest's blobs (tracked for cleanup), then PUT the manifest and check the 201 and the stored bytes. */
async function pushAndVerify(ctx: CaseContext, m: Manifest, reference: string, what: string): Promise<void> {
  const repo = ctx.repo;
  await pushBlobs(ctx, repo, m);
  trackManifest(ctx, repo, m.digest);
  const res = await sendManifest(ctx, repo, reference, m.bytes, m.mediaType);
  await expectStatus(res, 201, `PUT ${what}`);
  expectHeader(res, 'location', undefined, `PUT ${what}`);
  expectDigestHeaderMatches(res, m, `PUT ${what}`);
  await res.dump();
  await expectManifestStored(ctx, repo, m, what);
  if (reference !== m.digest) await expectManifestStored(ctx, repo, m, what, reference);
}

async function expectManifestStored(ctx: CaseContext, repo: string, m: Manifest, what: string, reference: string = m.digest): Promise<void> {
  const res = await ctx.client.request({ method: 'GET', path: `/v2/${repo}/manifests/${reference}`, headers: { accept: `${m.mediaType}, ${ACCEPT_MANIFESTS}` } });
  await expectStatus(res, 200, `${what}: GET it back by ${reference === m.digest ? 'digest' : 'tag'}`);
  await expectBytes(res, m.bytes, `${what}: GET it back by ${reference === m.digest ? 'digest' : 'tag'}`);
}

function tag(label: string): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}

/** A manifest of about `size` bytes: an image whose annotation is padded to the size. */
function imageOfSize(size: number): Manifest {
  const base = makeImage({ layerSizes: [256], annotations: { 'org.example.padding': '' } });
  const pad = size - base.bytes.length;
  if (pad <= 0) throw new Error(`cannot build a manifest of ${size} bytes`);
  const json = { ...base.json, annotations: { 'org.example.padding': 'x'.repeat(pad) } };
  return manifestOf(json, base.blobs);
}

// ---- cases ----

const blobCases: CaseDefinition[] = [
  {
    id: 'push.blob.post-put',
    title: 'A POST opens a session (202 with Location) and a PUT with ?digest= and the whole blob completes it (201 with a Location that serves the blob).',
    requirements: [POST_SESSION, PUT_COMPLETE, BLOB_PULLABLE],
    async run(ctx) {
      const { bytes, digest } = trackedBytes(ctx, 3000);
      const res = await putBlob(ctx, await openSession(ctx, ctx.repo), digest, bytes);
      await expectStatus(res, 201, 'PUT ?digest= with the whole blob');
      await expectLocationServesBlob(ctx, res, bytes, 'PUT ?digest= with the whole blob');
      await expectBlobStored(ctx, ctx.repo, digest, bytes, 'POST then PUT');
    },
  },
  {
    id: 'push.blob.session-unique',
    title: 'Two POSTs open two different upload sessions (distinct Locations).',
    requirements: [{ ref: 'end-4a', level: 'MUST', text: 'The <blob-push-location> MUST contain a UUID representing a unique session ID for the upload to follow.' }],
    async run(ctx) {
      const a = await openSession(ctx, ctx.repo);
      const b = await openSession(ctx, ctx.repo);
      cancelLater(ctx, a);
      cancelLater(ctx, b);
      expectThat(a !== b, 'two POSTs to give two different Locations', `the same Location twice: ${a}`);
    },
  },
  {
    id: 'push.blob.single-post',
    title: 'A single POST with ?digest= and the body stores the blob (201 with Location), or, where not offered, opens a session (202 with Location) that a PUT completes.',
    requirements: [SINGLE_POST_MAY, SINGLE_POST_201, SINGLE_POST_ELSE_202],
    async run(ctx) {
      const { bytes, digest } = trackedBytes(ctx, 2000);
      const res = await postBlob(ctx, ctx.repo, digest, bytes);
      await expectStatus(res, [201, 202], 'single POST ?digest= with the blob');
      if (res.status === 201) {
        ctx.observe('single-post', 'stored (201)');
        await expectLocationServesBlob(ctx, res, bytes, 'single POST');
        await expectBlobStored(ctx, ctx.repo, digest, bytes, 'single POST');
        return;
      }
      const location = expectHeader(res, 'location', undefined, 'single POST answered 202: the session');
      await res.dump();
      ctx.observe('single-post', 'session (202)');
      const put = await putBlob(ctx, location, digest, bytes);
      await expectStatus(put, 201, 'PUT to the session a single POST opened');
      await put.dump();
      await expectBlobStored(ctx, ctx.repo, digest, bytes, 'single POST then PUT');
      ctx.skip('unsupported', 'single-request upload not offered: POST ?digest= with the blob answered 202 and a session (which a PUT completed)');
    },
  },
  {
    id: 'push.blob.streamed',
    title: 'A PATCH carrying the whole blob without Content-Range answers 202, and the closing PUT ?digest= answers 201.',
    requirements: [
      { ref: 'end-5', level: 'MUST', text: 'The response for each successful chunk upload MUST be 202 Accepted, and MUST have the following headers: Location, Range.' },
      PUT_COMPLETE,
      BLOB_PULLABLE,
    ],
    async run(ctx) {
      const { bytes, digest } = trackedBytes(ctx, 5000);
      const next = await acceptedPatch(await patchStreamed(ctx, await openSession(ctx, ctx.repo), bytes), 'streamed PATCH');
      const put = await closeUpload(ctx, next, digest);
      await expectStatus(put, 201, 'PUT ?digest= closing a streamed upload');
      expectHeader(put, 'location', undefined, 'PUT closing a streamed upload');
      await put.dump();
      await expectBlobStored(ctx, ctx.repo, digest, bytes, 'streamed upload');
    },
  },
  {
    id: 'push.blob.digest-header',
    title: 'The 201 closing an upload (POST+PUT, streamed PATCH+PUT, chunk in the PUT, single POST) names the uploaded blob in Docker-Content-Digest when it sends one.',
    requirements: [BLOB_DIGEST_HEADER],
    async run(ctx) {
      const seen: string[] = [];
      const check = async (res: RegistryResponse, bytes: Buffer, how: string) => {
        await expectStatus(res, 201, `${how}: the upload-closing request`);
        expectDigestHeaderMatches(res, { digest: digestOf(bytes), bytes }, `${how}: 201`);
        seen.push(`${how}: ${res.header('docker-content-digest') === undefined ? 'absent' : 'present'}`);
        await res.dump();
      };
      const blob = (n: number) => trackedBytes(ctx, n).bytes;
      const whole = blob(1500);
      await check(await putBlob(ctx, await openSession(ctx, ctx.repo), digestOf(whole), whole), whole, 'POST then PUT');

      const streamed = blob(1600);
      const next = await acceptedPatch(await patchStreamed(ctx, await openSession(ctx, ctx.repo), streamed), 'streamed PATCH');
      await check(await closeUpload(ctx, next, digestOf(streamed)), streamed, 'PATCH then empty PUT');

      const chunked = blob(1700);
      const first = chunked.subarray(0, 1000);
      const rest = await acceptedPatch(await patchChunk(ctx, await openSession(ctx, ctx.repo), `0-${first.length - 1}`, first), 'PATCH of the first chunk');
      await check(await putBlob(ctx, rest, digestOf(chunked), chunked.subarray(first.length)), chunked, 'PATCH then PUT with the last chunk');

      const single = blob(1800);
      const post = await postBlob(ctx, ctx.repo, digestOf(single), single);
      if (post.status === 201) await check(post, single, 'single POST');
      else {
        // Single-POST upload not offered (a legal 202): nothing closed by that request.
        const loc = post.header('location');
        await post.dump();
        if (loc) cancelLater(ctx, loc);
        seen.push('single POST: not offered');
      }
      ctx.observe('docker-content-digest', seen.join('; '));
    },
  },
  {
    id: 'push.blob.empty',
    title: 'A zero-length blob can be pushed (201) and pulled back (200, no bytes, Content-Length 0).',
    requirements: [PUT_COMPLETE, BLOB_PULLABLE],
    async run(ctx) {
      const bytes = Buffer.alloc(0);
      const digest = digestOf(bytes);
      trackBlob(ctx, ctx.repo, digest);
      const res = await putBlob(ctx, await openSession(ctx, ctx.repo), digest, bytes);
      await expectStatus(res, 201, 'PUT of a zero-length blob');
      await res.dump();
      await expectBlobStored(ctx, ctx.repo, digest, bytes, 'zero-length blob');
      const head = await ctx.client.request({ method: 'HEAD', path: `/v2/${ctx.repo}/blobs/${digest}` });
      await expectStatus(head, 200, 'HEAD of a zero-length blob');
      await head.dump();
      const cl = head.header('content-length');
      expectThat(cl === undefined || cl === '0', 'HEAD of a zero-length blob: Content-Length 0', `Content-Length: ${cl}`, head);
    },
  },
  {
    id: 'push.blob.empty-json',
    title: 'The empty JSON blob `{}` (the config of artifacts) can be pushed (201) and pulled back.',
    requirements: [PUT_COMPLETE, BLOB_PULLABLE],
    async run(ctx) {
      const repo = ctx.freshRepo('empty-json');
      const config = emptyConfig();
      trackBlob(ctx, repo, config.digest);
      const location = await openSession(ctx, repo);
      const res = await putBlob(ctx, location, config.digest, EMPTY_JSON);
      await expectStatus(res, 201, 'PUT of the `{}` blob');
      await res.dump();
      await expectBlobStored(ctx, repo, config.digest, EMPTY_JSON, '`{}` blob');
    },
  },
  {
    id: 'push.blob.sha512',
    title: 'A blob pushed under a sha512 digest is stored and served under that digest, or refused with 400 where sha512 is not supported.',
    requirements: [
      SHA512_MAY,
      BAD_DIGEST_400,
      { ref: 'end-4c', level: 'SHOULD', text: 'When pushing a blob with a digest algorithm other than sha256, the post request SHOULD include the digest-algorithm parameter.' },
    ],
    async run(ctx) {
      const bytes = uniqueBytes(1500);
      const digest = digestOf(bytes, 'sha512');
      trackBlob(ctx, ctx.repo, digest);
      // end-4c is a draft addition: send it only when checking the draft.
      const location = await openSession(ctx, ctx.repo, ctx.spec === 'draft' ? { 'digest-algorithm': 'sha512' } : undefined);
      const res = await putBlob(ctx, location, digest, bytes);
      await skipIfSha512Refused(ctx, res, 'sha512 digests not supported: PUT ?digest=sha512:...');
      await expectStatus(res, 201, 'PUT ?digest=sha512:... (400 if unsupported)');
      await res.dump();
      const get = await ctx.client.request({ method: 'GET', path: `/v2/${ctx.repo}/blobs/${digest}` });
      await expectStatus(get, 200, 'GET of the blob by its sha512 digest');
      const dcd = expectDigestHeaderMatches(get, { digest, bytes }, 'GET by sha512 digest');
      if (dcd) ctx.observe('docker-content-digest', dcd.startsWith('sha512:') ? 'sha512' : dcd.split(':')[0]!);
      await expectBytes(get, bytes, 'GET of the blob by its sha512 digest');
    },
  },
  {
    id: 'push.blob.digest-mismatch',
    title: 'A PUT (or single POST) whose ?digest= does not match the uploaded bytes answers 400 (DIGEST_INVALID when the body is JSON).',
    requirements: [BAD_DIGEST_400, DIGEST_INVALID_CODE],
    async run(ctx) {
      const bytes = uniqueBytes(1000);
      const claimed = digestOf(uniqueBytes(1000));
      const location = await openCancelledLater(ctx, ctx.repo);
      trackBlob(ctx, ctx.repo, claimed);
      const res = await putBlob(ctx, location, claimed, bytes);
      await expectStatus(res, 400, 'PUT with a ?digest= that does not match the bytes');
      await checkErrorBody(ctx, res, ['DIGEST_INVALID'], { allowNonJson: true });
      // The single POST: 400 too, unless the registry does not offer it and opens a session (202).
      const post = await postBlob(ctx, ctx.repo, claimed, bytes);
      cancelIfOpened(ctx, post);
      await expectStatus(post, [400, 202], 'single POST with a ?digest= that does not match the bytes (202 where single POST is not offered)');
      ctx.observe('single-post-mismatch', post.status);
      if (post.status === 400) await checkErrorBody(ctx, post, ['DIGEST_INVALID'], { allowNonJson: true });
      else await post.dump();
    },
  },
  {
    id: 'push.blob.digest-mismatch-not-stored',
    title: 'Bytes sent with a digest they do not match are stored under neither digest, by POST+PUT or by single POST.',
    requirements: [
      BLOB_PULLABLE,
      { ref: 'Pulling blobs', level: 'MUST', text: 'If present, the value of this header [Docker-Content-Digest] MUST be a digest matching that of the response body.' },
    ],
    async run(ctx) {
      const repo = ctx.freshRepo('mismatch');
      for (const path of ['post-put', 'single-post'] as const) {
        const bytes = uniqueBytes(1000);
        const real = digestOf(bytes);
        const claimed = digestOf(uniqueBytes(1000));
        trackBlob(ctx, repo, claimed);
        trackBlob(ctx, repo, real);
        let res: RegistryResponse;
        if (path === 'post-put') res = await putBlob(ctx, await openCancelledLater(ctx, repo), claimed, bytes);
        else {
          res = await postBlob(ctx, repo, claimed, bytes);
          cancelIfOpened(ctx, res);
        }
        expectThat(res.status !== 201, `${path} with a mismatched digest: not 201 Created`, 'status 201 (the mismatched upload was accepted)', res);
        await res.dump();
        await expectBlobAbsent(ctx, repo, claimed, `${path} with a mismatched digest`);
        await expectBlobAbsent(ctx, repo, real, `${path} with a mismatched digest`);
      }
    },
  },
  {
    id: 'push.blob.digest-invalid',
    title: 'A PUT whose ?digest= is malformed or names an unsupported algorithm answers 400.',
    requirements: [BAD_DIGEST_400, DIGEST_INVALID_CODE],
    since: 'draft',
    async run(ctx) {
      const bytes = uniqueBytes(500);
      const bad = ['sha256:abc', `sha256:${'A'.repeat(64)}`, `regprobe-none:${'a'.repeat(64)}`, 'not-a-digest'];
      for (const d of bad) {
        const res = await putBlob(ctx, await openCancelledLater(ctx, ctx.repo), d, bytes);
        await expectStatus(res, 400, `PUT ?digest=${d}`);
        await res.dump();
      }
    },
  },
  {
    id: 'push.blob.content-length-mismatch',
    title: 'A PATCH whose Content-Range declares more bytes than its Content-Length carries is refused (400 or 416), or accepted with a Range that counts only the bytes received, and the blob then holds exactly those bytes.',
    requirements: [CHUNK_202_RANGE, RANGE_END_RECEIVED, SIZE_INVALID_CODE],
    async run(ctx) {
      const bytes = uniqueBytes(1000);
      const digest = digestOf(bytes);
      const location = await openCancelledLater(ctx, ctx.repo);
      trackBlob(ctx, ctx.repo, digest);
      const declared = `0-${2 * bytes.length - 1}`;
      const res = await patchChunk(ctx, location, declared, bytes);
      if (res.status !== 202) {
        // The spec names SIZE_INVALID for this; refusing is the clear answer.
        await expectStatus(res, [400, 416], `PATCH with Content-Range ${declared} and ${bytes.length} bytes`);
        ctx.observe('length-mismatch', `refused (${res.status})`);
        if (res.status === 400) await checkErrorBody(ctx, res, ['SIZE_INVALID', 'BLOB_UPLOAD_INVALID'], { allowNonJson: true });
        else await res.dump();
        return;
      }
      // Accepted: the spec does not require the check, but the offset reported must be the truth.
      ctx.observe('length-mismatch', 'accepted (202)');
      const next = expectHeader(res, 'location', undefined, 'PATCH accepted');
      expectHeader(res, 'range', (v) => v.trim() === `0-${bytes.length - 1}`, `PATCH of ${bytes.length} bytes declared as ${declared}, accepted: Range 0-${bytes.length - 1} (the bytes received)`);
      await res.dump();
      const put = await closeUpload(ctx, next, digest);
      await expectStatus(put, 201, `PUT ?digest= of the ${bytes.length} bytes received`);
      await put.dump();
      await expectBlobStored(ctx, ctx.repo, digest, bytes, 'upload after a chunk with a mismatched length');
    },
  },
];

// ---- manifests the registry must take and serve back byte for byte: one row each ----

const EMPTY_LAYERS_OK: Requirement = { ref: 'Pushing Manifests', level: 'MUST', text: 'The uploaded manifest MUST reference any blobs that make up the object. However, the list of blobs MAY be empty.' };
const SUBJECT_MAY_BE_MISSING: Requirement = {
  ref: 'Push',
  level: 'MUST',
  text: 'A registry MUST initially accept an otherwise valid manifest with a subject field that references a manifest that does not exist in the repository.',
};
const DATA_NOT_POPULATED: Requirement = { ref: 'image-spec descriptor: data', level: 'MUST', text: 'A registry MUST NOT arbitrarily populate data fields within uploaded manifests.' };
const NONDISTRIBUTABLE_TYPE: Requirement = {
  ref: 'image-spec manifest: layers[].mediaType',
  level: 'MUST',
  text: 'Implementations MUST support at least the following media types: ... application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
};
const URLS_MAY: Requirement = { ref: 'image-spec descriptor: urls', level: 'MAY', text: 'This OPTIONAL property specifies a list of URIs from which this object MAY be downloaded.' };
const FOUR_MEGABYTES: Requirement = { ref: 'Pushing Manifests', level: 'SHOULD', text: 'Client and registry implementations SHOULD expect to be able to support manifest pushes of at least 4 megabytes.' };

/**
 * `build` makes the manifest (pushing the manifests it refers to); it is pushed by a fresh tag starting
 * with `tag`, or by its digest, and checked by pushAndVerify.
 */
interface StoredManifestRow {
  id: string;
  title: string;
  requirements: Requirement[];
  what: string | ((m: Manifest) => string);
  tag?: string;
  build: (ctx: CaseContext) => Manifest | Promise<Manifest>;
}

function storedManifestCase(row: StoredManifestRow): CaseDefinition {
  return {
    id: row.id,
    title: row.title,
    requirements: row.requirements,
    async run(ctx) {
      const m = await row.build(ctx);
      await pushAndVerify(ctx, m, row.tag ? tag(row.tag) : m.digest, typeof row.what === 'string' ? row.what : row.what(m));
    },
  };
}

/** Images of these layer sizes, pushed (for an index to list or a subject to name). */
async function pushedImages(ctx: CaseContext, sizes: number[], format?: 'docker'): Promise<Manifest[]> {
  const images = sizes.map((size) => makeImage({ ...(format ? { format } : {}), layerSizes: [size] }));
  for (const m of images) await pushImage(ctx, ctx.repo, m);
  return images;
}

/** An image manifest in key order, indentation and a trailing newline a canonicalising registry would change. */
function reformattedImage(): Manifest {
  const base = makeImage({ layerSizes: [300] });
  const j = base.json as { config: unknown; layers: unknown };
  const text = `{\n\t"layers" :  ${JSON.stringify(j.layers, null, 3)},\n  "config":${JSON.stringify(j.config)} ,"schemaVersion":2,\n"mediaType":   "${MediaType.ociManifest}"\n}\n`;
  return { ...base, bytes: Buffer.from(text), digest: digestOf(text) };
}

/** An index listing an index (of a pushed image) and the image itself. */
async function nestedIndex(ctx: CaseContext): Promise<Manifest> {
  const [a] = await pushedImages(ctx, [200]);
  const inner = makeIndex([a!]);
  await pushImage(ctx, ctx.repo, inner);
  return manifestOf(
    { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [{ ...manifestDescriptor(inner) }, { ...manifestDescriptor(a!), platform: { architecture: 'amd64', os: 'linux' } }] },
    [],
  );
}

function artifactWithoutLayers(): Manifest {
  const config = emptyConfig();
  const json = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: 'application/vnd.example.empty.v1',
    config: descriptorOf(config),
    layers: [],
    annotations: { 'org.example.nonce': randomBytes(8).toString('hex') },
  };
  return manifestOf(json, [config]);
}

function signatureOf(subject: Manifest): Manifest {
  return makeArtifact({ artifactType: 'application/vnd.example.sig.v1', subject: manifestDescriptor(subject) });
}

/** An image whose config descriptor embeds the config in a data field. */
function imageWithData(): Manifest {
  const base = makeImage({ layerSizes: [300] });
  const config = base.blobs[0]!;
  const json = { ...base.json, config: { ...descriptorOf(config), data: config.bytes.toString('base64') } };
  return manifestOf(json, base.blobs);
}

/** An image with a non-distributable layer that carries urls; its blob is pushed as well, so the manifest is valid whatever the registry's policy on missing blobs. */
function imageWithForeignLayer(): Manifest {
  const base = makeImage({ layerSizes: [300] });
  const foreign = blobOf(uniqueBytes(5000), MediaType.ociLayerNondistributableGzip);
  const json = {
    ...base.json,
    layers: [...(base.json.layers as unknown[]), descriptorOf(foreign, { urls: [`https://example.com/layers/${foreign.digest}`] })],
  };
  return manifestOf(json, [...base.blobs, foreign]);
}

const STORED: Requirement[] = [MANIFEST_PUT, MANIFEST_EXACT];
const STORED_WITH_DIGEST: Requirement[] = [MANIFEST_PUT, MANIFEST_DIGEST_HEADER, MANIFEST_EXACT];

const STORED_MANIFESTS: StoredManifestRow[] = [
  { id: 'push.manifest.image', title: 'An OCI image manifest PUT by tag answers 201 with Location, Docker-Content-Digest (when present) equal to its digest, and is stored byte for byte.', requirements: STORED_WITH_DIGEST, what: 'an OCI image manifest by tag', tag: 'image', build: () => makeImage({ layerSizes: [1024, 2048] }) },
  { id: 'push.manifest.by-digest', title: 'A manifest PUT by its digest answers 201 and is stored byte for byte.', requirements: STORED_WITH_DIGEST, what: 'an OCI image manifest by digest', build: () => makeImage({ layerSizes: [600] }) },
  { id: 'push.manifest.exact-bytes', title: 'A manifest with unusual whitespace and key order is served back with exactly the pushed bytes.', requirements: [MANIFEST_EXACT], what: 'a manifest with unusual formatting', tag: 'exact', build: reformattedImage },
  { id: 'push.manifest.index', title: 'An OCI image index whose manifests exist answers 201 and is stored byte for byte.', requirements: STORED, what: 'an OCI image index', tag: 'index', build: async (ctx) => makeIndex(await pushedImages(ctx, [200, 300])) },
  { id: 'push.manifest.nested-index', title: 'An index that lists another index answers 201 and is stored byte for byte.', requirements: STORED, what: 'an index of an index', tag: 'nested', build: nestedIndex },
  { id: 'push.manifest.docker-schema2', title: 'A Docker schema 2 manifest answers 201 and is stored byte for byte.', requirements: STORED, what: 'a Docker schema 2 manifest', tag: 'docker', build: () => makeImage({ format: 'docker', layerSizes: [700] }) },
  { id: 'push.manifest.docker-manifest-list', title: 'A Docker manifest list answers 201 and is stored byte for byte.', requirements: STORED, what: 'a Docker manifest list', tag: 'list', build: async (ctx) => makeIndex(await pushedImages(ctx, [200, 250], 'docker'), 'docker') },
  { id: 'push.manifest.artifact', title: 'An artifact manifest (artifactType, empty config, one layer) answers 201 and is stored byte for byte.', requirements: STORED, what: 'an artifact manifest', tag: 'artifact', build: () => makeArtifact({ artifactType: 'application/vnd.example.thing.v1', layers: [blobOf(uniqueBytes(400), 'application/vnd.example.payload')] }) },
  { id: 'push.manifest.artifact-no-layers', title: 'An artifact manifest with an empty layers list answers 201 and is stored byte for byte.', requirements: [...STORED, EMPTY_LAYERS_OK], what: 'an artifact manifest without layers', tag: 'nolayers', build: artifactWithoutLayers },
  { id: 'push.manifest.subject', title: 'A manifest whose subject is an existing manifest answers 201 and is stored byte for byte.', requirements: STORED, what: 'a manifest with a subject', build: async (ctx) => signatureOf((await pushedImages(ctx, [300]))[0]!) },
  { id: 'push.manifest.subject-missing', title: 'A manifest whose subject does not exist (yet) is accepted with 201.', requirements: [SUBJECT_MAY_BE_MISSING, MANIFEST_EXACT], what: 'a manifest whose subject does not exist', build: () => signatureOf(makeImage({ layerSizes: [100] })) },
  {
    id: 'push.manifest.custom-fields',
    title: 'A manifest with fields the spec does not define and with annotations is accepted and kept byte for byte.',
    requirements: STORED,
    what: 'a manifest with custom fields',
    tag: 'custom',
    build: () => makeImage({ layerSizes: [300], annotations: { 'org.opencontainers.image.title': 'regprobe', 'org.example.unicode': 'naïve ☃' }, extra: { 'org.example.custom': { nested: [1, 2, { deep: true }] }, zzzLast: null } }),
  },
  { id: 'push.manifest.data-field', title: 'A manifest whose config descriptor embeds its content in a data field is accepted and kept byte for byte.', requirements: [...STORED, DATA_NOT_POPULATED], what: 'a manifest with a data field', tag: 'data', build: imageWithData },
  { id: 'push.manifest.non-distributable', title: 'A manifest with a non-distributable layer that carries urls (its blob pushed too) is accepted (201) and stored byte for byte.', requirements: [NONDISTRIBUTABLE_TYPE, URLS_MAY, ...STORED], what: 'a manifest with a non-distributable layer', tag: 'nondist', build: imageWithForeignLayer },
  // Under 4,000,000 bytes: "4 megabytes" read the narrowest way.
  { id: 'push.manifest.large', title: 'A manifest just under 4 MB is accepted (201) and stored byte for byte.', requirements: [FOUR_MEGABYTES, MANIFEST_EXACT], what: (m) => `a manifest of ${m.bytes.length} bytes`, tag: 'large', build: () => imageOfSize(4_000_000 - 1024) },
];

const manifestCases: CaseDefinition[] = [
  ...STORED_MANIFESTS.map(storedManifestCase),
  {
    id: 'push.manifest.over-limit',
    title: 'A manifest over the registry\'s size limit is refused with 413.',
    requirements: [
      { ref: 'Pushing Manifests', level: 'SHOULD', text: 'A registry SHOULD enforce some limit on the maximum manifest size that it can accept.' },
      {
        ref: 'end-7',
        level: 'SHOULD',
        text: 'A registry that enforces this limit SHOULD respond to a request to push a manifest over this limit with a response code 413 Payload Too Large.',
      },
    ],
    async run(ctx) {
      const m = imageOfSize(4 * 1024 * 1024 + 4096);
      await pushBlobs(ctx, ctx.repo, m);
      trackManifest(ctx, ctx.repo, m.digest);
      const res = await sendManifest(ctx, ctx.repo, m.digest, m.bytes, m.mediaType);
      if (res.status === 201) {
        await res.dump();
        ctx.skip('unsupported', `a manifest of ${m.bytes.length} bytes was accepted: the limit, if any, is higher`);
      }
      await expectStatus(res, 413, `PUT of a manifest of ${m.bytes.length} bytes`);
      await res.dump();
      await expectManifestAbsent(ctx, ctx.repo, m.digest, 'a refused oversized manifest');
    },
  },
  {
    id: 'push.manifest.blob-unknown',
    title: 'A manifest that references a blob the registry does not have is accepted, or rejected with MANIFEST_BLOB_UNKNOWN and not stored.',
    requirements: [
      {
        ref: 'Push',
        level: 'MAY',
        text: 'A registry MAY reject a manifest uploaded to the manifest endpoint with descriptors in other fields that reference a manifest or blob that does not exist in the registry.',
      },
      { ref: 'code-5', level: 'MUST', text: 'When a manifest is rejected for this reason, it MUST result in one or more MANIFEST_BLOB_UNKNOWN errors.' },
    ],
    async run(ctx) {
      const m = makeImage({ layerSizes: [800] });
      // Only the config is pushed; the layer never is.
      await pushBlobs(ctx, ctx.repo, { ...m, blobs: m.blobs.slice(0, 1) });
      trackManifest(ctx, ctx.repo, m.digest);
      const res = await sendManifest(ctx, ctx.repo, m.digest, m.bytes, m.mediaType);
      if (res.status === 201) {
        await res.dump();
        ctx.observe('missing-blob', 'accepted');
        return;
      }
      await expectStatus(res, [400, 404], 'PUT of a manifest whose layer was never pushed (201, or a rejection)');
      ctx.observe('missing-blob', 'rejected');
      await checkErrorBody(ctx, res, ['MANIFEST_BLOB_UNKNOWN'], { requireJson: true, codeLevel: 'MUST' });
      await expectManifestAbsent(ctx, ctx.repo, m.digest, 'a manifest rejected for a missing blob');
    },
  },
  {
    id: 'push.manifest.invalid',
    title: 'A body that is not a valid manifest of its Content-Type is refused with 400 (MANIFEST_INVALID when the body is JSON) and not stored.',
    requirements: [{ ref: 'code-6', level: 'SHOULD', text: 'MANIFEST_INVALID: manifest invalid' }],
    async run(ctx) {
      const bodies: Array<[string, Buffer]> = [
        ['not JSON', Buffer.from('this is not a manifest {')],
        ['a config that is not a descriptor', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: 'nope', layers: [] }))],
      ];
      for (const [what, body] of bodies) {
        const digest = digestOf(body);
        trackManifest(ctx, ctx.repo, digest);
        const res = await sendManifest(ctx, ctx.repo, digest, body, MediaType.ociManifest);
        await expectStatus(res, 400, `PUT of ${what} as an OCI manifest`);
        await checkErrorBody(ctx, res, ['MANIFEST_INVALID'], { allowNonJson: true });
        await expectManifestAbsent(ctx, ctx.repo, digest, `refused manifest (${what})`);
      }
    },
  },
  {
    id: 'push.manifest.digest-mismatch',
    title: 'A manifest PUT to a digest that is not its own is refused (4xx) and nothing is stored under that digest.',
    requirements: [MANIFEST_DIGEST_HEADER, TAG_OR_DIGEST, DIGEST_INVALID_CODE],
    async run(ctx) {
      const m = makeImage({ layerSizes: [300] });
      const other = digestOf(uniqueBytes(64));
      await pushBlobs(ctx, ctx.repo, m);
      trackManifest(ctx, ctx.repo, other);
      trackManifest(ctx, ctx.repo, m.digest);
      const res = await sendManifest(ctx, ctx.repo, other, m.bytes, m.mediaType);
      await expectClientError(ctx, res, `PUT of a manifest to the digest ${other}, which is not its digest: a 4xx refusal`, ['DIGEST_INVALID', 'MANIFEST_INVALID'], { allowNonJson: true });
      await expectManifestAbsent(ctx, ctx.repo, other, 'a manifest PUT to a wrong digest');
    },
  },
  {
    id: 'push.manifest.reference-invalid',
    title: 'A manifest PUT to a reference that is neither a tag nor a valid digest (sha256:baddigeststring) is refused with 400 and nothing is stored under it.',
    requirements: [TAG_OR_DIGEST_ONLY, BAD_DIGEST_400_API],
    async run(ctx) {
      const m = makeImage({ layerSizes: [300] });
      await pushBlobs(ctx, ctx.repo, m);
      const reference = 'sha256:baddigeststring';
      const res = await sendManifest(ctx, ctx.repo, reference, m.bytes, m.mediaType);
      ctx.observe('status', res.status);
      if (res.status >= 200 && res.status < 300) {
        trackManifest(ctx, ctx.repo, m.digest);
        await res.dump();
        fail(`PUT of a manifest to ${reference}: a refusal (400)`, `status ${res.status} (accepted under a reference that is neither a tag nor a digest)`, res);
      }
      await expectStatus(res, 400, `PUT of a manifest to ${reference}`, 'SHOULD');
      await res.dump();
      const head = await ctx.client.request({ method: 'HEAD', path: `/v2/${ctx.repo}/manifests/${reference}`, headers: { accept: ACCEPT_MANIFESTS } });
      await head.dump();
      expectThat(head.status >= 400 && head.status < 500, `HEAD of ${reference} after the refused PUT: 404 or 400 (nothing stored)`, `status ${head.status}`, head);
    },
  },
  {
    id: 'push.manifest.content-type-parameters',
    title: 'A manifest PUT with parameters on its Content-Type is accepted as that type (201).',
    requirements: [{ ref: 'Pushing Manifests', level: 'SHOULD', text: 'The registry SHOULD ignore parameters on the Content-Type header.' }],
    async run(ctx) {
      const m = makeImage({ layerSizes: [300] });
      await pushBlobs(ctx, ctx.repo, m);
      trackManifest(ctx, ctx.repo, m.digest);
      const res = await sendManifest(ctx, ctx.repo, m.digest, m.bytes, `${m.mediaType}; charset=utf-8`);
      await expectStatus(res, 201, 'PUT with Content-Type parameters');
      await res.dump();
      await expectManifestStored(ctx, ctx.repo, m, 'a manifest pushed with Content-Type parameters');
    },
  },
  {
    id: 'push.manifest.sha512',
    title: 'A manifest PUT by its sha512 digest is stored and served under that digest, or refused with 400 where sha512 is not supported.',
    requirements: [SHA512_MAY, MANIFEST_EXACT, BAD_DIGEST_400],
    async run(ctx) {
      const m = makeImage({ layerSizes: [300] });
      const digest = digestOf(m.bytes, 'sha512');
      await pushBlobs(ctx, ctx.repo, m);
      trackManifest(ctx, ctx.repo, digest);
      const res = await sendManifest(ctx, ctx.repo, digest, m.bytes, m.mediaType);
      await skipIfSha512Refused(ctx, res, 'sha512 manifest digests not supported: PUT /manifests/sha512:...');
      await expectStatus(res, 201, 'PUT of a manifest by its sha512 digest (400 if unsupported)');
      expectDigestHeaderMatches(res, { digest, bytes: m.bytes }, 'PUT by sha512 digest');
      await res.dump();
      await expectManifestStored(ctx, ctx.repo, { ...m, digest }, 'a manifest pushed by sha512 digest');
    },
  },
  tagQueryCase(2),
  tagQueryCase(10),
];

/** PUT /manifests/<digest>?tag=...: optional (MAY); when offered, OCI-Tag names every accepted tag. */
function tagQueryCase(count: number): CaseDefinition {
  const ten = count >= 10;
  return {
    id: ten ? 'push.manifest.tag-query-ten' : 'push.manifest.tag-query',
    title: ten
      ? 'A registry that takes ?tag= on a manifest PUT by digest takes 10 tags in one request.'
      : 'A manifest PUT by digest with ?tag= parameters creates those tags and names each in an OCI-Tag header, where the registry offers this.',
    requirements: ten
      ? [{ ref: 'end-7b', level: 'SHOULD', text: 'If a registry supports this, it SHOULD support pushing at least 10 tags per request.' }]
      : [
          { ref: 'end-7b', level: 'MAY', text: 'When pushing a manifest by digest, the registry MAY support the pushing of tags specified by addition of tag query parameters.' },
          { ref: 'end-7b', level: 'MUST', text: 'If a registry supports this, it MUST include an OCI-Tag response header ... for each accepted tag.' },
        ],
    since: 'draft',
    async run(ctx) {
      const m = makeImage({ layerSizes: [200] });
      const tags = Array.from({ length: count }, (_, i) => `t${i}-${randomBytes(3).toString('hex')}`);
      await pushBlobs(ctx, ctx.repo, m);
      trackManifest(ctx, ctx.repo, m.digest);
      const url = `/v2/${ctx.repo}/manifests/${m.digest}?${tags.map((t) => `tag=${encodeURIComponent(t)}`).join('&')}`;
      const res = await ctx.client.request({ method: 'PUT', path: url, headers: { 'content-type': m.mediaType, 'content-length': String(m.bytes.length) }, body: m.bytes });
      if (ten && res.status === 414) fail('PUT with 10 tags: 201 (10 tags per request SHOULD be supported)', 'status 414', res);
      await expectStatus(res, 201, `PUT by digest with ${count} ?tag= parameters`);
      await res.dump();
      const header = res.header('oci-tag');
      if (header === undefined) {
        // Tags created without OCI-Tag break the MUST; no tags at all means the feature is not offered.
        for (const t of tags) {
          const head = await ctx.client.request({ method: 'HEAD', path: `/v2/${ctx.repo}/manifests/${t}`, headers: { accept: ACCEPT_MANIFESTS } });
          await head.dump();
          if (head.status === 200) fail(`an OCI-Tag header naming each accepted tag (tag ${t} was created)`, 'no OCI-Tag header', res);
        }
        return ctx.skip('unsupported', 'PUT ?tag= not offered: the 201 carried no OCI-Tag header and created no tag');
      }
      const named = header.split(',').map((s) => s.trim()).filter(Boolean);
      ctx.observe('oci-tags', named.length);
      for (const t of tags) {
        expectThat(named.includes(t), `an OCI-Tag header naming ${t}`, `OCI-Tag: ${header}`, res);
        await expectManifestStored(ctx, ctx.repo, m, `a manifest pushed with ?tag=${t}`, t);
      }
    },
  };
}

export const pushSuite: Suite = {
  workflow: 'push',
  title: 'Push blobs and manifests',
  cases: [...blobCases, ...manifestCases],
};
