// Server spans for the reference registry (`regprobe serve --otel`): one per request, named by route,
// with status and sizes; a traceparent from the client (regprobe's own HTTP spans send one) makes the
// request part of the client's trace. Only @opentelemetry/api is used here: the SDK is the CLI's to load.
// No query string, header or body is recorded (the token endpoint takes passwords in them).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';

export interface RequestTracing {
  /** Starts the request's span; it ends when the response closes. */
  start(req: IncomingMessage, res: ServerResponse): void;
  /** The router matched this route (its id in reference-server/http/router.ts). */
  route(req: IncomingMessage, routeId: string): void;
  /** An unexpected error answered 500. */
  error(req: IncomingMessage, err: unknown): void;
}

/** http.route per router route id. */
const ROUTE_TEMPLATES: Record<string, string> = {
  token: '/token',
  base: '/v2/',
  catalog: '/v2/_catalog',
  tags: '/v2/{name}/tags/list',
  manifests: '/v2/{name}/manifests/{reference}',
  uploads: '/v2/{name}/blobs/uploads/',
  upload: '/v2/{name}/blobs/uploads/{session}',
  blobs: '/v2/{name}/blobs/{digest}',
  referrers: '/v2/{name}/referrers/{digest}',
};

const headerGetter = {
  keys: (h: IncomingMessage['headers']) => Object.keys(h),
  get: (h: IncomingMessage['headers'], key: string) => h[key],
};

export function otelRequestTracing(version?: string): RequestTracing {
  const tracer = trace.getTracer('regprobe-reference-server', version);
  const spans = new WeakMap<IncomingMessage, Span>();
  const routes = new WeakMap<IncomingMessage, string>();
  return {
    start(req, res) {
      const method = (req.method ?? 'GET').toUpperCase();
      const path = (req.url ?? '/').replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '').split('?')[0] || '/';
      const parent = propagation.extract(context.active(), req.headers, headerGetter);
      const span = tracer.startSpan(
        method,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'http.request.method': method,
            'url.path': path,
            'url.scheme': 'http',
            'network.protocol.version': req.httpVersion,
            ...(req.socket.remoteAddress ? { 'client.address': req.socket.remoteAddress } : {}),
            ...(req.headers['user-agent'] ? { 'user_agent.original': req.headers['user-agent'] } : {}),
            ...(req.headers['content-length'] ? { 'http.request.body.size': Number(req.headers['content-length']) } : {}),
          },
        },
        parent,
      );
      spans.set(req, span);
      res.once('close', () => {
        // The route is applied at the end: the token service only says it took a request once done.
        const template = ROUTE_TEMPLATES[routes.get(req) ?? ''];
        if (template) {
          span.setAttribute('http.route', template);
          span.updateName(`${method} ${template}`);
        }
        span.setAttribute('http.response.status_code', res.statusCode);
        const length = Number(res.getHeader('content-length'));
        if (Number.isFinite(length) && method !== 'HEAD') span.setAttribute('http.response.body.size', length);
        if (!res.writableFinished) span.setAttribute('regprobe.response_unfinished', true);
        // Server spans: only 5xx are errors (OpenTelemetry HTTP semantic conventions).
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      });
    },
    route(req, routeId) {
      routes.set(req, routeId);
    },
    error(req, err) {
      const span = spans.get(req);
      if (!span) return;
      const e = err instanceof Error ? err : new Error(String(err));
      // Names and messages only: a stack could quote request data.
      span.addEvent('exception', { 'exception.type': e.name, 'exception.message': e.message });
      span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
      span.setAttribute('error.type', e.name);
    },
  };
}
