// HTTP to a registry's token endpoint (the realm of a Bearer challenge). Lives in src/client/ because
// this layer is the only one that speaks HTTP; the token protocol itself is in src/auth/.
// Redirects: followed for GET only, at most 3, and Authorization is dropped when the origin changes
// (a secret goes only to the host the registry named).
import { Agent, type Dispatcher } from 'undici';
import { toTransportError, TransportError } from './errors.js';
import { redactUrl } from './registry-client.js';

export interface TokenEndpointOptions {
  insecure?: boolean;
  ca?: string | Buffer;
  /** Per request, for headers and body (default 30 s). */
  timeoutMs?: number;
  userAgent?: string;
  /** Share an existing dispatcher (e.g. the registry client's); else a small own pool. */
  dispatcher?: Dispatcher;
}

export interface TokenHttpRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers?: Record<string, string>;
  /** POST body, sent as application/x-www-form-urlencoded. */
  form?: URLSearchParams;
}

export interface TokenHttpResponse {
  status: number;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** Body text, at most MAX_BODY bytes. */
  body: string;
  /** Final URL after redirects, without user info. */
  url: string;
}

const MAX_BODY = 1024 * 1024;
const MAX_REDIRECTS = 3;

export class TokenEndpointClient {
  private readonly dispatcher: Dispatcher;
  private readonly owns: boolean;

  constructor(private readonly options: TokenEndpointOptions = {}) {
    this.owns = !options.dispatcher;
    this.dispatcher =
      options.dispatcher ??
      new Agent({
        connections: 4,
        keepAliveTimeout: 10_000,
        connect: { rejectUnauthorized: !options.insecure, ...(options.ca ? { ca: options.ca } : {}) },
      });
  }

  async send(req: TokenHttpRequest): Promise<TokenHttpResponse> {
    let url = new URL(req.url);
    const origin = url.origin;
    const timeout = this.options.timeoutMs ?? 30_000;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { 'user-agent': this.options.userAgent ?? 'regprobe', accept: 'application/json' };
      for (const [k, v] of Object.entries(req.headers ?? {})) {
        if (k.toLowerCase() === 'authorization' && url.origin !== origin) continue;
        headers[k.toLowerCase()] = v;
      }
      let body: string | undefined;
      if (req.method === 'POST' && req.form) {
        body = req.form.toString();
        headers['content-type'] = 'application/x-www-form-urlencoded';
      }
      const shown = redactUrl(url);
      let status: number;
      let h: Record<string, string>;
      let text: string;
      try {
        const r = await this.dispatcher.request({
          origin: url.origin,
          path: url.pathname + url.search,
          method: req.method,
          headers,
          body,
          headersTimeout: timeout,
          bodyTimeout: timeout,
        });
        status = r.statusCode;
        h = {};
        for (const [k, v] of Object.entries(r.headers)) if (v !== undefined) h[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
        text = await readLimited(r.body);
      } catch (err) {
        throw toTransportError(err, req.method, shown);
      }
      const loc = h.location;
      if (req.method === 'GET' && status >= 300 && status < 400 && loc) {
        if (hop >= MAX_REDIRECTS) throw new TransportError('PROTOCOL', req.method, shown, `more than ${MAX_REDIRECTS} redirects from the token endpoint`);
        const next = new URL(loc, url);
        if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new TransportError('PROTOCOL', req.method, shown, 'token endpoint redirected to a non-HTTP URL');
        if (url.protocol === 'https:' && next.protocol === 'http:') throw new TransportError('PROTOCOL', req.method, shown, 'token endpoint redirected from https to http; not followed');
        url = next;
        continue;
      }
      return { status, headers: h, body: text, url: shown };
    }
  }

  async close(): Promise<void> {
    if (this.owns) await this.dispatcher.close();
  }
}

async function readLimited(body: AsyncIterable<Buffer | Uint8Array> & { destroy?: () => void }): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    const b = Buffer.from(c);
    n += b.length;
    if (n > MAX_BODY) {
      body.destroy?.();
      throw new Error(`token endpoint response larger than ${MAX_BODY} bytes`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}
