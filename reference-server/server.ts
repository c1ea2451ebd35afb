// The bundled reference registry: start it in-process (tests, `regprobe conformance` without a URL)
// or from `regprobe serve`. node:http directly: the API is small and every byte path must be ours.
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RequestAuthorizer } from './auth/types.js';
import { createRouter } from './http/router.js';
import { DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS, guardConnections } from './http/connections.js';
import { normalizePublicUrl } from './http/public-url.js';
import { makeLogger, silentLogger, type ServerLogger } from './logger.js';
import type { RequestTracing } from './telemetry.js';
import type { TlsCredentials } from './tls.js';
import { keepFreedHeapMemory } from '../src/runtime/allocator.js';
import { FsStorage, type GcOptions, type GcReport, type RecoveryReport } from './storage/index.js';

export { makeLogger, type ServerLogger, type LogFormat, type RequestLogEntry } from './logger.js';
export type { RecoveryReport, GcReport, GcOptions } from './storage/index.js';
export { StorageLockedError } from './storage/index.js';

export interface ReferenceServerOptions {
  /** default '127.0.0.1' */
  host?: string;
  /** default 0 (a free port) */
  port?: number;
  /** default: a fresh temp dir, removed on close() */
  storageDir?: string;
  /** default true; false -> DELETEs answer 405 UNSUPPORTED */
  deleteEnabled?: boolean;
  /** default true: ?mount= without from mounts by content (off while an authorizer is set) */
  automaticMount?: boolean;
  /** bytes, default 4 MiB -> 413 above */
  maxManifestSize?: number;
  /** referrers per response, default 1000; longer lists are paginated (Link rel="next") */
  referrersPageSize?: number;
  /** HTTPS with this PEM certificate and key (reference-server/tls.ts loads or makes them); default plain HTTP. */
  tls?: TlsCredentials;
  /** default: silent; see makeLogger('human'|'json'|'none', stream) */
  logger?: ServerLogger;
  /** from reference-server/auth/types.ts; absent = no auth */
  authorizer?: RequestAuthorizer;
  /** A connection idle this long (no bytes either way) is closed; default 60 s. */
  requestTimeoutMs?: number;
  /** Time to send a request's headers, from its first byte (from connecting, for the first request); default 20 s. */
  headersTimeoutMs?: number;
  /** Open connections at most (default 1024); at the limit the longest-idle one is closed for a new one. */
  maxConnections?: number;
  /**
   * Where clients reach this registry (`https://registry.example.com`, behind a proxy): the token realm
   * and every Location are built on it. Default: relative Locations, realm from a plain Host header.
   */
  publicUrl?: string;
  /** close(): how long in-flight requests may take to finish before connections are cut; default 10 s. */
  shutdownTimeoutMs?: number;
  /** Idle upload sessions are removed after this long; default 24 h. */
  uploadTtlMs?: number;
  /** Online garbage collection every this many ms (storage/gc.ts); default 0 = never. */
  gcIntervalMs?: number;
  /** Unreferenced links and blobs younger than this survive a gc run; default 1 h. */
  gcGraceMs?: number;
  /** Re-hash every blob on start and drop those that do not match (slow on big stores); default false. */
  verifyBlobsOnStart?: boolean;
  /** A server span per request (reference-server/telemetry.ts otelRequestTracing()); default none. */
  tracing?: RequestTracing;
}

export interface ReferenceServer {
  url: string;
  host: string;
  port: number;
  storageDir: string;
  /** What start-up recovery found and cleaned in the storage directory. */
  recovery: RecoveryReport;
  /** One garbage collection run now (the --gc-interval timer runs the same), with the server's grace unless given. */
  collectGarbage(opts?: GcOptions): Promise<GcReport>;
  /** Graceful: stop accepting, let in-flight requests finish (bounded), then resolve. */
  close(): Promise<void>;
}

export const DEFAULT_MAX_MANIFEST_SIZE = 4 * 1024 * 1024;

export async function startReferenceServer(opts: ReferenceServerOptions = {}): Promise<ReferenceServer> {
  // Uploads and pulls stream through 64 KiB socket buffers: see allocator.ts.
  keepFreedHeapMemory();
  const host = opts.host ?? '127.0.0.1';
  // Checked before the storage is opened (and locked): a bad URL throws with nothing to undo.
  const publicUrl = opts.publicUrl !== undefined ? normalizePublicUrl(opts.publicUrl) : undefined;
  const logger = opts.logger ?? silentLogger;
  const ownsDir = opts.storageDir === undefined;
  const storageDir = ownsDir ? await mkdtemp(join(tmpdir(), 'regprobe-registry-')) : resolve(opts.storageDir!);
  const storage = await FsStorage.open({ root: storageDir, uploadTtlMs: opts.uploadTtlMs, verifyBlobs: opts.verifyBlobsOnStart });
  const r = storage.recovery;
  if (r.tempFilesRemoved + r.uploadsRemoved + r.blobLinksDropped + r.manifestsDropped + r.tagsDropped + r.corruptBlobsRemoved + r.strayFilesRemoved > 0) {
    logger.info('storage recovered', { ...r });
  }

  const handler = createRouter({
    storage,
    logger,
    authorizer: opts.authorizer,
    ...(opts.tracing ? { tracing: opts.tracing } : {}),
    config: {
      deleteEnabled: opts.deleteEnabled ?? true,
      automaticMount: opts.automaticMount ?? true,
      maxManifestSize: opts.maxManifestSize ?? DEFAULT_MAX_MANIFEST_SIZE,
      authEnabled: opts.authorizer !== undefined,
      ...(publicUrl !== undefined ? { publicUrl } : {}),
      ...(opts.referrersPageSize !== undefined ? { referrersPageSize: opts.referrersPageSize } : {}),
    },
  });

  let inFlight = 0;
  let closing = false;
  let drained: (() => void) | undefined;
  const onRequest: Parameters<typeof createServer>[1] = (req, res) => {
    inFlight++;
    if (closing) res.setHeader('Connection', 'close');
    res.once('close', () => {
      inFlight--;
      if (closing) {
        server.closeIdleConnections();
        if (inFlight === 0) drained?.();
      }
    });
    handler(req, res);
  };
  // The same handler behind TLS: https.Server is an http.Server underneath (timeouts, clientError, close*Connections).
  const server: Server = opts.tls
    ? createHttpsServer({ keepAliveTimeout: 5_000, cert: opts.tls.cert, key: opts.tls.key }, onRequest)
    : createServer({ keepAliveTimeout: 5_000 }, onRequest);
  guardConnections(server, {
    maxConnections: opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    headersTimeoutMs: opts.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
    idleTimeoutMs: opts.requestTimeoutMs ?? 60_000,
    logger,
  });

  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off('error', reject);
        resolveListen();
      });
    });
  } catch (err) {
    await storage.close();
    if (ownsDir) await rm(storageDir, { recursive: true, force: true });
    throw err;
  }
  // Online gc: one run at a time (a run still going when the next tick comes is not doubled).
  const gcEvery = opts.gcIntervalMs ?? 0;
  const collectGarbage = (o: GcOptions = {}) => storage.collectGarbage({ graceMs: opts.gcGraceMs, ...o });
  const gcTimer = gcEvery > 0
    ? setInterval(() => {
        collectGarbage().then(
          (report) => logger.info('garbage collected', { ...report }),
          (err: unknown) => logger.error('garbage collection failed', { error: err instanceof Error ? err.message : String(err) }),
        );
      }, gcEvery)
    : undefined;
  gcTimer?.unref();
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 0);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const scheme = opts.tls ? 'https' : 'http';
  const shutdownMs = opts.shutdownTimeoutMs ?? 10_000;
  let closed: Promise<void> | undefined;

  const close = (): Promise<void> =>
    (closed ??= (async () => {
      closing = true;
      clearInterval(gcTimer);
      const stopped = new Promise<void>((res) => server.close(() => res()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((res) => (drained = res)),
          new Promise<void>((res) => (timer = setTimeout(res, shutdownMs))),
        ]);
        clearTimeout(timer);
      }
      server.closeAllConnections();
      await stopped;
      await storage.close();
      if (ownsDir) await rm(storageDir, { recursive: true, force: true });
    })());

  logger.info('reference registry listening', { url: `${scheme}://${urlHost}:${port}`, storage: storageDir });
  return { url: `${scheme}://${urlHost}:${port}`, host, port, storageDir, recovery: storage.recovery, collectGarbage, close };
}
