// FuzzRequest -> the bytes on the wire (WirePlan), and the printable forms of a request: a short
// preview for reports and a python3 one-liner that sends the same bytes (for requests that need no
// upload session and no pacing; those are reproduced with `npm run fuzz -- URL --seed S --only I`).
import type { WirePlan } from './raw-http.js';
import { bodySize, type BodySeg, type FuzzRequest } from './requests.js';

export interface WireTarget {
  host: string;
  port: number;
  /** Location of the upload session opened for this request (path and query), if it needed one. */
  sessionLocation?: string;
  /** The repository the session was opened in. */
  sessionRepo?: string;
}

const materialize = (segs: BodySeg[] | undefined): Buffer =>
  Buffer.concat((segs ?? []).map((g) => Buffer.from(g.s.repeat(g.n), g.latin1 ? 'latin1' : 'utf8')));

/** Path and query, with the session placeholder resolved. */
export function requestTarget(r: FuzzRequest, t: WireTarget): string {
  let path = r.path;
  let query = r.query;
  const m = /^\{session(?::(.+))?\}$/.exec(path);
  if (m) {
    const loc = t.sessionLocation ?? '/v2/fuzz/none/blobs/uploads/none';
    const u = new URL(loc, `http://${t.host}:${t.port}`);
    path = u.pathname;
    if (m[1] && t.sessionRepo) path = path.replace(`/v2/${t.sessionRepo}/`, `/v2/${m[1]}/`);
    const own = u.search.slice(1);
    query = [own, query].filter(Boolean).join('&');
  }
  return query ? `${path}?${query}` : path;
}

function head(r: FuzzRequest, t: WireTarget, framing: { length?: number; chunked?: boolean }): string {
  const eol = r.eol ?? '\r\n';
  const authority = `${t.host}:${t.port}`;
  const pathQuery = requestTarget(r, t);
  const target =
    r.targetForm === 'absolute' ? `http://${authority}${pathQuery}` :
    r.targetForm === 'absolute-other-host' ? `http://evil.example:8080${pathQuery}` :
    r.targetForm === 'asterisk' ? '*' :
    r.targetForm === 'authority' ? `${authority}` : pathQuery;
  const version = r.version ?? 'HTTP/1.1';
  const lines = [version ? `${r.method} ${target} ${version}` : `${r.method} ${target}`];
  if (!r.noHost) lines.push(`Host: ${authority}`);
  for (const [k, v] of r.headers) lines.push(`${k}: ${v}`);
  if (framing.chunked) lines.push('Transfer-Encoding: chunked');
  if (framing.length !== undefined) lines.push(`Content-Length: ${framing.length}`);
  lines.push('Connection: close');
  return lines.join(eol) + eol + eol;
}

function chunked(body: Buffer, size: number): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) {
    const c = body.subarray(i, i + size);
    out.push(Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n'));
  }
  out.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(out);
}

function badChunked(body: Buffer, variant: string): { bytes: Buffer; after: WirePlan['after'] } {
  const b = body.length ? body : Buffer.from('z');
  const n = b.length.toString(16);
  const cat = (...xs: Array<string | Buffer>) => Buffer.concat(xs.map((x) => (typeof x === 'string' ? Buffer.from(x, 'latin1') : x)));
  switch (variant) {
    case 'non-hex size': return { bytes: cat('zz\r\n', b, '\r\n0\r\n\r\n'), after: 'wait' };
    case 'overflowing size': return { bytes: cat('ffffffffffffffffffffffff\r\n', b, '\r\n0\r\n\r\n'), after: 'wait' };
    case 'negative size': return { bytes: cat(`-${n}\r\n`, b, '\r\n0\r\n\r\n'), after: 'wait' };
    case 'no CRLF after data': return { bytes: cat(`${n}\r\n`, b, '0\r\n\r\n'), after: 'wait' };
    case 'no last chunk': return { bytes: cat(`${n}\r\n`, b, '\r\n'), after: 'half-close' };
    case 'huge chunk extension': return { bytes: cat(`${n};`, 'x'.repeat(100_000), '\r\n', b, '\r\n0\r\n\r\n'), after: 'wait' };
    default: return { bytes: cat(`${(b.length + 100).toString(16)}\r\n`, b), after: 'half-close' };
  }
}

/** The bytes to send and how to pace them. Holds of abandoned requests are bounded by the generator (≤ 1.5 s). */
export function toWire(r: FuzzRequest, t: WireTarget): WirePlan {
  const body = materialize(r.body);
  const hasBody = r.body !== undefined;
  const p = r.protocol;
  const once = (bytes: Buffer, after: WirePlan['after'] = 'wait', holdMs?: number): WirePlan => ({ parts: [{ bytes, delayMs: 0 }], after, ...(holdMs ? { holdMs } : {}) });
  if (!p) return once(Buffer.concat([Buffer.from(head(r, t, hasBody ? { length: body.length } : {}), 'latin1'), body]));
  switch (p.kind) {
    case 'chunked':
      // At most ~10,000 chunks: a 3 MB body in 1-byte chunks keeps Node's parser busy for a minute
      // (a finding of its own, fuzz-findings.md) and would stall the rest of the run.
      return once(Buffer.concat([Buffer.from(head(r, t, { chunked: true }), 'latin1'), chunked(body, Math.max(p.chunk, Math.ceil(body.length / 10_000)))]));
    case 'bad-chunked': {
      const c = badChunked(body, p.variant);
      return once(Buffer.concat([Buffer.from(head(r, t, { chunked: true }), 'latin1'), c.bytes]), c.after, c.after === 'wait' ? undefined : 300);
    }
    case 'cl-and-te':
      return once(Buffer.concat([Buffer.from(head(r, t, { chunked: true, length: body.length + 5 }), 'latin1'), chunked(body, 4096)]));
    case 'cut-body': {
      const sent = body.subarray(0, Math.floor(body.length * p.fraction));
      return once(Buffer.concat([Buffer.from(head(r, t, { length: body.length }), 'latin1'), sent]), p.end, 300);
    }
    case 'body-longer-than-length':
      return once(Buffer.concat([Buffer.from(head(r, t, { length: body.length }), 'latin1'), body, Buffer.from('x'.repeat(p.extra))]));
    case 'trailing-garbage':
      return once(Buffer.concat([Buffer.from(head(r, t, hasBody ? { length: body.length } : {}), 'latin1'), body, Buffer.from(p.bytes, 'latin1')]));
    case 'slow': {
      const all = Buffer.concat([Buffer.from(head(r, t, hasBody ? { length: body.length } : {}), 'latin1'), body]);
      const step = Math.ceil(all.length / p.pieces);
      const parts = [];
      for (let i = 0; i < all.length; i += step) parts.push({ bytes: all.subarray(i, i + step), delayMs: i === 0 ? 0 : p.delayMs });
      return { parts, after: 'wait' };
    }
    case 'abandon': {
      const h = Buffer.from(head(r, t, hasBody ? { length: body.length } : {}), 'latin1');
      return once(h.subarray(0, Math.max(1, Math.floor(h.length * p.fraction))), 'destroy', p.holdMs);
    }
    case 'idle':
      return { parts: [], after: 'destroy', holdMs: p.holdMs };
  }
}

/** A short printable form: the head (cut to 300 characters) and the body's size and start. */
export function preview(r: FuzzRequest, t: WireTarget): string {
  const chunkedFraming = r.protocol?.kind === 'chunked' || r.protocol?.kind === 'bad-chunked' || r.protocol?.kind === 'cl-and-te';
  const h = head(r, t, chunkedFraming ? { chunked: true, ...(r.protocol?.kind === 'cl-and-te' ? { length: bodySize(r.body) + 5 } : {}) } : r.body !== undefined ? { length: bodySize(r.body) } : {});
  const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s);
  const headText = cut(JSON.stringify(h).slice(1, -1), 300);
  if (!r.body) return headText;
  const segs = r.body.map((g) => (g.n > 1 ? `${JSON.stringify(cut(g.s, 40))}×${g.n}` : JSON.stringify(cut(g.s, 80)))).join(' + ');
  return `${headText} + body ${bodySize(r.body)} bytes${chunkedFraming ? ` (${r.protocol!.kind === 'bad-chunked' ? `bad chunked: ${r.protocol!.variant}` : 'chunked'})` : ''}: ${cut(segs, 300)}`;
}

/** A python3 one-liner sending the same bytes, when the request is self-contained; undefined otherwise. */
export function pythonOneLiner(r: FuzzRequest, t: WireTarget): string | undefined {
  if (r.session || (r.protocol && !['chunked', 'cl-and-te', 'trailing-garbage', 'body-longer-than-length'].includes(r.protocol.kind))) return undefined;
  // b"..." inside a single-quoted shell word: escape \\, " and ' (as \x27), and every non-printable byte.
  const lit = (s: string) => `b"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[^\x20-\x7e]|'/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}"`;
  const rl = (s: string, n: number) => (n > 1 ? `${lit(s)}*${n}` : lit(s));
  if (r.protocol) {
    const bytes = toWire(r, t).parts.map((p) => p.bytes.toString('latin1')).join('');
    if (bytes.length > 4000) return undefined;
    return send([lit(bytes)], t);
  }
  const h = head(r, t, r.body !== undefined ? { length: bodySize(r.body) } : {});
  const compressHead = h.replace(/(.)\1{63,}/g, (run) => `\u0001${run[0]}\u0002${run.length}\u0003`);
  const headParts = compressHead.split(/\u0001|\u0003/).filter((x) => x !== '').map((x) => {
    const m = /^(.)\u0002(\d+)$/s.exec(x);
    return m ? rl(m[1]!, Number(m[2])) : lit(x);
  });
  const bodyParts = (r.body ?? []).map((g) => rl(Buffer.from(g.s, g.latin1 ? 'latin1' : 'utf8').toString('latin1'), g.n));
  const parts = [...headParts, ...bodyParts];
  if (parts.join('+').length > 4000) return undefined;
  return send(parts, t);
}

function send(parts: string[], t: WireTarget): string {
  return `python3 -c 'import socket;s=socket.create_connection(("${t.host}",${t.port}));s.sendall(${parts.join('+')});print(s.recv(300))'`;
}
