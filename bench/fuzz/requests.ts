// Hostile requests over every endpoint of the OCI distribution API, as fast-check arbitraries.
// Each request is a valid baseline for one endpoint with one hostile mutation (sometimes a few), so
// its `shape` ("PUT manifest · body: deep array ×5000 in config.size") names what made it hostile and
// failures group by cause. Requests are plain data: bodies are run-length segments, materialized only
// when sent, so a 4 MiB body costs nothing until then. The wire encoding is in wire.ts.
import fc from 'fast-check';
import { digestOf } from '../../src/oci/digest.js';

/** `s` repeated `n` times; `latin1` for byte-level junk (invalid UTF-8, UTF-16). */
export interface BodySeg {
  s: string;
  n: number;
  latin1?: boolean;
}

export type ProtocolAbuse =
  | { kind: 'cut-body'; fraction: number; end: 'half-close' | 'destroy' }
  | { kind: 'bad-chunked'; variant: BadChunked }
  | { kind: 'chunked'; chunk: number }
  | { kind: 'cl-and-te' }
  | { kind: 'slow'; pieces: number; delayMs: number }
  | { kind: 'abandon'; fraction: number; holdMs: number }
  | { kind: 'idle'; holdMs: number }
  | { kind: 'trailing-garbage'; bytes: string }
  | { kind: 'body-longer-than-length'; extra: number };

export type BadChunked = 'non-hex size' | 'overflowing size' | 'negative size' | 'no CRLF after data' | 'no last chunk' | 'huge chunk extension' | 'size beyond data';

export interface FuzzRequest {
  /** What made it hostile; failures are grouped by it. */
  shape: string;
  /** Valid HTTP/1.1 framing, sent whole: the server must answer it (any status). */
  wellFormed: boolean;
  method: string;
  /** Raw path as sent; '{session}' = the Location of an upload session opened first in `session`. */
  path: string;
  /** Raw query (without '?'); '' = none. */
  query: string;
  /** Request-target form other than origin-form. */
  targetForm?: 'absolute' | 'absolute-other-host' | 'asterisk' | 'authority';
  version?: string;
  /** Line ending of the head (default CRLF). */
  eol?: string;
  noHost?: boolean;
  headers: Array<[string, string]>;
  body?: BodySeg[];
  protocol?: ProtocolAbuse;
  /** Open an upload session in this repository first (its Location replaces '{session}'). */
  session?: string;
  /** 5xx statuses HTTP itself prescribes for this request (505 for an unsupported version): not failures. */
  allowed5xx?: number[];
}

/** What the generator knows about the target: the fixture it may read but never change. */
export interface FuzzContext {
  /** Repositories seeded with the fixture's blobs and manifest; fuzzed writes go here. */
  repos: string[];
  keep: {
    repo: string;
    tag: string;
    manifest: Record<string, unknown>;
    manifestDigest: string;
    manifestSize: number;
    configDigest: string;
    layerDigest: string;
    layerSize: number;
  };
  /** Marker in traversal payloads: a file or directory with it outside storage is a finding. */
  canary: string;
}

type L<T> = { label: string; value: T };
const lab = <T>(label: string, value: T): L<T> => ({ label, value });
const consts = <T>(...xs: Array<L<T>>) => fc.constantFrom(...xs);

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
const text = (s: string): BodySeg[] => [{ s, n: 1 }];
export const bodySize = (b: BodySeg[] | undefined) => (b ?? []).reduce((t, g) => t + Buffer.byteLength(g.s, g.latin1 ? 'latin1' : 'utf8') * g.n, 0);

// ---------------------------------------------------------------------------------------------
// Hostile values, each with a label

function names(ctx: FuzzContext, write: boolean): fc.Arbitrary<L<string>> {
  const c = ctx.canary;
  const pool = write ? ctx.repos : [...ctx.repos, ctx.keep.repo];
  return fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...pool).map((n) => lab('valid name', n)) },
    {
      weight: 5,
      arbitrary: consts(
        lab('name: traversal', `../../outside/${c}`),
        lab('name: traversal inside', `${ctx.repos[0]}/../../../outside/${c}`),
        lab('name: encoded traversal', `%2e%2e/%2e%2e/outside/${c}`),
        lab('name: encoded slash', `${ctx.repos[0]!.replace('/', '%2f')}`),
        lab('name: dot component', 'fuzz/./a'),
        lab('name: double slash', 'fuzz//a'),
        lab('name: upper case', 'Fuzz/A'),
        lab('name: leading separator', '-fuzz/a'),
        lab('name: NUL', 'fuzz%00a'),
        lab('name: non-ASCII', 'fuzz/%C3%BC'),
        lab('name: 256 chars', 'a'.repeat(256)),
        lab('name: 8 KiB', 'a'.repeat(8192)),
        lab('name: 1000 components', 'a/'.repeat(1000) + 'a'),
        lab('name: backslash traversal', `..%5c..%5coutside%5c${c}`),
        lab('name: _catalog', '_catalog'),
        lab('name: v2', 'v2/v2'),
        lab('name: ends like an endpoint', 'fuzz/manifests'),
        lab('name: empty', ''),
      ),
    },
    { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9]{1,8}([._-][a-z0-9]{1,8}){0,2}(\/[a-z0-9]{1,8}){0,3}$/).map((n) => lab('name: random valid', n)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40, unit: 'binary' }).map((s) => lab('name: random junk', encodeURIComponent(s).replace(/%2F/g, '/'))) },
  );
}

function tags(ctx: FuzzContext): fc.Arbitrary<L<string>> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.stringMatching(/^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,20}$/).map((t) => lab('valid tag', t)) },
    { weight: 1, arbitrary: fc.constant(lab('the fixture tag', ctx.keep.tag)) },
    {
      weight: 4,
      arbitrary: consts(
        lab('tag: conformance-invalid', '.INVALID_MANIFEST_NAME'),
        lab('tag: leading dash', '-tag'),
        lab('tag: 129 chars', 'a'.repeat(129)),
        lab('tag: 16 KiB', 'a'.repeat(16384)),
        lab('tag: encoded traversal', `..%2F..%2Foutside%2F${ctx.canary}`),
        lab('tag: ..', '..'),
        lab('tag: .', '.'),
        lab('tag: NUL', 'tag%00'),
        lab('tag: space', 'tag%20x'),
        lab('tag: colon', 'a:b'),
        lab('tag: bad percent-encoding', '%ZZ'),
        lab('tag: non-ASCII', '%C3%BC'),
      ),
    },
  );
}

function digests(ctx: FuzzContext): fc.Arbitrary<L<string>> {
  return fc.oneof(
    { weight: 1, arbitrary: consts(lab('known blob digest', ctx.keep.layerDigest), lab('known manifest digest', ctx.keep.manifestDigest), lab('known config digest', ctx.keep.configDigest)) },
    { weight: 1, arbitrary: hex(64).map((h) => lab('unknown sha256 digest', `sha256:${h}`)) },
    { weight: 1, arbitrary: hex(128).map((h) => lab('unknown sha512 digest', `sha512:${h}`)) },
    {
      weight: 4,
      arbitrary: consts(
        lab('digest: empty hex', 'sha256:'),
        lab('digest: non-hex', `sha256:${'Z'.repeat(64)}`),
        lab('digest: 63 hex', `sha256:${'a'.repeat(63)}`),
        lab('digest: 65 hex', `sha256:${'a'.repeat(65)}`),
        lab('digest: upper-case hex', `sha256:${'A'.repeat(64)}`),
        lab('digest: unknown algorithm', `md5:${'a'.repeat(32)}`),
        lab('digest: algorithm with encoding', 'sha256+b64:YWJj'),
        lab('digest: no algorithm', `:${'a'.repeat(64)}`),
        lab('digest: no colon', 'a'.repeat(64)),
        lab('digest: traversal', `sha256:..%2F..%2F..%2Foutside%2F${ctx.canary}`),
        lab('digest: 16 KiB', `sha256:${'a'.repeat(16384)}`),
        lab('digest: sha512 of sha256 length', `sha512:${'a'.repeat(64)}`),
        lab('digest: NUL', 'sha256:%00'),
        lab('digest: bad percent-encoding', 'sha256:%G0'),
      ),
    },
  );
}

function uploadIds(ctx: FuzzContext): fc.Arbitrary<L<string>> {
  return fc.oneof(
    fc.uuid().map((u) => lab('upload id: unknown uuid', u)),
    consts(
      lab('upload id: traversal', `..%2F..%2F..%2Foutside%2F${ctx.canary}`),
      lab('upload id: ..', '..'),
      lab('upload id: .', '.'),
      lab('upload id: 16 KiB', 'a'.repeat(16384)),
      lab('upload id: NUL', 'x%00'),
      lab('upload id: bad percent-encoding', '%ZZ'),
      lab('upload id: storage file name', 'data'),
    ),
  );
}

const counts = consts(
  lab('n=-1', '-1'), lab('n=0', '0'), lab('n=abc', 'abc'), lab('n=1e3', '1e3'), lab('n=2^64', '18446744073709551616'),
  lab('n=empty', ''), lab('n=2.5', '2.5'), lab('n=0x10', '0x10'), lab('n=+5', '%2B5'), lab('n=10^9', '1000000000'), lab('n=1', '1'),
);
const lasts = (ctx: FuzzContext) =>
  consts(lab('last=empty', ''), lab('last=16 KiB', 'z'.repeat(16384)), lab('last=traversal', `..%2F..%2F${ctx.canary}`), lab('last=NUL', '%00'), lab('last=bad percent-encoding', '%ZZ'), lab('last=zzzz', 'zzzz'));

const ranges = consts(
  lab('range 0-0', 'bytes=0-0'), lab('suffix range', 'bytes=-1'), lab('reversed range', 'bytes=5-2'), lab('range end 10^23', 'bytes=0-99999999999999999999999'),
  lab('multi-range', 'bytes=0-1,2-3'), lab('range garbage', 'bytes=abc'), lab('range unit items', 'items=0-1'), lab('range -0', 'bytes=-0'),
  lab('range start 2^64-1', 'bytes=18446744073709551615-'), lab('range open', 'bytes=0-'), lab('range past end', 'bytes=99999-'), lab('range empty', ''),
  lab('range 1000 parts', 'bytes=' + Array.from({ length: 1000 }, (_, i) => `${i}-${i}`).join(',')),
);

const contentRanges = consts(
  lab('content-range open', '0-'), lab('content-range negative', '-1-5'), lab('content-range reversed', '5-2'), lab('content-range end 10^20', '0-99999999999999999999'),
  lab('content-range bytes form', 'bytes 0-4/5'), lab('content-range garbage', 'abc'), lab('content-range past offset', '100-104'), lab('content-range 2^64', '18446744073709551615-18446744073709551616'),
);

const mediaTypes = consts(
  lab('content-type text/plain', 'text/plain'), lab('content-type application/json', 'application/json'), lab('content-type empty', ''),
  lab('content-type index for a manifest', OCI_INDEX), lab('content-type schema1', 'application/vnd.docker.distribution.manifest.v1+prettyjws'),
  lab('content-type 16 KiB', 'a/' + 'b'.repeat(16384)), lab('content-type charset utf-16', `${OCI_MANIFEST}; charset=utf-16`), lab('content-type multipart', 'multipart/form-data; boundary=x'),
);

// ---------------------------------------------------------------------------------------------
// Manifest bodies

// A string JSON.stringify keeps as is (no escapes), so it can be found and replaced in the text.
const MARK_VALUE = '__REGPROBE_FUZZ_SPLICE__';
const MARK = `"${MARK_VALUE}"`;

function setPath(obj: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const root = structuredClone(obj) as Record<string, unknown>;
  const keys = path.split('.');
  let cur: Record<string, unknown> = root;
  for (const k of keys.slice(0, -1)) {
    if (typeof cur[k] !== 'object' || cur[k] === null) cur[k] = /^\d+$/.test(k) ? [] : {};
    cur = cur[k] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return root;
}

/** The manifest as segments with `raw` (possibly run-length) spliced in at `path`. */
function splice(obj: Record<string, unknown>, path: string, raw: BodySeg[]): BodySeg[] {
  if (path === '') return raw;
  const json = JSON.stringify(setPath(obj, path, MARK_VALUE));
  const i = json.indexOf(MARK);
  if (i < 0) throw new Error(`splice: no marker at ${path}`);
  return [{ s: json.slice(0, i), n: 1 }, ...raw, { s: json.slice(i + MARK.length), n: 1 }];
}

function withSubject(ctx: FuzzContext): Record<string, unknown> {
  return { ...ctx.keep.manifest, subject: { mediaType: OCI_MANIFEST, digest: ctx.keep.manifestDigest, size: ctx.keep.manifestSize }, annotations: { k: 'v' } };
}

function indexOf(ctx: FuzzContext): Record<string, unknown> {
  return {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [{ mediaType: OCI_MANIFEST, digest: ctx.keep.manifestDigest, size: ctx.keep.manifestSize, platform: { architecture: 'amd64', os: 'linux' } }],
  };
}

const MANIFEST_FIELDS = ['', 'schemaVersion', 'mediaType', 'config', 'config.size', 'config.digest', 'config.mediaType', 'layers', 'layers.0', 'layers.0.size', 'layers.0.digest', 'layers.0.urls', 'subject', 'subject.size', 'subject.digest', 'annotations', 'annotations.k', 'artifactType'];
const INDEX_FIELDS = ['manifests', 'manifests.0', 'manifests.0.size', 'manifests.0.digest', 'manifests.0.platform'];

interface ManifestBody {
  label: string;
  body: BodySeg[];
  contentType: string;
}

function manifestBodies(ctx: FuzzContext): fc.Arbitrary<ManifestBody> {
  const m = withSubject(ctx);
  const ix = indexOf(ctx);
  const valid = hex(8).map((nonce) => ({
    label: 'valid manifest',
    body: text(JSON.stringify({ ...ctx.keep.manifest, annotations: { nonce } })),
    contentType: OCI_MANIFEST,
  }));
  const deep = fc
    .record({
      target: fc.oneof(
        fc.constantFrom(...MANIFEST_FIELDS).map((f) => ({ doc: m, field: f, ct: OCI_MANIFEST })),
        fc.constantFrom(...INDEX_FIELDS).map((f) => ({ doc: ix, field: f, ct: OCI_INDEX })),
      ),
      depth: fc.constantFrom(30, 5000, 100_000),
      kind: fc.constantFrom('array', 'object'),
    })
    .map(({ target, depth, kind }) => ({
      label: `body: deep ${kind} ×${depth} in ${target.field || '(whole body)'}${target.ct === OCI_INDEX ? ' of an index' : ''}`,
      body: splice(target.doc, target.field, kind === 'array' ? [{ s: '[', n: depth }, { s: ']', n: depth }] : [{ s: '{"a":', n: depth }, { s: '1', n: 1 }, { s: '}', n: depth }]),
      contentType: target.ct,
    }));
  const layer = JSON.stringify({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: ctx.keep.layerDigest, size: ctx.keep.layerSize });
  const huge = fc.constantFrom<ManifestBody>(
    { label: 'body: 25,000 layers', body: splice(m, 'layers', [{ s: '[', n: 1 }, { s: `${layer},`, n: 24_999 }, { s: `${layer}]`, n: 1 }]), contentType: OCI_MANIFEST },
    { label: 'body: 10^6 numbers as layers', body: splice(m, 'layers', [{ s: '[', n: 1 }, { s: '1,', n: 999_999 }, { s: '1]', n: 1 }]), contentType: OCI_MANIFEST },
    { label: 'body: 60,000 duplicate annotation keys', body: splice(m, 'annotations', [{ s: '{', n: 1 }, { s: '"k":"v",', n: 59_999 }, { s: '"k":"v"}', n: 1 }]), contentType: OCI_MANIFEST },
    { label: 'body: 25,000 index entries', body: splice(ix, 'manifests', [{ s: '[', n: 1 }, { s: `${JSON.stringify((ix.manifests as unknown[])[0])},`, n: 24_999 }, { s: `${JSON.stringify((ix.manifests as unknown[])[0])}]`, n: 1 }]), contentType: OCI_INDEX },
    { label: 'body: 3 MiB annotation value', body: splice(m, 'annotations.k', [{ s: '"', n: 1 }, { s: 'x', n: 3 * 1024 * 1024 }, { s: '"', n: 1 }]), contentType: OCI_MANIFEST },
    { label: 'body: 10,000-digit size', body: splice(m, 'config.size', [{ s: '9', n: 10_000 }]), contentType: OCI_MANIFEST },
    { label: 'body: over 4 MiB', body: splice(m, 'annotations.k', [{ s: '"', n: 1 }, { s: 'x', n: 4 * 1024 * 1024 + 1 }, { s: '"', n: 1 }]), contentType: OCI_MANIFEST },
    { label: 'body: 1 MiB of whitespace', body: [{ s: ' ', n: 1024 * 1024 }, { s: JSON.stringify(m), n: 1 }], contentType: OCI_MANIFEST },
  );
  const bigDigits = (s: string): BodySeg[] => [{ s, n: 1 }];
  const broken: Array<[string, string, BodySeg[] | unknown]> = [
    ['config.size', '-1', -1], ['config.size', '1.5', 1.5], ['config.size', 'string', '12'], ['config.size', '1e400', bigDigits('1e400')],
    ['config.size', '2^64', bigDigits('18446744073709551616')], ['config.size', 'null', null], ['config.size', 'wrong', 1],
    ['config.digest', 'malformed', 'sha256:xyz'], ['config.digest', 'missing', undefined], ['config.digest', 'empty', ''], ['config.digest', 'unknown blob', `sha256:${'0'.repeat(64)}`],
    ['config.mediaType', 'missing', undefined], ['config.mediaType', 'CRLF', 'a\r\nb'], ['config', 'null', null], ['config', 'string', 'x'],
    ['layers', 'null', null], ['layers', 'object', {}], ['layers', '[null]', [null]], ['layers', '[string]', ['x']], ['layers.0.size', 'mismatch', 1],
    ['layers.0.digest', 'unknown blob', `sha256:${'1'.repeat(64)}`], ['layers.0.urls', 'javascript URL', ['javascript:alert(1)']], ['layers.0.data', 'not base64', '!!!'], ['layers.0.data', 'wrong bytes', 'YWJj'],
    ['schemaVersion', '1', 1], ['schemaVersion', '3', 3], ['schemaVersion', 'string', '2'], ['schemaVersion', 'null', null], ['schemaVersion', '1e400', bigDigits('1e400')], ['schemaVersion', 'missing', undefined],
    ['mediaType', 'missing', undefined], ['mediaType', 'index type', OCI_INDEX], ['mediaType', 'unknown', 'application/x-fuzz'],
    ['subject', 'string', 'x'], ['subject.digest', 'malformed', 'sha256:'], ['subject.size', 'negative', -5], ['subject.digest', 'unknown', `sha256:${'2'.repeat(64)}`],
    ['artifactType', 'object', { a: 1 }], ['annotations', 'array', [1]], ['annotations.k', 'number', 1],
  ];
  const descriptors = fc.constantFrom(...broken).map(([field, what, v]) => ({
    label: `body: broken ${field} (${what})`,
    body: Array.isArray(v) && v.length && typeof (v[0] as BodySeg)?.s === 'string' ? splice(m, field, v as BodySeg[]) : text(JSON.stringify(setPath(m, field, v))),
    contentType: OCI_MANIFEST,
  }));
  const ixBroken = fc.constantFrom<ManifestBody>(
    { label: 'body: index child unknown', body: text(JSON.stringify(setPath(ix, 'manifests.0.digest', `sha256:${'3'.repeat(64)}`))), contentType: OCI_INDEX },
    { label: 'body: index child size negative', body: text(JSON.stringify(setPath(ix, 'manifests.0.size', -1))), contentType: OCI_INDEX },
    { label: 'body: index manifests null', body: text(JSON.stringify(setPath(ix, 'manifests', null))), contentType: OCI_INDEX },
    { label: 'body: index platform string', body: text(JSON.stringify(setPath(ix, 'manifests.0.platform', 'linux'))), contentType: OCI_INDEX },
    { label: 'body: index referencing itself by tag', body: text(JSON.stringify(setPath(ix, 'manifests.0.digest', 'latest'))), contentType: OCI_INDEX },
  );
  const notJson = fc.constantFrom<ManifestBody>(
    { label: 'body: empty', body: [], contentType: OCI_MANIFEST },
    { label: 'body: null', body: text('null'), contentType: OCI_MANIFEST },
    { label: 'body: array', body: text('[]'), contentType: OCI_MANIFEST },
    { label: 'body: string', body: text('"x"'), contentType: OCI_MANIFEST },
    { label: 'body: truncated JSON', body: text(JSON.stringify(m).slice(0, 50)), contentType: OCI_MANIFEST },
    { label: 'body: trailing garbage', body: text(JSON.stringify(m) + '}}garbage'), contentType: OCI_MANIFEST },
    { label: 'body: BOM', body: text('\ufeff' + JSON.stringify(m)), contentType: OCI_MANIFEST },
    { label: 'body: UTF-16', body: [{ s: Buffer.from(JSON.stringify(m), 'utf16le').toString('latin1'), n: 1, latin1: true }], contentType: OCI_MANIFEST },
    { label: 'body: invalid UTF-8', body: [{ s: '{"schemaVersion":2,"x":"\xff\xfe\xc0"}', n: 1, latin1: true }], contentType: OCI_MANIFEST },
    { label: 'body: NaN', body: text('{"schemaVersion":NaN}'), contentType: OCI_MANIFEST },
    { label: 'body: __proto__ keys', body: text('{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}},"schemaVersion":2}'), contentType: OCI_MANIFEST },
  );
  const wrongType = fc.tuple(mediaTypes, fc.constant(JSON.stringify(m))).map(([ct, b]) => ({ label: `wrong media type: ${ct.label}`, body: text(b), contentType: ct.value }));
  return fc.oneof(
    { weight: 1, arbitrary: valid },
    { weight: 4, arbitrary: deep },
    { weight: 2, arbitrary: huge },
    { weight: 3, arbitrary: descriptors },
    { weight: 1, arbitrary: ixBroken },
    { weight: 2, arbitrary: notJson },
    { weight: 2, arbitrary: wrongType },
  );
}

// ---------------------------------------------------------------------------------------------
// Endpoints: a valid baseline with one mutation

interface Base {
  op: string;
  method: string;
  path: string;
  query: string;
  headers: Array<[string, string]>;
  body?: BodySeg[];
  session?: string;
}

/** The hostile parts of a request's values, joined; benign ones (a valid name, a known digest) are left out. */
const BENIGN = /^(valid name|valid manifest|valid tag|the fixture tag|known .* digest|unknown sha(256|512) digest)$/;
export const labels = (...xs: string[]): string => xs.filter((x) => x && !BENIGN.test(x)).join(', ') || xs.find(Boolean) || 'plain';

const q = (...kv: Array<[string, string]>) => kv.map(([k, v]) => `${k}=${v}`).join('&');

function endpoint(ctx: FuzzContext): fc.Arbitrary<{ base: Base; label: string; wellFormed: boolean }> {
  const repo = fc.constantFrom(...ctx.repos);
  const anyName = names(ctx, false);
  const writeName = names(ctx, true);
  const keepRef = ctx.keep;
  const one = <T>(a: fc.Arbitrary<T>) => a;

  const base = one(
    fc.record({ method: fc.constantFrom('GET', 'HEAD'), path: fc.constantFrom('/v2/', '/v2'), junk: fc.constantFrom('', 'x=1', 'a=%ZZ', `${'a'.repeat(16384)}=1`) })
      .map(({ method, path, junk }) => ({ base: { op: `${method} /v2/`, method, path, query: junk, headers: [] }, label: junk ? `query ${junk.slice(0, 12)}` : 'plain', wellFormed: true })),
  );
  const catalog = fc.oneof(counts, lasts(ctx)).map((v) => ({
    base: { op: 'GET catalog', method: 'GET', path: '/v2/_catalog', query: v.label.startsWith('n=') ? q(['n', v.value]) : q(['n', '2'], ['last', v.value]), headers: [] },
    label: v.label,
    wellFormed: true,
  }));
  const tagList = fc.tuple(anyName, fc.oneof(counts, lasts(ctx)), fc.boolean()).map(([n, v, dup]) => ({
    base: { op: 'GET tags', method: 'GET', path: `/v2/${n.value}/tags/list`, query: v.label.startsWith('n=') ? q(['n', v.value]) + (dup ? '&n=5' : '') : q(['n', '2'], ['last', v.value]), headers: [] },
    label: labels(n.label, `${v.label}${dup && v.label.startsWith('n=') ? ' (n repeated)' : ''}`),
    wellFormed: true,
  }));
  const refOf = fc.oneof(tags(ctx), digests(ctx));
  const manifestRead = fc.tuple(fc.constantFrom('GET', 'HEAD'), anyName, refOf, fc.constantFrom('', OCI_MANIFEST, '*/*', 'text/html', 'application/json;q=abc', 'x'.repeat(8192))).map(([method, n, r, accept]) => ({
    base: { op: `${method} manifest`, method, path: `/v2/${n.value}/manifests/${r.value}`, query: '', headers: accept ? [['Accept', accept] as [string, string]] : [] },
    label: labels(n.label, r.label, accept === '' || accept === OCI_MANIFEST || accept === '*/*' ? '' : `Accept ${accept.length > 40 ? `${accept.length} chars` : accept}`),
    wellFormed: true,
  }));
  // Deletes never touch the fixture repository: the image there must survive the run.
  const manifestDelete = fc.tuple(writeName, refOf).map(([n, r]) => ({
    base: { op: 'DELETE manifest', method: 'DELETE', path: `/v2/${n.value}/manifests/${r.value}`, query: '', headers: [] },
    label: labels(n.label, r.label),
    wellFormed: true,
  }));
  const manifestPut = fc.tuple(repo, fc.oneof(tags(ctx).filter((t) => t.value !== ctx.keep.tag), digests(ctx)), manifestBodies(ctx), fc.nat(9)).map(([n, r, b, pick]) => ({
    base: { op: 'PUT manifest', method: 'PUT', path: `/v2/${n}/manifests/${pick < 6 ? 'fuzz' : r.value}`, query: '', headers: [['Content-Type', b.contentType] as [string, string]], body: b.body },
    label: pick < 6 ? b.label : labels(r.label, b.label),
    wellFormed: true,
  }));
  const manifestPutName = fc.tuple(writeName.filter((n) => n.label !== 'valid name'), manifestBodies(ctx)).map(([n, b]) => ({
    base: { op: 'PUT manifest', method: 'PUT', path: `/v2/${n.value}/manifests/fuzz`, query: '', headers: [['Content-Type', b.contentType] as [string, string]], body: b.body },
    label: labels(n.label, b.label),
    wellFormed: true,
  }));
  const blobRead = fc.tuple(fc.constantFrom('GET', 'HEAD'), anyName, digests(ctx), fc.option(ranges, { nil: undefined })).map(([method, n, d, r]) => ({
    base: { op: `${method} blob`, method, path: `/v2/${n.value}/blobs/${r ? keepRef.layerDigest : d.value}`, query: '', headers: r ? [['Range', r.value] as [string, string]] : [] },
    label: r ? labels(n.label, r.label) : labels(n.label, d.label),
    wellFormed: true,
  }));
  const blobRange = fc.tuple(ranges).map(([r]) => ({
    base: { op: 'GET blob', method: 'GET', path: `/v2/${keepRef.repo}/blobs/${keepRef.layerDigest}`, query: '', headers: [['Range', r.value] as [string, string]] },
    label: r.label,
    wellFormed: true,
  }));
  const blobDelete = fc.tuple(writeName, digests(ctx)).map(([n, d]) => ({
    base: { op: 'DELETE blob', method: 'DELETE', path: `/v2/${n.value}/blobs/${d.value}`, query: '', headers: [] },
    label: labels(n.label, d.label),
    wellFormed: true,
  }));
  const algorithms = consts(lab('digest-algorithm=sha512', 'sha512'), lab('digest-algorithm=md5', 'md5'), lab('digest-algorithm=empty', ''), lab('digest-algorithm=SHA256', 'SHA256'));
  const uploadStart = fc.oneof(
    fc.tuple(writeName).map(([n]) => ({ base: { op: 'POST upload', method: 'POST', path: `/v2/${n.value}/blobs/uploads/`, query: '', headers: [] }, label: n.label, wellFormed: true })),
    fc.tuple(repo, digests(ctx), fc.oneof(names(ctx, false), fc.constant(lab('no from', '')))).map(([n, d, from]) => ({
      base: { op: 'POST mount', method: 'POST', path: `/v2/${n}/blobs/uploads/`, query: from.value ? q(['mount', d.value], ['from', from.value]) : q(['mount', d.value]), headers: [] },
      label: from.label === 'valid name' || from.label === 'no from' ? `mount ${d.label}${from.value ? '' : ' without from'}` : `from ${from.label}`,
      wellFormed: true,
    })),
    fc.tuple(repo, algorithms).map(([n, a]) => ({ base: { op: 'POST upload', method: 'POST', path: `/v2/${n}/blobs/uploads/`, query: q(['digest-algorithm', a.value]), headers: [] }, label: a.label, wellFormed: true })),
    fc.tuple(repo, digests(ctx), fc.constantFrom(0, 1, 100, 5 * 1024 * 1024)).map(([n, d, size]) => ({
      base: { op: 'POST monolithic', method: 'POST', path: `/v2/${n}/blobs/uploads/`, query: q(['digest', d.value]), headers: [['Content-Type', 'application/octet-stream'] as [string, string]], body: size ? [{ s: 'b', n: size }] : [] },
      label: `${d.label}, ${size} byte body`,
      wellFormed: true,
    })),
    fc.tuple(repo, fc.constantFrom(1, 1000)).map(([n, size]) => ({
      base: { op: 'POST monolithic', method: 'POST', path: `/v2/${n}/blobs/uploads/`, query: q(['digest', digestOf('c'.repeat(size))]), headers: [], body: [{ s: 'c', n: size }] },
      label: 'matching digest',
      wellFormed: true,
    })),
  );
  const sessionPath = '{session}';
  const sessionOps = fc.oneof(
    fc.tuple(repo, contentRanges, fc.constantFrom(0, 5, 4096)).map(([n, cr, size]) => ({
      base: { op: 'PATCH upload', method: 'PATCH', path: sessionPath, query: '', headers: [['Content-Range', cr.value] as [string, string], ['Content-Type', 'application/octet-stream'] as [string, string]], body: size ? [{ s: 'p', n: size }] : [], session: n },
      label: `${cr.label}, ${size} byte body`,
      wellFormed: true,
    })),
    fc.tuple(repo, fc.constantFrom(0, 1, 65536)).map(([n, size]) => ({
      base: { op: 'PATCH upload', method: 'PATCH', path: sessionPath, query: '', headers: [['Content-Type', 'application/octet-stream'] as [string, string]], body: [{ s: 'p', n: size }], session: n },
      label: `stream ${size} bytes`,
      wellFormed: true,
    })),
    fc.tuple(repo, digests(ctx), fc.constantFrom(0, 10)).map(([n, d, size]) => ({
      base: { op: 'PUT upload', method: 'PUT', path: sessionPath, query: q(['digest', d.value]), headers: [], body: size ? [{ s: 'u', n: size }] : [], session: n },
      label: `${d.label}, ${size} byte body`,
      wellFormed: true,
    })),
    fc.tuple(repo).map(([n]) => ({ base: { op: 'PUT upload', method: 'PUT', path: sessionPath, query: q(['digest', digestOf('u'.repeat(10))]), headers: [], body: [{ s: 'u', n: 10 }], session: n }, label: 'matching digest', wellFormed: true })),
    fc.tuple(repo).map(([n]) => ({ base: { op: 'PUT upload', method: 'PUT', path: sessionPath, query: '', headers: [], session: n }, label: 'no digest', wellFormed: true })),
    fc.tuple(repo, fc.constantFrom('GET', 'DELETE')).map(([n, method]) => ({ base: { op: `${method} upload`, method, path: sessionPath, query: '', headers: [], session: n }, label: 'open session', wellFormed: true })),
    fc.tuple(repo, fc.constantFrom('GET', 'PATCH', 'PUT', 'DELETE')).map(([n, method]) => ({
      base: { op: `${method} upload`, method, path: `${sessionPath}`, query: '', headers: [], session: n, otherRepo: true },
      label: 'session of another repository',
      wellFormed: true,
    })),
  );
  const uploadIdOps = fc.tuple(writeName, uploadIds(ctx), fc.constantFrom('GET', 'PATCH', 'PUT', 'DELETE')).map(([n, id, method]) => ({
    base: { op: `${method} upload`, method, path: `/v2/${n.value}/blobs/uploads/${id.value}`, query: method === 'PUT' ? q(['digest', digestOf('x')]) : '', headers: [], body: method === 'GET' || method === 'DELETE' ? undefined : text('x') },
    label: labels(n.label, id.label),
    wellFormed: true,
  }));
  const referrers = fc.tuple(anyName, digests(ctx), fc.constantFrom('', 'artifactType=application%2Fx', `artifactType=${'a'.repeat(16384)}`, 'artifactType=%ZZ', 'artifactType=')).map(([n, d, at]) => ({
    base: { op: 'GET referrers', method: 'GET', path: `/v2/${n.value}/referrers/${d.value}`, query: at, headers: [] },
    label: labels(n.label, d.label, at ? at.slice(0, 20) : ''),
    wellFormed: true,
  }));
  const unknown = consts(
    lab('path: traversal to /etc/passwd', '/v2/../../../../etc/passwd'),
    lab('path: encoded traversal', `/v2/%2e%2e/%2e%2e/outside/${ctx.canary}`),
    lab('path: outside /v2', '/'),
    lab('path: /v1', '/v1/_ping'),
    lab('path: double slash', '//v2//'),
    lab('path: token endpoint', '/token'),
    lab('path: unknown resource', `/v2/${ctx.repos[0]}/unknown/x`),
    lab('path: 64 KiB', '/v2/' + 'a'.repeat(65536)),
    lab('path: query only', '/v2/?'),
  ).chain((p) =>
    fc.constantFrom('GET', 'POST', 'DELETE').map((method) => ({
      base: { op: `${method} unknown path`, method, path: p.value, query: '', headers: method === 'POST' ? [['Content-Type', 'application/json'] as [string, string]] : [], body: method === 'POST' ? [{ s: '[', n: 5000 }, { s: ']', n: 5000 }] : undefined },
      label: p.label,
      wellFormed: true,
    })),
  );
  const methods = fc.tuple(fc.constantFrom('OPTIONS', 'TRACE', 'PROPFIND', 'FOO', 'get', 'M-SEARCH', 'PATCH', 'PUT', 'POST', 'CONNECT'), fc.constantFrom('/v2/', `/v2/${ctx.repos[0]}/manifests/seed`, `/v2/${ctx.repos[0]}/tags/list`)).map(([method, path]) => ({
    base: { op: `${method} (method)`, method, path, query: '', headers: [] },
    label: `method ${method} on ${path.includes('manifests') ? 'manifest' : path.includes('tags') ? 'tags' : '/v2/'}`,
    wellFormed: true,
  }));
  return fc.oneof(
    { weight: 1, arbitrary: base },
    { weight: 1, arbitrary: catalog },
    { weight: 2, arbitrary: tagList },
    { weight: 3, arbitrary: manifestRead },
    { weight: 1, arbitrary: manifestDelete },
    { weight: 6, arbitrary: manifestPut },
    { weight: 1, arbitrary: manifestPutName },
    { weight: 2, arbitrary: blobRead },
    { weight: 1, arbitrary: blobRange },
    { weight: 1, arbitrary: blobDelete },
    { weight: 3, arbitrary: uploadStart },
    { weight: 4, arbitrary: sessionOps },
    { weight: 2, arbitrary: uploadIdOps },
    { weight: 1, arbitrary: referrers },
    { weight: 1, arbitrary: unknown },
    { weight: 1, arbitrary: methods },
  ) as fc.Arbitrary<{ base: Base; label: string; wellFormed: boolean }>;
}

/**
 * One valid request per endpoint: what header and protocol mutations are applied to, so that a
 * failing shape names the mutation alone (a hostile name under it would be a second cause).
 */
function cleanBase(ctx: FuzzContext): fc.Arbitrary<Base> {
  const k = ctx.keep;
  const repo = ctx.repos[0]!;
  const manifest = JSON.stringify(k.manifest);
  const ten = 'u'.repeat(10);
  const bases: Base[] = [
    { op: 'GET /v2/', method: 'GET', path: '/v2/', query: '', headers: [] },
    { op: 'GET catalog', method: 'GET', path: '/v2/_catalog', query: 'n=2', headers: [] },
    { op: 'GET tags', method: 'GET', path: `/v2/${k.repo}/tags/list`, query: '', headers: [] },
    { op: 'GET manifest', method: 'GET', path: `/v2/${k.repo}/manifests/${k.tag}`, query: '', headers: [['Accept', OCI_MANIFEST]] },
    { op: 'HEAD manifest', method: 'HEAD', path: `/v2/${k.repo}/manifests/${k.manifestDigest}`, query: '', headers: [] },
    { op: 'PUT manifest', method: 'PUT', path: `/v2/${repo}/manifests/fuzz`, query: '', headers: [['Content-Type', OCI_MANIFEST]], body: text(manifest) },
    { op: 'DELETE manifest', method: 'DELETE', path: `/v2/${repo}/manifests/sha256:${'d'.repeat(64)}`, query: '', headers: [] },
    { op: 'GET blob', method: 'GET', path: `/v2/${k.repo}/blobs/${k.layerDigest}`, query: '', headers: [] },
    { op: 'HEAD blob', method: 'HEAD', path: `/v2/${k.repo}/blobs/${k.configDigest}`, query: '', headers: [] },
    { op: 'DELETE blob', method: 'DELETE', path: `/v2/${repo}/blobs/sha256:${'e'.repeat(64)}`, query: '', headers: [] },
    { op: 'POST upload', method: 'POST', path: `/v2/${repo}/blobs/uploads/`, query: '', headers: [] },
    { op: 'POST mount', method: 'POST', path: `/v2/${repo}/blobs/uploads/`, query: q(['mount', k.layerDigest], ['from', k.repo]), headers: [] },
    { op: 'POST monolithic', method: 'POST', path: `/v2/${repo}/blobs/uploads/`, query: q(['digest', digestOf(ten)]), headers: [['Content-Type', 'application/octet-stream']], body: text(ten) },
    { op: 'PATCH upload', method: 'PATCH', path: '{session}', query: '', headers: [['Content-Type', 'application/octet-stream']], body: text(ten), session: repo },
    { op: 'PUT upload', method: 'PUT', path: '{session}', query: q(['digest', digestOf(ten)]), headers: [], body: text(ten), session: repo },
    { op: 'GET upload', method: 'GET', path: '{session}', query: '', headers: [], session: repo },
    { op: 'DELETE upload', method: 'DELETE', path: '{session}', query: '', headers: [], session: repo },
    { op: 'GET referrers', method: 'GET', path: `/v2/${k.repo}/referrers/${k.manifestDigest}`, query: '', headers: [] },
  ];
  return fc.constantFrom(...bases);
}

// ---------------------------------------------------------------------------------------------
// Header and protocol mutations, applied on top of any endpoint

type Mutation = { label: string; wellFormed: boolean; apply: (r: FuzzRequest) => FuzzRequest };

const headerMutations: Mutation[] = [
  { label: 'header: 1.2 MB value', wellFormed: true, apply: (r) => ({ ...r, headers: [...r.headers, ['X-Fuzz', 'a'.repeat(1_200_000)]] }) },
  { label: 'header: 5,000 headers', wellFormed: true, apply: (r) => ({ ...r, headers: [...r.headers, ...Array.from({ length: 5000 }, (_, i) => [`X-F${i}`, 'v'] as [string, string])] }) },
  { label: 'header: garbage Authorization', wellFormed: true, apply: (r) => ({ ...r, headers: [...r.headers, ['Authorization', 'Bearer a.b.c']] }) },
  { label: 'header: Basic auth not base64', wellFormed: true, apply: (r) => ({ ...r, headers: [...r.headers, ['Authorization', 'Basic !!!']] }) },
  { label: 'header: Expect 100-continue', wellFormed: true, apply: (r) => ({ ...r, headers: [...r.headers, ['Expect', '100-continue']] }) },
  { label: 'header: unknown Expect', wellFormed: true, apply: (r) => ({ ...r, headers: [...r.headers, ['Expect', 'fuzz']] }) },
  { label: 'header: other Host', wellFormed: true, apply: (r) => ({ ...r, noHost: true, headers: [...r.headers, ['Host', 'evil.example:1']] }) },
  { label: 'header: Content-Length garbage', wellFormed: false, apply: (r) => ({ ...r, headers: [...r.headers, ['Content-Length', 'abc']] }) },
  { label: 'header: two Content-Lengths', wellFormed: false, apply: (r) => ({ ...r, headers: [...r.headers, ['Content-Length', '1'], ['Content-Length', '2']] }) },
  { label: 'header: name with space', wellFormed: false, apply: (r) => ({ ...r, headers: [...r.headers, ['X Fuzz', 'v']] }) },
  { label: 'header: obs-fold', wellFormed: false, apply: (r) => ({ ...r, headers: [...r.headers, ['X-Fuzz', 'a\r\n b']] }) },
  { label: 'header: no Host', wellFormed: false, apply: (r) => ({ ...r, noHost: true }) },
];

function protocolMutations(): fc.Arbitrary<Mutation> {
  const m = (label: string, wellFormed: boolean, apply: Mutation['apply']): Mutation => ({ label, wellFormed, apply });
  const withBody = (r: FuzzRequest): BodySeg[] => (r.body && bodySize(r.body) > 0 ? r.body : [{ s: 'z', n: 100 }]);
  return fc.oneof(
    fc.record({ fraction: fc.constantFrom(0, 0.5, 0.99), end: fc.constantFrom('half-close' as const, 'destroy' as const) }).map(({ fraction, end }) =>
      m(`protocol: body cut short (${Math.round(fraction * 100)}%, then ${end})`, false, (r) => ({ ...r, body: withBody(r), protocol: { kind: 'cut-body', fraction, end } })),
    ),
    fc.constantFrom<BadChunked>('non-hex size', 'overflowing size', 'negative size', 'no CRLF after data', 'no last chunk', 'huge chunk extension', 'size beyond data').map((variant) =>
      m(`protocol: bad chunked encoding (${variant})`, false, (r) => ({ ...r, body: withBody(r), protocol: { kind: 'bad-chunked', variant } })),
    ),
    fc.constantFrom(1, 7, 4096).map((chunk) => m(`protocol: chunked body (${chunk}-byte chunks)`, true, (r) => ({ ...r, protocol: { kind: 'chunked', chunk } }))),
    fc.constant(m('protocol: Content-Length and Transfer-Encoding', false, (r) => ({ ...r, body: withBody(r), protocol: { kind: 'cl-and-te' } }))),
    fc.record({ pieces: fc.integer({ min: 3, max: 12 }), delayMs: fc.integer({ min: 20, max: 100 }) }).map(({ pieces, delayMs }) =>
      m('protocol: slow request (trickled)', true, (r) => ({ ...r, protocol: { kind: 'slow', pieces, delayMs } })),
    ),
    fc.record({ fraction: fc.constantFrom(0.1, 0.5, 0.9), holdMs: fc.integer({ min: 100, max: 1500 }) }).map(({ fraction, holdMs }) =>
      m('protocol: partial head, then abandoned', false, (r) => ({ ...r, protocol: { kind: 'abandon', fraction, holdMs } })),
    ),
    fc.integer({ min: 100, max: 1500 }).map((holdMs) => m('protocol: idle connection', false, (r) => ({ ...r, protocol: { kind: 'idle', holdMs } }))),
    fc.constantFrom('GARBAGE\r\n\r\n', '\u0000\u0001\u0002', 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99\r\n\r\n').map((bytes) =>
      m('protocol: garbage after the request', true, (r) => ({ ...r, protocol: { kind: 'trailing-garbage', bytes } })),
    ),
    fc.constantFrom(1, 1000).map((extra) => m('protocol: body longer than Content-Length', true, (r) => ({ ...r, body: withBody(r), protocol: { kind: 'body-longer-than-length', extra } }))),
    fc.constantFrom<FuzzRequest['targetForm']>('absolute', 'absolute-other-host', 'asterisk', 'authority').map((form) =>
      m(`protocol: ${form} request target`, true, (r) => ({ ...r, targetForm: form, ...(form === 'authority' ? { method: 'CONNECT' } : form === 'asterisk' ? { method: 'OPTIONS' } : {}) })),
    ),
    fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1x', 'HTTP/9.9', '').map((version) =>
      m(`protocol: version ${version || '(none, HTTP/0.9)'}`, version === 'HTTP/1.0', (r) => ({ ...r, version, ...(version === 'HTTP/1.0' ? {} : { allowed5xx: [505] }) })),
    ),
    fc.constant(m('protocol: bare LF line endings', false, (r) => ({ ...r, eol: '\n' }))),
    fc.constantFrom(' ', '\u00ff', '\u0000', '#frag').map((c) => m(`protocol: invalid byte in target (${JSON.stringify(c)})`, false, (r) => ({ ...r, path: r.path === '{session}' ? `/v2/x${c}y/` : `${r.path}${c}x` }))),
  );
}

/** The whole generator: one hostile request per sample. */
export function hostileRequest(ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const mutation = fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...headerMutations) },
    { weight: 3, arbitrary: protocolMutations() },
  );
  // Either an endpoint with hostile values, or a clean request with a header/protocol mutation.
  const plain = endpoint(ctx).map((e) => ({ ...e, mut: undefined as Mutation | undefined }));
  const mutated = fc.tuple(cleanBase(ctx), mutation).map(([base, mut]) => ({ base, label: 'plain', wellFormed: true, mut: mut as Mutation | undefined }));
  return fc.oneof({ weight: 6, arbitrary: plain }, { weight: 5, arbitrary: mutated }).map(({ base, label, wellFormed, mut }) => {
    const b = base as Base & { otherRepo?: boolean };
    let r: FuzzRequest = {
      shape: `${b.op} · ${label}`,
      wellFormed,
      method: b.method,
      path: b.path,
      query: b.query,
      headers: b.headers,
      ...(b.body ? { body: b.body } : {}),
      ...(b.session ? { session: b.otherRepo ? `${b.session}-other` : b.session } : {}),
    };
    if (b.otherRepo && b.session) r.path = `{session:${b.session}}`;
    if (mut) {
      r = mut.apply(r);
      // A mutation that changes the method (CONNECT, OPTIONS *) makes it that method's request.
      r.shape = `${r.method === b.method ? b.op : `${r.method} (method)`} · ${mut.label}`;
      r.wellFormed = r.wellFormed && mut.wellFormed;
    }
    return r;
  });
}
