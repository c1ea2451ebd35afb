// RegistryClient: every HTTP exchange with a registry goes through here (undici, keep-alive pools).
// It knows HTTP, redirects, timeouts, TLS options and the auth seam; it knows nothing of test cases.
import { Agent, type Dispatcher } from 'undici';
import { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { toTransportError, TransportError } from './errors.js';
import { scopesFor } from './scopes.js';
import type { AuthProvider } from './auth-provider.js';
import { LeanHttp } from './lean-http.js';
import { loadDispatcherSettings } from './load-dispatcher.js';

export type RequestBody = string | Uint8Array | Readable | AsyncIterable<Uint8Array> | null;
export type Query = Record<string, string | number | undefined>;

export interface ClientOptions {
  /** Registry base URL, e.g. http://127.0.0.1:5000 (a path prefix is kept). */
  baseUrl: string;
  /** Skip TLS certificate verification. */
  insecure?: boolean;
  /** Extra CA certificates (PEM) to trust. */
  ca?: string | Buffer;
  /** Per-request timeout for headers and for each body gap, ms (default 30 s). */
  timeoutMs?: number;
  /** Connections per origin in the keep-alive pool (default 64). */
  connections?: number;
  auth?: AuthProvider;
  userAgent?: string;
  /** Called once per completed exchange (after headers), e.g. for tracing and logs. */
  onExchange?: (ex: ExchangeInfo) => void;
}

export interface RequestOptions {
  method: string;
  /** A path (`/v2/...`) resolved against the base URL, or an absolute URL (e.g. an upload Location). */
  path: string;
  query?: Query;
  /** An array value sends the header once per element (docker sends one Accept line per media type). */
  headers?: Record<string, string | string[]>;
  body?: RequestBody;
  /** Auth scopes; derived from method and path when absent. */
  scopes?: string[];
  /** Follow 3xx for GET/HEAD (default true); Authorization is dropped when the origin changes. */
  followRedirects?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Send no credentials at all (anonymous probe). */
  anonymous?: boolean;
}

export interface ExchangeInfo {
  method: string;
  url: string;
  status: number;
  headers: Record<string, string>;
  ttfbMs: number;
}

export class RegistryResponse {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  /** Lower-cased names; repeated headers joined with ", " (set-cookie-like lists are not expected). */
  readonly headers: Record<string, string>;
  /** Time from request start to response headers, ms. */
  readonly ttfbMs: number;
  readonly body: Readable;
  private consumed = false;

  constructor(method: string, url: string, status: number, headers: Record<string, string>, body: Readable, ttfbMs: number) {
    this.method = method;
    this.url = url;
    this.status = status;
    this.headers = headers;
    this.body = body;
    this.ttfbMs = ttfbMs;
  }

  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()];
  }

  /** The request line, for failure messages: `GET /v2/foo/manifests/latest`. */
  get requestLine(): string {
    const u = new URL(this.url);
    return `${this.method} ${u.pathname}${u.search}`;
  }

  async bytes(limit = 64 * 1024 * 1024): Promise<Buffer> {
    this.consumed = true;
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of this.body) {
      const b = c as Buffer;
      n += b.length;
      if (n > limit) {
        this.body.destroy();
        throw new Error(`${this.requestLine}: response body larger than ${limit} bytes`);
      }
      chunks.push(b);
    }
    return Buffer.concat(chunks);
  }

  async text(limit?: number): Promise<string> {
    return (await this.bytes(limit)).toString('utf8');
  }

  async json<T = unknown>(limit?: number): Promise<T> {
    const t = await this.text(limit);
    return JSON.parse(t) as T;
  }

  /** Reads and discards the body so the connection can be reused. */
  async dump(): Promise<void> {
    if (this.consumed) return;
    this.consumed = true;
    try {
      for await (const _ of this.body) { /* discard */ }
    } catch {
      /* a broken body on a response we do not care about */
    }
  }
}

const MAX_REDIRECTS = 5;

export class RegistryClient {
  readonly baseUrl: URL;
  readonly options: ClientOptions;
  private dispatcher: Dispatcher;
  private ownsDispatcher: boolean;
  private lean: LeanHttp | null | undefined;

  constructor(options: ClientOptions, dispatcher?: Dispatcher) {
    this.options = options;
    const base = new URL(options.baseUrl);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new TypeError(`registry URL must be http:// or https://, got ${options.baseUrl}`);
    }
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.baseUrl = base;
    this.ownsDispatcher = !dispatcher;
    this.dispatcher =
      dispatcher ??
      new Agent({
        connections: options.connections ?? 64,
        keepAliveTimeout: 10_000,
        pipelining: 1,
        connect: { rejectUnauthorized: !options.insecure, ...(options.ca ? { ca: options.ca } : {}) },
      });
  }

  get auth(): AuthProvider | undefined {
    return this.options.auth;
  }

  /** Absolute URL for a registry path or a Location header value. */
  resolve(pathOrUrl: string, query?: Query): URL {
    const rel = pathOrUrl.startsWith('/') ? pathOrUrl.slice(1) : pathOrUrl;
    const url = /^https?:\/\//i.test(pathOrUrl) ? new URL(pathOrUrl) : pathOrUrl.startsWith('/') && this.baseUrl.pathname === '/' ? new URL(pathOrUrl, this.baseUrl) : new URL(rel, this.baseUrl);
    if (query) for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.append(k, String(v));
    return url;
  }

  /**
   * The lean load path (lean-http.ts) for the read workloads' fixed request shapes, when this client
   * can use it: a load generator's client (its dispatcher from createLoadDispatcher, whose TLS
   * settings and --max-rps pacer it shares) with no exchange hook (tracing, logs). It sends no
   * credentials: load-reads.ts goes back to request() when the registry answers 401. Otherwise
   * undefined, and callers use request().
   */
  leanHttp(): LeanHttp | undefined {
    if (this.lean === undefined) {
      const load = loadDispatcherSettings(this.dispatcher);
      this.lean =
        load && !this.options.onExchange
          ? new LeanHttp({
              origin: new URL(this.baseUrl.origin),
              insecure: load.insecure || this.options.insecure === true,
              ...(load.ca ?? this.options.ca ? { ca: load.ca ?? this.options.ca! } : {}),
              timeoutMs: this.options.timeoutMs ?? 30_000,
              userAgent: this.options.userAgent ?? 'regprobe',
              ...(load.pacer ? { pacer: load.pacer } : {}),
            })
          : null;
    }
    return this.lean ?? undefined;
  }

  async request(opts: RequestOptions): Promise<RegistryResponse> {
    const method = opts.method.toUpperCase();
    let url = this.resolve(opts.path, opts.query);
    const replayable = opts.body === undefined || opts.body === null || typeof opts.body === 'string' || opts.body instanceof Uint8Array;
    const follow = opts.followRedirects ?? (method === 'GET' || method === 'HEAD');
    const auth = opts.anonymous ? undefined : this.options.auth;
    // Only an auth provider needs scopes; a load generator without credentials skips the work.
    const scopes = auth ? (opts.scopes ?? scopesFor(method, url.pathname, Object.fromEntries(url.searchParams))) : [];
    let authRetried = false;
    let sameOrigin = true;

    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const headers: Record<string, string | string[]> = { 'user-agent': this.options.userAgent ?? 'regprobe', ...lower(opts.headers) };
      if (auth && sameOrigin && !('authorization' in headers)) {
        const a = await auth.authorization(scopes, url);
        if (a) headers.authorization = a;
      }
      const res = await this.send(method, url, headers, opts);
      if (res.status === 401 && auth && sameOrigin && !authRetried && replayable) {
        const challenge = res.header('www-authenticate');
        if (challenge && (await auth.handleChallenge(challenge, scopes, url))) {
          authRetried = true;
          await res.dump();
          hop--;
          continue;
        }
      }
      if (follow && res.status >= 300 && res.status < 400 && res.header('location') && replayable) {
        const next = new URL(res.header('location')!, url);
        await res.dump();
        if (next.origin !== this.baseUrl.origin) sameOrigin = false;
        url = next;
        continue;
      }
      return res;
    }
    throw new TransportError('PROTOCOL', method, url.toString(), `more than ${MAX_REDIRECTS} redirects`);
  }

  private async send(method: string, url: URL, headers: Record<string, string | string[]>, opts: RequestOptions): Promise<RegistryResponse> {
    const timeout = opts.timeoutMs ?? this.options.timeoutMs ?? 30_000;
    const started = performance.now();
    let body: Dispatcher.DispatchOptions['body'] = null;
    if (opts.body !== undefined && opts.body !== null) {
      body = typeof opts.body === 'string' || opts.body instanceof Uint8Array ? opts.body : opts.body instanceof Readable ? opts.body : Readable.from(opts.body);
    }
    const display = redactUrl(url);
    try {
      const r = await this.dispatcher.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: method as Dispatcher.HttpMethod,
        headers,
        body,
        headersTimeout: timeout,
        bodyTimeout: timeout,
        signal: opts.signal,
      });
      const ttfb = performance.now() - started;
      const h = flattenHeaders(r.headers);
      this.options.onExchange?.({ method, url: display, status: r.statusCode, headers: h, ttfbMs: ttfb });
      return new RegistryResponse(method, display, r.statusCode, h, r.body as unknown as Readable, ttfb);
    } catch (err) {
      throw toTransportError(err, method, display);
    }
  }

  async close(): Promise<void> {
    this.lean?.close();
    if (this.ownsDispatcher) await this.dispatcher.close();
  }
}

function lower(h?: Record<string, string | string[]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (h) for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}

/** undici gives lower-cased names already; only repeated headers (arrays) need joining. */
function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in h) {
    const v = h[k];
    if (v !== undefined) out[k] = typeof v === 'string' ? v : v.join(', ');
  }
  return out;
}

/** URL without user info, for messages, logs and traces. */
export function redactUrl(url: URL): string {
  if (!url.username && !url.password) return url.toString();
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString();
}
