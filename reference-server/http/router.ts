// The one router of the reference registry: matches the path, checks method and repository name,
// asks the authorizer (the only place auth is decided), then calls the resource's handler.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { isValidName } from '../../src/oci/names.js';
import type { Access, RequestAuthorizer } from '../auth/types.js';
import type { ServerLogger } from '../logger.js';
import type { RegistryStorage } from '../storage/index.js';
import type { RequestTracing } from '../telemetry.js';
import { getBase } from './base.js';
import { deleteBlob, getBlob } from './blobs.js';
import { getCatalog } from './catalog.js';
import { sendError, type Handler, type HandlerConfig, type HandlerContext } from './context.js';
import { clip, nameInvalid, RegistryError } from './errors.js';
import { deleteManifest, getManifest, putManifest } from './manifests.js';
import { usePublicUrl } from './public-url.js';
import { getReferrers } from './referrers.js';
import { getTags } from './tags.js';
import { sendStorageFailure, storageFailure } from './storage-failure.js';
import { cancelUpload, finishUpload, patchUpload, startUpload, uploadStatus } from './uploads.js';

export interface RouterOptions {
  storage: RegistryStorage;
  config: HandlerConfig;
  logger: ServerLogger;
  authorizer?: RequestAuthorizer;
  /** Server spans (reference-server/telemetry.ts); absent = no tracing. */
  tracing?: RequestTracing;
}

type Need = 'none' | 'catalog' | 'pull' | 'push' | 'delete';

interface Route {
  id: string;
  /** Matched against the raw (not percent-decoded) path: an encoded slash can never form a name. */
  re: RegExp;
  /** Capture groups: [name, ref] as present. */
  hasName: boolean;
  methods: Record<string, { handler: Handler; need: Need }>;
}

const pull = (handler: Handler) => ({ handler, need: 'pull' as Need });
const push = (handler: Handler) => ({ handler, need: 'push' as Need });
const del = (handler: Handler) => ({ handler, need: 'delete' as Need });

const ROUTES: Route[] = [
  { id: 'base', re: /^\/v2\/?$/, hasName: false, methods: { GET: { handler: getBase, need: 'none' }, HEAD: { handler: getBase, need: 'none' } } },
  { id: 'catalog', re: /^\/v2\/_catalog$/, hasName: false, methods: { GET: { handler: getCatalog, need: 'catalog' } } },
  { id: 'tags', re: /^\/v2\/(.+)\/tags\/list$/, hasName: true, methods: { GET: pull(getTags) } },
  {
    id: 'manifests', re: /^\/v2\/(.+)\/manifests\/([^/]+)$/, hasName: true,
    methods: { GET: pull(getManifest), HEAD: pull(getManifest), PUT: push(putManifest), DELETE: del(deleteManifest) },
  },
  { id: 'uploads', re: /^\/v2\/(.+)\/blobs\/uploads\/?$/, hasName: true, methods: { POST: push(startUpload) } },
  {
    id: 'upload', re: /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/, hasName: true,
    // Every operation on a session is part of a push (as in distribution), cancel included.
    methods: { GET: push(uploadStatus), PATCH: push(patchUpload), PUT: push(finishUpload), DELETE: push(cancelUpload) },
  },
  { id: 'blobs', re: /^\/v2\/(.+)\/blobs\/([^/]+)$/, hasName: true, methods: { GET: pull(getBlob), HEAD: pull(getBlob), DELETE: del(deleteBlob) } },
  { id: 'referrers', re: /^\/v2\/(.+)\/referrers\/([^/]+)$/, hasName: true, methods: { GET: pull(getReferrers) } },
];

function accessFor(need: Need, name: string): Access[] {
  switch (need) {
    case 'none': return [];
    case 'catalog': return [{ type: 'registry', name: 'catalog', actions: ['*'] }];
    case 'pull': return [{ type: 'repository', name, actions: ['pull'] }];
    case 'push': return [{ type: 'repository', name, actions: ['pull', 'push'] }];
    case 'delete': return [{ type: 'repository', name, actions: ['delete'] }];
  }
}

function splitUrl(raw: string | undefined): { path: string; query: URLSearchParams } {
  let url = raw ?? '/';
  // absolute-form request targets (proxies): keep only path and query
  const abs = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(url);
  if (abs) url = url.slice(abs[0].length) || '/';
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: new URLSearchParams() } : { path: url.slice(0, q), query: new URLSearchParams(url.slice(q + 1)) };
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // left encoded: it then fails the tag/digest/upload-id grammar
  }
}

export function createRouter(opts: RouterOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { storage, config, logger, authorizer, tracing } = opts;

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Before the authorizer: its token realm is built on the same origin as our Locations.
    if (config.publicUrl) usePublicUrl(req, config.publicUrl);
    if (authorizer?.handle && (await authorizer.handle(req, res))) {
      tracing?.route(req, 'token');
      return;
    }
    const { path, query } = splitUrl(req.url);
    let route: Route | undefined;
    let m: RegExpExecArray | null = null;
    for (const r of ROUTES) {
      m = r.re.exec(path);
      if (m) {
        route = r;
        break;
      }
    }
    if (!route || !m) throw new RegistryError(404, 'UNSUPPORTED', 'no such endpoint in the distribution API', { path });
    tracing?.route(req, route.id);
    const method = (req.method ?? 'GET').toUpperCase();
    const entry = route.methods[method];
    if (!entry) {
      const allow = Object.keys(route.methods).join(', ');
      throw new RegistryError(405, 'UNSUPPORTED', `method ${method} is not allowed here`, { method, allowed: allow }, { Allow: allow });
    }
    const name = route.hasName ? m[1]! : '';
    if (route.hasName && !isValidName(name)) throw nameInvalid(name);
    const ref = m[2] !== undefined ? decodeSegment(m[2]) : '';

    if (authorizer) {
      const decision = await authorizer.authorize(req, accessFor(entry.need, name));
      if (!decision.ok) {
        throw new RegistryError(decision.status, decision.code, decision.message, undefined, decision.challenge ? { 'WWW-Authenticate': decision.challenge } : {});
      }
    }
    const ctx: HandlerContext = {
      req, res, storage, config, name, ref, query,
      mayPullFrom: async (from) => !authorizer || (await authorizer.authorize(req, accessFor('pull', from))).ok,
    };
    await entry.handler(ctx);
  }

  /** Answers a request whose handler failed: the error's own answer, or 500 for anything unexpected. */
  function answerFailure(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    if (err instanceof RegistryError) {
      if (!res.headersSent && !res.destroyed) sendError(req, res, err, config.maxManifestSize);
      else res.destroy();
      return;
    }
    if (isAborted(err)) {
      // The client went away (or cut its body short): there is nobody to answer. Anything else is
      // logged below even when the connection is gone (a for-await over the body destroys it).
      res.destroy();
      return;
    }
    const failure = storageFailure(err);
    if (failure) {
      // Disk full or I/O error: logged, and answered 507/500 with a body that says what happened.
      logger.error('storage failure', { method: req.method, url: clip(req.url ?? ''), errno: failure.errno, error: describeError(err) });
      tracing?.error(req, err);
      sendStorageFailure(req, res, failure);
      return;
    }
    logger.error('internal error', { method: req.method, url: clip(req.url ?? ''), error: describeError(err) });
    tracing?.error(req, err);
    sendInternalError(res);
  }

  /**
   * The last resort: answering the failure failed too (a renderer, a logger or a tracer threw). This
   * request gets a 500 if nothing was sent yet, else its connection is closed; the process goes on.
   */
  function lastResort(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    try {
      logger.error('internal error while answering a request', { method: req.method, url: clip(req.url ?? ''), error: describeError(err) });
    } catch {
      // a logger that throws must not take the request boundary with it
    }
    try {
      sendInternalError(res);
    } catch {
      res.destroy();
    }
  }

  return (req, res) => {
    const started = performance.now();
    // An 'error' event nobody listens to is an uncaught exception, i.e. the end of the process:
    // a stream failure on this request ends this request only.
    const streamFailed = (err: Error) => {
      if (isAborted(err)) return;
      try {
        logger.error('stream error', { method: req.method, url: clip(req.url ?? ''), error: describeError(err) });
      } catch {
        // nothing more to do for a logger that throws
      }
      res.destroy();
    };
    req.on('error', streamFailed);
    res.on('error', streamFailed);
    try {
      tracing?.start(req, res);
      res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
      res.once('close', () => {
        try {
          logger.request({
            method: req.method ?? '',
            url: req.url ?? '',
            status: res.statusCode,
            durationMs: performance.now() - started,
            remote: req.socket.remoteAddress ?? '',
            completed: res.writableFinished,
          });
        } catch {
          // logging is not worth a process
        }
      });
    } catch (err) {
      lastResort(req, res, err);
      return;
    }
    dispatch(req, res)
      .catch((err: unknown) => answerFailure(req, res, err))
      .catch((err: unknown) => lastResort(req, res, err));
  };
}

function sendInternalError(res: ServerResponse): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'internal server error' }] });
  res.writeHead(500, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
  res.end(body);
}

/** An error for the log: its stack (bounded), whatever was thrown. */
function describeError(err: unknown): string {
  try {
    return clip(err instanceof Error ? err.stack ?? err.message : String(err), 4000);
  } catch {
    return 'unprintable error';
  }
}

function isAborted(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'EPIPE' || (err as Error)?.message === 'aborted';
}
