// A loopback HTTP proxy in front of a registry that breaks one protocol rule at a time (test code for
// the fault-injection proof; the reference server itself has no fault hooks). Bodies are buffered
// (test content is small; capped), so a fault can rewrite requests before they reach the registry,
// answer in its place, or rewrite its responses.
import { createServer, request as httpRequest, Agent, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Bodies larger than this are refused (413): the suites push small content. */
const MAX_BODY = 16 * 1024 * 1024;

export interface ProxyRequest {
  method: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface ProxyResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface Fault {
  id: string;
  /** The rule it breaks, in one sentence. */
  breaks: string;
  /** Workflows whose suites run against it. */
  suites: string[];
  /** Case ids that must be among the failures (the test asserts it; the full list is printed). */
  caughtBy: string[];
  /**
   * The behaviour is legal (a false-alarm check): no case may fail or error, except as `verdicts`
   * says (a SHOULD not met, say). `caughtBy` is then empty.
   */
  legal?: boolean;
  /** Outcomes named cases must end with: status, and where given the level, skip kind, observations. */
  verdicts?: Record<string, Verdict>;
  /** Case id globs to run (--only), where a suite is large and the rule concerns a few of its cases. */
  only?: string[];
  /** Rewrites the request in place (return true when it did) or answers instead of the registry. */
  request?(req: ProxyRequest): ProxyResponse | boolean | void;
  /** Rewrites the registry's response in place; returns true when it changed something. */
  response?(req: ProxyRequest, res: ProxyResponse): boolean | void;
}

export interface Verdict {
  status: 'pass' | 'fail' | 'skip';
  /** For a failure: the level it counts at. */
  level?: 'MUST' | 'SHOULD' | 'MAY';
  skipKind?: string;
  /** Observations the case must have recorded (a legal choice seen). */
  observations?: Record<string, string | number | boolean | RegExp>;
  message?: RegExp;
}

export interface FaultProxy {
  url: string;
  /** The fault applied to the following requests (none: pass everything through unchanged). */
  setFault(fault: Fault | undefined): void;
  /** How many exchanges the current fault changed since it was set. */
  readonly fired: number;
  close(): Promise<void>;
}

async function readBody(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of stream) {
    n += (c as Buffer).length;
    if (n > MAX_BODY) throw new Error('body too large for the fault proxy');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

function flatten(h: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host', 'proxy-connection', 'upgrade'];

export async function startFaultProxy(upstreamUrl: string): Promise<FaultProxy> {
  const upstream = new URL(upstreamUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  let fault: Fault | undefined;
  let fired = 0;
  let origin = '';

  const forward = (req: ProxyRequest): Promise<ProxyResponse> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.includes(k)) headers[k] = v;
      if (req.body.length > 0 || !['GET', 'HEAD', 'DELETE'].includes(req.method)) headers['content-length'] = String(req.body.length);
      const search = req.query.toString();
      const r = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.path + (search ? `?${search}` : ''), headers, agent },
        (res) => {
          readBody(res).then(
            (body) => resolve({ status: res.statusCode ?? 502, headers: flatten(res.headers), body }),
            reject,
          );
        },
      );
      r.on('error', reject);
      r.end(req.body);
    });

  const server: Server = createServer((inc, out) => {
    void (async () => {
      const url = new URL(inc.url ?? '/', 'http://proxy.invalid');
      const req: ProxyRequest = { method: (inc.method ?? 'GET').toUpperCase(), path: url.pathname, query: url.searchParams, headers: flatten(inc.headers), body: await readBody(inc) };
      const f = fault;
      let res: ProxyResponse;
      const early = f?.request?.(req);
      if (early && typeof early === 'object') {
        fired++;
        res = early;
      } else {
        if (early === true) fired++;
        res = await forward(req);
        if (f?.response?.(req, res) === true) fired++;
      }
      // Absolute URLs that name the registry must name the proxy, or the client would bypass it.
      for (const h of ['location', 'link']) {
        if (res.headers[h]) res.headers[h] = res.headers[h]!.split(upstream.origin).join(origin);
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (!HOP_BY_HOP.includes(k) || k === 'content-length') headers[k] = v;
      // A HEAD (and a 204/304) keeps the registry's Content-Length: it describes the entity, not a body.
      const bodiless = req.method === 'HEAD' || res.status === 204 || res.status === 304;
      if (!bodiless) headers['content-length'] = String(res.body.length);
      out.writeHead(res.status, headers);
      out.end(bodiless ? undefined : res.body);
    })().catch((err: unknown) => {
      if (!out.headersSent) {
        out.writeHead(502, { 'content-type': 'text/plain' });
        out.end(`fault proxy: ${(err as Error).message}`);
      } else out.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;

  return {
    url: origin,
    setFault(f) {
      fault = f;
      fired = 0;
    },
    get fired() {
      return fired;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

/** What a /v2/ path addresses. */
export interface Route {
  kind: 'base' | 'catalog' | 'tags' | 'manifest' | 'blob' | 'upload' | 'referrers' | 'other';
  name?: string;
  /** Tag or digest (manifest), digest (blob, referrers), session id (upload; '' for the POST). */
  ref?: string;
}

export function routeOf(path: string): Route {
  if (path === '/v2/' || path === '/v2') return { kind: 'base' };
  if (path === '/v2/_catalog') return { kind: 'catalog' };
  const m = /^\/v2\/(.+?)\/(tags\/list|manifests\/([^/]+)|blobs\/uploads\/([^/]*)|blobs\/([^/]+)|referrers\/([^/]+))$/.exec(path);
  if (!m) return { kind: 'other' };
  const name = m[1]!;
  if (m[2] === 'tags/list') return { kind: 'tags', name };
  if (m[3] !== undefined) return { kind: 'manifest', name, ref: decodeURIComponent(m[3]) };
  if (m[4] !== undefined) return { kind: 'upload', name, ref: m[4] };
  if (m[5] !== undefined) return { kind: 'blob', name, ref: decodeURIComponent(m[5]) };
  return { kind: 'referrers', name, ref: decodeURIComponent(m[6]!) };
}

/** A parsed JSON body as faults edit it (test code: shapes are whatever the registry sent). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LooseJson = any;

/** Parses a JSON body, lets `edit` change it, writes it back; false when the body is not JSON. */
export function editJson(res: { body: Buffer }, edit: (json: LooseJson) => boolean | void): boolean {
  let json: unknown;
  try {
    json = JSON.parse(res.body.toString('utf8'));
  } catch {
    return false;
  }
  if (edit(json) === false) return false;
  res.body = Buffer.from(JSON.stringify(json));
  return true;
}

/** An OCI error response, for faults that answer in the registry's place. */
export function errorResponse(status: number, code: string, message: string): ProxyResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ errors: [{ code, message }] })) };
}
