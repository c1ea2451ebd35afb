// What every handler receives, and the few ways it answers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { RegistryStorage } from '../storage/index.js';
import { RegistryError } from './errors.js';

export interface HandlerConfig {
  deleteEnabled: boolean;
  automaticMount: boolean;
  maxManifestSize: number;
  /** An authorizer is configured (automatic mount by content is then off: it would bypass pull rights). */
  authEnabled: boolean;
  /** `scheme://host[:port]` clients reach us at (public-url.ts): Locations are absolute on it. Absent: relative. */
  publicUrl?: string;
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

/** A Location for `path`: on the configured public URL, else relative (never built from a Host header). */
export function location(ctx: HandlerContext, path: string): string {
  return ctx.config.publicUrl ? `${ctx.config.publicUrl}${path}` : path;
}

/** A response without a body (Content-Length: 0 unless the caller set one, as HEAD does). */
export function sendEmpty(ctx: HandlerContext, status: number, headers: Headers = {}): void {
  const { res } = ctx;
  const h: Headers = { 'Content-Length': 0, ...headers };
  if (status === 204 || status === 304) delete h['Content-Length'];
  prepareEarly(ctx.req, res, ctx.config.maxManifestSize);
  res.writeHead(status, h);
  res.end();
}

/** A complete in-memory body; HEAD gets the same headers and no body. */
export function sendBody(ctx: HandlerContext, status: number, headers: Headers, body: Buffer | string): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  prepareEarly(ctx.req, ctx.res, ctx.config.maxManifestSize);
  ctx.res.writeHead(status, { ...headers, 'Content-Length': buf.length });
  if (ctx.req.method === 'HEAD') ctx.res.end();
  else ctx.res.end(buf);
}

export function sendJson(ctx: HandlerContext, status: number, value: unknown, headers: Headers = {}): void {
  sendBody(ctx, status, { 'Content-Type': 'application/json', ...headers }, JSON.stringify(value));
}

export function sendError(req: IncomingMessage, res: ServerResponse, err: RegistryError, lingerBytes?: number): void {
  const body = Buffer.from(err.body());
  prepareEarly(req, res, lingerBytes);
  res.writeHead(err.status, { ...err.headers, 'Content-Type': 'application/json', 'Content-Length': body.length });
  if (req.method === 'HEAD') res.end();
  else res.end(body);
}

/** Unread bodies up to this size are read after an early answer and the connection is kept. */
const DRAIN_LIMIT = 1024 * 1024;
/** After an early answer on a closing connection: read and drop at most this much, this long. */
export const LINGER_BYTES = 16 * 1024 * 1024;
export const LINGER_MS = 5_000;

/**
 * Answering before reading a request body. A small leftover is read by Node after the answer and
 * the connection kept. A big, unbounded or half-read one is not worth reading whole: the answer says
 * Connection: close, and the connection lingers (see lingerAfterAnswer) so the client reads it.
 * `lingerBytes`: how much to read and drop at most (the endpoint's size limit when larger).
 */
export function prepareEarly(req: IncomingMessage, res: ServerResponse, lingerBytes = LINGER_BYTES): void {
  if (req.complete || res.headersSent || !hasBody(req)) return;
  const len = Number(req.headers['content-length'] ?? NaN);
  if (req.readableFlowing === null && len <= DRAIN_LIMIT) return;
  res.setHeader('Connection', 'close');
  lingerAfterAnswer(req, Math.max(lingerBytes, LINGER_BYTES));
}

const lingering = new WeakSet<Socket>();

/**
 * Closing a connection with unread input makes the kernel send a reset, and a client still writing
 * its body then loses the answer too (ECONNRESET/EPIPE instead of the status). So the rest of the
 * body is read and dropped from now on; when Node closes the connection after the answer
 * (socket.destroySoon), only the write side is closed, and the socket is destroyed once the body
 * has ended, `maxBytes` more were read or LINGER_MS passed, whichever comes first.
 */
export function lingerAfterAnswer(req: IncomingMessage, maxBytes: number): void {
  const socket = req.socket as Socket & { destroySoon?: () => void };
  if (lingering.has(socket) || socket.destroyed) return;
  lingering.add(socket);
  let seen = 0;
  let answered = false;
  let timer: NodeJS.Timeout | undefined;
  const destroyNow = () => {
    clearTimeout(timer);
    req.off('data', onData);
    socket.destroy();
  };
  const destroyWhenWritten = () => {
    clearTimeout(timer);
    if (socket.writableFinished || socket.destroyed) socket.destroy();
    else socket.once('finish', () => socket.destroy());
  };
  const onData = (c: Buffer) => {
    seen += c.length;
    if (seen > maxBytes) destroyNow();
  };
  req.removeAllListeners('data');
  req.on('data', onData);
  req.resume();
  req.once('end', () => {
    if (answered) destroyWhenWritten();
  });
  socket.once('close', () => clearTimeout(timer));
  socket.destroySoon = () => {
    answered = true;
    if (socket.writable) socket.end();
    if (req.complete) destroyWhenWritten();
    else timer = setTimeout(destroyNow, LINGER_MS);
  };
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
