// What every handler receives, and the few ways it answers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RegistryStorage } from '../storage/index.js';
import { RegistryError } from './errors.js';

export interface HandlerConfig {
  deleteEnabled: boolean;
  automaticMount: boolean;
  maxManifestSize: number;
  /** An authorizer is configured (automatic mount by content is then off: it would bypass pull rights). */
  authEnabled: boolean;
  /** Referrers per response; longer lists are paginated with a Link header (default 1000). */
  referrersPageSize?: number;
}

export interface HandlerContext {
  req: IncomingMessage;
  res: ServerResponse;
  storage: RegistryStorage;
  config: HandlerConfig;
  /** Repository name (already checked against the grammar); '' for /v2/ and the catalog. */
  name: string;
  /** Last path segment, percent-decoded: a tag, digest or upload id (not yet checked). */
  ref: string;
  query: URLSearchParams;
  /** The caller may pull from `from` of a mount request (always true without auth). */
  mayPullFrom(from: string): Promise<boolean>;
}

export type Handler = (ctx: HandlerContext) => Promise<void>;

type Headers = Record<string, string | number | string[]>;

/** A response without a body (Content-Length: 0 unless the caller set one, as HEAD does). */
export function sendEmpty(ctx: HandlerContext, status: number, headers: Headers = {}): void {
  const { res } = ctx;
  const h: Headers = { 'Content-Length': 0, ...headers };
  if (status === 204 || status === 304) delete h['Content-Length'];
  prepareEarly(ctx.req, res);
  res.writeHead(status, h);
  res.end();
}

/** A complete in-memory body; HEAD gets the same headers and no body. */
export function sendBody(ctx: HandlerContext, status: number, headers: Headers, body: Buffer | string): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  prepareEarly(ctx.req, ctx.res);
  ctx.res.writeHead(status, { ...headers, 'Content-Length': buf.length });
  if (ctx.req.method === 'HEAD') ctx.res.end();
  else ctx.res.end(buf);
}

export function sendJson(ctx: HandlerContext, status: number, value: unknown, headers: Headers = {}): void {
  sendBody(ctx, status, { 'Content-Type': 'application/json', ...headers }, JSON.stringify(value));
}

export function sendError(req: IncomingMessage, res: ServerResponse, err: RegistryError): void {
  const body = Buffer.from(err.body());
  prepareEarly(req, res);
  res.writeHead(err.status, { ...err.headers, 'Content-Type': 'application/json', 'Content-Length': body.length });
  if (req.method === 'HEAD') res.end();
  else res.end(body);
}

const DRAIN_LIMIT = 1024 * 1024;

/**
 * Answering before reading a request body: Node drains what is left so the connection can be
 * reused; a big or unbounded leftover is not worth reading, so that connection is closed instead.
 */
export function prepareEarly(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete || req.readableFlowing !== null || res.headersSent || !hasBody(req)) return;
  const len = Number(req.headers['content-length'] ?? NaN);
  if (!(len <= DRAIN_LIMIT)) res.setHeader('Connection', 'close');
}

/** The request carries a body (Content-Length > 0 or chunked). */
export function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  if (len !== undefined) return Number(len) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

/** Content-Length as a number, undefined when absent. */
export function contentLength(req: IncomingMessage): number | undefined {
  const v = req.headers['content-length'];
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * Reads a body that must fit in memory (manifests); rejects with `tooLarge()` past `limit`. A bounded
 * excess is read and discarded so the client sees the answer; beyond that the connection is closed
 * after the answer instead of reading on.
 */
export function readSmallBody(req: IncomingMessage, limit: number, tooLarge: () => RegistryError): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (c: Buffer) => {
      n += c.length;
      if (n <= limit) chunks.push(c);
      else if (n > limit * 4 + DRAIN_LIMIT) {
        cleanup();
        req.pause();
        const err = tooLarge();
        err.headers.Connection = 'close';
        reject(err);
      }
    };
    const onEnd = () => {
      cleanup();
      if (n > limit) reject(tooLarge());
      else resolve(Buffer.concat(chunks, n));
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const onClose = () => {
      cleanup();
      reject(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    req.once('close', onClose);
  });
}
