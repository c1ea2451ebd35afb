// Clients: the request sequences real clients send, replayed (methods, order, headers, body shapes),
// and their answers checked the way each client checks them. A registry can pass the spec suites and
// still break `docker push` (no Range on a PATCH answer), `ctr pull` (re-serialized manifests) or
// `cosign verify` (lost .sig tags); these cases say which client breaks and where.
//
// Every case names its provenance as its first requirement: the client, the version it replays, the
// source files and functions of that client, and whether the flow was recorded from the real client
// against the reference registry ("recorded") or read from the client's source ("from source").
// Flows that only read run with --read-only against the content named by --tag/--digest.
import { createHash, generateKeyPairSync, sign as signBytes, verify as verifyBytes, type KeyObject } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { CaseContext, CaseDefinition, Requirement, Suite } from '../src/conformance/model.js';
import type { RegistryResponse } from '../src/client/registry-client.js';
import { expectStatus, expectThat, fail } from '../src/conformance/expect.js';
import { expectBodyDigest } from '../src/conformance/content-checks.js';
import { loadExistingContent } from '../src/conformance/existing-content.js';
import { blobOf, descriptorOf, emptyConfig, makeImage, makeIndex, manifestDescriptor, manifestOf, uniqueBytes, type Blob, type Descriptor, type Manifest } from '../src/conformance/fixtures.js';
import { nextLink } from '../src/client/operations.js';
import { digestOf } from '../src/oci/digest.js';
import { MediaType } from '../src/oci/media-types.js';
import { pushImage, trackBlob, trackManifest } from './common/content.js';

// ---------------------------------------------------------------------------------------------
// Who is speaking: User-Agent and fixed headers of each client, and where its behaviour comes from.

interface ClientId {
  /** Short name used in ids and messages. */
  name: string;
  userAgent: string;
  /** Headers the client adds to every request. */
  headers?: Record<string, string>;
}

const DOCKER: ClientId = {
  name: 'docker',
  // Recorded: the engine's part, then the CLI's (UpstreamClient); the kernel is this machine's.
  userAgent: 'docker/20.10.24+dfsg1 go/go1.19.8 git-commit/5d6db84 kernel/6.18.44-fc-v1147 os/linux arch/amd64 UpstreamClient(Docker-Client/28.2.2 \\(linux\\))',
};
const CONTAINERD: ClientId = { name: 'containerd', userAgent: 'containerd/1.6.20~ds1' };
// Recorded: skopeo 1.9.3 sends this API-version header on every request.
const SKOPEO: ClientId = { name: 'skopeo', userAgent: 'skopeo/1.9.3', headers: { 'docker-distribution-api-version': 'registry/2.0' } };
const CRANE: ClientId = { name: 'crane', userAgent: 'crane/v0.20.2 go-containerregistry/v0.20.2' };
const ORAS: ClientId = { name: 'oras', userAgent: 'oras/1.2.0 +https://oras.land' };
const HELM: ClientId = { name: 'helm', userAgent: 'Helm/3.14.0' };
const COSIGN: ClientId = { name: 'cosign', userAgent: 'cosign/v2.2.4 (linux; amd64) go-containerregistry/v0.19.1' };
const BUILDKIT: ClientId = { name: 'buildkit', userAgent: 'buildkit/v0.12' };
const FLUX: ClientId = { name: 'flux', userAgent: 'flux/v2.2.0 go-containerregistry/v0.17.0' };

const SRC = {
  docker:
    'docker 20.10.24 (Debian docker.io engine, CLI 28.2.2) recorded against the reference registry through a logging proxy (push, push to a second repository, pull); code: moby distribution/push_v2.go pushLayer (HEAD only for layers it knows, POST ?from=&mount=), docker/distribution registry/client/blob_writer.go ReadFrom (chunked PATCH, no Content-Type, parses the Range answer) and Commit (PUT ?digest=, then a Stat HEAD), repository.go manifests.Put (parses Docker-Content-Digest) and tags Get (HEAD by tag for the digest), distribution/pull_v2.go (GET by that digest, verified); recorded',
  dockerOci:
    'moby >= 25 with the containerd image store (and docker buildx) push OCI manifests through containerd remotes/docker/pusher.go; from source',
  dockerList: 'docker CLI 20.10 cli/command/manifest/push.go (mount blobs, PUT each child by digest, PUT the list by tag) and moby pull_v2.go pullManifestList (child by digest, verified); from source',
  containerd:
    'containerd 1.6.20 (Debian; ctr images pull) recorded against the reference registry: HEAD by tag with Accept "docker v2, docker list, OCI manifest, OCI index, */*", blobs GET with Accept "<type>, */*"; code: remotes/docker resolver.go Resolve (trusts Docker-Content-Digest + Content-Length, else GETs), fetcher.go open (the manifest GET by digest), content store commit (size, then digest verified); recorded',
  containerdResume:
    'containerd 1.6.20 remotes/docker/fetcher.go open + httpreadseeker.go: a resumed fetch sends Range: bytes=<offset>- (with Accept "<type>, */*"); any 2xx is taken, a Content-Range must start with "bytes <offset>-", without one the first <offset> bytes are discarded; the whole blob is then verified; from source',
  containerdPush:
    'containerd 1.6.20 (ctr images push) recorded against the reference registry: HEAD blobs/<digest> and manifests/<tag> with Accept "<type>, */*", POST ?mount=&from= when the blob came from that repository; code: remotes/docker/pusher.go Push/Commit (POST /blobs/uploads/ 200/202/204, PUT <Location>?digest= with the body and Content-Length, 200/201/204 whose Docker-Content-Digest must equal the digest pushed); recorded',
  skopeo:
    'skopeo 1.9.3 (containers/image v5.23) recorded against the reference registry through a logging proxy; code: docker/docker_image_dest.go PutBlobWithOptions (HEAD, POST -> 202, PATCH with Content-Length and no Content-Range -> 202, PUT ?digest= empty -> 201), TryReusingBlob (POST ?from=&mount=), PutManifest; docker_image_src.go GetManifest (Accept list); recorded',
  skopeoTags: 'skopeo 1.9.3 list-tags: containers/image docker/docker_image.go GetRepositoryTags (GET tags/list, follows Link rel="next"); recorded',
  skopeoDelete: 'skopeo 1.9.3 delete: containers/image docker/docker_image_dest.go deleteImage (GET manifest by tag with the Accept list, DELETE manifests/<digest of the body>, 202 required); recorded',
  crane:
    'go-containerregistry v0.20 pkg/v1/remote (crane copy): write.go uploadOne (HEAD blob, POST ?mount=&from=&origin= with Content-Type application/json, 201 = mounted, 202 = PATCH stream + PUT ?digest=; a refused mount is retried without), commitManifest (200/201/202); fetcher.go fetchManifest (Accept joined with ",", by-digest verified, Docker-Content-Digest of tags deliberately not checked) and fetchBlob (Content-Length must equal the size, verified); from source',
  craneLs: 'go-containerregistry v0.20 pkg/v1/remote/list.go List (GET tags/list?n=<page size>, follows Link rel="next" until none; crane ls uses n=1000, library callers set WithPageSize); from source',
  craneCatalog: 'go-containerregistry v0.20 pkg/v1/remote/catalog.go Catalog/catalogPage (GET /v2/_catalog?n=<page size, default 1000>, follows Link rel="next"); crane catalog; from source',
  oras:
    'oras 1.2 / oras-go v2.5 registry/remote/repository.go: blobStore.Push (POST -> 202, PUT <Location>?digest= with the body -> 201), manifestStore push (PUT -> 201; Docker-Content-Digest if present must equal), FetchReference (Docker-Content-Digest of a tag is the digest the bytes are verified against); from source',
  orasAttach:
    'oras 1.2 attach / oras-go v2.5 registry/remote/repository.go pushWithIndexing: PUT the referrer by digest; an OCI-Subject answer means the registry indexes it; otherwise pingReferrers, then the referrers tag schema: GET manifests/<alg>-<hex>, PUT the updated index under that tag, DELETE the old index; --distribution-spec v1.1-referrers-tag forces the tag schema; from source',
  orasDiscover:
    'oras 1.2 discover / oras-go v2.5 Referrers: GET /referrers/<digest>[?artifactType=]; a 200 must be Content-Type application/vnd.oci.image.index.v1+json, a 404 (not NAME_UNKNOWN) or another type means no API: fall back to GET manifests/<alg>-<hex>; filters client-side unless OCI-Filters-Applied says artifactType; from source',
  orasCopy: 'oras 1.2 cp -r / oras-go v2.5 ExtendedCopyGraph: referrers of the source, blobs mounted from the source repository (POST ?mount=&from=), manifests PUT by digest, subject first; from source',
  helm:
    'helm v3.14 pkg/registry: client.go Push (config application/vnd.cncf.helm.config.v1+json, chart layer application/vnd.cncf.helm.chart.content.v1.tar+gzip, tag = chart version with "+" written "_") and Pull (checks the config and layer media types), constants.go; through oras-go; from source',
  cosign:
    'cosign v2.2 pkg/oci/remote (SignatureTag: "sha256-<hex>.sig", AttestationTag: ".att"), pkg/cosign verify (simple-signing payload from sigstore/sigstore pkg/signature/payload: critical.image.docker-manifest-digest and critical.identity.docker-reference checked, signature in annotation dev.cosignproject.cosign/signature), through go-containerregistry remote; from source',
  cosignReferrers:
    'cosign v2.2 with COSIGN_EXPERIMENTAL=1 --registry-referrers-mode=oci-1-1: signature manifest with subject and artifactType application/vnd.dev.cosign.artifact.sig.v1+json, found through go-containerregistry remote.Referrers (referrers API, else the sha256-<hex> tag); from source',
  buildkit:
    'BuildKit v0.12 remote cache export type=registry (cache/remotecache): image-manifest=false writes an OCI index whose entries are the layer blobs and the application/vnd.buildkit.cacheconfig.v0 config blob; image-manifest=true an OCI image manifest whose config is that blob; pushed through containerd remotes/docker; from source and the BuildKit docs',
  flux:
    'flux2 v2.2 `flux push artifact` / fluxcd/pkg/oci client (config application/vnd.cncf.flux.config.v1+json, layer application/vnd.cncf.flux.content.v1.tar+gzip, annotations org.opencontainers.image.created/source/revision), source-controller OCIRepository pull (tag list for semver, HEAD for the revision digest, layer media type checked); through go-containerregistry; from source',
};

/** The provenance requirement: what a failure means is that this client breaks. */
function client(name: string, version: string, source: string): Requirement {
  return { ref: `client: ${name} ${version}`, level: 'MUST', text: source };
}

const R = {
  pull: { ref: 'end-2, end-3', level: 'MUST', text: 'GET of an existing manifest or blob MUST return it with 200 OK.' } as Requirement,
  head: { ref: 'end-2, end-3 (HEAD)', level: 'MUST', text: 'A HEAD request to an existing blob or manifest URL MUST return 200 OK.' } as Requirement,
  push: { ref: 'end-4a, end-5, end-6', level: 'MUST', text: 'POST opens an upload session (202 + Location); PATCH adds data; PUT ?digest= closes it with 201.' } as Requirement,
  pushManifest: { ref: 'end-7', level: 'MUST', text: 'PUT of a manifest whose blobs exist MUST succeed with 201 Created.' } as Requirement,
  mount: { ref: 'end-11', level: 'MUST', text: 'POST ?mount=&from= answers 201 (mounted) or 202 (an upload session: push the blob instead).' } as Requirement,
  tags: { ref: 'end-8a, end-8b', level: 'MUST', text: 'GET tags/list returns the tags; with n, a Link header points to the next page.' } as Requirement,
  deleteManifest: { ref: 'end-9', level: 'MUST', text: 'DELETE of a manifest by digest answers 202 Accepted.' } as Requirement,
  referrers: { ref: 'end-12a / Referrers tag schema', level: 'MUST', text: 'Referrers are listed by the referrers API, or, on a registry without it, by the index under the <alg>-<ref> tag.' } as Requirement,
  range: { ref: 'end-2 (Pulling blobs)', level: 'SHOULD', text: 'A registry SHOULD support the Range request header in accordance with RFC 9110.' } as Requirement,
  catalog: { ref: 'Docker Registry HTTP API V2 /v2/_catalog', level: 'MAY', text: 'Listing repositories is not part of the OCI spec; most registries serve it.' } as Requirement,
};

// ---------------------------------------------------------------------------------------------
// Request helpers: every request carries the client's User-Agent and fixed headers.

interface Send {
  query?: Record<string, string>;
  headers?: Record<string, string | string[]>;
  body?: Uint8Array | Readable | null;
}

function send(ctx: CaseContext, who: ClientId, method: string, path: string, o: Send = {}): Promise<RegistryResponse> {
  return ctx.client.request({
    method,
    path,
    ...(o.query ? { query: o.query } : {}),
    headers: { 'user-agent': who.userAgent, ...(who.headers ?? {}), ...(o.headers ?? {}) },
    ...(o.body !== undefined ? { body: o.body } : {}),
  });
}

/**
 * A request whose answer body the client does not read: the status checked the client's way (a
 * failure carries the body start), then the body drained.
 */
async function exchange(ctx: CaseContext, who: ClientId, method: string, path: string, o: Send, status: number | readonly number[], what: string): Promise<RegistryResponse> {
  const res = await send(ctx, who, method, path, o);
  await expectStatus(res, status, what);
  await res.dump();
  return res;
}

const mp = (repo: string, ref: string) => `/v2/${repo}/manifests/${ref}`;
const bp = (repo: string, digest: string) => `/v2/${repo}/blobs/${digest}`;
const up = (repo: string) => `/v2/${repo}/blobs/uploads/`;
const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** The <alg>-<hex> tag of the referrers tag schema. */
function referrersTag(digest: string): string {
  return digest.replace(':', '-');
}

function location(res: RegistryResponse, what: string): string {
  const loc = res.header('location');
  if (!loc) fail(`${what}: a Location header`, 'no Location header', res);
  return loc;
}

/** Reads a manifest body and parses it as JSON (the client would fail to unmarshal otherwise). */
async function readManifest(res: RegistryResponse, what: string): Promise<{ bytes: Buffer; json: ManifestJson }> {
  const bytes = await res.bytes(8 * 1024 * 1024);
  let json: ManifestJson;
  try {
    json = JSON.parse(bytes.toString('utf8')) as ManifestJson;
  } catch {
    fail(`${what}: a JSON manifest`, 'a body that is not JSON', res, bytes.subarray(0, 300).toString('utf8'));
  }
  return { bytes, json };
}

interface ManifestJson {
  mediaType?: string;
  artifactType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** The blobs a manifest names: config, then layers. */
const blobsOf = (j: ManifestJson): Descriptor[] => [j.config, ...(j.layers ?? [])].filter((x): x is Descriptor => x !== undefined);

/** A digest check the way a client does it: the bytes must hash to the digest it trusts. */
function expectDigest(bytes: Uint8Array, expected: string, what: string, res: RegistryResponse): void {
  const alg = expected.startsWith('sha512:') ? 'sha512' : 'sha256';
  const actual = digestOf(bytes, alg);
  if (actual !== expected) fail(`${what}: content with digest ${expected}`, `digest mismatch: the ${bytes.length} bytes received hash to ${actual}`, res);
}

/** The media type of an answer, without parameters. */
const contentType = (res: RegistryResponse) => (res.header('content-type') ?? '').split(';')[0]!.trim();

interface Fetched {
  bytes: Buffer;
  json: ManifestJson;
  mediaType: string;
  res: RegistryResponse;
}

/** GET of a manifest (200), parsed; fetched by digest, its bytes must hash to it (`mismatch`: the client's words otherwise). */
async function getManifest(ctx: CaseContext, who: ClientId, repo: string, ref: string, accept: string | string[], what: string, mismatch = ''): Promise<Fetched> {
  const res = await send(ctx, who, 'GET', mp(repo, ref), { headers: { accept } });
  await expectStatus(res, 200, `${who.name}: GET ${what}`);
  const { bytes, json } = await readManifest(res, `${who.name}: ${what}`);
  if (ref.includes(':')) expectDigest(bytes, ref, `${who.name}: ${what}${mismatch}`, res);
  return { bytes, json, mediaType: contentType(res), res };
}

/** GET of a blob a client copies or parses: its bytes (200 required), hashed against the digest when `verify`. */
async function readBlob(ctx: CaseContext, who: ClientId, repo: string, d: { digest: string; size: number }, what: string, verify = false): Promise<Buffer> {
  const res = await send(ctx, who, 'GET', bp(repo, d.digest));
  await expectStatus(res, 200, `${who.name}: ${what}`);
  const bytes = await res.bytes(d.size + 1024);
  if (verify) expectDigest(bytes, d.digest, `${who.name}: ${what}`, res);
  return bytes;
}

/** GET a blob and verify size and digest while it streams (every client here verifies blobs). */
async function pullBlob(ctx: CaseContext, who: ClientId, repo: string, d: { digest: string; size: number; mediaType?: string }, headers: Record<string, string> = {}, what = 'blob GET'): Promise<RegistryResponse> {
  const res = await send(ctx, who, 'GET', bp(repo, d.digest), { headers });
  await expectStatus(res, 200, `${who.name}: ${what}`);
  await expectBodyDigest(res, d.digest, d.size, `${who.name}: ${what}`);
  return res;
}

/**
 * The existence check before an upload: true when the registry has the blob (200); otherwise a 404 is
 * required when `what` names the check (oras-go takes any other answer as "push it").
 */
async function blobExists(ctx: CaseContext, who: ClientId, repo: string, digest: string, what?: string): Promise<boolean> {
  const head = await send(ctx, who, 'HEAD', bp(repo, digest));
  await head.dump();
  if (head.status === 200) return true;
  if (what) await expectStatus(head, 404, `${who.name}: ${what}`);
  return false;
}

// ---------------------------------------------------------------------------------------------
// Uploads and cross-repository mounts: one row per client family, one function that runs a row.

/**
 * How a client sends a blob into the session its POST opened, one row per client family: the whole
 * blob in one PATCH then PUT ?digest= without a body, or one PUT ?digest= carrying the body.
 */
interface UploadWay {
  patch?: { status: readonly number[]; what: string };
  put: { status: number; what: string };
  /** skopeo closes with Content-Length: 0; go-containerregistry sends no length on the empty PUT. */
  emptyPutLength?: boolean;
}

const UPLOAD = {
  // containers/image docker_image_dest.go PutBlobWithOptions (recorded).
  skopeo: { patch: { status: [202], what: 'PATCH with the whole blob' }, put: { status: 201, what: 'PUT ?digest= (201 Created required)' }, emptyPutLength: true },
  // go-containerregistry write.go streamBlob, then commitBlob.
  ggcr: { patch: { status: [202, 204, 201], what: 'PATCH (streamBlob)' }, put: { status: 201, what: 'PUT ?digest= (commitBlob)' } },
  // oras-go blobStore.Push: a monolithic PUT.
  oras: { put: { status: 201, what: 'PUT ?digest= with the blob' } },
} satisfies Record<string, UploadWay>;

/** Sends `bytes` into the upload session `post` opened, the client's way, and tracks the blob. */
async function finishUpload(ctx: CaseContext, who: ClientId, way: UploadWay, repo: string, post: RegistryResponse, digest: string, bytes: Uint8Array, context = ''): Promise<void> {
  const octet = { 'content-type': 'application/octet-stream' };
  const sized = { ...octet, 'content-length': String(bytes.length) };
  let loc = location(post, `${who.name}: POST${context}`);
  if (way.patch) {
    const patch = await exchange(ctx, who, 'PATCH', loc, { headers: sized, body: bytes }, way.patch.status, `${who.name}: ${way.patch.what}${context}`);
    loc = location(patch, `${who.name}: PATCH answer`);
  }
  const closing = way.patch ? { headers: way.emptyPutLength ? { ...octet, 'content-length': '0' } : octet } : { headers: sized, body: bytes };
  await exchange(ctx, who, 'PUT', loc, { query: { digest }, ...closing }, way.put.status, `${who.name}: ${way.put.what}${context}`);
  trackBlob(ctx, repo, digest);
}

/**
 * How a client copies a blob from another repository of the registry, one row per client: HEAD at
 * the destination, POST with the mount query in the client's parameter order (201: mounted), else
 * the blob read from the source and uploaded into the session (a 202), or, for a client that retries
 * without the mount, pushed afresh.
 */
interface MountWay {
  query: (digest: string, from: string, ctx: CaseContext) => Record<string, string>;
  headers?: Record<string, string>;
  /** The POST as the client's error names it. */
  post: string;
  /** The HEAD check, when the client requires 404 for a missing blob. */
  head?: string;
  upload: UploadWay;
  /** go-containerregistry initiateUpload retries without the mount when the mount is refused. */
  retriesRefused?: boolean;
}

const MOUNT = {
  // containers/image TryReusingBlob; recorded order: from before mount.
  skopeo: { query: (d, from) => ({ from, mount: d }), headers: { 'content-length': '0' }, post: 'POST ?from=&mount=', head: 'HEAD destination blob', upload: UPLOAD.skopeo },
  // go-containerregistry write.go uploadOne: origin names the source registry.
  crane: { query: (d, from, ctx) => ({ mount: d, from, origin: ctx.client.baseUrl.host }), headers: { 'content-type': 'application/json' }, post: 'POST ?mount=&from=&origin=', head: 'HEAD blob (checkExistingBlob)', upload: UPLOAD.ggcr, retriesRefused: true },
  // oras-go Mount.
  oras: { query: (d, from) => ({ mount: d, from }), post: 'POST ?mount=&from= (Mount)', upload: UPLOAD.oras },
} satisfies Record<string, MountWay>;

/** Copies one blob from `from` to `repo` the way `way` says; what happened, with the POST's status. */
async function copyBlob(ctx: CaseContext, who: ClientId, way: MountWay, from: string, repo: string, d: Descriptor): Promise<{ outcome: 'exists' | 'mounted' | 'uploaded'; status?: number }> {
  if (await blobExists(ctx, who, repo, d.digest, way.head)) return { outcome: 'exists' };
  const post = await send(ctx, who, 'POST', up(repo), { query: way.query(d.digest, from, ctx), ...(way.headers ? { headers: way.headers } : {}) });
  await post.dump();
  if (!way.retriesRefused) await expectStatus(post, [201, 202], `${who.name}: ${way.post}`);
  if (post.status === 201) {
    trackBlob(ctx, repo, d.digest);
    return { outcome: 'mounted', status: 201 };
  }
  const bytes = await readBlob(ctx, who, from, d, 'GET source blob');
  if (post.status === 202) await finishUpload(ctx, who, way.upload, repo, post, d.digest, bytes, ' (after a 202 to the mount)');
  else {
    ctx.observe(`${who.name}.mount-refused-status`, post.status);
    await ggcrPushBlob(ctx, who, repo, blobOf(bytes, d.mediaType));
  }
  return { outcome: 'uploaded', status: post.status };
}

/** Manifest bytes as pushed or as received (copies PUT the bytes they got, never a re-serialization). */
interface Raw {
  bytes: Buffer;
  digest: string;
  mediaType: string;
}

// ---------------------------------------------------------------------------------------------
// Push flows, one per client family.

/**
 * docker (recorded): [HEAD], POST (?from=&mount= for a layer it knows from another repository), one
 * chunked PATCH without Content-Type or Content-Range, PUT ?digest= with no body, HEAD. docker HEADs
 * first only what it has metadata for (a layer pushed before, the config); a fresh layer goes straight
 * to the POST.
 */
async function dockerPushBlob(ctx: CaseContext, repo: string, b: Blob, o: { headFirst: boolean; from?: string }): Promise<'exists' | 'mounted' | 'uploaded'> {
  const who = DOCKER;
  const from = o.from;
  if (o.headFirst && (await blobExists(ctx, who, repo, b.digest, 'HEAD of a blob not yet pushed (layerAlreadyExists / Stat)'))) return 'exists';
  const post = await send(ctx, who, 'POST', up(repo), { ...(from ? { query: { from, mount: b.digest } } : {}), headers: { 'content-length': '0' } });
  await post.dump();
  if (from && post.status === 201) {
    trackBlob(ctx, repo, b.digest);
    // A mounted layer is checked with a Stat, as recorded.
    await exchange(ctx, who, 'HEAD', bp(repo, b.digest), {}, 200, 'docker: HEAD of the mounted layer');
    return 'mounted';
  }
  await expectStatus(post, 202, `docker: POST ${from ? '?mount=&from= (201 mounted or 202 upload)' : 'opening an upload'}`);
  const loc = location(post, 'docker: POST /blobs/uploads/');
  // Readable.from: no Content-Length, so the body goes out chunked as docker's io.Reader does.
  const body = Readable.from([b.bytes.subarray(0, b.size >> 1), b.bytes.subarray(b.size >> 1)]);
  const patch = await exchange(ctx, who, 'PATCH', loc, { body }, [200, 201, 202, 204], 'docker: streamed PATCH (blob_writer.ReadFrom accepts any 2xx)');
  // ReadFrom parses Range "%d-%d" from the answer and fails without it.
  const rng = patch.header('range');
  const m = rng ? /^(\d+)-(\d+)$/.exec(rng.trim()) : null;
  if (!m) fail('docker: a Range header "0-<last byte>" on the PATCH answer (blob_writer.ReadFrom parses it, and fails without it)', rng === undefined ? 'no Range header' : `Range: ${rng}`, patch);
  ctx.observe('docker.patch-range', rng!);
  await exchange(ctx, who, 'PUT', patch.header('location') ?? loc, { query: { digest: b.digest }, headers: { 'content-length': '0' } }, [200, 201, 202, 204], 'docker: PUT ?digest= closing the upload');
  trackBlob(ctx, repo, b.digest);
  // Commit ends with blobStatter.Stat: a HEAD that must carry Content-Length.
  const stat = await exchange(ctx, who, 'HEAD', bp(repo, b.digest), {}, 200, 'docker: HEAD after the upload (blobStatter.Stat)');
  const len = stat.header('content-length');
  expectThat(len !== undefined && Number(len) === b.size, `docker: Content-Length ${b.size} on the HEAD after the upload ("missing content-length header" otherwise)`, len === undefined ? 'no Content-Length' : `Content-Length: ${len}`, stat);
  return 'uploaded';
}

/** docker's manifest PUT: any 2xx, and a Docker-Content-Digest that parses (manifests.Put returns it). */
async function dockerPutManifest(ctx: CaseContext, repo: string, ref: string, m: Raw): Promise<string> {
  const res = await exchange(ctx, DOCKER, 'PUT', mp(repo, ref), { headers: { 'content-type': m.mediaType }, body: m.bytes }, [200, 201, 202, 204], `docker: PUT manifest ${ref}`);
  trackManifest(ctx, repo, m.digest);
  const dgst = res.header('docker-content-digest');
  if (!dgst || !/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(dgst)) {
    fail('docker: a Docker-Content-Digest header on the manifest PUT answer (manifests.Put parses it; "invalid checksum digest format" otherwise)', dgst === undefined ? 'no Docker-Content-Digest' : `Docker-Content-Digest: ${dgst}`, res);
  }
  ctx.observe('docker.manifest-digest-matches', dgst === m.digest);
  return dgst;
}

/**
 * containerd pusher (recorded from ctr 1.6.20): HEAD with Accept "<type>" and the any-type range (a manifest by its tag),
 * POST, PUT ?digest= with the body; the digest header of the answer must match.
 */
async function containerdPush(ctx: CaseContext, who: ClientId, repo: string, item: { bytes: Buffer; digest: string; mediaType: string }, manifestRef?: string, from?: string): Promise<'exists' | 'mounted' | 'pushed'> {
  const isManifest = manifestRef !== undefined;
  const head = await send(ctx, who, 'HEAD', isManifest ? mp(repo, manifestRef) : bp(repo, item.digest), { headers: { accept: `${item.mediaType}, */*` } });
  await head.dump();
  // A blob that is there is skipped; a manifest only when the tag already names this digest.
  if (head.status === 200 && (!isManifest || head.header('docker-content-digest') === item.digest)) return 'exists';
  if (head.status !== 200) await expectStatus(head, 404, `${who.name}: existence check HEAD (anything but 200/404 is "unexpected response")`);
  const putWhat = `${who.name}: PUT ${isManifest ? `manifest ${manifestRef}` : '?digest= with the blob'}`;
  let res: RegistryResponse;
  if (isManifest) {
    res = await exchange(ctx, who, 'PUT', mp(repo, manifestRef), { headers: { 'content-type': item.mediaType, 'content-length': String(item.bytes.length) }, body: item.bytes }, [200, 201, 204], putWhat);
    trackManifest(ctx, repo, item.digest);
  } else {
    // requestWithMountFrom appends "mount=<digest>&from=<repository>" unencoded, as recorded.
    const post = await send(ctx, who, 'POST', from ? `${up(repo)}?mount=${item.digest}&from=${from}` : up(repo), { headers: { 'content-length': '0' } });
    await post.dump();
    if (from && post.status === 201) {
      trackBlob(ctx, repo, item.digest);
      return 'mounted';
    }
    await expectStatus(post, [200, 202, 204], `${who.name}: POST /blobs/uploads/${from ? '?mount=&from= (201 mounted, or an upload session)' : ''}`);
    const loc = location(post, `${who.name}: POST /blobs/uploads/`);
    res = await exchange(ctx, who, 'PUT', loc, { query: { digest: item.digest }, headers: { 'content-length': String(item.bytes.length) }, body: Readable.from([item.bytes]) }, [200, 201, 204], putWhat);
    trackBlob(ctx, repo, item.digest);
  }
  const got = res.header('docker-content-digest');
  expectThat(got === item.digest, `${who.name}: Docker-Content-Digest ${item.digest} on the PUT answer (pushWriter.Commit: "got digest ..., expected ...")`, got === undefined ? 'no Docker-Content-Digest ("invalid content digest in response")' : `Docker-Content-Digest: ${got}`, res);
  return 'pushed';
}

async function containerdPushImage(ctx: CaseContext, who: ClientId, repo: string, m: Manifest, tag: string): Promise<void> {
  for (const b of m.blobs) await containerdPush(ctx, who, repo, { bytes: b.bytes, digest: b.digest, mediaType: b.mediaType });
  await containerdPush(ctx, who, repo, { bytes: m.bytes, digest: m.digest, mediaType: m.mediaType }, tag);
}

/** containers/image PutBlobWithOptions after its HEAD (recorded): POST answered 202, then the skopeo upload row. */
async function skopeoUpload(ctx: CaseContext, repo: string, digest: string, bytes: Buffer, context = ''): Promise<void> {
  const post = await exchange(ctx, SKOPEO, 'POST', up(repo), { headers: { 'content-length': '0' } }, 202, `skopeo: POST /blobs/uploads/${context} ("initiating layer upload ... failed" unless 202)`);
  await finishUpload(ctx, SKOPEO, UPLOAD.skopeo, repo, post, digest, bytes, context);
}

/** containers/image PutManifest: any 2xx. */
async function skopeoPutManifest(ctx: CaseContext, repo: string, m: Raw): Promise<void> {
  await exchange(ctx, SKOPEO, 'PUT', mp(repo, 'v1'), { headers: { 'content-type': m.mediaType, 'content-length': String(m.bytes.length) }, body: m.bytes }, [200, 201, 202, 204], 'skopeo: PUT manifest');
  trackManifest(ctx, repo, m.digest);
}

/** go-containerregistry writer: HEAD, POST (mount+from when known), PATCH stream + PUT, or mounted. */
async function ggcrPushBlob(ctx: CaseContext, who: ClientId, repo: string, b: Blob, from?: string): Promise<'exists' | 'mounted' | 'uploaded'> {
  if (await blobExists(ctx, who, repo, b.digest, 'HEAD blob (checkExistingBlob accepts 200 or 404)')) return 'exists';
  const open = async (query?: Record<string, string>) => {
    const res = await send(ctx, who, 'POST', up(repo), { ...(query ? { query } : {}), headers: { 'content-type': 'application/json' } });
    await res.dump();
    return res;
  };
  let post = await open(from ? { mount: b.digest, from } : undefined);
  if (from && ![201, 202].includes(post.status)) {
    // initiateUpload retries without the mount when the mount attempt is refused.
    ctx.observe(`${who.name}.mount-refused-status`, post.status);
    post = await open();
  }
  await expectStatus(post, [201, 202], `${who.name}: POST /blobs/uploads/`);
  if (post.status === 201) {
    trackBlob(ctx, repo, b.digest);
    return 'mounted';
  }
  await finishUpload(ctx, who, UPLOAD.ggcr, repo, post, b.digest, b.bytes);
  return 'uploaded';
}

async function ggcrPutManifest(ctx: CaseContext, who: ClientId, repo: string, ref: string, m: Raw): Promise<RegistryResponse> {
  const res = await exchange(ctx, who, 'PUT', mp(repo, ref), { headers: { 'content-type': m.mediaType }, body: m.bytes }, [200, 201, 202], `${who.name}: PUT manifest ${ref} (commitManifest)`);
  trackManifest(ctx, repo, m.digest);
  return res;
}

async function ggcrPushImage(ctx: CaseContext, who: ClientId, repo: string, m: Manifest, ref: string): Promise<void> {
  for (const b of m.blobs) await ggcrPushBlob(ctx, who, repo, b);
  await ggcrPutManifest(ctx, who, repo, ref, m);
}

/** oras-go blobStore.Push: HEAD (Exists), POST -> 202, PUT <Location>?digest= with the body -> 201. */
async function orasPushBlob(ctx: CaseContext, who: ClientId, repo: string, b: Blob): Promise<void> {
  if (await blobExists(ctx, who, repo, b.digest, 'HEAD blob (Exists)')) return;
  const post = await exchange(ctx, who, 'POST', up(repo), {}, 202, `${who.name}: POST /blobs/uploads/ (blobStore.Push wants 202)`);
  await finishUpload(ctx, who, UPLOAD.oras, repo, post, b.digest, b.bytes);
}

/** oras-go manifest push: 201 exactly; a Docker-Content-Digest, when present, must be the digest pushed. */
async function orasPutManifest(ctx: CaseContext, who: ClientId, repo: string, ref: string, m: Raw): Promise<RegistryResponse> {
  const res = await exchange(ctx, who, 'PUT', mp(repo, ref), { headers: { 'content-type': m.mediaType, 'content-length': String(m.bytes.length) }, body: m.bytes }, 201, `${who.name}: PUT manifest ${ref}`);
  trackManifest(ctx, repo, m.digest);
  const got = res.header('docker-content-digest');
  if (got !== undefined) expectThat(got === m.digest, `${who.name}: Docker-Content-Digest ${m.digest} (verifyContentDigest)`, `Docker-Content-Digest: ${got}`, res);
  return res;
}

async function orasPushArtifact(ctx: CaseContext, who: ClientId, repo: string, m: Manifest, ref: string): Promise<RegistryResponse> {
  for (const b of m.blobs) await orasPushBlob(ctx, who, repo, b);
  return orasPutManifest(ctx, who, repo, ref, m);
}

// ---------------------------------------------------------------------------------------------
// Pull flows.

/**
 * docker 20.10 adds one Accept line per registered manifest type (Go map order, so it varies between
 * requests); this is the order recorded on the HEAD by tag.
 */
const DOCKER_ACCEPT = [
  MediaType.ociManifest,
  MediaType.dockerManifest,
  MediaType.dockerManifestList,
  MediaType.ociIndex,
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
  'application/json',
];
const CONTAINERD_ACCEPT = [MediaType.dockerManifest, MediaType.dockerManifestList, MediaType.ociManifest, MediaType.ociIndex, '*/*'].join(', ');
/** Recorded from skopeo 1.9.3. */
const SKOPEO_ACCEPT = [
  MediaType.ociManifest,
  MediaType.dockerManifest,
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
  'application/vnd.docker.distribution.manifest.v1+json',
  MediaType.dockerManifestList,
  MediaType.ociIndex,
].join(', ');
/** go-containerregistry remote.Get: every manifest type, joined with "," (no space). */
const GGCR_ACCEPT = [
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
  'application/vnd.docker.distribution.manifest.v1+json',
  MediaType.ociManifest,
  MediaType.dockerManifest,
  MediaType.ociIndex,
  MediaType.dockerManifestList,
].join(',');
const ORAS_ACCEPT = [MediaType.dockerManifest, MediaType.dockerManifestList, MediaType.ociManifest, MediaType.ociIndex, 'application/vnd.oci.artifact.manifest.v1+json'].join(', ');

const INDEX_TYPES = new Set<string>([MediaType.ociIndex, MediaType.dockerManifestList]);

function pickPlatform(json: ManifestJson): Descriptor {
  const list = json.manifests ?? [];
  const d = list.find((x) => x.platform?.os === 'linux' && x.platform.architecture === 'amd64') ?? list[0];
  if (!d) throw new Error('empty index');
  return d;
}

/**
 * docker pull (recorded): GET /v2/, HEAD of the tag for its Docker-Content-Digest, GET of the manifest
 * by that digest (verified: "manifest verification failed for digest"), a list resolved to the
 * platform's manifest by digest, then config and layers verified.
 */
async function dockerPull(ctx: CaseContext, repo: string, ref: string): Promise<{ digest: string; mediaType: string }> {
  const who = DOCKER;
  const ping = await send(ctx, who, 'GET', '/v2/');
  await ping.dump();
  await expectStatus(ping, [200, 401], 'docker: GET /v2/ (the ping)');
  let target = ref;
  if (!ref.includes(':')) {
    const head = await send(ctx, who, 'HEAD', mp(repo, ref), { headers: { accept: DOCKER_ACCEPT } });
    await head.dump();
    await expectStatus(head, 200, `docker: HEAD manifest ${ref} (tag to digest)`);
    const d = head.header('docker-content-digest');
    // Without the header docker falls back to a GET by tag, which it cannot verify.
    if (d) target = d;
    else ctx.observe('docker.tag-resolve', 'GET by tag (HEAD had no Docker-Content-Digest)');
  }
  const byDigest = target.includes(':');
  const res = await send(ctx, who, 'GET', mp(repo, target), { headers: { accept: [...DOCKER_ACCEPT.slice(2), ...DOCKER_ACCEPT.slice(0, 2)] } });
  await expectStatus(res, 200, `docker: GET manifest ${target}`);
  const ct = contentType(res);
  const { bytes, json } = await readManifest(res, 'docker: manifest');
  // UnmarshalManifest picks the type from Content-Type; schema1 types are not what was pushed here.
  const known = [MediaType.dockerManifest, MediaType.dockerManifestList, MediaType.ociManifest, MediaType.ociIndex] as string[];
  expectThat(known.includes(ct), 'docker: a Content-Type docker can unmarshal as schema 2, a manifest list or OCI', `Content-Type: ${ct || '(none)'}`, res);
  if (byDigest) expectDigest(bytes, target, 'docker: manifest by digest (schema2ManifestDigest: "manifest verification failed for digest")', res);
  const digest = byDigest ? target : sha256(bytes);
  let image = json;
  if (INDEX_TYPES.has(ct)) {
    const child = pickPlatform(json);
    image = (await getManifest(ctx, who, repo, child.digest, DOCKER_ACCEPT, 'the platform manifest of the list by digest', ' ("manifest verification failed")')).json;
  }
  if (image.config) await pullBlob(ctx, who, repo, image.config, {}, 'config blob (verified against its digest)');
  for (const l of image.layers ?? []) await pullBlob(ctx, who, repo, l, {}, 'layer blob (verified against its digest)');
  return { digest, mediaType: ct };
}

/** containerd pull: resolve by HEAD (Docker-Content-Digest + Content-Length), fetch by digest, verify. */
async function containerdPull(ctx: CaseContext, who: ClientId, repo: string, ref: string): Promise<{ digest: string; size: number; mediaType: string }> {
  const head = await send(ctx, who, 'HEAD', mp(repo, ref), { headers: { accept: CONTAINERD_ACCEPT } });
  await head.dump();
  await expectStatus(head, 200, `${who.name}: HEAD manifest ${ref} (Resolve)`);
  let mediaType = contentType(head);
  let digest = ref.includes(':') ? ref : head.header('docker-content-digest');
  let size = head.header('content-length') !== undefined ? Number(head.header('content-length')) : -1;
  if (!digest || size < 0) {
    // Resolve falls back to a GET and hashes the body when the HEAD lacks the digest or size.
    ctx.observe(`${who.name}.resolve`, 'GET (HEAD lacked Docker-Content-Digest or Content-Length)');
    const get = await send(ctx, who, 'GET', mp(repo, ref), { headers: { accept: CONTAINERD_ACCEPT } });
    await expectStatus(get, 200, `${who.name}: GET manifest ${ref} (Resolve fallback)`);
    const b = await get.bytes(8 * 1024 * 1024);
    mediaType = contentType(get);
    digest = digest ?? sha256(b);
    size = b.length;
  }
  const fetchManifest = async (d: string, mt: string, expectedSize: number): Promise<ManifestJson> => {
    const res = await send(ctx, who, 'GET', mp(repo, d), { headers: { accept: `${mt}, */*` } });
    await expectStatus(res, 200, `${who.name}: GET manifest ${d} (Fetch)`);
    const { bytes, json } = await readManifest(res, `${who.name}: manifest`);
    // content.Copy commits with the resolved size and digest: the size is checked first
    // ("unexpected commit size"), then the digest ("unexpected commit digest").
    const actual = sha256(bytes);
    if (bytes.length !== expectedSize || actual !== d) {
      fail(`${who.name}: the manifest as resolved, ${expectedSize} bytes with digest ${d} ("unexpected commit size" / "unexpected commit digest")`, `digest mismatch: ${bytes.length} bytes hashing to ${actual}`, res);
    }
    return json;
  };
  let json = await fetchManifest(digest, mediaType, size);
  if (INDEX_TYPES.has(mediaType)) {
    const child = pickPlatform(json);
    json = await fetchManifest(child.digest, child.mediaType, child.size);
  }
  if (json.config) await pullBlob(ctx, who, repo, json.config, { accept: `${json.config.mediaType}, */*` }, 'config blob');
  for (const l of json.layers ?? []) await pullBlob(ctx, who, repo, l, { accept: `${l.mediaType}, */*` }, 'layer blob');
  return { digest, size, mediaType };
}

/** go-containerregistry fetchManifest: Accept joined with ","; by digest the bytes must match. */
function ggcrGetManifest(ctx: CaseContext, who: ClientId, repo: string, ref: string, accept = GGCR_ACCEPT): Promise<Fetched> {
  return getManifest(ctx, who, repo, ref, accept, `manifest ${ref}`, ' by digest ("manifest digest ... does not match requested digest")');
}

/** go-containerregistry headManifest: Content-Type, Content-Length and Docker-Content-Digest are all required. */
async function ggcrHeadManifest(ctx: CaseContext, who: ClientId, repo: string, ref: string): Promise<string> {
  const res = await send(ctx, who, 'HEAD', mp(repo, ref), { headers: { accept: GGCR_ACCEPT } });
  await res.dump();
  await expectStatus(res, 200, `${who.name}: HEAD manifest ${ref}`);
  for (const h of ['content-type', 'content-length', 'docker-content-digest']) {
    if (res.header(h) === undefined) fail(`${who.name}: HEAD manifest answers with ${h} ("response did not include ${h} header")`, `no ${h}`, res);
  }
  const d = res.header('docker-content-digest')!;
  if (ref.includes(':')) expectThat(d === ref, `${who.name}: Docker-Content-Digest ${ref}`, d, res);
  return d;
}

/** oras-go FetchReference of a manifest: a tag's Docker-Content-Digest is what the bytes are verified against. */
async function orasFetchManifest(ctx: CaseContext, who: ClientId, repo: string, ref: string, accept = ORAS_ACCEPT): Promise<{ bytes: Buffer; json: ManifestJson; digest: string } | undefined> {
  const res = await send(ctx, who, 'GET', mp(repo, ref), { headers: { accept } });
  if (res.status === 404) {
    await res.dump();
    return undefined;
  }
  await expectStatus(res, [200, 404], `${who.name}: GET manifest ${ref}`);
  const ct = res.header('content-type');
  if (!ct) fail(`${who.name}: a Content-Type on the manifest`, 'no Content-Type', res);
  const { bytes, json } = await readManifest(res, `${who.name}: manifest`);
  const header = res.header('docker-content-digest');
  const expected = ref.includes(':') ? ref : header;
  if (ref.includes(':') && header !== undefined) expectThat(header === ref, `${who.name}: Docker-Content-Digest ${ref}`, header, res);
  if (expected) expectDigest(bytes, expected, `${who.name}: manifest (verified against ${ref.includes(':') ? 'the digest asked for' : 'Docker-Content-Digest'})`, res);
  return { bytes, json, digest: expected ?? sha256(bytes) };
}

// ---------------------------------------------------------------------------------------------
// Content: pushed once in setup (the pull flows read it), or the content named by --tag/--digest.

interface Fixtures {
  repo: string;
  /** Docker schema 2 image (read-only: the existing content). */
  image: { tag?: string; digest: string; mediaType: string; manifest?: Manifest };
  /** An OCI index over two OCI images (not in read-only mode). */
  index?: { tag: string; manifest: Manifest; children: Manifest[] };
  /** A blob to resume: the biggest layer (read-only: the config of the existing content). */
  blob: { digest: string; size: number; mediaType: string };
}

const KEY = 'clients';

function fx(ctx: CaseContext): Fixtures {
  const f = ctx.state.get(KEY) as Fixtures | undefined;
  if (!f) throw new Error('clients fixtures missing: suite setup did not run');
  return f;
}

function needsTag(ctx: CaseContext): string {
  const t = fx(ctx).image.tag;
  if (!t) return ctx.skip('read-only', 'the existing content was named by digest only (give --tag to replay pulls by tag)');
  return t;
}

async function setup(ctx: CaseContext): Promise<void> {
  if (ctx.readOnly) {
    // Loaded lazily by the first case that needs it, so a missing --tag skips rather than errors.
    return;
  }
  const image = makeImage({ format: 'docker', layerSizes: [48 * 1024, 4096] });
  await pushImage(ctx, ctx.repo, image, 'v1');
  const children = [makeImage({ layerSizes: [2048] }), makeImage({ layerSizes: [1024] })];
  for (const c of children) await pushImage(ctx, ctx.repo, c);
  const index = makeIndex(children, 'oci');
  await pushImage(ctx, ctx.repo, index, 'multi');
  const big = image.blobs[1]!;
  ctx.state.set(KEY, {
    repo: ctx.repo,
    image: { tag: 'v1', digest: image.digest, mediaType: image.mediaType, manifest: image },
    index: { tag: 'multi', manifest: index, children },
    blob: { digest: big.digest, size: big.size, mediaType: big.mediaType },
  } satisfies Fixtures);
}

/** Fixtures, loading the existing content first in read-only mode. */
async function content(ctx: CaseContext): Promise<Fixtures> {
  if (!ctx.state.has(KEY)) {
    const ex = await loadExistingContent(ctx);
    ctx.state.set(KEY, {
      repo: ex.repo,
      image: { ...(ex.manifest.tag ? { tag: ex.manifest.tag } : {}), digest: ex.manifest.digest, mediaType: ex.manifest.mediaType },
      blob: { digest: ex.blob.digest, size: ex.blob.size, mediaType: 'application/octet-stream' },
    } satisfies Fixtures);
  }
  return fx(ctx);
}

// ---------------------------------------------------------------------------------------------
// Small builders of the content each client produces.

function gz(text: string): Buffer {
  return gzipSync(Buffer.from(text));
}

/** A signing key for the cosign flows (generated per run; verify uses its public half). */
function cosignKey(ctx: CaseContext): { priv: KeyObject; pub: KeyObject } {
  let k = ctx.state.get('cosign.key') as { priv: KeyObject; pub: KeyObject } | undefined;
  if (!k) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    k = { priv: privateKey, pub: publicKey };
    ctx.state.set('cosign.key', k);
  }
  return k;
}

/**
 * What cosign signs: the pushed v1 image resolved the go-containerregistry way, the repository as
 * the payload names it, and the tag its signatures (.sig) or attestations (.att) go under.
 */
async function cosignTarget(ctx: CaseContext, suffix: '.sig' | '.att'): Promise<{ f: Fixtures; digest: string; reference: string; tag: string }> {
  const f = fx(ctx);
  const digest = await ggcrHeadManifest(ctx, COSIGN, f.repo, 'v1');
  return { f, digest, reference: `${ctx.client.baseUrl.host}/${f.repo}`, tag: `${referrersTag(digest)}${suffix}` };
}

/** sigstore simple signing payload as cosign writes it. */
function simpleSigningPayload(dockerReference: string, digest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: { identity: { 'docker-reference': dockerReference }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' },
      optional: null,
    }),
  );
}

/** cosign's signature image: an OCI manifest, a small config, one simple-signing layer with the signature annotation. */
function cosignSignatureManifest(payload: Buffer, signature: string, mediaType = 'application/vnd.dev.cosign.simplesigning.v1+json', annotations: Record<string, string> = {}): Manifest {
  const layer = blobOf(payload, mediaType);
  const config = blobOf(Buffer.from(JSON.stringify({ architecture: '', created: '0001-01-01T00:00:00Z', history: [{ created: '0001-01-01T00:00:00Z' }], os: '', rootfs: { type: 'layers', diff_ids: [layer.digest] }, config: {} })), MediaType.ociConfig);
  const json = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: descriptorOf(config),
    layers: [descriptorOf(layer, { annotations: { 'dev.cosignproject.cosign/signature': signature, ...annotations } })],
  };
  return manifestOf(json, [config, layer]);
}

function referrerIndex(descs: Descriptor[]): Manifest {
  return manifestOf({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: descs }, []);
}

/** The descriptor a referrers list or referrers-tag index carries for a referrer. */
function referrerDescriptor(m: { bytes: Buffer; digest: string; mediaType: string; json: unknown }): Descriptor {
  const j = m.json as ManifestJson;
  return { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length, artifactType: j.artifactType ?? j.config?.mediaType ?? '', ...(j.annotations ? { annotations: j.annotations } : {}) };
}

/**
 * go-containerregistry commitSubjectReferrers (cosign): after a PUT with subject, GET referrers; on
 * 404/400 keep the sha256-<hex> tag index up to date (descriptor artifactType = config media type,
 * entries sorted by digest, no delete of the old index).
 */
async function ggcrIndexReferrer(ctx: CaseContext, who: ClientId, repo: string, m: Raw & { json: unknown }, subject: string): Promise<ReferrersMode> {
  const probe = await send(ctx, who, 'GET', `/v2/${repo}/referrers/${subject}`, { headers: { accept: MediaType.ociIndex } });
  await probe.dump();
  await expectStatus(probe, [200, 404, 400], `${who.name}: GET referrers (commitSubjectReferrers)`);
  if (probe.status === 200) return 'referrers-api';
  const tag = referrersTag(subject);
  const res = await send(ctx, who, 'GET', mp(repo, tag), { headers: { accept: MediaType.ociIndex } });
  await expectStatus(res, [200, 404], `${who.name}: GET the fallback tag ${tag}`);
  let descs: Descriptor[] = [];
  if (res.status === 200) {
    const { json } = await readManifest(res, `${who.name}: fallback tag index`);
    expectThat(json.mediaType === MediaType.ociIndex, `${who.name}: the fallback tag holds an OCI index ("fallback tag manifest is not an OCI image index")`, String(json.mediaType), res);
    descs = json.manifests ?? [];
  } else await res.dump();
  const j = m.json as ManifestJson;
  if (!descs.some((d) => d.digest === m.digest)) descs.push({ mediaType: m.mediaType, digest: m.digest, size: m.bytes.length, artifactType: j.config?.mediaType ?? '', ...(j.annotations ? { annotations: j.annotations } : {}) });
  descs.sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
  await ggcrPutManifest(ctx, who, repo, tag, referrerIndex(descs));
  return 'tag-schema';
}

// ---------------------------------------------------------------------------------------------
// oras referrers logic (shared by oras, cosign's referrers mode and the fallback cases).

type ReferrersMode = 'referrers-api' | 'tag-schema';

/** oras-go Referrers: the API first, the tag schema when the API is not there. */
async function orasReferrers(ctx: CaseContext, who: ClientId, repo: string, subject: string, artifactType?: string, forceTagSchema = false): Promise<{ mode: ReferrersMode; referrers: Descriptor[] }> {
  if (!forceTagSchema) {
    const res = await send(ctx, who, 'GET', `/v2/${repo}/referrers/${subject}`, artifactType ? { query: { artifactType } } : {});
    if (res.status === 200 && res.header('content-type') === MediaType.ociIndex) {
      const { json } = await readManifest(res, `${who.name}: referrers index`);
      let refs = json.manifests ?? [];
      const applied = (res.header('oci-filters-applied') ?? '').split(',').map((s) => s.trim());
      if (artifactType && !applied.includes('artifactType')) refs = refs.filter((d) => d.artifactType === artifactType);
      return { mode: 'referrers-api', referrers: refs };
    }
    const text = await res.text(1024 * 1024).catch(() => '');
    if (res.status === 404 && /NAME_UNKNOWN/.test(text)) fail(`${who.name}: the referrers of an existing repository`, 'status 404 NAME_UNKNOWN (oras treats it as "repository not found")', res, text);
    if (res.status !== 404 && res.status !== 200) fail(`${who.name}: the referrers API answering 200 (an OCI index) or 404 (no API: fall back to the tag schema)`, `status ${res.status}`, res, text);
    ctx.observe(`${who.name}.referrers-api`, res.status === 200 ? `200 with Content-Type ${res.header('content-type') ?? '(none)'}: not an index, falls back` : '404: falls back to the tag schema');
  }
  const got = await orasFetchManifest(ctx, who, repo, referrersTag(subject), MediaType.ociIndex);
  let refs = got?.json.manifests ?? [];
  if (artifactType) refs = refs.filter((d) => d.artifactType === artifactType);
  return { mode: 'tag-schema', referrers: refs };
}

/** oras-go pushWithIndexing: after a PUT with subject, index it under the tag schema unless the registry does. */
async function orasIndexReferrer(ctx: CaseContext, who: ClientId, repo: string, referrer: Descriptor, subject: string, put: RegistryResponse, forceTagSchema: boolean): Promise<ReferrersMode> {
  if (!forceTagSchema) {
    if (put.header('oci-subject') === subject) return 'referrers-api';
    // pingReferrers: GET /referrers/<zero digest>; 200 + index type means the API exists.
    const ping = await send(ctx, who, 'GET', `/v2/${repo}/referrers/sha256:${'0'.repeat(64)}`);
    const ok = ping.status === 200 && ping.header('content-type') === MediaType.ociIndex;
    await ping.dump();
    if (ok) return 'referrers-api';
  }
  const tag = referrersTag(subject);
  const old = await orasFetchManifest(ctx, who, repo, tag, MediaType.ociIndex);
  const descs = (old?.json.manifests ?? []).filter((d) => d.digest !== referrer.digest);
  const next = referrerIndex([...descs, referrer]);
  await orasPutManifest(ctx, who, repo, tag, next);
  if (old && old.digest !== next.digest) {
    // The replaced index is deleted (referrers GC), best effort as oras does.
    const del = await send(ctx, who, 'DELETE', mp(repo, old.digest));
    await del.dump();
    ctx.observe(`${who.name}.old-index-delete`, del.status);
  }
  return 'tag-schema';
}

// ---------------------------------------------------------------------------------------------
// The flows, one object per client family; the table at the end gives each its id, title and
// requirements.

/** docker / moby. */
const docker = {
  async pushSchema2(ctx: CaseContext): Promise<void> {
    const repo = ctx.freshRepo('docker-push');
    const image = makeImage({ format: 'docker', layerSizes: [96 * 1024, 512] });
    const ping = await send(ctx, DOCKER, 'GET', '/v2/');
    await ping.dump();
    // Layers first, then the config (the schema 2 builder's Build: Stat, then Put).
    for (const b of image.blobs.slice(1)) await dockerPushBlob(ctx, repo, b, { headFirst: false });
    await dockerPushBlob(ctx, repo, image.blobs[0]!, { headFirst: true });
    await dockerPutManifest(ctx, repo, 'latest', image);
  },
  async pushOci(ctx: CaseContext): Promise<void> {
    const repo = ctx.freshRepo('docker-push-oci');
    await containerdPushImage(ctx, DOCKER, repo, makeImage({ layerSizes: [32 * 1024] }), 'latest');
  },
  async pushMount(ctx: CaseContext): Promise<void> {
    const f = fx(ctx);
    const m = f.image.manifest!;
    const repo = ctx.freshRepo('docker-mount');
    const outcomes: string[] = [];
    // Layers are mounted from the repository docker knows them from; the config is uploaded.
    for (const b of m.blobs.slice(1)) outcomes.push(await dockerPushBlob(ctx, repo, b, { headFirst: true, from: f.repo }));
    await dockerPushBlob(ctx, repo, m.blobs[0]!, { headFirst: true });
    ctx.observe('docker.mount', outcomes.join(','));
    await dockerPutManifest(ctx, repo, 'v1', m);
    const check = await send(ctx, DOCKER, 'GET', mp(repo, m.digest), { headers: { accept: DOCKER_ACCEPT } });
    await expectStatus(check, 200, 'docker: the mounted image pulls');
    await check.dump();
  },
  async pullByTag(ctx: CaseContext): Promise<void> {
    const f = await content(ctx);
    const tag = needsTag(ctx);
    const got = await dockerPull(ctx, f.repo, tag);
    ctx.observe('docker.tag-digest', got.digest);
    if (!ctx.readOnly) ctx.observe('docker.tag-digest-is-pushed-digest', got.digest === f.image.digest);
  },
  async pullByDigest(ctx: CaseContext): Promise<void> {
    const f = await content(ctx);
    await dockerPull(ctx, f.repo, f.image.digest);
  },
  async manifestList(ctx: CaseContext): Promise<void> {
    const f = fx(ctx);
    const repo = ctx.freshRepo('docker-list');
    const children = [makeImage({ format: 'docker', layerSizes: [1024] }), makeImage({ format: 'docker', layerSizes: [2048] })];
    for (const c of children) await pushImage(ctx, f.repo, c);
    for (const c of children) {
      for (const b of c.blobs.slice(1)) await dockerPushBlob(ctx, repo, b, { headFirst: true, from: f.repo });
      await dockerPushBlob(ctx, repo, c.blobs[0]!, { headFirst: true });
      await dockerPutManifest(ctx, repo, c.digest, c);
    }
    const list = makeIndex(children, 'docker');
    await dockerPutManifest(ctx, repo, 'multi', list);
    const got = await dockerPull(ctx, repo, 'multi');
    expectThat(got.mediaType === MediaType.dockerManifestList, `docker: the list comes back as ${MediaType.dockerManifestList}`, `Content-Type: ${got.mediaType}`);
  },
};

/** containerd (ctr). */
const containerd = {
  async pull(ctx: CaseContext): Promise<void> {
    const f = await content(ctx);
    const tag = needsTag(ctx);
    const got = await containerdPull(ctx, CONTAINERD, f.repo, tag);
    if (!ctx.readOnly) ctx.observe('containerd.tag-digest-is-pushed-digest', got.digest === f.image.digest);
    if (f.index) await containerdPull(ctx, CONTAINERD, f.repo, f.index.tag);
  },
  async resumeLayer(ctx: CaseContext): Promise<void> {
    const f = await content(ctx);
    const b = f.blob;
    if (b.size < 2) ctx.skip('unsupported', `the blob to resume is ${b.size} bytes`);
    const path = bp(f.repo, b.digest);
    const accept = `${b.mediaType}, */*`;
    // The first attempt breaks after the first half: keep those bytes, drop the connection.
    const offset = Math.floor(b.size / 2);
    const first = await send(ctx, CONTAINERD, 'GET', path, { headers: { accept } });
    await expectStatus(first, 200, 'containerd: GET layer (first attempt)');
    const head: Buffer[] = [];
    let have = 0;
    for await (const c of first.body) {
      head.push(c as Buffer);
      have += (c as Buffer).length;
      if (have >= offset) break;
    }
    first.body.destroy();
    const kept = Buffer.concat(head).subarray(0, offset);
    const res = await send(ctx, CONTAINERD, 'GET', path, { headers: { accept, range: `bytes=${offset}-` } });
    if (res.status > 299) {
      const text = await res.text(64 * 1024).catch(() => '');
      fail(`containerd: a 2xx answer to Range: bytes=${offset}- (fetcher.open fails on any other status)`, `status ${res.status}`, res, text);
    }
    let rest = await res.bytes(b.size + 1024 * 1024);
    const cr = res.header('content-range');
    if (cr !== undefined) {
      expectThat(cr.startsWith(`bytes ${offset}-`), `containerd: Content-Range starting "bytes ${offset}-" ("unhandled content range in response")`, `Content-Range: ${cr}`, res);
      ctx.observe('containerd.resume', `${res.status} with Content-Range`);
    } else {
      // No Content-Range: containerd discards up to the offset itself.
      expectThat(rest.length >= offset, `containerd: at least ${offset} bytes to discard ("unable to discard to offset")`, `${rest.length} bytes`, res);
      rest = rest.subarray(offset);
      ctx.observe('containerd.resume', `${res.status} without Content-Range (whole blob, first ${offset} bytes discarded)`);
    }
    expectDigest(Buffer.concat([kept, rest]), b.digest, 'containerd: the resumed layer (content commit: "unexpected commit digest")', res);
  },
  async push(ctx: CaseContext): Promise<void> {
    const repo = ctx.freshRepo('containerd-push');
    const image = makeImage({ layerSizes: [40 * 1024, 300] });
    await containerdPushImage(ctx, CONTAINERD, repo, image, 'v1');
    const index = makeIndex([image]);
    await containerdPush(ctx, CONTAINERD, repo, { bytes: index.bytes, digest: index.digest, mediaType: index.mediaType }, 'multi');
    await containerdPull(ctx, CONTAINERD, repo, 'multi');
    // Pushed again to another repository, the blobs carry their source: mount attempts first.
    const second = ctx.freshRepo('containerd-push-mount');
    const outcomes: string[] = [];
    for (const b of image.blobs) outcomes.push(await containerdPush(ctx, CONTAINERD, second, { bytes: b.bytes, digest: b.digest, mediaType: b.mediaType }, undefined, repo));
    ctx.observe('containerd.mount', outcomes.join(','));
    await containerdPush(ctx, CONTAINERD, second, { bytes: image.bytes, digest: image.digest, mediaType: image.mediaType }, 'v1');
  },
};

/** containers/image: podman, buildah, skopeo. */
const containersImage = {
  async push(ctx: CaseContext): Promise<void> {
    const repo = ctx.freshRepo('skopeo-push');
    const image = makeImage({ layerSizes: [21 * 1024, 300] });
    const ping = await send(ctx, SKOPEO, 'GET', '/v2/');
    await ping.dump();
    for (const b of image.blobs) {
      if (await blobExists(ctx, SKOPEO, repo, b.digest, 'HEAD blob')) continue;
      await skopeoUpload(ctx, repo, b.digest, b.bytes);
    }
    await skopeoPutManifest(ctx, repo, image);
  },
  async copyByDigest(ctx: CaseContext): Promise<void> {
    const f = fx(ctx);
    const src = f.image.manifest!;
    const repo = ctx.freshRepo('skopeo-copy');
    const { bytes, json } = await getManifest(ctx, SKOPEO, f.repo, src.digest, SKOPEO_ACCEPT, 'source manifest by digest');
    const outcomes: string[] = [];
    for (const l of json.layers ?? []) {
      const { outcome } = await copyBlob(ctx, SKOPEO, MOUNT.skopeo, f.repo, repo, l);
      if (outcome !== 'exists') outcomes.push(outcome);
    }
    ctx.observe('skopeo.mount', outcomes.join(','));
    const cfg = json.config!;
    const cfgBytes = await readBlob(ctx, SKOPEO, f.repo, cfg, 'GET config', true);
    await skopeoUpload(ctx, repo, cfg.digest, cfgBytes, ' (config)');
    await skopeoPutManifest(ctx, repo, { bytes, digest: src.digest, mediaType: src.mediaType });
  },
  async listTags(ctx: CaseContext): Promise<void> {
    const f = await content(ctx);
    const tags = new Set<string>();
    let path: string | undefined = `/v2/${f.repo}/tags/list`;
    for (let page = 0; path && page < 100; page++) {
      const res = await send(ctx, SKOPEO, 'GET', path);
      await expectStatus(res, 200, 'skopeo: GET tags/list');
      const body = await res.text(16 * 1024 * 1024);
      let json: { tags?: string[] | null };
      try {
        json = JSON.parse(body) as { tags?: string[] | null };
      } catch {
        fail('skopeo: a JSON tag list', 'a body that is not JSON', res, body);
      }
      for (const t of json.tags ?? []) tags.add(t);
      path = nextLink(res.header('link'));
    }
    ctx.observe('skopeo.tags', tags.size);
    if (f.image.tag) expectThat(tags.has(f.image.tag), `skopeo: the tag list holds ${f.image.tag}`, `tags: ${[...tags].slice(0, 20).join(', ')}`);
  },
  async delete(ctx: CaseContext): Promise<void> {
    const who = SKOPEO;
    const repo = ctx.freshRepo('skopeo-delete');
    const image = makeImage({ layerSizes: [512] });
    await pushImage(ctx, repo, image, 'v1');
    const get = await send(ctx, who, 'GET', mp(repo, 'v1'), { headers: { accept: SKOPEO_ACCEPT } });
    await expectStatus(get, 200, 'skopeo: GET manifest before delete');
    const body = await get.bytes(8 * 1024 * 1024);
    const digest = sha256(body);
    const del = await send(ctx, who, 'DELETE', mp(repo, digest), { headers: { accept: SKOPEO_ACCEPT } });
    if (del.status === 405) {
      await del.dump();
      ctx.skip('unsupported', 'DELETE answered 405: deleting is disabled on this registry (skopeo delete fails there)');
    }
    await expectStatus(del, 202, 'skopeo: DELETE manifests/<digest> ("Failed to delete" unless 202)');
    await del.dump();
    const after = await send(ctx, who, 'GET', mp(repo, 'v1'), { headers: { accept: SKOPEO_ACCEPT } });
    await after.dump();
    expectThat(after.status === 404, 'skopeo: the tag is gone after the delete (404)', `status ${after.status}`, after);
  },
};

/** go-containerregistry / crane. */
const crane = {
  async copyMount(ctx: CaseContext): Promise<void> {
    const f = fx(ctx);
    const repo = ctx.freshRepo('crane-copy');
    const outcomes: string[] = [];
    const copyBlobs = async (json: ManifestJson) => {
      for (const d of blobsOf(json)) {
        const { outcome, status } = await copyBlob(ctx, CRANE, MOUNT.crane, f.repo, repo, d);
        if (outcome !== 'exists') outcomes.push(outcome === 'mounted' ? outcome : `uploaded(${status})`);
      }
    };
    for (const ref of ['v1', f.index!.tag]) {
      const src = await ggcrGetManifest(ctx, CRANE, f.repo, ref);
      if (INDEX_TYPES.has(src.mediaType)) {
        // Children first (by digest), then the index: referential integrity.
        for (const d of src.json.manifests ?? []) {
          const child = await ggcrGetManifest(ctx, CRANE, f.repo, d.digest);
          await copyBlobs(child.json);
          await ggcrPutManifest(ctx, CRANE, repo, d.digest, { bytes: child.bytes, digest: d.digest, mediaType: child.mediaType });
        }
      } else await copyBlobs(src.json);
      const digest = sha256(src.bytes);
      await ggcrPutManifest(ctx, CRANE, repo, ref, { bytes: src.bytes, digest, mediaType: src.mediaType });
      const back = await ggcrGetManifest(ctx, CRANE, repo, digest);
      expectThat(back.bytes.equals(src.bytes), `crane: the copy of ${ref} is byte-identical to the source manifest`, `${back.bytes.length} bytes, different`, back.res);
    }
    ctx.observe('crane.mount', outcomes.join(',') || 'nothing to copy');
  },
  async ls(ctx: CaseContext): Promise<void> {
    const f = await content(ctx);
    let repo = f.repo;
    let expected: string[] | undefined;
    if (!ctx.readOnly) {
      repo = ctx.freshRepo('crane-ls');
      const image = makeImage({ layerSizes: [256] });
      expected = ['a1', 'b2', 'c3', 'd4', 'e5'];
      for (const t of expected) await pushImage(ctx, repo, image, t);
    }
    for (const n of [1000, 2]) {
      const seen: string[] = [];
      let path: string | undefined;
      let pages = 0;
      do {
        const res = path ? await send(ctx, CRANE, 'GET', path) : await send(ctx, CRANE, 'GET', `/v2/${repo}/tags/list`, { query: { n: String(n) } });
        await expectStatus(res, 200, `crane: GET tags/list (n=${n}, page ${pages + 1})`);
        const json = JSON.parse(await res.text(16 * 1024 * 1024)) as { tags?: string[] | null };
        seen.push(...(json.tags ?? []));
        path = nextLink(res.header('link'));
        pages++;
      } while (path && pages < 200);
      expectThat(!path, `crane: the Link chain ends (n=${n})`, `still a next page after ${pages} pages`);
      ctx.observe(`crane.ls.n${n}.pages`, pages);
      expectThat(new Set(seen).size === seen.length, `crane: every tag once (n=${n})`, `duplicates in ${seen.join(', ')}`);
      if (expected) expectThat([...seen].sort().join(',') === expected.join(','), `crane: the tags ${expected.join(', ')} (n=${n})`, seen.join(', ') || '(none)');
    }
  },
  async catalog(ctx: CaseContext): Promise<void> {
    const f = await content(ctx);
    const repos = new Set<string>();
    let path: string | undefined;
    let pages = 0;
    do {
      const res = path ? await send(ctx, CRANE, 'GET', path) : await send(ctx, CRANE, 'GET', '/v2/_catalog', { query: { n: '1000' } });
      if (pages === 0 && [401, 403, 404, 405].includes(res.status)) {
        await res.dump();
        ctx.skip('unsupported', `GET /v2/_catalog answered ${res.status}: the registry does not offer the catalog (crane catalog fails there)`);
      }
      await expectStatus(res, 200, 'crane: GET /v2/_catalog');
      const json = JSON.parse(await res.text(64 * 1024 * 1024)) as { repositories?: string[] | null };
      for (const r of json.repositories ?? []) repos.add(r);
      path = nextLink(res.header('link'));
      pages++;
    } while (path && pages < 50);
    ctx.observe('crane.catalog.pages', pages);
    ctx.observe('crane.catalog.repositories', repos.size);
    if (pages < 50) expectThat(repos.has(f.repo), `crane: the catalog lists ${f.repo}`, `${repos.size} repositories without it`);
  },
};

/** oras (oras-go). */
const oras = {
  async pushArtifact(ctx: CaseContext): Promise<void> {
    const repo = ctx.freshRepo('oras-push');
    const layer = blobOf(Buffer.from('hello from oras\n'), 'application/vnd.oci.image.layer.v1.tar');
    const json = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      artifactType: 'application/vnd.example.readme.v1',
      config: descriptorOf(emptyConfig()),
      layers: [descriptorOf(layer, { annotations: { 'org.opencontainers.image.title': 'hello.txt' } })],
      annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
    };
    const m = manifestOf(json, [emptyConfig(), layer]);
    await orasPushArtifact(ctx, ORAS, repo, m, 'v1');
    const back = await orasFetchManifest(ctx, ORAS, repo, 'v1');
    expectThat(back !== undefined && back.bytes.equals(m.bytes), 'oras: the artifact manifest pulls back byte-identical by tag', back ? `${back.bytes.length} bytes, different` : 'status 404');
    await pullBlob(ctx, ORAS, repo, layer);
  },
  async attach(ctx: CaseContext): Promise<void> {
    const f = fx(ctx);
    const subject = f.image.manifest!;
    const ref = makeArtifact('application/vnd.cyclonedx+json', subject);
    const put = await orasPushArtifact(ctx, ORAS, f.repo, ref, ref.digest);
    const mode = await orasIndexReferrer(ctx, ORAS, f.repo, referrerDescriptor(ref), subject.digest, put, false);
    ctx.observe('oras.attach', mode);
    ctx.state.set('oras.attach', { subject: subject.digest, referrer: ref.digest, artifactType: 'application/vnd.cyclonedx+json' });
  },
  async attachTagSchema(ctx: CaseContext): Promise<void> {
    const f = fx(ctx);
    const subject = f.index!.manifest;
    for (const at of ['application/vnd.example.sbom.v1', 'application/vnd.example.scan.v1']) {
      const ref = makeArtifact(at, subject);
      const put = await orasPushArtifact(ctx, ORAS, f.repo, ref, ref.digest);
      await orasIndexReferrer(ctx, ORAS, f.repo, referrerDescriptor(ref), subject.digest, put, true);
    }
    const got = await orasReferrers(ctx, ORAS, f.repo, subject.digest, undefined, true);
    expectThat(got.referrers.length === 2, 'oras: both referrers in the tag-schema index', `${got.referrers.length}: ${got.referrers.map((d) => d.artifactType).join(', ')}`);
    ctx.state.set('oras.tag-schema', { subject: subject.digest, count: 2 });
  },
  async discover(ctx: CaseContext): Promise<void> {
    const f = await content(ctx);
    const att = ctx.state.get('oras.attach') as { subject: string; referrer: string; artifactType: string } | undefined;
    if (!att && !ctx.readOnly) ctx.skip('dependency', 'clients.oras.attach did not pass: nothing to discover');
    const subject = att?.subject ?? f.image.digest;
    const all = await orasReferrers(ctx, ORAS, f.repo, subject);
    ctx.observe('oras.discover', all.mode);
    ctx.observe('oras.discover.referrers', all.referrers.length);
    if (!att) return;
    expectThat(all.referrers.some((d) => d.digest === att.referrer), `oras: the referrer ${att.referrer} is discovered (${all.mode})`, `${all.referrers.length} referrers without it`);
    const filtered = await orasReferrers(ctx, ORAS, f.repo, subject, att.artifactType);
    expectThat(filtered.referrers.length > 0 && filtered.referrers.every((d) => d.artifactType === att.artifactType), `oras: discover --artifact-type ${att.artifactType} lists only that type`, filtered.referrers.map((d) => d.artifactType).join(', ') || '(none)');
  },
  async discoverTagSchema(ctx: CaseContext): Promise<void> {
    const f = fx(ctx);
    const st = ctx.state.get('oras.tag-schema') as { subject: string; count: number };
    const got = await orasReferrers(ctx, ORAS, f.repo, st.subject, 'application/vnd.example.scan.v1', true);
    expectThat(got.referrers.length === 1, 'oras: one referrer of artifactType application/vnd.example.scan.v1 in the tag index', String(got.referrers.length));
  },
  async copyRecursive(ctx: CaseContext): Promise<void> {
    const f = fx(ctx);
    const att = ctx.state.get('oras.attach') as { subject: string; referrer: string };
    const dst = ctx.freshRepo('oras-cp');
    const found = await orasReferrers(ctx, ORAS, f.repo, att.subject);
    const copyOne = async (digest: string): Promise<{ m: Raw & { json: ManifestJson }; put: RegistryResponse }> => {
      const src = await orasFetchManifest(ctx, ORAS, f.repo, digest);
      if (!src) fail(`oras: the source manifest ${digest}`, 'status 404');
      for (const d of blobsOf(src.json)) await copyBlob(ctx, ORAS, MOUNT.oras, f.repo, dst, d);
      const m = { bytes: src.bytes, digest: src.digest, mediaType: src.json.mediaType ?? MediaType.ociManifest, json: src.json };
      const put = await orasPutManifest(ctx, ORAS, dst, digest, m);
      return { m, put };
    };
    await copyOne(att.subject);
    for (const r of found.referrers) {
      const { m, put } = await copyOne(r.digest);
      await orasIndexReferrer(ctx, ORAS, dst, referrerDescriptor(m), att.subject, put, false);
    }
    const there = await orasReferrers(ctx, ORAS, dst, att.subject);
    expectThat(there.referrers.some((d) => d.digest === att.referrer), `oras: the referrer ${att.referrer} is discoverable in the copy (${there.mode})`, `${there.referrers.length} referrers`);
  },
};

/** helm. */
const helm = {
  async push(ctx: CaseContext): Promise<void> {
    const repo = ctx.freshRepo('helm');
    const version = '0.1.0+build.7';
    const config = blobOf(Buffer.from(JSON.stringify({ name: 'regprobe-chart', version, description: 'A chart pushed by a replayed helm', apiVersion: 'v2', appVersion: '1.0.0', type: 'application' })), 'application/vnd.cncf.helm.config.v1+json');
    const chart = blobOf(gz(`regprobe-chart/Chart.yaml\napiVersion: v2\nname: regprobe-chart\nversion: ${version}\n${uniqueBytes(64).toString('hex')}\n`), 'application/vnd.cncf.helm.chart.content.v1.tar+gzip');
    const json = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: descriptorOf(config),
      layers: [descriptorOf(chart)],
      annotations: { 'org.opencontainers.image.title': 'regprobe-chart', 'org.opencontainers.image.version': version, 'org.opencontainers.image.description': 'A chart pushed by a replayed helm' },
    };
    const m = manifestOf(json, [config, chart]);
    const tag = version.replace('+', '_');
    await orasPushArtifact(ctx, HELM, repo, m, tag);
    ctx.state.set('helm', { repo, tag, digest: m.digest, version });
  },
  async pull(ctx: CaseContext): Promise<void> {
    const h = ctx.state.get('helm') as { repo: string; tag: string; digest: string; version: string };
    const tags = await send(ctx, HELM, 'GET', `/v2/${h.repo}/tags/list`);
    await expectStatus(tags, 200, 'helm: GET tags/list (latest version lookup)');
    const list = (JSON.parse(await tags.text()) as { tags?: string[] }).tags ?? [];
    expectThat(list.includes(h.tag), `helm: the tag list holds ${h.tag}`, list.join(', '), tags);
    const got = await orasFetchManifest(ctx, HELM, h.repo, h.tag, MediaType.ociManifest);
    if (!got) fail(`helm: the chart manifest ${h.tag}`, 'status 404');
    expectThat(got.digest === h.digest, `helm: the chart manifest digest ${h.digest}`, got.digest);
    expectThat(got.json.config?.mediaType === 'application/vnd.cncf.helm.config.v1+json', 'helm: config media type application/vnd.cncf.helm.config.v1+json', String(got.json.config?.mediaType));
    const chart = (got.json.layers ?? []).find((l) => l.mediaType === 'application/vnd.cncf.helm.chart.content.v1.tar+gzip');
    if (!chart) fail('helm: a layer of type application/vnd.cncf.helm.chart.content.v1.tar+gzip ("manifest does not contain a layer with mediatype ...")', (got.json.layers ?? []).map((l) => l.mediaType).join(', '));
    await pullBlob(ctx, HELM, h.repo, got.json.config!);
    await pullBlob(ctx, HELM, h.repo, chart);
  },
};

/** cosign. */
const cosign = {
  async sign(ctx: CaseContext): Promise<void> {
    const { f, digest, reference, tag } = await cosignTarget(ctx, '.sig');
    // cosign first looks for existing signatures to append to: 404 means none.
    const existing = await send(ctx, COSIGN, 'GET', mp(f.repo, tag), { headers: { accept: GGCR_ACCEPT } });
    await existing.dump();
    expectThat([200, 404].includes(existing.status), 'cosign: GET of the signature tag answers 200 or 404', `status ${existing.status}`, existing);
    const payload = simpleSigningPayload(reference, digest);
    const sig = signBytes('sha256', payload, cosignKey(ctx).priv).toString('base64');
    const m = cosignSignatureManifest(payload, sig);
    await ggcrPushImage(ctx, COSIGN, f.repo, m, tag);
    ctx.state.set('cosign.sign', { digest, tag });
  },
  async verify(ctx: CaseContext): Promise<void> {
    const { f, digest, reference, tag } = await cosignTarget(ctx, '.sig');
    const res = await send(ctx, COSIGN, 'GET', mp(f.repo, tag), { headers: { accept: GGCR_ACCEPT } });
    if (res.status === 404) {
      const text = await res.text(64 * 1024).catch(() => '');
      fail(`cosign: the signature tag ${tag} ("no signatures found" otherwise)`, 'status 404', res, text);
    }
    await expectStatus(res, 200, `cosign: GET ${tag}`);
    const { json } = await readManifest(res, 'cosign: signature manifest');
    const layers = (json.layers ?? []).filter((l) => l.mediaType === 'application/vnd.dev.cosign.simplesigning.v1+json');
    expectThat(layers.length > 0, 'cosign: a simple-signing layer in the signature image', (json.layers ?? []).map((l) => l.mediaType).join(', ') || 'no layers', res);
    let verified = 0;
    for (const l of layers) {
      const payload = await readBlob(ctx, COSIGN, f.repo, l, 'GET signature payload', true);
      const p = JSON.parse(payload.toString('utf8')) as { critical?: { image?: { 'docker-manifest-digest'?: string }; identity?: { 'docker-reference'?: string } } };
      expectThat(p.critical?.image?.['docker-manifest-digest'] === digest, `cosign: the payload signs ${digest}`, String(p.critical?.image?.['docker-manifest-digest']));
      expectThat(p.critical?.identity?.['docker-reference'] === reference, `cosign: the payload names ${f.repo}`, String(p.critical?.identity?.['docker-reference']));
      const sig = l.annotations?.['dev.cosignproject.cosign/signature'] ?? '';
      if (verifyBytes('sha256', payload, cosignKey(ctx).pub, Buffer.from(sig, 'base64'))) verified++;
    }
    expectThat(verified > 0, 'cosign: a signature that verifies with the public key', `${layers.length} signatures, none verified`);
  },
  async attest(ctx: CaseContext): Promise<void> {
    const { f, digest, reference, tag } = await cosignTarget(ctx, '.att');
    const statement = { _type: 'https://in-toto.io/Statement/v0.1', predicateType: 'https://slsa.dev/provenance/v0.2', subject: [{ name: reference, digest: { sha256: digest.slice(7) } }], predicate: { builder: { id: 'regprobe' } } };
    const body = Buffer.from(JSON.stringify(statement));
    const pae = Buffer.concat([Buffer.from(`DSSEv1 28 application/vnd.in-toto+json ${body.length} `), body]);
    const envelope = Buffer.from(JSON.stringify({ payloadType: 'application/vnd.in-toto+json', payload: body.toString('base64'), signatures: [{ keyid: '', sig: signBytes('sha256', pae, cosignKey(ctx).priv).toString('base64') }] }));
    const m = cosignSignatureManifest(envelope, '', 'application/vnd.dsse.envelope.v1+json', { predicateType: 'https://slsa.dev/provenance/v0.2' });
    await ggcrPushImage(ctx, COSIGN, f.repo, m, tag);
    const back = await ggcrGetManifest(ctx, COSIGN, f.repo, tag);
    const layer = (back.json.layers ?? []).find((l) => l.mediaType === 'application/vnd.dsse.envelope.v1+json' && l.annotations?.predicateType === 'https://slsa.dev/provenance/v0.2');
    if (!layer) fail('cosign: the attestation layer with its predicateType annotation', (back.json.layers ?? []).map((l) => l.mediaType).join(', '), back.res);
    await pullBlob(ctx, COSIGN, f.repo, layer);
  },
  async referrersMode(ctx: CaseContext): Promise<void> {
    const { f, digest, reference } = await cosignTarget(ctx, '.sig');
    const subject = f.image.manifest!;
    const payload = simpleSigningPayload(reference, digest);
    const layer = blobOf(payload, 'application/vnd.dev.cosign.simplesigning.v1+json');
    const at = 'application/vnd.dev.cosign.artifact.sig.v1+json';
    // The config carries the artifact type as its media type (go-containerregistry derives a
    // referrer's artifactType from it), with the empty JSON as content.
    const config = blobOf(Buffer.from('{}'), at);
    const json = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      artifactType: at,
      config: descriptorOf(config),
      layers: [descriptorOf(layer, { annotations: { 'dev.cosignproject.cosign/signature': signBytes('sha256', payload, cosignKey(ctx).priv).toString('base64') } })],
      subject: manifestDescriptor(subject),
    };
    const m = manifestOf(json, [config, layer]);
    for (const b of m.blobs) await ggcrPushBlob(ctx, COSIGN, f.repo, b);
    await ggcrPutManifest(ctx, COSIGN, f.repo, m.digest, m);
    ctx.observe('cosign.referrers-push', await ggcrIndexReferrer(ctx, COSIGN, f.repo, m, subject.digest));
    const found = await orasReferrers(ctx, COSIGN, f.repo, subject.digest, at);
    ctx.observe('cosign.referrers', found.mode);
    expectThat(found.referrers.some((d) => d.digest === m.digest), `cosign: the signature ${m.digest} is found as a referrer (${found.mode})`, `${found.referrers.length} referrers of that type`);
  },
};

/** BuildKit. */
const buildkit = {
  async cacheExportIndex(ctx: CaseContext): Promise<void> {
    const repo = ctx.freshRepo('buildkit-cache');
    const layers = [blobOf(uniqueBytes(8192)), blobOf(uniqueBytes(2048))];
    const cacheConfig = blobOf(Buffer.from(JSON.stringify({ layers: layers.map((l, i) => ({ blob: l.digest, parent: i - 1 })), records: [{ digest: sha256(Buffer.from('rec')), layers: [{ layer: 1 }] }] })), 'application/vnd.buildkit.cacheconfig.v0');
    for (const b of [...layers, cacheConfig]) await containerdPush(ctx, BUILDKIT, repo, { bytes: b.bytes, digest: b.digest, mediaType: b.mediaType });
    const index = manifestOf({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [...layers.map((l) => descriptorOf(l, { annotations: { 'buildkit/createdat': '2026-01-01T00:00:00Z', 'containerd.io/uncompressed': l.digest } })), descriptorOf(cacheConfig)] }, []);
    await containerdPush(ctx, BUILDKIT, repo, { bytes: index.bytes, digest: index.digest, mediaType: index.mediaType }, 'buildcache');
    // --cache-from: resolve the tag, fetch the index, find the cache config, fetch it.
    const head = await send(ctx, BUILDKIT, 'HEAD', mp(repo, 'buildcache'), { headers: { accept: CONTAINERD_ACCEPT } });
    await head.dump();
    await expectStatus(head, 200, 'buildkit: HEAD buildcache');
    const { json, res } = await getManifest(ctx, BUILDKIT, repo, index.digest, `${MediaType.ociIndex}, */*`, 'the cache index');
    const cfg = (json.manifests ?? []).find((d) => d.mediaType === 'application/vnd.buildkit.cacheconfig.v0');
    if (!cfg) fail('buildkit: the cache config descriptor in the index', 'none', res);
    await pullBlob(ctx, BUILDKIT, repo, cfg, { accept: `${cfg.mediaType}, */*` }, 'cache config');
  },
  async cacheExportImageManifest(ctx: CaseContext): Promise<void> {
    const repo = ctx.freshRepo('buildkit-cache-im');
    const layer = blobOf(uniqueBytes(4096));
    const cacheConfig = blobOf(Buffer.from(JSON.stringify({ layers: [{ blob: layer.digest, parent: -1 }], records: [] })), 'application/vnd.buildkit.cacheconfig.v0');
    const m = manifestOf({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: descriptorOf(cacheConfig), layers: [descriptorOf(layer)] }, [cacheConfig, layer]);
    await containerdPushImage(ctx, BUILDKIT, repo, m, 'buildcache');
    await containerdPull(ctx, BUILDKIT, repo, 'buildcache');
  },
};

/** Flux. */
const flux = {
  async pushArtifact(ctx: CaseContext): Promise<void> {
    const repo = ctx.freshRepo('flux');
    const config = blobOf(Buffer.from('{}'), 'application/vnd.cncf.flux.config.v1+json');
    const layer = blobOf(gz(`kustomization.yaml\n${uniqueBytes(32).toString('hex')}\n`), 'application/vnd.cncf.flux.content.v1.tar+gzip');
    const m = manifestOf({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: descriptorOf(config),
      layers: [descriptorOf(layer)],
      annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z', 'org.opencontainers.image.source': 'https://github.com/example/fleet', 'org.opencontainers.image.revision': 'main@sha1:0123456789abcdef0123456789abcdef01234567' },
    }, [config, layer]);
    await ggcrPushImage(ctx, FLUX, repo, m, '1.0.0');
    await ggcrPutManifest(ctx, FLUX, repo, '1.1.0', m);
    ctx.state.set('flux', { repo, digest: m.digest });
  },
  async pullArtifact(ctx: CaseContext): Promise<void> {
    const st = ctx.state.get('flux') as { repo: string; digest: string };
    const res = await send(ctx, FLUX, 'GET', `/v2/${st.repo}/tags/list`, { query: { n: '1000' } });
    await expectStatus(res, 200, 'flux: GET tags/list');
    const tags = ((JSON.parse(await res.text()) as { tags?: string[] }).tags ?? []).filter((t) => /^\d+\.\d+\.\d+$/.test(t));
    const semver = (t: string) => t.split('.').map(Number);
    const latest = tags.sort((a, b) => {
      const x = semver(a);
      const y = semver(b);
      return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
    }).at(-1);
    expectThat(latest === '1.1.0', 'flux: semver ">=1.0.0" selects 1.1.0', String(latest));
    const digest = await ggcrHeadManifest(ctx, FLUX, st.repo, latest!);
    expectThat(digest === st.digest, `flux: the revision digest ${st.digest}`, digest);
    const got = await ggcrGetManifest(ctx, FLUX, st.repo, digest);
    const layer = (got.json.layers ?? []).find((l) => l.mediaType === 'application/vnd.cncf.flux.content.v1.tar+gzip');
    if (!layer) fail('flux: a layer of type application/vnd.cncf.flux.content.v1.tar+gzip', (got.json.layers ?? []).map((l) => l.mediaType).join(', '), got.res);
    await pullBlob(ctx, FLUX, st.repo, layer);
  },
};

/** The cases: one row each, its run one of the flows above. */
const cases: CaseDefinition[] = [
  // ---- docker / moby ----
  { id: 'clients.docker.push-schema2', title: 'docker push of a Docker schema 2 image works as recorded: POST, chunked PATCH (no Content-Type, no Content-Range) answered with a Range, PUT ?digest=, HEAD with Content-Length, the config HEADed first, manifest PUT answered with Docker-Content-Digest.', requirements: [client('docker', '20.10.24', SRC.docker), R.push, R.pushManifest], run: docker.pushSchema2 },
  { id: 'clients.docker.push-oci', title: 'docker (containerd image store) push of an OCI image works: blobs by POST + PUT with the body, manifest PUT whose Docker-Content-Digest is the digest pushed.', requirements: [client('docker', '25+', SRC.dockerOci), R.push, R.pushManifest], run: docker.pushOci },
  { id: 'clients.docker.push-mount', title: 'docker push to a second repository mounts the layers it knows from the first (POST ?mount=&from=): 201, or 202 and the layer is uploaded instead.', requirements: [client('docker', '20.10.24', SRC.docker), R.mount, R.pushManifest], run: docker.pushMount },
  { id: 'clients.docker.pull-by-tag', title: 'docker pull by tag works as recorded: GET /v2/, HEAD of the tag (one Accept line per type) for its Docker-Content-Digest, the manifest GET by that digest and verified, config and layers verified.', requirements: [client('docker', '20.10.24', SRC.docker), R.pull], readOnly: true, run: docker.pullByTag },
  { id: 'clients.docker.pull-by-digest', title: 'docker pull by digest works: the manifest bytes hash to the digest asked for ("manifest verification failed" otherwise).', requirements: [client('docker', '20.10.24', SRC.docker), R.pull], readOnly: true, run: docker.pullByDigest },
  { id: 'clients.docker.manifest-list', title: 'docker manifest push of a manifest list works (blobs mounted, children PUT by digest, the list by tag), and docker pulls it back through the list.', requirements: [client('docker', '20.10.24', SRC.dockerList), R.mount, R.pushManifest, R.pull], run: docker.manifestList },
  // ---- containerd ----
  { id: 'clients.containerd.pull', title: 'containerd pull works: HEAD by tag resolves Docker-Content-Digest and Content-Length, the manifest fetched by digest has that size and digest, an index resolves to a platform, blobs are verified.', requirements: [client('containerd', '1.6.20', SRC.containerd), R.head, R.pull], readOnly: true, run: containerd.pull },
  { id: 'clients.containerd.resume-layer', title: 'containerd resumes an interrupted layer download with Range: bytes=<offset>-: a 206 whose Content-Range starts at the offset (or a 200 it skips into) completes to the right digest.', requirements: [client('containerd', '1.6.20', SRC.containerdResume), R.range], readOnly: true, run: containerd.resumeLayer },
  { id: 'clients.containerd.push', title: 'containerd push works: HEAD with Accept "<type>, */*" answered 404, POST (?mount=&from= when the blob came from another repository), PUT ?digest= carrying the blob, manifest PUT to the tag, each answer carrying the Docker-Content-Digest pushed.', requirements: [client('containerd', '1.6.20', SRC.containerdPush), R.push, R.pushManifest], run: containerd.push },
  // ---- containers/image: podman, buildah, skopeo ----
  { id: 'clients.containers-image.push', title: 'skopeo/podman/buildah push works as recorded: HEAD, POST answered 202, PATCH with Content-Length and no Content-Range answered 202, PUT ?digest= answered 201, manifest PUT.', requirements: [client('skopeo', '1.9.3', SRC.skopeo), R.push, R.pushManifest], run: containersImage.push },
  { id: 'clients.containers-image.copy-by-digest', title: 'skopeo copy by digest works as recorded: the source manifest by digest verified, layers mounted with ?from=&mount= (or uploaded on 202), config copied, manifest PUT to the tag.', requirements: [client('skopeo', '1.9.3', SRC.skopeo), R.mount, R.pushManifest, R.pull], run: containersImage.copyByDigest },
  { id: 'clients.containers-image.list-tags', title: 'skopeo list-tags works as recorded: GET tags/list without n, a JSON tag list, Link rel="next" followed when present.', requirements: [client('skopeo', '1.9.3', SRC.skopeoTags), R.tags], readOnly: true, run: containersImage.listTags },
  { id: 'clients.containers-image.delete', title: 'skopeo delete works as recorded: GET of the manifest by tag with the Accept list, DELETE of the digest of that body answered 202, and the tag is gone.', requirements: [client('skopeo', '1.9.3', SRC.skopeoDelete), R.deleteManifest], run: containersImage.delete },
  // ---- go-containerregistry / crane ----
  { id: 'clients.crane.copy-mount', title: 'crane copy to another repository works: manifest GET with the comma-joined Accept list, HEAD of each blob, POST ?mount=&from=&origin= with Content-Type application/json (201, or 202 then PATCH and PUT), manifest PUT.', requirements: [client('crane', 'go-containerregistry v0.20', SRC.crane), R.mount, R.pushManifest, R.pull], run: crane.copyMount },
  { id: 'clients.crane.ls', title: 'crane ls and go-containerregistry listing work: tags/list?n=1000 (crane) and n=2 (a library caller), Link rel="next" followed to the end, every tag once.', requirements: [client('crane', 'go-containerregistry v0.20', SRC.craneLs), R.tags], readOnly: true, run: crane.ls },
  { id: 'clients.crane.catalog', title: 'crane catalog works: GET /v2/_catalog?n=1000, Link rel="next" followed, the repositories pushed listed.', requirements: [client('crane', 'go-containerregistry v0.20', SRC.craneCatalog), R.catalog], readOnly: true, run: crane.catalog },
  // ---- oras ----
  { id: 'clients.oras.push-artifact', title: 'oras push of an artifact works: empty config, a titled layer, artifactType, blobs by POST + monolithic PUT (201), manifest PUT (201) with a matching Docker-Content-Digest, fetched back by tag and verified.', requirements: [client('oras', '1.2 (oras-go v2.5)', SRC.oras), R.push, R.pushManifest, R.pull], run: oras.pushArtifact },
  { id: 'clients.oras.attach', title: 'oras attach works: the referrer PUT by digest, then indexed by the registry (OCI-Subject / referrers API) or by oras under the sha256-<hex> tag.', requirements: [client('oras', '1.2 (oras-go v2.5)', SRC.orasAttach), R.pushManifest, R.referrers], run: oras.attach },
  { id: 'clients.oras.attach-tag-schema', title: 'oras attach --distribution-spec v1.1-referrers-tag works: the referrers index under the sha256-<hex> tag is read, extended and PUT back.', requirements: [client('oras', '1.2 (oras-go v2.5)', SRC.orasAttach), R.pushManifest, R.referrers], run: oras.attachTagSchema },
  { id: 'clients.oras.discover', title: 'oras discover finds the attached referrer, through the referrers API (200, Content-Type an OCI index, client-side filter unless OCI-Filters-Applied) or the tag-schema fallback.', requirements: [client('oras', '1.2 (oras-go v2.5)', SRC.orasDiscover), R.referrers], readOnly: true, run: oras.discover },
  { id: 'clients.oras.discover-tag-schema', title: 'oras discover --distribution-spec v1.1-referrers-tag finds referrers in the sha256-<hex> tag index (what oras does on a registry without the referrers API).', requirements: [client('oras', '1.2 (oras-go v2.5)', SRC.orasDiscover), R.referrers], dependsOn: ['clients.oras.attach-tag-schema'], run: oras.discoverTagSchema },
  { id: 'clients.oras.copy-recursive', title: 'oras cp -r works: the subject and its referrers copied to another repository (blobs mounted or uploaded, manifests by digest, subject first), and the referrers discoverable there.', requirements: [client('oras', '1.2 (oras-go v2.5)', SRC.orasCopy), R.mount, R.pushManifest, R.referrers], dependsOn: ['clients.oras.attach'], run: oras.copyRecursive },
  // ---- helm ----
  { id: 'clients.helm.push', title: 'helm push of a chart works: config application/vnd.cncf.helm.config.v1+json, layer application/vnd.cncf.helm.chart.content.v1.tar+gzip, tagged with the chart version ("+" written "_").', requirements: [client('helm', 'v3.14', SRC.helm), R.push, R.pushManifest], run: helm.push },
  { id: 'clients.helm.pull', title: 'helm pull works: the tag found in tags/list, the manifest by tag with the OCI manifest Accept, helm\'s config and chart media types intact, chart and config verified.', requirements: [client('helm', 'v3.14', SRC.helm), R.tags, R.pull], dependsOn: ['clients.helm.push'], run: helm.pull },
  // ---- cosign ----
  { id: 'clients.cosign.sign', title: 'cosign sign works: the signature image (simple-signing layer, signature annotation) pushed under the tag sha256-<hex>.sig of the signed digest.', requirements: [client('cosign', 'v2.2', SRC.cosign), R.push, R.pushManifest], run: cosign.sign },
  { id: 'clients.cosign.verify', title: 'cosign verify works: the sha256-<hex>.sig tag of the image digest is there, its payload names that digest and the repository, and the signature verifies with the key.', requirements: [client('cosign', 'v2.2', SRC.cosign), R.pull], dependsOn: ['clients.cosign.sign'], run: cosign.verify },
  { id: 'clients.cosign.attest', title: 'cosign attest and verify-attestation work: a DSSE envelope layer (application/vnd.dsse.envelope.v1+json, predicateType annotation) under sha256-<hex>.att, read back with its in-toto subject digest.', requirements: [client('cosign', 'v2.2', SRC.cosign), R.pushManifest, R.pull], run: cosign.attest },
  { id: 'clients.cosign.referrers-mode', title: 'cosign in referrers mode works: a signature manifest with subject and artifactType application/vnd.dev.cosign.artifact.sig.v1+json, found again through the referrers API or its sha256-<hex> tag.', requirements: [client('cosign', 'v2.2', SRC.cosignReferrers), R.pushManifest, R.referrers], run: cosign.referrersMode },
  // ---- BuildKit ----
  { id: 'clients.buildkit.cache-export-index', title: 'BuildKit --cache-to type=registry works: an OCI index whose entries are layer blobs plus the application/vnd.buildkit.cacheconfig.v0 blob is accepted and read back for --cache-from.', requirements: [client('buildkit', 'v0.12', SRC.buildkit), R.push, R.pushManifest, R.pull], run: buildkit.cacheExportIndex },
  { id: 'clients.buildkit.cache-export-image-manifest', title: 'BuildKit --cache-to type=registry,image-manifest=true works: an OCI image manifest whose config is the application/vnd.buildkit.cacheconfig.v0 blob.', requirements: [client('buildkit', 'v0.12', SRC.buildkit), R.push, R.pushManifest, R.pull], run: buildkit.cacheExportImageManifest },
  // ---- Flux ----
  { id: 'clients.flux.push-artifact', title: 'flux push artifact works: config application/vnd.cncf.flux.config.v1+json, layer application/vnd.cncf.flux.content.v1.tar+gzip, source/revision annotations, pushed the go-containerregistry way.', requirements: [client('flux', 'v2.2', SRC.flux), R.push, R.pushManifest], run: flux.pushArtifact },
  { id: 'clients.flux.pull-artifact', title: 'Flux source-controller pulls the artifact: the highest semver tag from tags/list, HEAD for the revision digest, manifest and content layer verified.', requirements: [client('flux', 'v2.2', SRC.flux), R.tags, R.head, R.pull], dependsOn: ['clients.flux.push-artifact'], run: flux.pullArtifact },
];

function makeArtifact(artifactType: string, subject: Manifest): Manifest {
  const layer = blobOf(Buffer.from(JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', serialNumber: `urn:uuid:${uniqueBytes(16).toString('hex')}` })), 'application/vnd.cyclonedx+json');
  return manifestOf(
    {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      artifactType,
      config: descriptorOf(emptyConfig()),
      layers: [descriptorOf(layer, { annotations: { 'org.opencontainers.image.title': 'sbom.cdx.json' } })],
      subject: manifestDescriptor(subject),
      annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
    },
    [emptyConfig(), layer],
  );
}

export const clientsSuite: Suite = {
  workflow: 'clients',
  title: 'Replayed client flows: docker, containerd, skopeo/podman, crane, oras, helm, cosign, BuildKit, Flux',
  setup,
  cases,
};
