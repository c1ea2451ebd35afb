// The read workloads' operations, built once per workload and run many times: on the lean load
// path (lean-http.ts) when the client has it, else through RegistryClient (any dispatcher,
// tracing). The lean path sends no credentials: the first 401 (or 403/404, for a client with
// credentials) it gets switches that operation to RegistryClient for good (its auth engine answers challenges and keeps tokens fresh), so only
// registries that serve reads anonymously get the lean path. Both paths check the same things and
// throw the same errors (OperationError for an unexpected status, DigestMismatchError,
// TransportError), so reports classify them alike.
import { hash } from 'node:crypto';
import type { RegistryClient } from './registry-client.js';
import type { LeanHttp, LeanResponse, PreparedRequest } from './lean-http.js';
import { ACCEPT_MANIFESTS, DigestMismatchError, fetchManifestVerified, headManifest, listTagsPage, nextLink, OperationError, ping, readBlob } from './operations.js';
import { streamDigester } from '../oci/digest-pool.js';

export interface ReadResult {
  /** Body bytes received. */
  bytes: number;
  ttfbMs: number;
}

function prepared(client: RegistryClient, lean: LeanHttp, method: 'GET' | 'HEAD', path: string, headers?: Record<string, string>, query?: Record<string, string | number | undefined>): PreparedRequest {
  // resolve() keeps a base URL's path prefix, as request() does.
  const u = client.resolve(path, query);
  return lean.prepare(method, u.pathname + u.search, headers);
}

/**
 * Whether an operation still uses the lean path: until the registry refuses the anonymous lean
 * request of a client that has credentials (then RegistryClient and its auth engine take over for
 * good). Refused means 401, and also 403 and 404: some registries hide a private repository from
 * anonymous clients behind those instead of a challenge.
 */
class LeanGate {
  on = true;
  constructor(private readonly client: RegistryClient) {}
  /** True when this answer sends the operation to RegistryClient. */
  needsAuth(res: LeanResponse): boolean {
    if ((res.status !== 401 && res.status !== 403 && res.status !== 404) || !this.client.auth) return false;
    this.on = false;
    return true;
  }
}

function expectStatus(req: PreparedRequest, res: LeanResponse, ok: number, what: string): void {
  if (res.status === ok) return;
  throw new OperationError(what, { status: res.status, requestLine: `${req.method} ${req.target}` }, res.body ? res.body.toString('utf8', 0, Math.min(res.body.length, 64 * 1024)) : '');
}

function sha(alg: string, data: Buffer): string {
  return `${alg}:${hash(alg, data, 'hex')}`;
}

/**
 * A small read: `req` on the lean path, 200 expected, `done` checks and measures the answer; `full`
 * is the same operation through RegistryClient (no lean path, or after a 401).
 */
function smallRead<R>(client: RegistryClient, full: () => Promise<R>, make: (lean: LeanHttp) => { req: PreparedRequest; what: string; done: (res: LeanResponse, req: PreparedRequest) => R }): () => Promise<R> {
  const lean = client.leanHttp();
  if (!lean) return full;
  const { req, what, done } = make(lean);
  const gate = new LeanGate(client);
  return async () => {
    if (!gate.on) return full();
    const res = await lean.send(req);
    if (gate.needsAuth(res)) return full();
    expectStatus(req, res, 200, what);
    return done(res, req);
  };
}

/** GET a manifest, its bytes checked against the digest asked for or announced (fetchManifestVerified). */
export function manifestGetOp(client: RegistryClient, repo: string, reference: string): () => Promise<ReadResult> {
  const byDigest = reference.includes(':');
  const full = async (): Promise<ReadResult> => {
    const m = await fetchManifestVerified(client, repo, reference);
    return { bytes: m.bytes.length, ttfbMs: m.ttfbMs };
  };
  return smallRead(client, full, (lean) => ({
    req: prepared(client, lean, 'GET', `/v2/${repo}/manifests/${reference}`, { accept: ACCEPT_MANIFESTS }),
    what: 'manifest GET',
    done: (res, req) => {
      const body = res.body!;
      const expected = byDigest ? reference : res.header('docker-content-digest');
      const alg = expected?.startsWith('sha512:') ? 'sha512' : 'sha256';
      const actual = sha(alg, body);
      if (expected && expected !== actual) throw new DigestMismatchError(`GET ${req.target}`, expected, actual);
      return { bytes: body.length, ttfbMs: res.ttfbMs };
    },
  }));
}

/** HEAD a manifest; a Docker-Content-Digest other than `digest` is a mismatch. */
export function manifestHeadOp(client: RegistryClient, repo: string, reference: string, digest: string): () => Promise<ReadResult> {
  const line = `HEAD /v2/${repo}/manifests/${reference}`;
  const check = (got: string | undefined, ttfbMs: number): ReadResult => {
    if (got && got !== digest) throw new DigestMismatchError(line, digest, got);
    return { bytes: 0, ttfbMs };
  };
  const full = async (): Promise<ReadResult> => {
    const h = await headManifest(client, repo, reference);
    return check(h.digest, h.ttfbMs);
  };
  return smallRead(client, full, (lean) => ({
    req: prepared(client, lean, 'HEAD', `/v2/${repo}/manifests/${reference}`, { accept: ACCEPT_MANIFESTS }),
    what: 'manifest HEAD',
    done: (res) => check(res.header('docker-content-digest'), res.ttfbMs),
  }));
}

/** The first page of a tag list (?n= when n > 0), parsed as JSON; `next` is its Link. */
export function tagsPageOp(client: RegistryClient, repo: string, n: number): () => Promise<ReadResult & { next: string | undefined }> {
  const query = n > 0 ? { n } : {};
  const full = async (): Promise<ReadResult & { next: string | undefined }> => {
    const p = await listTagsPage(client, repo, query);
    return { bytes: p.bytes, ttfbMs: p.ttfbMs, next: p.next };
  };
  return smallRead(client, full, (lean) => ({
    req: prepared(client, lean, 'GET', `/v2/${repo}/tags/list`, undefined, query),
    what: 'tag list',
    done: (res) => {
      const body = res.body!;
      // Parsed as listTagsPage does: an answer that is not JSON fails the operation.
      JSON.parse(body.toString('utf8'));
      return { bytes: body.length, ttfbMs: res.ttfbMs, next: nextLink(res.header('link')) };
    },
  }));
}

/** GET /v2/ (200 expected). */
export function pingOp(client: RegistryClient): () => Promise<ReadResult> {
  const full = async (): Promise<ReadResult> => ({ bytes: 0, ttfbMs: (await ping(client)).ttfbMs });
  return smallRead(client, full, (lean) => ({ req: prepared(client, lean, 'GET', '/v2/'), what: 'ping', done: (res) => ({ bytes: 0, ttfbMs: res.ttfbMs }) }));
}

const discard = (): void => {};

/** GET a whole blob, streamed; hashed on the way and compared with its digest when `verify` (readBlob). */
export function blobGetOp(client: RegistryClient, repo: string, digest: string, verify: boolean): () => Promise<ReadResult> {
  const lean = client.leanHttp();
  const full = async (): Promise<ReadResult> => {
    const r = await readBlob(client, repo, digest, { verify });
    return { bytes: r.bytes, ttfbMs: r.ttfbMs };
  };
  if (!lean) return full;
  const req = prepared(client, lean, 'GET', `/v2/${repo}/blobs/${digest}`);
  const alg = digest.slice(0, digest.indexOf(':'));
  const hashed = verify && (alg === 'sha256' || alg === 'sha512');
  const gate = new LeanGate(client);
  return async () => {
    if (!gate.on) return full();
    let hasher: ReturnType<typeof streamDigester> | undefined;
    const res = await lean.send(
      req,
      hashed
        ? (head) => {
            const h = streamDigester(alg, Number(head.header('content-length')));
            hasher = h;
            return (chunk) => h.update(chunk);
          }
        : () => discard,
    ).catch((err: unknown) => {
      hasher?.abort();
      throw err;
    });
    if (gate.needsAuth(res)) return full();
    expectStatus(req, res, 200, 'blob GET');
    if (hasher) {
      const got = await hasher.digest();
      if (got !== digest) throw new DigestMismatchError(`GET ${req.target}`, digest, got);
    }
    return { bytes: res.size, ttfbMs: res.ttfbMs };
  };
}
