// A CLIENT span per HTTP exchange, from undici's diagnostics channels (undici:request:*). Every
// request of the RegistryClient, the token endpoint client and the load dispatchers goes through
// undici, so this sees all of them without any hook in src/client/; a request created inside a span
// (a case, a setup, a benchmark step) becomes its child through the active context.
// Subscribed only while tracing is on: undici publishes nothing when a channel has no subscriber.
import diagnostics from 'node:diagnostics_channel';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { redact } from '../auth/redact.js';
import { LOAD_PHASE, recordError, tracer } from './spans.js';

/** The part of undici's Request object the channels hand out (undici docs: DiagnosticsChannel.md). */
interface UndiciRequest {
  origin?: string | URL;
  method: string;
  path: string;
  addHeader(name: string, value: string): unknown;
}

interface Exchange {
  span: Span;
  method: string;
  sent: number;
  received: number;
}

/** Response headers that carry the registry's (or its CDN's / cloud's) id for the request. */
export const REQUEST_ID_HEADERS = [
  'x-request-id',
  'x-correlation-id',
  'request-id',
  'docker-distribution-request-id',
  'x-amz-request-id',
  'x-amzn-requestid',
  'x-amz-cf-id',
  'x-ms-request-id',
  'x-ms-correlation-request-id',
  'x-github-request-id',
  'x-goog-request-id',
  'x-cloud-trace-context',
  'cf-ray',
  'fly-request-id',
];
const REQUEST_ID_SET = new Set(REQUEST_ID_HEADERS);

const MASK = '<redacted>';

/** Query parameters of the distribution and token APIs whose values say nothing secret. */
const SAFE_QUERY = new Set(['n', 'last', 'digest', 'mount', 'from', 'artifacttype', 'service', 'scope', 'account', 'client_id', 'offline_token', 'ns']);

/**
 * The URL as a span shows it: no user info, the value of every query parameter not known to be
 * harmless masked (pre-signed blob URLs carry signatures and tokens there), registered secrets masked.
 */
export function spanUrl(url: URL): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  u.hash = '';
  const query = u.search
    .slice(1)
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const i = pair.indexOf('=');
      const key = i < 0 ? pair : pair.slice(0, i);
      return i < 0 || SAFE_QUERY.has(key.toLowerCase()) ? pair : `${key}=${MASK}`;
    });
  u.search = '';
  return redact(`${u.toString()}${query.length ? `?${query.join('&')}` : ''}`);
}

/** `/v2/{name}/manifests/{reference}` and the like: a low-cardinality name for the span. */
export function routeTemplate(path: string): string | undefined {
  if (/^\/v2\/?$/.test(path)) return '/v2/';
  if (path === '/v2/_catalog') return '/v2/_catalog';
  const m = /^\/v2\/.+?\/(tags\/list|manifests\/[^/]+|blobs\/uploads\/?[^/]*|blobs\/[^/]+|referrers\/[^/]+)$/.exec(path);
  if (!m) return undefined;
  const rest = m[1]!;
  if (rest === 'tags/list') return '/v2/{name}/tags/list';
  if (rest.startsWith('manifests/')) return '/v2/{name}/manifests/{reference}';
  if (rest.startsWith('blobs/uploads')) return rest === 'blobs/uploads/' || rest === 'blobs/uploads' ? '/v2/{name}/blobs/uploads/' : '/v2/{name}/blobs/uploads/{session}';
  if (rest.startsWith('blobs/')) return '/v2/{name}/blobs/{digest}';
  return '/v2/{name}/referrers/{digest}';
}

export interface HttpClientTracing {
  /** Fraction (0..1) of exchanges inside a load phase that get a span. */
  loadSampleRate: number;
  /** Ends the spans of exchanges whose response body nobody read to the end (before a flush). */
  endOpen(): void;
  /** Unsubscribes from undici's channels. */
  stop(): void;
}

export function traceHttpClient(loadSampleRate = 0): HttpClientTracing {
  const live = new Map<UndiciRequest, Exchange>();
  const state: HttpClientTracing = {
    loadSampleRate,
    endOpen() {
      for (const [req, ex] of live) {
        ex.span.setAttribute('regprobe.http.response_unfinished', true);
        finish(req, ex);
      }
    },
    stop() {
      for (const [name, fn] of handlers) diagnostics.unsubscribe(name, fn);
    },
  };

  const finish = (req: UndiciRequest, ex: Exchange) => {
    live.delete(req);
    if (ex.sent > 0 || ex.method === 'PUT' || ex.method === 'PATCH' || ex.method === 'POST') ex.span.setAttribute('http.request.body.size', ex.sent);
    ex.span.setAttribute('http.response.body.size', ex.received);
    ex.span.end();
  };

  const onCreate = ({ request }: { request: UndiciRequest }) => {
    const parent: Context = context.active();
    if (parent.getValue(LOAD_PHASE) === true && !(state.loadSampleRate > 0 && Math.random() < state.loadSampleRate)) return;
    let url: URL;
    try {
      url = new URL(request.path, request.origin);
    } catch {
      return;
    }
    const method = request.method.toUpperCase();
    const template = routeTemplate(url.pathname);
    const attributes: Attributes = {
      'http.request.method': method,
      'url.full': spanUrl(url),
      'server.address': url.hostname,
      'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      ...(template ? { 'url.template': template } : {}),
    };
    if (parent.getValue(LOAD_PHASE) === true) attributes['regprobe.sample_rate'] = state.loadSampleRate;
    const span = tracer().startSpan(template ? `${method} ${template}` : method, { kind: SpanKind.CLIENT, attributes }, parent);
    // traceparent: a registry that traces (the reference server with --otel) continues this trace.
    propagation.inject(trace.setSpan(parent, span), request, { set: (r, k, v) => void r.addHeader(k, v) });
    live.set(request, { span, method, sent: 0, received: 0 });
  };

  const onChunkSent = ({ request, chunk }: { request: UndiciRequest; chunk: Uint8Array | string }) => {
    const ex = live.get(request);
    if (ex) ex.sent += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
  };

  const onHeaders = ({ request, response }: { request: UndiciRequest; response: { statusCode: number; headers: Buffer[] } }) => {
    const ex = live.get(request);
    if (!ex) return;
    const { span } = ex;
    span.setAttribute('http.response.status_code', response.statusCode);
    const raw = response.headers;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!.toString('latin1').toLowerCase();
      if (REQUEST_ID_SET.has(name)) span.setAttribute(`http.response.header.${name}`, [redact(raw[i + 1]!.toString('latin1'))]);
    }
    // Client spans: 4xx and 5xx are errors (OpenTelemetry HTTP semantic conventions); whether the
    // answer was the right one is the case span's verdict.
    if (response.statusCode >= 400) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.setAttribute('error.type', String(response.statusCode));
    }
  };

  const onChunkReceived = ({ request, chunk }: { request: UndiciRequest; chunk: Uint8Array }) => {
    const ex = live.get(request);
    if (ex) ex.received += chunk.byteLength;
  };

  const onTrailers = ({ request }: { request: UndiciRequest }) => {
    const ex = live.get(request);
    if (ex) finish(request, ex);
  };

  const onError = ({ request, error }: { request: UndiciRequest; error: unknown }) => {
    const ex = live.get(request);
    if (!ex) return;
    recordError(ex.span, error);
    finish(request, ex);
  };

  // Each channel's message shape is documented by undici; the casts only name it.
  const handlers: Array<[string, diagnostics.ChannelListener]> = [
    ['undici:request:create', (m) => onCreate(m as Parameters<typeof onCreate>[0])],
    ['undici:request:bodyChunkSent', (m) => onChunkSent(m as Parameters<typeof onChunkSent>[0])],
    ['undici:request:headers', (m) => onHeaders(m as Parameters<typeof onHeaders>[0])],
    ['undici:request:bodyChunkReceived', (m) => onChunkReceived(m as Parameters<typeof onChunkReceived>[0])],
    ['undici:request:trailers', (m) => onTrailers(m as Parameters<typeof onTrailers>[0])],
    ['undici:request:error', (m) => onError(m as Parameters<typeof onError>[0])],
  ];
  for (const [name, fn] of handlers) diagnostics.subscribe(name, fn);
  return state;
}
